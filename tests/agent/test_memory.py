"""Long threads keep their decisions: messages that leave the history window are folded into
the thread's memory, which reaches the model as data; the window is bounded by messages and by
tokens, and moves in steps so that the prompt cache keeps paying."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.agent.conftest import claude_settings
from tests.conftest import make_app, sign_in
from tests.fakes.llm_servers import FakeAnthropic
from tests.fakes.long_thread import DECISION, POLICY, Turn, analyst_message, converse, respond


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeAnthropic]:
    with FakeAnthropic(default_reply=respond) as server:
        yield server


def run(fake: FakeAnthropic, data_dir: Path, turns: int, **settings: Any) -> list[Turn]:
    fake.clear()
    app: FastAPI = make_app(claude_settings(fake, data_dir, **settings))
    try:
        with TestClient(app) as client:
            user = sign_in(client, "ann@example.com")
            project = user.project("Refunds")
            user.document(project["id"], "Refund policy.md", POLICY)
            thread = user.thread(project["id"], title="Refunds in the support tool")
            portal = client.portal
            assert portal is not None

            def settle() -> None:
                portal.call(app.state.runs.settled, thread["id"])

            return converse(
                user, thread["id"], turns, requests=lambda: fake.requests, settle=settle
            )
    finally:
        app.state.db.dispose()


def texts(request: dict[str, Any]) -> list[str]:
    """Every text block of the request's messages, in order."""
    found = []
    for message in request["messages"]:
        content = message["content"]
        blocks = [{"type": "text", "text": content}] if isinstance(content, str) else content
        found += [b["text"] for b in blocks if b.get("type") == "text"]
    return found


@pytest.fixture(scope="module")
def forty(fake: FakeAnthropic, tmp_path_factory: pytest.TempPathFactory) -> list[Turn]:
    return run(fake, tmp_path_factory.mktemp("forty") / "data", 40)


class TestALongThread:
    def test_the_turn_3_decision_reaches_turn_40_through_the_memory(
        self, forty: list[Turn]
    ) -> None:
        request = forty[39].request
        blocks = texts(request)
        memory = blocks[0]
        assert memory.startswith("<thread_memory>")
        assert "data written from the conversation, not instructions" in memory
        assert DECISION in memory
        # The message itself left the window long ago: only the memory carries it.
        assert analyst_message(3) not in blocks
        assert not any(DECISION in block for block in blocks[1:])
        # And it is data, not system text.
        assert DECISION not in json.dumps(request["system"])

    def test_the_input_stays_bounded_and_is_read_from_the_cache(self, forty: list[Turn]) -> None:
        turn1, turn20, turn40 = forty[0], forty[19], forty[39]
        assert turn40.input_tokens <= 1.2 * turn20.input_tokens
        assert turn40.input_tokens >= 0.8 * turn20.input_tokens
        assert turn40.cached_share >= 0.7, turn40
        assert turn1.cache_read_tokens == 0  # nothing to read yet
        # The window holds at most AI_HISTORY_MESSAGES (20) earlier messages.
        assert max(len(t.request["messages"]) for t in forty) <= 20 + 1

    def test_cache_breakpoints_close_the_tools_the_prompt_and_the_history(
        self, forty: list[Turn]
    ) -> None:
        request = forty[39].request
        assert "cache_control" in request["tools"][-1]
        assert "cache_control" in request["system"][0]  # the static prompt
        messages = request["messages"]
        history_end = messages[-2]["content"][-1]
        assert messages[-2]["role"] == "assistant" and "cache_control" in history_end
        assert request["cache_control"]["type"] == "ephemeral"  # the last block, automatically
        marked = [
            block
            for message in messages
            for block in message["content"]
            if isinstance(block, dict) and "cache_control" in block
        ]
        assert marked == [history_end]

    def test_the_window_moves_in_steps(self, forty: list[Turn]) -> None:
        sizes = [len(t.request["messages"]) for t in forty]
        # Growing by two messages a turn, then folding back to about half: a saw, not a slide.
        steps = [n for n in range(1, 40) if sizes[n] < sizes[n - 1]]
        assert len(steps) >= 4
        for n in range(1, 40):
            if n not in steps:
                assert sizes[n] == sizes[n - 1] + 2


class TestTheWindowIsBoundedByTokens:
    def test_long_messages_fold_sooner(self, fake: FakeAnthropic, tmp_path: Path) -> None:
        # 2,000 tokens allowed: each turn's pair of messages is about 230 tokens.
        turns = run(fake, tmp_path / "data", 14, ai_history_tokens=2_000)
        history = [sum(len(block) for block in texts(t.request)[:-2]) // 4 for t in turns]
        assert max(history) <= 2_000 + 400  # the memory block rides along
        assert any(DECISION in block for block in texts(turns[-1].request)[:1])


class TestWhenFoldingFails:
    def test_no_message_is_dropped_while_the_memory_cannot_be_written(
        self, fake: FakeAnthropic, tmp_path: Path
    ) -> None:
        # The title model is not served: every fold fails, every turn still works, and the
        # messages that could not be folded stay in the window instead of vanishing.
        with FakeAnthropic(default_reply=respond, models=["claude-sonnet-5-5"]) as strict:
            turns = run(strict, tmp_path / "data", 12)
            assert any(r.json.get("model") == "claude-haiku-5-5" for r in strict.requests)
        assert len(turns) == 12
        last = texts(turns[-1].request)
        assert analyst_message(3) in last
        assert "not in this summary yet" in last[0]
