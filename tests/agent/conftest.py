"""An app talking to a wire-level fake model server."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from ba_assistant.config import Settings
from tests.conftest import (
    ApiUser,
    make_app,
    make_settings,
    sign_in,
)
from tests.fakes.llm_servers import FakeAnthropic, FakeOpenAI


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


def claude_settings(fake: FakeAnthropic, data_dir: Path, **overrides: Any) -> Settings:
    """Settings of a server that talks to the fake Claude."""
    values: dict[str, Any] = {
        "anthropic_api_key": "test-key",
        "anthropic_base_url": fake.base_url,
        "ai_request_timeout_seconds": 2.0,
    }
    return make_settings(data_dir, **{**values, **overrides})


@pytest.fixture
def app(data_dir: Path, anthropic_fake: FakeAnthropic) -> Iterator[FastAPI]:
    application = make_app(claude_settings(anthropic_fake, data_dir))
    yield application
    application.state.db.dispose()


@contextmanager
def analyst_on(fake: FakeAnthropic, data_dir: Path, **overrides: Any) -> Iterator[ApiUser]:
    """A signed-in analyst on a server of its own, with these settings changed."""
    application = make_app(claude_settings(fake, data_dir, **overrides))
    try:
        with TestClient(application) as client:
            yield sign_in(client, "ann@example.com")
    finally:
        application.state.db.dispose()


@pytest.fixture
def analyst(client: TestClient) -> ApiUser:
    return sign_in(client, "ann@example.com", "Ann Analyst")
