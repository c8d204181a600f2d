"""The analyst on today's models: current defaults, a retired model refused at start-up, a
model the provider does not serve explained, unknown prices shown as unknown, thinking and
work between tool calls shown as progress, and tool input the model gets wrong corrected."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ba_assistant.config import ConfigError, load_settings
from tests.agent.conftest import analyst_on
from tests.conftest import ApiUser, Event, read_events, wait_for_reply
from tests.fakes.llm_servers import FakeAnthropic, HttpError, Reply, text, thinking, tool

STORY = (
    "# Partial refunds\n\nAs a support agent, I want to refund part of an order, so that a "
    "customer with one damaged item is not refunded for all of it."
)


def ask(user: ApiUser, content: str, *, document: str | None = None) -> list[Event]:
    project = user.project("Refunds")
    if document is not None:
        user.document(project["id"], "Refund policy.md", document)
    thread = user.thread(project["id"], title="Refunds")
    sent = user.post(f"/api/threads/{thread['id']}/messages", json={"content": content}).json()
    events = read_events(user, sent["stream_url"])
    wait_for_reply(user, thread["id"])
    return events


class TestDefaults:
    def test_a_key_alone_talks_to_the_current_sonnet_and_titles_with_haiku(
        self, tmp_path: Path
    ) -> None:
        settings = load_settings(data_dir=tmp_path, anthropic_api_key="k")
        assert settings.resolved_ai_provider == "anthropic"
        assert settings.claude_model == "claude-sonnet-5-5"
        assert settings.resolved_title_model == "claude-haiku-5-5"

    def test_both_defaults_are_models_the_installed_sdk_knows(self) -> None:
        from anthropic.types.model import Model

        known = set(Model.__args__[0].__args__)  # type: ignore[attr-defined]
        assert {"claude-sonnet-5-5", "claude-haiku-5-5"} <= known


class TestRetiredModels:
    @pytest.mark.parametrize(
        ("setting", "model", "suggestion"),
        [
            ("CLAUDE_MODEL", "claude-sonnet-4-5-20250929", "claude-sonnet-5-5"),
            ("CLAUDE_MODEL", "claude-3-5-sonnet-latest", "claude-sonnet-5-5"),
            ("AI_TITLE_MODEL", "claude-3-5-haiku-20241022", "claude-haiku-5-5"),
        ],
    )
    def test_start_up_is_refused_naming_the_setting_and_a_current_model(
        self, tmp_path: Path, setting: str, model: str, suggestion: str
    ) -> None:
        with pytest.raises(ConfigError) as refused:
            load_settings(data_dir=tmp_path, anthropic_api_key="k", **{setting.lower(): model})
        message = str(refused.value)
        assert message.startswith(f"{setting}={model} was retired on ")
        assert f"Set {setting} to a current model, such as {suggestion}." in message

    def test_the_server_command_says_so_and_exits(self, tmp_path: Path) -> None:
        environment = {
            "DATA_DIR": str(tmp_path),
            "ANTHROPIC_API_KEY": "k",
            "CLAUDE_MODEL": "claude-sonnet-4-5-20250929",
            "PATH": "/usr/bin:/bin",
        }
        finished = subprocess.run(
            [sys.executable, "-m", "ba_assistant", "serve", "--port", "1"],
            env=environment,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert finished.returncode != 0
        assert "CLAUDE_MODEL=claude-sonnet-4-5-20250929 was retired on 30 November 2026" in (
            finished.stderr
        )

    def test_a_model_retiring_later_starts_with_a_warning(
        self, claude: FakeAnthropic, tmp_path: Path, caplog: pytest.LogCaptureFixture
    ) -> None:
        with (
            caplog.at_level(logging.WARNING),
            analyst_on(claude, tmp_path / "data", claude_model="claude-opus-4-5"),
        ):
            pass
        warnings = " ".join(record.getMessage() for record in caplog.records)
        assert "ai_model_retiring" in warnings and "2027-01-22" in warnings


class TestModelsTheProviderRefuses:
    @pytest.fixture
    def strict(self) -> Iterator[FakeAnthropic]:
        with FakeAnthropic(models=["claude-sonnet-5-5", "claude-haiku-5-5"]) as fake:
            yield fake

    def test_an_unknown_model_ends_the_reply_naming_the_setting(
        self, strict: FakeAnthropic, tmp_path: Path
    ) -> None:
        with analyst_on(strict, tmp_path / "data", claude_model="claude-sonnet-9") as user:
            events = ask(user, "Partial refunds?")
        error = events[-1]
        assert error.event == "error"
        assert error.data["message"] == (
            "The AI service does not know the model “claude-sonnet-9”: it may be retired or "
            "misspelt. Ask the administrator to set CLAUDE_MODEL to a current model, such as "
            "claude-sonnet-5-5, and restart the server."
        )
        assert len(strict.requests) == 1  # not retried: trying again cannot help

    def test_a_key_without_access_to_the_model_is_explained(
        self, claude: FakeAnthropic, tmp_path: Path
    ) -> None:
        claude.enqueue(HttpError(403, error_type="permission_error"))
        with analyst_on(claude, tmp_path / "data") as user:
            events = ask(user, "Partial refunds?")
        assert events[-1].data["message"] == (
            "The AI service does not let this API key use the model “claude-sonnet-5-5”. Ask "
            "the administrator to set CLAUDE_MODEL to a model the key may use, such as "
            "claude-sonnet-5-5, or to give ANTHROPIC_API_KEY access to it."
        )


class TestUnknownPrices:
    def test_usage_says_cost_unknown_never_zero(
        self, claude: FakeAnthropic, tmp_path: Path, caplog: pytest.LogCaptureFixture
    ) -> None:
        claude.enqueue(Reply(text("Noted.")))
        with (
            caplog.at_level(logging.WARNING),
            analyst_on(claude, tmp_path / "data", claude_model="claude-experimental-7") as user,
        ):
            complete = ask(user, "Partial refunds?")[-1].data
            usage = user.get("/api/me/usage").json()["today"]
            stored = user.get("/api/projects").json()  # the app still works
        assert stored["total"] == 1
        assert complete["cost_usd"] is None
        assert usage["cost_usd"] == 0.0
        assert usage["unpriced_tokens"] == usage["tokens"] > 0
        warnings = " ".join(record.getMessage() for record in caplog.records)
        assert "ai_model_unpriced" in warnings and "AI_PRICES" in warnings

    def test_prices_from_ai_prices_make_it_known(
        self, claude: FakeAnthropic, tmp_path: Path
    ) -> None:
        claude.enqueue(Reply(text("Noted.")))
        prices = {"claude-experimental": [1.0, 2.0, 0.1, 1.25]}
        with analyst_on(
            claude, tmp_path / "data", claude_model="claude-experimental-7", ai_prices=prices
        ) as user:
            complete = ask(user, "Partial refunds?")[-1].data
            usage = user.get("/api/me/usage").json()["today"]
        assert complete["cost_usd"] > 0
        assert usage["unpriced_tokens"] == 0


def activities(events: list[Event]) -> list[str]:
    """The stream as the analyst lives it: what is shown while no text flows, then the text."""
    shown: list[str] = []
    for event in events:
        if event.event == "progress":
            shown.append(event.data["activity"])
        elif event.event == "chunk":
            if not shown or shown[-1] != "text":
                shown.append("text")
        elif event.event in ("tool_call", "tool_result", "artifact"):
            shown.append(f"{event.event}:{event.data.get('tool', event.data.get('type'))}")
    return shown


class TestWhatCurrentModelsSend:
    def test_thinking_text_between_tools_and_a_corrected_input_all_show_progress(
        self, claude: FakeAnthropic, tmp_path: Path
    ) -> None:
        bad = {"artifact_type": "story", "title": "Partial refunds"}  # wrong type, no content
        good = {"artifact_type": "user_story", "title": "Partial refunds", "content": STORY}
        claude.enqueue(
            Reply(
                thinking("The policy decides the window."),
                tool("DocumentSearch", {"query": "partial refund"}),
            ),
            Reply(
                thinking("It allows partial refunds."),
                text("The policy allows partial refunds [Refund policy.md, passage 1]."),
                tool("ArtifactGenerator", bad),
            ),
            Reply(thinking("Fix the type and add the content."), tool("ArtifactGenerator", good)),
            Reply(text("Saved the story.")),
        )
        with analyst_on(claude, tmp_path / "data") as user:
            events = ask(
                user,
                "Write the story for partial refunds",
                document="# Refund policy\n\nPartial refunds are allowed for damaged items.",
            )
        assert activities(events) == [
            "searching",
            "tool_call:DocumentSearch",  # the server's own search, with the message
            "tool_result:DocumentSearch",
            "thinking",
            "searching",
            "tool_call:DocumentSearch",
            "tool_result:DocumentSearch",
            "thinking",
            "text",
            "writing",
            "tool_call:ArtifactGenerator",
            "tool_result:ArtifactGenerator",
            "thinking",
            "writing",
            "tool_call:ArtifactGenerator",
            "artifact:user_story",
            "tool_result:ArtifactGenerator",
            "thinking",
            "text",
        ]
        assert events[-1].event == "complete"
        rejected = [e for e in events if e.event == "tool_result"][2]
        assert rejected.data["result_preview"] == (
            "Input did not fit the tool: the AI was asked to correct it"
        )
        # The model was told what was wrong, and got its thinking back with its signature.
        retry = claude.requests[2].json["messages"]
        returned = json.dumps(retry[-1]["content"])
        assert '"is_error": true' in returned and "artifact_type" in returned
        kinds = [block["type"] for block in retry[-2]["content"]]
        assert kinds[0] == "thinking" and retry[-2]["content"][0]["signature"]
        text_sent = "".join(e.data["content"] for e in events if e.event == "chunk")
        assert text_sent == (
            "The policy allows partial refunds [Refund policy.md, passage 1].\n\nSaved the story."
        )

    def test_input_that_stays_wrong_ends_the_reply_clearly(
        self, claude: FakeAnthropic, tmp_path: Path
    ) -> None:
        bad = tool("ArtifactGenerator", {"artifact_type": "user_story", "title": "No content"})
        claude.enqueue(Reply(bad), Reply(bad), Reply(bad), Reply(text("never sent")))
        with analyst_on(claude, tmp_path / "data") as user:
            events = ask(user, "Write the story")
        assert events[-1].event == "error"
        assert (
            events[-1]
            .data["message"]
            .startswith("The AI kept calling a tool with input it could not use")
        )
        assert len(claude.requests) == 3

    def test_title_and_memory_requests_are_short_and_do_not_think(
        self, claude: FakeAnthropic, tmp_path: Path
    ) -> None:
        claude.enqueue(Reply(text("Happy to help.")), Reply(text("Partial refunds")))
        with analyst_on(claude, tmp_path / "data") as user:
            project = user.project("Refunds")
            thread = user.thread(project["id"])  # untitled: a title is asked for
            sent = user.post(
                f"/api/threads/{thread['id']}/messages", json={"content": "Partial refunds"}
            ).json()
            read_events(user, sent["stream_url"])
            title = wait_for_title(user, thread["id"])
        assert title == "Partial refunds"
        request = claude.requests[-1].json
        assert request["model"] == "claude-haiku-5-5"
        assert request["max_tokens"] <= 100
        assert request.get("thinking", {"type": "disabled"}) == {"type": "disabled"}


def wait_for_title(user: ApiUser, thread_id: str) -> Any:
    deadline = time.monotonic() + 5
    while (title := user.get(f"/api/threads/{thread_id}").json()["title"]) is None:
        assert time.monotonic() < deadline, "no title"
        time.sleep(0.05)
    return title
