"""What replies cost: usage per person, the daily allowance, and the AI metrics."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from tests.agent.conftest import analyst_on
from tests.conftest import ApiUser, read_events, sign_in, wait_for_reply
from tests.fakes.llm_servers import FakeAnthropic, Reply, Usage, text, tool


def reply(user: ApiUser, thread_id: str, content: str = "Hello") -> list[Any]:
    response = user.post(f"/api/threads/{thread_id}/messages", json={"content": content})
    assert response.status_code == 201, response.text
    events = read_events(user, response.json()["stream_url"])
    wait_for_reply(user, thread_id)
    return events


class TestUsage:
    def test_today_and_this_month_add_up_the_replies(
        self, claude: FakeAnthropic, analyst: ApiUser, client: TestClient
    ) -> None:
        thread = analyst.thread(analyst.project("Refunds")["id"], title="Refunds")
        claude.enqueue(
            Reply(text("One."), usage=Usage(input_tokens=1_000_000, output_tokens=100_000)),
            Reply(text("Two."), usage=Usage(input_tokens=2000, output_tokens=500)),
        )
        reply(analyst, thread["id"])
        reply(analyst, thread["id"])
        usage = analyst.get("/api/me/usage").json()
        tokens = 1_000_000 + 100_000 + 2000 + 500
        # claude-sonnet-5-5: $2 per million input tokens, $10 per million output tokens.
        cost = round((1_002_000 * 2 + 100_500 * 10) / 1_000_000, 6)
        assert usage == {
            "today": {"tokens": tokens, "cost_usd": cost, "unpriced_tokens": 0},
            "month": {"tokens": tokens, "cost_usd": cost, "unpriced_tokens": 0},
            "daily_token_limit": None,
        }
        other = sign_in(client, "bob@example.com")
        assert other.get("/api/me/usage").json()["today"] == {
            "tokens": 0,
            "cost_usd": 0.0,
            "unpriced_tokens": 0,
        }

    def test_cached_input_is_priced_at_the_cache_rate(
        self, claude: FakeAnthropic, analyst: ApiUser
    ) -> None:
        thread = analyst.thread(analyst.project("Refunds")["id"], title="Refunds")
        claude.enqueue(
            Reply(
                text("Cached."),
                usage=Usage(
                    input_tokens=100_000,
                    output_tokens=0,
                    cache_read_input_tokens=1_000_000,
                    cache_creation_input_tokens=100_000,
                ),
            )
        )
        complete = reply(analyst, thread["id"])[-1].data
        assert complete["cache_read_tokens"] == 1_000_000
        assert complete["cache_write_tokens"] == 100_000
        # 100k fresh at $2, 1M read at $0.10, 100k written at $2.50 (per million).
        assert complete["cost_usd"] == 0.55


class TestDailyAllowance:
    def test_replies_stop_at_the_daily_limit_with_a_clear_429(
        self, claude: FakeAnthropic, tmp_path: Path
    ) -> None:
        with analyst_on(claude, tmp_path / "data", ai_daily_token_limit_per_user=1000) as user:
            thread = user.thread(user.project("Refunds")["id"], title="Refunds")
            claude.enqueue(Reply(text("Long answer."), usage=Usage(900, 200)))
            reply(user, thread["id"])
            refused = user.post(f"/api/threads/{thread['id']}/messages", json={"content": "More"})
            usage = user.get("/api/me/usage").json()
        assert refused.status_code == 429
        body = refused.json()
        assert "today's AI allowance (1,000 tokens)" in body["message"]
        assert 0 < body["retry_after"] <= 86_400
        assert usage["daily_token_limit"] == 1000

    def test_deleting_the_thread_does_not_give_the_tokens_back(
        self, claude: FakeAnthropic, tmp_path: Path
    ) -> None:
        with analyst_on(claude, tmp_path / "data", ai_daily_token_limit_per_user=1000) as user:
            project = user.project("Refunds")
            thread = user.thread(project["id"], title="Refunds")
            claude.enqueue(Reply(text("Long answer."), usage=Usage(900, 200)))
            reply(user, thread["id"])
            assert user.delete(f"/api/projects/{project['id']}").status_code == 204
            fresh = user.thread(user.project("Again")["id"], title="Again")
            refused = user.post(f"/api/threads/{fresh['id']}/messages", json={"content": "More"})
            usage = user.get("/api/me/usage").json()
        assert refused.status_code == 429
        assert usage["today"]["tokens"] == 1100

    def test_titles_and_summaries_are_counted_too(
        self, claude: FakeAnthropic, analyst: ApiUser
    ) -> None:
        untitled = analyst.thread(analyst.project("Refunds")["id"])
        claude.enqueue(
            Reply(text("Answer."), usage=Usage(100, 10)),
            Reply(text("Refund rules"), usage=Usage(50, 5)),  # the title
        )
        reply(analyst, untitled["id"])
        deadline = time.monotonic() + 5
        while analyst.get("/api/me/usage").json()["today"]["tokens"] < 165:
            assert time.monotonic() < deadline, analyst.get("/api/me/usage").json()
            time.sleep(0.05)
        assert analyst.get("/api/me/usage").json()["today"]["tokens"] == 165


class TestMetrics:
    def test_replies_tokens_cost_and_tools_are_counted(
        self, claude: FakeAnthropic, analyst: ApiUser, client: TestClient
    ) -> None:
        thread = analyst.thread(analyst.project("Refunds")["id"], title="Refunds")
        claude.enqueue(
            Reply(tool("DocumentSearch", {"query": "refunds"}), usage=Usage(100, 10)),
            Reply(text("Done."), usage=Usage(200, 20)),
        )
        reply(analyst, thread["id"])
        metrics = client.get("/metrics").text
        model = 'model="claude-sonnet-5-5"'
        assert f'ai_replies_total{{{model},outcome="complete"}} 1.0' in metrics
        assert f'ai_tokens_total{{kind="input",{model}}} 300.0' in metrics
        assert f'ai_tokens_total{{kind="output",{model}}} 30.0' in metrics
        assert 'ai_tool_calls_total{tool="DocumentSearch"} 1.0' in metrics
        assert f"ai_time_to_first_chunk_seconds_count{{{model}}} 1.0" in metrics
        assert f"ai_cost_usd_total{{{model}}}" in metrics
