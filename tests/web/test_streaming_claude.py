"""A reply from Claude (the wire-level fake) streams in with its tool call shown inline."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from playwright.sync_api import Page, expect

from tests.agent.conftest import claude_settings
from tests.conftest import make_app
from tests.fakes.llm_servers import (
    FakeAnthropic,
    HttpError,
    RecordedRequest,
    Reply,
    text,
    tool,
)
from tests.web.conftest import sign_in
from tests.web.pages import (
    create_project,
    last_reply,
    new_thread,
    recorded_lengths,
    replies,
    reply_progress,
    send,
    upload,
    wait_until_written,
    watch_reply_lengths,
)

ANSWER = (
    "The policy gives customers **30 days** from delivery to ask for a refund. "
    "Before we write the story: who may approve a refund after the window closes, and "
    "does a partial refund restart the clock? "
) * 3

STORY = "# Refunds\n\nAs a customer, I want a refund within 30 days, so that I can return goods.\n"
EXPIRED = "Scenario: the refund window has closed"


def analyst(request: RecordedRequest) -> Reply:
    """Claude for a conversation about one story: it writes the story; asked to add a
    scenario, it reads the story and saves its next version; titles the thread."""
    body = request.json
    if not body.get("tools"):
        return Reply(text("Refund stories"))
    messages = body["messages"]
    blocks = messages[-1]["content"]
    if isinstance(blocks, str):
        blocks = [{"type": "text", "text": blocks}]
    if any(block.get("type") == "tool_result" for block in blocks):
        called = [b for b in messages[-2]["content"] if b.get("type") == "tool_use"][-1]
        if called["name"] == "ArtifactReader":
            revised = {
                "artifact_type": "user_story",
                "title": "Refunds after the window",
                "content": f"{STORY}\n{EXPIRED}\n",
                "artifact_id": called["input"]["artifact_id"],
            }
            return Reply(tool("ArtifactGenerator", revised))
        return Reply(
            text("Saved it. " + "Anything else to add to the story? " * 8), chunks_per_second=12
        )
    said = " ".join(block.get("text", "") for block in blocks)
    listed = re.search(r"artifact_id=(\S+)", said)
    if "expired" in said and listed:
        return Reply(
            tool("ArtifactReader", {"artifact_id": listed.group(1)}), first_token_delay=1.0
        )
    story = {"artifact_type": "user_story", "title": "Refunds", "content": STORY}
    return Reply(tool("ArtifactGenerator", story))


@pytest.fixture
def claude() -> Iterator[FakeAnthropic]:
    with FakeAnthropic() as fake:
        yield fake


@pytest.fixture
def web_app(web_dist: Path, data_dir: Path, claude: FakeAnthropic) -> Iterator[FastAPI]:
    application = make_app(claude_settings(claude, data_dir, ai_request_timeout_seconds=10.0))
    yield application
    application.state.db.dispose()


class TestClaudeReply:
    def test_streams_with_the_tool_call_inline(
        self, page: Page, claude: FakeAnthropic, tmp_path: Path
    ) -> None:
        policy = tmp_path / "refund-policy.md"
        policy.write_text("Refund window: customers may ask within 30 days of delivery.\n")
        sign_in(page)
        create_project(page, "Refunds")
        upload(page, policy)
        new_thread(page)
        claude.enqueue(
            Reply(tool("DocumentSearch", {"query": "refund window", "max_results": 3})),
            Reply(text(ANSWER, chunks_per_second=40)),
        )
        watch_reply_lengths(page)
        send(page, "How long is the refund window?")

        reply = last_reply(page)
        expect(reply).to_contain_text(re.compile(r"Search(ing|ed) documents for “refund window”"))
        expect(reply).to_contain_text("Searched documents for “refund window” — Found 1 passage")
        wait_until_written(page)
        expect(reply.get_by_text("30 days", exact=True).first).to_be_visible()
        lengths = recorded_lengths(page)
        final = len(reply.inner_text())
        assert len({n for n in lengths if 0 < n < final}) >= 5, lengths
        assert reply.inner_text().count("who may approve a refund") == 3

    def test_stop_keeps_the_words_so_far(self, page: Page, claude: FakeAnthropic) -> None:
        sign_in(page)
        create_project(page, "Refunds")
        new_thread(page)
        claude.enqueue(Reply(text(ANSWER * 4, chunks_per_second=10)))
        send(page, "Tell me about refunds")
        reply = last_reply(page)
        expect(reply).to_contain_text("30 days")
        page.get_by_role("button", name="Stop").click()
        expect(reply).to_contain_text("Stopped")
        expect(page.get_by_role("button", name="Stop")).to_be_hidden()
        kept = reply.inner_text()
        assert "The policy gives customers" in kept
        page.reload()
        expect(last_reply(page)).to_contain_text("The policy gives customers")
        expect(last_reply(page)).to_contain_text("Stopped")

    def test_a_failed_reply_can_be_retried(self, page: Page, claude: FakeAnthropic) -> None:
        sign_in(page)
        create_project(page, "Refunds")
        new_thread(page)
        # The fake serves this module's tests in turn: a late request of an earlier test (a
        # thread's title, say) must not take one of these errors or the answer after them.
        claude.clear()
        claude.enqueue(*[HttpError(500)] * 12)  # the reply's three attempts fail, whatever else
        send(page, "Are you there?")
        reply = last_reply(page)
        expect(reply).to_contain_text("The AI service failed to answer", timeout=30_000)
        claude.clear()
        answer, claude.default_reply = claude.default_reply, Reply(text("Yes, here now."))
        try:
            reply.get_by_role("button", name="Retry").click()
            expect(last_reply(page)).to_contain_text("Yes, here now.", timeout=30_000)
        finally:
            claude.default_reply = answer

    def test_a_revised_story_shows_its_new_version_in_place(
        self, page: Page, claude: FakeAnthropic, tmp_path: Path
    ) -> None:
        policy = tmp_path / "refund-policy.md"
        policy.write_text("Refund window: customers may ask within 30 days of delivery.\n")
        claude.respond_with(analyst)
        sign_in(page)
        create_project(page, "Refunds")
        upload(page, policy)
        new_thread(page)

        send(page, "Write a user story for refunds within the refund window")
        # While the reply is written, a line under the conversation says what it is doing.
        expect(reply_progress(page)).to_have_text(re.compile(r"(Search|Think|Writ)\w*.*…"))
        first = replies(page).first
        # The server searched the documents before asking the model, and shows where it looked.
        expect(first).to_contain_text(re.compile(r"Searched documents for “[^”]+” — Found 1"))
        expect(first.get_by_role("list", name="Passages found")).to_contain_text(
            "refund-policy.md · passage 1"
        )
        card = first.get_by_role("link", name=re.compile("Open artifact"))
        expect(card).to_contain_text("v1")
        wait_until_written(page)
        expect(reply_progress(page)).to_have_text("The reply is complete.")

        send(page, "Add the expired refund window scenario to the story")
        second = last_reply(page)
        expect(reply_progress(page)).to_have_text(re.compile(r"Reading “Refunds”…|Thinking…"))
        expect(second).to_contain_text("Read version 1 of “Refunds”")
        expect(second).to_contain_text("Revised “Refunds after the window” — Saved version 2")
        expect(reply_progress(page)).to_have_text("Writing the reply…")
        wait_until_written(page)
        expect(reply_progress(page)).to_have_text("The reply is complete.")

        # One card for the story, where it was first written, now at version 2.
        cards = page.get_by_role("link", name=re.compile("Open artifact"))
        expect(cards).to_have_count(1)
        expect(first.get_by_role("link", name=re.compile("Open artifact"))).to_contain_text(
            re.compile(r"v2.*Refunds after the window")
        )
        assert replies(page).count() == 2

        # The project's list and the artifact's page show the new version without a reload.
        page.get_by_role("link", name="← Project").click()
        artifacts = page.get_by_role("region", name="Artifacts")
        expect(artifacts).to_contain_text("Refunds after the window")
        expect(artifacts).to_contain_text("version 2")
        artifacts.get_by_role("link", name="Refunds after the window").click()
        expect(page.get_by_text(EXPIRED)).to_be_visible()
        expect(page.get_by_text("Version 2", exact=True).first).to_be_visible()
