"""Every integer the API takes, at any size a client sends: 400 with the error body, never 500."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.artifacts.test_endpoints import make_artifact
from tests.conftest import ApiUser

ERROR_KEYS = {"error", "message", "details", "request_id"}


@dataclass(frozen=True)
class IntegerParameter:
    method: str
    path: str
    location: str  # query | path | body
    name: str
    schema: dict[str, Any]

    def __str__(self) -> str:
        return f"{self.method} {self.path} {self.location}:{self.name}"


def _integer_schema(schema: dict[str, Any]) -> dict[str, Any] | None:
    if schema.get("type") == "integer":
        return schema
    for option in schema.get("anyOf", []):
        if option.get("type") == "integer":
            return dict(option)
    return None


def _resolve(openapi: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref is None:
        return schema
    found: dict[str, Any] = openapi["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    return found


def integer_parameters(openapi: dict[str, Any]) -> list[IntegerParameter]:
    """Each integer parameter of each operation: query, path and JSON body properties."""
    found: list[IntegerParameter] = []
    for path, operations in openapi["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                schema = _integer_schema(parameter["schema"])
                if schema is not None:
                    found.append(
                        IntegerParameter(
                            method.upper(), path, parameter["in"], parameter["name"], schema
                        )
                    )
            content = operation.get("requestBody", {}).get("content", {})
            body = content.get("application/json", {}).get("schema")
            if body is None:
                continue
            for name, prop in _resolve(openapi, body).get("properties", {}).items():
                schema = _integer_schema(prop)
                if schema is not None:
                    found.append(IntegerParameter(method.upper(), path, "body", name, schema))
    return found


def out_of_range(schema: dict[str, Any]) -> list[int]:
    """Values past both ends: SQLite's 64-bit limit and beyond, and just past the declared ends."""
    values = [2**63, 2**64, -(2**63) - 1, 10**30]
    if "minimum" in schema:
        values.append(int(schema["minimum"]) - 1)
    if "maximum" in schema:
        values.append(int(schema["maximum"]) + 1)
    return values


@pytest.fixture
def ids(app: FastAPI, alice: ApiUser) -> dict[str, str]:
    project = alice.project("Refunds")
    document = alice.document(project["id"], "policy.md", "Refunds take five days.")
    thread = alice.thread(project["id"], title="Refunds")
    return {
        "project_id": project["id"],
        "document_id": document["id"],
        "thread_id": thread["id"],
        "artifact_id": make_artifact(app, thread["id"]),
        "message_id": "00000000-0000-4000-8000-000000000000",
        "provider": "dev",
        "number": "1",
    }


# The other required query parameters, valid, so that only the integer under test is wrong.
OTHER_QUERY = {"/export": {"format": "markdown"}, "/search": {"q": "refund"}}


class TestIntegerParameters:
    def test_the_api_has_the_integers_we_know_of(self, app: FastAPI) -> None:
        names = {str(p) for p in integer_parameters(app.openapi())}
        assert {
            "GET /api/projects query:offset",
            "GET /api/projects/{project_id}/documents query:offset",
            "GET /api/projects/{project_id}/threads query:offset",
            "GET /api/threads/{thread_id}/messages query:offset",
            "GET /api/threads/{thread_id}/artifacts query:offset",
            "GET /api/projects/{project_id}/artifacts query:offset",
            "GET /api/projects/{project_id}/search query:limit",
            "GET /api/artifacts/{artifact_id}/versions/{number} path:number",
            "GET /api/artifacts/{artifact_id}/export query:version",
            "PATCH /api/artifacts/{artifact_id} body:base_version",
        } <= names

    def test_every_one_out_of_range_is_a_400_naming_it(
        self, app: FastAPI, alice: ApiUser, ids: dict[str, str]
    ) -> None:
        parameters = integer_parameters(app.openapi())
        wrong: list[str] = []
        for parameter in parameters:
            for value in out_of_range(parameter.schema):
                response = self._send(alice, parameter, value, ids)
                json = response.headers.get("content-type", "").startswith("application/json")
                body = response.json() if json else {}
                if (
                    response.status_code != 400
                    or set(body) != ERROR_KEYS
                    or body["error"] != "validation_error"
                    or parameter.name not in {k.rsplit(".", 1)[-1] for k in body["details"]}
                ):
                    wrong.append(f"{parameter}={value}: {response.status_code} {response.text}")
        assert not wrong, "\n".join(wrong)

    @staticmethod
    def _send(
        alice: ApiUser, parameter: IntegerParameter, value: int, ids: dict[str, str]
    ) -> httpx.Response:
        path_values = dict(ids)
        params: dict[str, str] = {}
        for suffix, others in OTHER_QUERY.items():
            if parameter.path.endswith(suffix):
                params.update(others)
        body: dict[str, Any] | None = None
        if parameter.method in ("POST", "PATCH"):
            body = {"title": "Partial refunds, revised"}
        if parameter.location == "path":
            path_values[parameter.name] = str(value)
        elif parameter.location == "query":
            params[parameter.name] = str(value)
        elif body is not None:
            body[parameter.name] = value
        url = parameter.path.format(**path_values)
        return alice.request(parameter.method, url, params=params, json=body)
