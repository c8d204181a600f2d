"""AI replies as background runs, through the real Anthropic SDK against a wire-level fake:
the event stream, what is stored, resuming, cancelling, and every way the provider fails."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any
from unittest.mock import ANY

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from ba_assistant.models import Artifact, Message, ToolCall
from tests.agent.conftest import analyst_on
from tests.conftest import (
    ApiUser,
    Event,
    read_events,
    sign_in,
    wait_for_reply,
)
from tests.fakes.llm_servers import (
    Drop,
    FakeAnthropic,
    Hang,
    HttpError,
    Reply,
    StreamError,
    Usage,
    text,
    tool,
)

CANARY = "CANARY-7f3a9 refunds are accepted within 45 days of delivery"
STORY = "# Partial refunds\n\nAs a customer, I want a partial refund, so that I keep the rest."


def send(user: ApiUser, thread_id: str, content: str) -> dict[str, Any]:
    response = user.post(f"/api/threads/{thread_id}/messages", json={"content": content})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture
def project(analyst: ApiUser) -> dict[str, Any]:
    project = analyst.project("Refunds")
    analyst.document(project["id"], "Refund policy.md", f"# Refund policy\n\n{CANARY}.")
    return project


@pytest.fixture
def thread(analyst: ApiUser, project: dict[str, Any]) -> dict[str, Any]:
    return analyst.thread(project["id"], title="Partial refunds")


def search_then_story() -> list[Reply]:
    return [
        Reply(
            text("Let me check the refund policy."),
            tool("DocumentSearch", {"query": "refund window", "max_results": 3}, id="toolu_1"),
            usage=Usage(input_tokens=1200, output_tokens=40, cache_read_input_tokens=1000),
        ),
        Reply(
            text("The policy allows 45 days [Refund policy.md, passage 1]. I drafted the story."),
            tool(
                "ArtifactGenerator",
                {"artifact_type": "user_story", "title": "Partial refunds", "content": STORY},
                id="toolu_2",
            ),
            usage=Usage(input_tokens=1500, output_tokens=120),
        ),
        Reply(text("Saved. Next: who approves refunds over £500?"), usage=Usage(1700, 30)),
    ]


class TestATurnWithTools:
    def test_streams_every_event_in_order_and_stores_the_reply(
        self, claude: FakeAnthropic, analyst: ApiUser, thread: dict[str, Any], app: FastAPI
    ) -> None:
        claude.enqueue(*search_then_story())
        sent = send(analyst, thread["id"], "Customers want partial refunds. What's the window?")
        events = read_events(analyst, sent["stream_url"])

        kinds = [e.event for e in events]
        assert kinds[0] == "start" and kinds[-1] == "complete"
        assert [e.id for e in events] == list(range(1, len(events) + 1))
        assert events[0].data == {"message_id": sent["reply_id"], "reply_to": sent["message_id"]}
        tools = [(e.event, e.data.get("tool")) for e in events if e.event.startswith("tool")]
        assert tools == [
            ("tool_call", "DocumentSearch"),  # the server's own search, before the model
            ("tool_result", "DocumentSearch"),
            ("tool_call", "DocumentSearch"),
            ("tool_result", "DocumentSearch"),
            ("tool_call", "ArtifactGenerator"),
            ("tool_result", "ArtifactGenerator"),
        ]
        calls = [e for e in events if e.event == "tool_call"]
        assert calls[0].data["input"] == {
            "query": "partial refund window customers",
            "max_results": 4,
        }
        assert calls[1].data["input"] == {"query": "refund window", "max_results": 3}
        assert calls[1].data["status"] == "executing"
        results = [e for e in events if e.event == "tool_result"]
        assert results[1].data["result_preview"] == "Found 1 passage in 1 document"
        assert results[1].data["passages"] == [
            {"document_id": ANY, "document_name": "Refund policy.md", "passage": 1}
        ]
        order = kinds.index
        assert order("tool_result") < order("artifact") < order("complete")
        assert kinds.index("chunk") < kinds.index("tool_call", kinds.index("tool_result") + 1)
        artifact = next(e for e in events if e.event == "artifact")
        assert artifact.data["type"] == "user_story"
        assert artifact.data["title"] == "Partial refunds"

        text_sent = "".join(e.data["content"] for e in events if e.event == "chunk")
        assert text_sent == (
            "Let me check the refund policy.\n\nThe policy allows 45 days "
            "[Refund policy.md, passage 1]. I drafted the story.\n\n"
            "Saved. Next: who approves refunds over £500?"
        )
        complete = events[-1].data
        assert complete["input_tokens"] == 1200 + 1500 + 1700 + 1000
        assert complete["output_tokens"] == 40 + 120 + 30
        assert complete["total_tokens"] == complete["input_tokens"] + complete["output_tokens"]
        assert complete["status"] == "complete"
        assert complete["cost_usd"] > 0

        # The model saw the project's passage, wrapped as data, in its next request.
        second = claude.requests[1].json
        tool_result = second["messages"][-1]["content"][0]
        assert tool_result["type"] == "tool_result"
        assert CANARY in json.dumps(tool_result)
        assert '<document name=\\"Refund policy.md\\" passage=\\"1\\">' in json.dumps(tool_result)

        reply = wait_for_reply(analyst, thread["id"])
        assert reply["id"] == sent["reply_id"]
        assert reply["content"] == text_sent
        assert reply["status"] == "complete"
        assert reply["model"] == "claude-sonnet-5-5"
        assert reply["artifacts"] == [
            {
                "id": artifact.data["artifact_id"],
                "type": "user_story",
                "title": "Partial refunds",
                "version": 1,
                "latest_version": 1,
            }
        ]
        with app.state.db.session(write=False) as session:
            stored = session.get(Artifact, artifact.data["artifact_id"])
            assert stored is not None and stored.content == STORY
            assert stored.thread_id == thread["id"] and stored.message_id == sent["reply_id"]
            calls = session.scalars(
                select(ToolCall).where(ToolCall.message_id == sent["reply_id"])
            ).all()
            assert [(c.tool_name, c.status) for c in calls] == [
                ("DocumentSearch", "complete"),
                ("DocumentSearch", "complete"),
                ("ArtifactGenerator", "complete"),
            ]
            message = session.get(Message, sent["reply_id"])
            assert message is not None and message.cache_read_tokens == 1000

    def test_a_finished_reply_replays_from_the_database(
        self, claude: FakeAnthropic, analyst: ApiUser, thread: dict[str, Any]
    ) -> None:
        claude.enqueue(*search_then_story())
        sent = send(analyst, thread["id"], "Partial refunds?")
        live = read_events(analyst, sent["stream_url"])
        wait_for_reply(analyst, thread["id"])
        analyst.client.app.state.hub._logs.clear()  # past the hub's retention
        replayed = read_events(analyst, sent["stream_url"])
        assert [e.event for e in replayed] == [
            "start",
            "tool_call",
            "tool_result",
            "tool_call",
            "tool_result",
            "tool_call",
            "tool_result",
            "chunk",
            "artifact",
            "complete",
        ]
        # What the live stream said, but for the progress hints, which are of the moment.
        live_tools = [e.data for e in live if e.event in ("tool_call", "tool_result")]
        assert [e.data for e in replayed if e.event.startswith("tool")] == live_tools
        live_text = "".join(e.data["content"] for e in live if e.event == "chunk")
        assert replayed[7].data["content"] == live_text
        assert replayed[-1].data["total_tokens"] == live[-1].data["total_tokens"]

    def test_the_thread_gets_a_title_after_the_first_exchange(
        self, claude: FakeAnthropic, analyst: ApiUser, project: dict[str, Any]
    ) -> None:
        untitled = analyst.thread(project["id"])
        claude.enqueue(Reply(text("Happy to help.")), Reply(text("Partial refund requests")))
        sent = send(analyst, untitled["id"], "We need partial refunds")
        read_events(analyst, sent["stream_url"])
        deadline = time.monotonic() + 5
        while analyst.get(f"/api/threads/{untitled['id']}").json()["title"] is None:
            assert time.monotonic() < deadline, "no title"
            time.sleep(0.05)
        assert analyst.get(f"/api/threads/{untitled['id']}").json()["title"] == (
            "Partial refund requests"
        )

    def test_titles_use_the_cheaper_title_model(
        self, claude: FakeAnthropic, tmp_path: Path
    ) -> None:
        with analyst_on(claude, tmp_path / "data", ai_title_model="claude-haiku-4-5") as user:
            untitled = user.thread(user.project("Refunds")["id"])
            claude.enqueue(Reply(text("Happy to help.")), Reply(text("Partial refunds")))
            read_events(user, send(user, untitled["id"], "We need partial refunds")["stream_url"])
            deadline = time.monotonic() + 5
            while user.get(f"/api/threads/{untitled['id']}").json()["title"] is None:
                assert time.monotonic() < deadline, "no title"
                time.sleep(0.05)
        assert [r.json["model"] for r in claude.requests] == [
            "claude-sonnet-5-5",
            "claude-haiku-4-5",
        ]

    def test_an_initial_message_starts_a_reply(
        self, claude: FakeAnthropic, analyst: ApiUser, project: dict[str, Any]
    ) -> None:
        claude.enqueue(Reply(text("What problem do partial refunds solve?")))
        created = analyst.post(
            f"/api/projects/{project['id']}/threads",
            json={"title": "Refunds", "initial_message": "Partial refunds"},
        ).json()
        assert created["stream_url"].endswith(f"message_id={created['message_id']}")
        events = read_events(analyst, created["stream_url"])
        assert events[-1].event == "complete"
        reply = wait_for_reply(analyst, created["id"])
        assert reply["content"] == "What problem do partial refunds solve?"


class TestProviderRequests:
    def test_claude_receives_the_prompt_the_project_and_the_three_tools(
        self, claude: FakeAnthropic, analyst: ApiUser, thread: dict[str, Any]
    ) -> None:
        claude.enqueue(Reply(text("Hello.")))
        read_events(analyst, send(analyst, thread["id"], "Hi")["stream_url"])
        body = claude.requests[0].json
        assert body["model"] == "claude-sonnet-5-5"
        # Adaptive thinking at medium effort, with room for the thinking and the answer.
        assert body["thinking"] == {"type": "adaptive"}
        assert body["output_config"] == {"effort": "medium"}
        assert body["max_tokens"] == 4096 + 4096
        assert body["stream"] is True
        system = body["system"]
        system_text = "".join(block["text"] for block in system)
        assert "You are BA Assistant" in system_text
        assert "## This project" in system_text and "- Refund policy.md" in system_text
        # Prompt caching: the static prompt (with the tools before it) is the cached prefix;
        # the project block after it may change when documents do.
        assert system[0]["text"].startswith("# BA Assistant")
        assert system[0]["cache_control"]["type"] == "ephemeral"
        assert system[-1]["text"].startswith("## This project")
        tools = {t["name"]: t for t in body["tools"]}
        assert set(tools) == {
            "DocumentSearch",
            "ArtifactGenerator",
            "ArtifactReader",
            "ThreadSummarizer",
        }
        assert body["tools"][-1]["cache_control"]["type"] == "ephemeral"
        search = tools["DocumentSearch"]["input_schema"]
        assert search["required"] == ["query"]
        assert search["properties"]["query"]["type"] == "string"
        assert search["properties"]["max_results"] == {
            "default": 5,
            "description": "How many passages to return, 1 to 10.",
            "maximum": 10,
            "minimum": 1,
            "type": "integer",
        }
        artifact = tools["ArtifactGenerator"]["input_schema"]
        assert artifact["required"] == ["artifact_type", "title", "content"]
        assert artifact["properties"]["artifact_type"]["enum"] == [
            "user_story",
            "acceptance_criteria",
            "requirements_doc",
            "custom",
        ]
        assert tools["ThreadSummarizer"]["input_schema"]["properties"] == {}

    def test_history_is_the_last_messages_of_the_thread(
        self, claude: FakeAnthropic, analyst: ApiUser, thread: dict[str, Any]
    ) -> None:
        claude.enqueue(Reply(text("First answer.")), Reply(text("Second answer.")))
        read_events(analyst, send(analyst, thread["id"], "First question")["stream_url"])
        wait_for_reply(analyst, thread["id"])
        read_events(analyst, send(analyst, thread["id"], "Second question")["stream_url"])
        messages = claude.requests[-1].json["messages"]
        contents = [
            m["content"] if isinstance(m["content"], str) else m["content"][-1]["text"]
            for m in messages
        ]
        assert contents == ["First question", "First answer.", "Second question"]
        # The history ends in a cache breakpoint: the next turn reads all of it from the cache.
        assert messages[1]["content"][-1]["cache_control"]["type"] == "ephemeral"


class TestResume:
    def test_a_client_that_hangs_up_loses_nothing_and_resumes_exactly(
        self, claude: FakeAnthropic, analyst: ApiUser, thread: dict[str, Any]
    ) -> None:
        words = " ".join(f"word{i}" for i in range(60))
        claude.enqueue(Reply(text(words, chunks_per_second=150)))
        sent = send(analyst, thread["id"], "Talk to me")
        first = read_events(analyst, sent["stream_url"], stop_after=10)
        assert len(first) == 10
        rest = read_events(analyst, sent["stream_url"], last_event_id=first[-1].id)
        assert rest[0].id == first[-1].id + 1
        everything = first + rest
        assert [e.id for e in everything] == list(range(1, len(everything) + 1))
        streamed = "".join(e.data["content"] for e in everything if e.event == "chunk")
        assert streamed == words
        assert wait_for_reply(analyst, thread["id"])["content"] == words

    def test_a_client_that_has_every_event_gets_an_empty_stream_at_once(
        self, claude: FakeAnthropic, analyst: ApiUser, thread: dict[str, Any]
    ) -> None:
        claude.enqueue(Reply(text("All of it.")))
        sent = send(analyst, thread["id"], "Hi")
        events = read_events(analyst, sent["stream_url"])
        # 204 tells an EventSource to stop reconnecting, live or replayed from the database.
        headers = {**analyst.headers, "Last-Event-ID": str(events[-1].id)}
        assert analyst.client.get(sent["stream_url"], headers=headers).status_code == 204
        wait_for_reply(analyst, thread["id"])
        analyst.client.app.state.hub._logs.clear()
        replayed = read_events(analyst, sent["stream_url"])
        headers["Last-Event-ID"] = str(replayed[-1].id)
        assert analyst.client.get(sent["stream_url"], headers=headers).status_code == 204

    @pytest.mark.parametrize("header", ["abc", "-5", "1e3", "9" * 5000, ""])
    def test_a_malformed_last_event_id_counts_as_none(
        self, claude: FakeAnthropic, analyst: ApiUser, thread: dict[str, Any], header: str
    ) -> None:
        claude.enqueue(Reply(text("Fine.")))
        sent = send(analyst, thread["id"], "Hi")
        response = analyst.client.get(
            sent["stream_url"], headers={**analyst.headers, "Last-Event-ID": header}
        )
        assert response.status_code == 200
        assert response.text.startswith("id: 1\nevent: start\n")

    def test_the_reply_completes_with_nobody_listening(
        self, claude: FakeAnthropic, analyst: ApiUser, thread: dict[str, Any]
    ) -> None:
        claude.enqueue(Reply(text("Written while nobody watched.", chunks_per_second=50)))
        send(analyst, thread["id"], "Hello?")
        reply = wait_for_reply(analyst, thread["id"])
        assert reply["status"] == "complete"
        assert reply["content"] == "Written while nobody watched."

    def test_two_subscribers_see_the_same_events(
        self, claude: FakeAnthropic, analyst: ApiUser, thread: dict[str, Any], app: FastAPI
    ) -> None:
        claude.enqueue(Reply(text(" ".join(["same"] * 40), chunks_per_second=100)))
        sent = send(analyst, thread["id"], "Hello")
        seen: list[list[Event]] = []

        def watch() -> None:  # a second device on the same server
            seen.append(read_events(analyst, sent["stream_url"]))

        other = threading.Thread(target=watch)
        other.start()
        laptop = read_events(analyst, sent["stream_url"])
        other.join(timeout=20)
        assert seen and seen[0] == laptop
        assert laptop[-1].event == "complete"


class TestKeepAlive:
    def test_a_quiet_stream_gets_ping_comments(self, claude: FakeAnthropic, tmp_path: Path) -> None:
        lines: list[str] = []
        with analyst_on(claude, tmp_path / "data", sse_ping_seconds=0.2) as user:
            thread = user.thread(user.project("Quiet")["id"], title="Quiet")
            claude.enqueue(Reply(text("Finally."), first_token_delay=1.0))
            sent = send(user, thread["id"], "Think hard")
            with user.client.stream("GET", sent["stream_url"], headers=user.headers) as response:
                for line in response.iter_lines():
                    lines.append(line)
                    if line.startswith("event: complete"):
                        break
        assert lines.count(": ping") >= 3
        assert lines.index(": ping") < lines.index("event: chunk")


class TestCancel:
    def test_stop_keeps_the_partial_text(
        self, claude: FakeAnthropic, analyst: ApiUser, thread: dict[str, Any]
    ) -> None:
        claude.enqueue(Reply(text(" ".join(f"w{i}" for i in range(400)), chunks_per_second=40)))
        sent = send(analyst, thread["id"], "Write a lot")
        first = read_events(analyst, sent["stream_url"], stop_after=10)
        response = analyst.post(f"/api/threads/{thread['id']}/messages/{sent['message_id']}/cancel")
        assert response.status_code == 200
        assert response.json() == {"message_id": sent["reply_id"], "status": "cancelled"}
        rest = read_events(analyst, sent["stream_url"], last_event_id=first[-1].id)
        assert rest[-1].event == "complete" and rest[-1].data["status"] == "cancelled"
        reply = wait_for_reply(analyst, thread["id"])
        assert reply["status"] == "cancelled"
        streamed = "".join(e.data["content"] for e in first + rest if e.event == "chunk")
        assert reply["content"] == streamed and streamed.startswith("w0 w1 w2")
        # Cancelling again is harmless and says how it ended.
        again = analyst.post(f"/api/threads/{thread['id']}/messages/{sent['reply_id']}/cancel")
        assert again.json()["status"] == "cancelled"


class TestProviderFailures:
    @pytest.mark.parametrize(
        "failure",
        [HttpError(500), HttpError(429, retry_after=0.2), HttpError(529), Hang(0)],
        ids=["500", "429-retry-after", "529", "dropped-before-headers"],
    )
    def test_failures_before_the_first_token_are_retried(
        self, claude: FakeAnthropic, analyst: ApiUser, thread: dict[str, Any], failure: Any
    ) -> None:
        claude.enqueue(failure, Reply(text("Recovered.")))
        events = read_events(analyst, send(analyst, thread["id"], "Hi")["stream_url"])
        assert events[-1].event == "complete"
        assert wait_for_reply(analyst, thread["id"])["content"] == "Recovered."
        assert len(claude.requests) == 2

    @pytest.mark.parametrize(
        ("failure", "message"),
        [
            (HttpError(500), "The AI service failed to answer. Try again."),
            (HttpError(429, retry_after=0.1), "The AI service is busy right now"),
            (HttpError(529), "The AI service is overloaded right now"),
            (Hang(5), "The AI service did not answer in time"),
        ],
        ids=["500", "429", "529", "timeout"],
    )
    def test_three_failed_attempts_end_in_an_error_and_keep_the_message(
        self,
        claude: FakeAnthropic,
        analyst: ApiUser,
        thread: dict[str, Any],
        failure: Any,
        message: str,
    ) -> None:
        claude.enqueue(failure, failure, failure)
        sent = send(analyst, thread["id"], "Are you there?")
        events = read_events(analyst, sent["stream_url"])
        assert [e.event for e in events] == [
            "start",
            "progress",  # searching the documents with the message
            "tool_call",
            "tool_result",
            "progress",  # waiting for the model
            "error",
        ]
        assert events[-1].data["error"] == "ai_service_error"
        assert events[-1].data["message"].startswith(message)
        assert len(claude.requests) == 3
        messages = analyst.get(f"/api/threads/{thread['id']}/messages").json()["messages"]
        assert messages[-2]["content"] == "Are you there?"
        assert messages[-1]["status"] == "error"

    @pytest.mark.parametrize(
        "ending", [StreamError(), Drop(), Drop(reset=True)], ids=["error-event", "drop", "reset"]
    )
    def test_a_failure_mid_stream_keeps_the_text_and_is_not_retried(
        self, claude: FakeAnthropic, analyst: ApiUser, thread: dict[str, Any], ending: Any
    ) -> None:
        claude.enqueue(Reply(text("The refund window is"), ending))
        sent = send(analyst, thread["id"], "What is the window?")
        events = read_events(analyst, sent["stream_url"])
        assert events[-1].event == "error"
        streamed = "".join(e.data["content"] for e in events if e.event == "chunk")
        assert streamed == "The refund window is"
        reply = wait_for_reply(analyst, thread["id"])
        assert reply["status"] == "error"
        assert reply["content"] == "The refund window is"
        assert len(claude.requests) == 1

    def test_an_error_event_before_anything_was_shown_is_retried(
        self, claude: FakeAnthropic, analyst: ApiUser, thread: dict[str, Any]
    ) -> None:
        claude.enqueue(Reply(StreamError()), Reply(text("Recovered.")))
        events = read_events(analyst, send(analyst, thread["id"], "Hi")["stream_url"])
        assert [e.event for e in events] == [
            "start",
            "progress",
            "tool_call",
            "tool_result",
            "progress",
            "chunk",
            "complete",
        ]
        assert len(claude.requests) == 2

    def test_tokens_used_before_a_failure_still_count(
        self, claude: FakeAnthropic, analyst: ApiUser, thread: dict[str, Any]
    ) -> None:
        claude.enqueue(
            Reply(tool("DocumentSearch", {"query": "refunds"}), usage=Usage(5000, 300)),
            Reply(text("Half"), Drop()),
        )
        events = read_events(analyst, send(analyst, thread["id"], "Hi")["stream_url"])
        assert events[-1].event == "error"
        assert events[-1].data["input_tokens"] >= 5000
        assert events[-1].data["output_tokens"] >= 300

    def test_a_stream_that_stalls_after_the_first_token_times_out(
        self, claude: FakeAnthropic, analyst: ApiUser, thread: dict[str, Any]
    ) -> None:
        claude.enqueue(Reply(text("Half"), text("never", chunks_per_second=0.2)))
        events = read_events(analyst, send(analyst, thread["id"], "Hi")["stream_url"])
        assert events[-1].event == "error"
        assert "did not answer in time" in events[-1].data["message"]


class TestOwnership:
    def test_another_person_can_neither_follow_nor_stop_a_reply(
        self, claude: FakeAnthropic, client: TestClient, analyst: ApiUser, thread: dict[str, Any]
    ) -> None:
        claude.enqueue(Reply(text("Private answer.")))
        sent = send(analyst, thread["id"], "Secret plans")
        mallory = sign_in(client, "mallory@example.com")
        assert mallory.get(sent["stream_url"]).status_code == 403
        cancel = f"/api/threads/{thread['id']}/messages/{sent['message_id']}/cancel"
        assert mallory.post(cancel).status_code == 403
        # Her own thread with his message id: not found, and nothing leaks.
        own = mallory.thread(mallory.project("Mine")["id"], title="Mine")
        stolen = f"/api/threads/{own['id']}/stream?message_id={sent['message_id']}"
        assert mallory.get(stolen).status_code == 404
        assert wait_for_reply(analyst, thread["id"])["status"] == "complete"


class TestDeletion:
    def test_deleting_the_thread_stops_its_reply(
        self, claude: FakeAnthropic, analyst: ApiUser, thread: dict[str, Any], app: FastAPI
    ) -> None:
        claude.enqueue(Reply(text(" ".join(["word"] * 300), chunks_per_second=30)))
        sent = send(analyst, thread["id"], "Write a lot")
        read_events(analyst, sent["stream_url"], stop_after=3)
        assert analyst.delete(f"/api/threads/{thread['id']}").status_code == 204
        deadline = time.monotonic() + 5
        while app.state.runs.is_running(sent["message_id"]):
            assert time.monotonic() < deadline, "the reply is still being written"
            time.sleep(0.05)


class TestCrashRecovery:
    def test_replies_left_streaming_become_interrupted_with_their_text(
        self, claude: FakeAnthropic, app: FastAPI, analyst: ApiUser, thread: dict[str, Any]
    ) -> None:
        with app.state.db.session() as session:
            session.add(
                Message(
                    thread_id=thread["id"],
                    role="assistant",
                    content="Half a reply",
                    status="streaming",
                )
            )
        with TestClient(app):  # a restart runs the recovery
            pass
        reply = analyst.get(f"/api/threads/{thread['id']}/messages").json()["messages"][-1]
        assert reply["status"] == "interrupted"
        assert reply["content"] == "Half a reply"


class TestLimits:
    def test_at_most_two_replies_at_once_per_person(
        self, claude: FakeAnthropic, client: TestClient, analyst: ApiUser, thread: dict[str, Any]
    ) -> None:
        slow = Reply(text("slow " * 30, chunks_per_second=20))
        claude.enqueue(slow, slow)
        first = send(analyst, thread["id"], "One")
        second = send(analyst, thread["id"], "Two")
        third = analyst.post(f"/api/threads/{thread['id']}/messages", json={"content": "Three"})
        assert third.status_code == 429
        assert "2 replies being written" in third.json()["message"]
        other = sign_in(client, "bob@example.com")
        other_thread = other.thread(other.project("Other")["id"])
        assert (
            other.post(
                f"/api/threads/{other_thread['id']}/messages", json={"content": "Mine"}
            ).status_code
            == 201
        )
        for sent in (first, second):
            analyst.post(f"/api/threads/{thread['id']}/messages/{sent['message_id']}/cancel")

    def test_parallel_requests_cannot_pass_the_limit_together(
        self, claude: FakeAnthropic, analyst: ApiUser, project: dict[str, Any]
    ) -> None:
        claude.default_reply = Reply(text("slow " * 40, chunks_per_second=20))
        thread = analyst.thread(project["id"], title="Busy")
        statuses: list[int] = []

        def post(number: int) -> None:
            if number % 2:
                response = analyst.post(
                    f"/api/threads/{thread['id']}/messages", json={"content": f"m{number}"}
                )
            else:
                response = analyst.post(
                    f"/api/projects/{project['id']}/threads",
                    json={"title": f"t{number}", "initial_message": f"m{number}"},
                )
            statuses.append(response.status_code)

        try:
            workers = [threading.Thread(target=post, args=(n,)) for n in range(8)]
            for worker in workers:
                worker.start()
            for worker in workers:
                worker.join(timeout=20)
            assert sorted(statuses) == [201, 201] + [429] * 6
        finally:
            claude.default_reply = Reply(text("OK."))
            analyst.client.app.state.runs.cancel_where(user_id=analyst.id)

    def test_an_empty_message_is_400(self, analyst: ApiUser, thread: dict[str, Any]) -> None:
        response = analyst.post(f"/api/threads/{thread['id']}/messages", json={"content": "  "})
        assert response.status_code == 400
