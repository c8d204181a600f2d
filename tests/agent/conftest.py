"""An app talking to a wire-level fake model server, and an SSE reader for its streams."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.conftest import ApiUser, make_app, make_settings, sign_in
from tests.fakes.llm_servers import FakeAnthropic, FakeOpenAI


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


@pytest.fixture(scope="module")
def anthropic_fake() -> Iterator[FakeAnthropic]:
    with FakeAnthropic() as fake:
        yield fake


@pytest.fixture(scope="module")
def openai_fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        yield fake


@pytest.fixture
def claude(anthropic_fake: FakeAnthropic) -> Iterator[FakeAnthropic]:
    anthropic_fake.clear()
    yield anthropic_fake
    anthropic_fake.clear()


@pytest.fixture
def app(data_dir: Path, anthropic_fake: FakeAnthropic) -> Iterator[FastAPI]:
    settings = make_settings(
        data_dir,
        anthropic_api_key="test-key",
        anthropic_base_url=anthropic_fake.base_url,
        ai_request_timeout_seconds=2.0,
    )
    application = make_app(settings)
    yield application
    application.state.db.dispose()


@pytest.fixture
def analyst(client: TestClient) -> ApiUser:
    return sign_in(client, "ann@example.com", "Ann Analyst")
