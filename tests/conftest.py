"""Shared fixtures: a real app on a real SQLCipher file per test, and signed-in users."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from ba_assistant import migrations
from ba_assistant.config import Settings, load_settings
from ba_assistant.main import create_app
from ba_assistant.server import server_config


def make_settings(data_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "environment": "development",
        "data_dir": data_dir,
        "rate_limit_per_minute": 100_000,
        "auth_rate_limit_per_minute": 100_000,
        "log_level": "WARNING",
        "allowed_hosts": ["testserver"],  # Starlette's TestClient's name for the server
    }
    values.update(overrides)
    return load_settings(**values)


def make_app(settings: Settings) -> FastAPI:
    app = create_app(settings)
    migrations.upgrade(app.state.db.engine)
    return app


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def settings(data_dir: Path) -> Settings:
    return make_settings(data_dir)


@pytest.fixture
def app(settings: Settings) -> Iterator[FastAPI]:
    application = make_app(settings)
    yield application
    application.state.db.dispose()


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@dataclass
class ApiUser:
    """A signed-in user: ``user.get("/api/projects")`` sends their token."""

    client: TestClient
    id: str
    email: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return self.client.request(method, url, headers=headers, **kwargs)

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def patch(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("PATCH", url, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", url, **kwargs)

    # Small builders for the objects most tests need.
    def project(self, name: str = "Checkout redesign", **body: Any) -> dict[str, Any]:
        response = self.post("/api/projects", json={"name": name, **body})
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result

    def document(self, project_id: str, name: str, content: str) -> dict[str, Any]:
        response = self.post(
            f"/api/projects/{project_id}/documents", json={"name": name, "content": content}
        )
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result

    def upload(
        self, project_id: str, name: str, data: bytes, media_type: str = "application/octet-stream"
    ) -> httpx.Response:
        return self.post(
            f"/api/projects/{project_id}/documents", files={"file": (name, data, media_type)}
        )

    def thread(self, project_id: str, **body: Any) -> dict[str, Any]:
        response = self.post(f"/api/projects/{project_id}/threads", json=body)
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result


def sign_in(client: TestClient, email: str, name: str = "Analyst") -> ApiUser:
    response = client.post("/api/auth/dev-login", json={"email": email, "name": name})
    assert response.status_code == 200, response.text
    body = response.json()
    return ApiUser(client, body["user"]["id"], email, body["access_token"])


@pytest.fixture
def alice(client: TestClient) -> ApiUser:
    return sign_in(client, "alice@example.com", "Alice Analyst")


@pytest.fixture
def bob(client: TestClient) -> ApiUser:
    return sign_in(client, "bob@example.com", "Bob Builder")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class LiveServer:
    """The app under a real uvicorn on a loopback port, in a background thread."""

    def __init__(self, app: FastAPI) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = server_config(app, app.state.settings, host="127.0.0.1", port=self.port)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the live server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)


@pytest.fixture
def live_server(app: FastAPI) -> Iterator[LiveServer]:
    with LiveServer(app) as server:
        yield server


def require_binary(name: str) -> str:
    """The path of a program the tests need. In CI a missing one fails; locally it skips."""
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed (make test installs it)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    """A real Redis server on a loopback port, for this test only."""
    binary = require_binary("redis-server")
    port = free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("redis-server did not start")
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


# --- following AI replies -------------------------------------------------------------


@dataclass(frozen=True)
class Event:
    id: int
    event: str
    data: dict[str, Any]


def read_events(
    user: ApiUser,
    url: str,
    *,
    last_event_id: int | None = None,
    stop_after: int | None = None,
) -> list[Event]:
    """The stream's events until it ends (or ``stop_after`` events, then hang up)."""
    headers = dict(user.headers)
    if last_event_id is not None:
        headers["Last-Event-ID"] = str(last_event_id)
    events: list[Event] = []
    with user.client.stream("GET", url, headers=headers) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        fields: dict[str, str] = {}
        for line in response.iter_lines():
            if line.startswith(":"):
                continue
            if line == "":
                if fields:
                    events.append(
                        Event(int(fields["id"]), fields["event"], json.loads(fields["data"]))
                    )
                    fields = {}
                    if stop_after is not None and len(events) >= stop_after:
                        break
                continue
            name, _, value = line.partition(": ")
            fields[name] = value
    return events


def wait_for_reply(user: ApiUser, thread_id: str, timeout: float = 20.0) -> dict[str, Any]:
    """The thread's last message once it is no longer being written."""
    deadline = time.monotonic() + timeout
    while True:
        messages = user.get(f"/api/threads/{thread_id}/messages").json()["messages"]
        last: dict[str, Any] = messages[-1]
        if last["status"] != "streaming":
            return last
        if time.monotonic() > deadline:
            raise AssertionError(f"the reply is still streaming: {last}")
        time.sleep(0.05)
