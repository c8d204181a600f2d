"""An app talking to a wire-level fake model server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

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
