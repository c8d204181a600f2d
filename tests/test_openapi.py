"""The OpenAPI document names the errors each route really answers, in the one error body."""

from __future__ import annotations

import re

from fastapi import FastAPI

from ba_assistant.artifacts.rendering import FORMATS
from ba_assistant.schemas import NOT_BLANK
from tests.conftest import ApiUser

ERROR_REF = {"$ref": "#/components/schemas/ErrorBody"}


def responses(app: FastAPI, method: str, path: str) -> dict[str, dict[str, object]]:
    found: dict[str, dict[str, object]] = app.openapi()["paths"][path][method]["responses"]
    return found


class TestErrorResponses:
    def test_no_422_validation_error_is_promised(self, app: FastAPI) -> None:
        document = app.openapi()
        assert "HTTPValidationError" not in document["components"]["schemas"]
        assert "ValidationError" not in document["components"]["schemas"]
        assert "HTTPValidationError" not in str(document)

    def test_each_route_lists_what_its_checks_answer(self, app: FastAPI) -> None:
        assert set(responses(app, "get", "/api/projects/{project_id}")) == {
            "200", "401", "403", "404", "429"
        }  # fmt: skip
        upload = responses(app, "post", "/api/projects/{project_id}/documents")
        assert {"400", "401", "403", "404", "413", "415", "422", "429"} <= set(upload)
        assert "409" in responses(app, "patch", "/api/artifacts/{artifact_id}")

    def test_errors_share_one_body_with_their_headers(self, app: FastAPI) -> None:
        listed = responses(app, "get", "/api/projects")
        for status in ("400", "401", "429"):
            assert listed[status]["content"] == {"application/json": {"schema": ERROR_REF}}
        assert "WWW-Authenticate" in listed["401"]["headers"]  # type: ignore[operator]
        assert "Retry-After" in listed["429"]["headers"]  # type: ignore[operator]

    def test_a_real_error_has_the_documented_fields(self, app: FastAPI, alice: ApiUser) -> None:
        body = alice.get("/api/projects?offset=-1").json()
        schema = app.openapi()["components"]["schemas"]["ErrorBody"]
        assert set(schema["required"]) == set(body)
        assert body["error"] in schema["properties"]["error"]["enum"]


class TestInputsAsEnforced:
    def test_export_format_is_an_enum(self, app: FastAPI) -> None:
        operation = app.openapi()["paths"]["/api/artifacts/{artifact_id}/export"]["get"]
        (format,) = [p for p in operation["parameters"] if p["name"] == "format"]
        assert format["schema"]["enum"] == list(FORMATS)

    def test_blank_names_break_the_schema_and_get_400(self, app: FastAPI, alice: ApiUser) -> None:
        name = app.openapi()["components"]["schemas"]["ProjectCreate"]["properties"]["name"]
        assert name["pattern"] == NOT_BLANK
        for blank in ("", " ", "\u3000", "\x1c\t"):
            assert re.search(name["pattern"], blank) is None
            assert alice.post("/api/projects", json={"name": blank}).status_code == 400
        assert re.search(name["pattern"], " Refunds ")
        assert alice.post("/api/projects", json={"name": " Refunds "}).status_code == 201
