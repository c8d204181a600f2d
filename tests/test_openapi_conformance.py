"""The API keeps the promises of its OpenAPI: Schemathesis sends every operation what the
document allows (and what it does not), signed in, against real rows, and checks each answer:
no 5xx, every status documented, and the body and headers as the document says."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import httpx2
import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, reject, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from ba_assistant.main import create_app
from tests.artifacts.test_endpoints import make_artifact
from tests.conftest import make_app, make_settings, wait_for_reply

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
EXAMPLES_PER_OPERATION = 8


class World:
    """A signed-in analyst with one of everything, made afresh when a request deleted some."""

    def __init__(self, app: FastAPI, client: TestClient) -> None:
        self.app = app
        self.client = client
        self.ids: dict[str, str] = {}
        self.token = ""
        self.renew()

    def renew(self) -> None:
        signed_in = self.client.post(
            "/api/auth/dev-login", json={"email": "conformance@example.com", "name": "Tess"}
        )
        assert signed_in.status_code == 200, signed_in.text
        self.token = signed_in.json()["access_token"]
        project = self._post("/api/projects", {"name": "Refunds"})
        document = self._post(
            f"/api/projects/{project['id']}/documents",
            {"name": "policy.md", "content": "Refunds are paid within five days."},
        )
        thread = self._post(
            f"/api/projects/{project['id']}/threads",
            {"title": "Refunds", "initial_message": "How do refunds work?"},
            wait_for_a_reply_slot=True,
        )
        self.ids = {
            "project_id": project["id"],
            "document_id": document["id"],
            "thread_id": thread["id"],
            "message_id": thread["message_id"],
            "artifact_id": make_artifact(self.app, thread["id"]),
        }
        headers = self.headers
        wait_for_reply(_Reader(self.client, headers), thread["id"])

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def _post(
        self, url: str, body: dict[str, Any], *, wait_for_a_reply_slot: bool = False
    ) -> dict[str, Any]:
        deadline = time.monotonic() + 30
        while True:
            response = self.client.post(url, json=body, headers=self.headers)
            # Replies the generated requests started may still hold this person's two slots.
            if not (wait_for_a_reply_slot and response.status_code == 429):
                break
            assert time.monotonic() < deadline, response.text
            time.sleep(0.1)
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    def aim(self, case: schemathesis.Case) -> None:
        """Real rows for the path's ids (the stream's message too), so that requests get past
        the ownership checks; what is generated for everything else stays."""
        for name in case.path_parameters or {}:
            if name in self.ids:
                case.path_parameters[name] = self.ids[name]
        if case.query and case.operation.path.endswith("/stream") and "message_id" in case.query:
            case.query["message_id"] = self.ids["message_id"]

    def settle(self, case: schemathesis.Case, response: httpx.Response) -> None:
        ended = case.operation.path.endswith("/auth/logout") and response.status_code == 204
        if ended or (case.method.upper() == "DELETE" and response.status_code == 204):
            self.renew()


class _Reader:
    """Just enough of tests.conftest.ApiUser for wait_for_reply."""

    def __init__(self, client: TestClient, headers: dict[str, str]) -> None:
        self.client, self.headers = client, headers

    def get(self, url: str) -> httpx.Response:
        return self.client.get(url, headers=self.headers)


def for_httpx(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Schemathesis' arguments for requests, as httpx (the test client) takes them."""
    kwargs = {key: value for key, value in kwargs.items() if key != "verify"}
    if isinstance(kwargs.get("data"), (bytes, str)):
        kwargs["content"] = kwargs.pop("data")
    if "files" in kwargs:
        files = kwargs.pop("files") or []
        # Generated parts can be numbers or objects: send them as their text, as requests would.
        kwargs["files"] = [
            (name, (part[0], part[1] if isinstance(part[1], (bytes, str)) else str(part[1])))
            for name, part in files
        ] or None
    return kwargs


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    data_dir: Path = tmp_path_factory.mktemp("conformance") / "data"
    app = make_app(make_settings(data_dir))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield World(app, client)
    app.state.db.dispose()


def _document() -> dict[str, Any]:
    """The app's OpenAPI, at collection: parametrize needs the operations then."""
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(make_settings(Path(folder) / "data"))
        try:
            return app.openapi()
        finally:
            app.state.db.dispose()


schema = schemathesis.openapi.from_dict(_document())


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_every_answer_is_as_documented(case: schemathesis.Case, world: World) -> None:
    world.aim(case)
    kwargs = case.as_transport_kwargs(base_url="http://testserver", headers=world.headers)
    try:
        response = world.client.request(**for_httpx(kwargs))
    except httpx2.InvalidURL:  # over httpx's 64 KiB per URL part: the client refuses to send it
        reject()
    response.request.read()  # a multipart body refused before it was read, for the report
    world.settle(case, response)
    case.validate_response(response, checks=CHECKS)
