"""A thread of 2,000 messages opens at its end and scrolls without the page holding them all."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from fastapi import FastAPI
from playwright.sync_api import Page, expect
from sqlalchemy import insert

from ba_assistant.models import Message
from tests.web.conftest import sign_in
from tests.web.pages import create_project, new_thread

COUNT = 2000


def fill_thread(app: FastAPI, thread_id: str) -> None:
    start = datetime.now(UTC) - timedelta(days=1)
    rows = []
    previous = None
    for number in range(1, COUNT + 1):
        assistant = number % 2 == 0
        message_id = str(uuid.uuid4())
        rows.append(
            {
                "id": message_id,
                "thread_id": thread_id,
                "role": "assistant" if assistant else "user",
                "content": f"Message {number}: "
                + ("a **reply** with a list:\n\n- one\n- two\n" if assistant else "a question?"),
                "status": "complete",
                "reply_to_id": previous if assistant else None,
                "created_at": start + timedelta(seconds=number),
            }
        )
        previous = message_id
    with app.state.db.session() as session:
        session.execute(insert(Message), rows)


class TestLongThread:
    def test_two_thousand_messages(self, page: Page, web_app: FastAPI) -> None:
        sign_in(page)
        create_project(page, "Long discovery")
        new_thread(page)
        fill_thread(web_app, page.url.rsplit("/", 1)[1])
        page.reload()

        conversation = page.get_by_role("log", name="Conversation")
        expect(conversation.get_by_text(f"Message {COUNT}:")).to_be_visible(timeout=30_000)
        assert page.locator("article").count() < 80  # only what is on screen, and a margin

        # Scroll to the top a screen at a time, timing the frames as a person would see them.
        frames = page.evaluate(
            """async () => {
                const log = document.querySelector('[role="log"]');
                const gaps = [];
                let last = performance.now();
                while (log.scrollTop > 0) {
                    log.scrollTop = Math.max(0, log.scrollTop - log.clientHeight);
                    await new Promise(requestAnimationFrame);
                    const now = performance.now();
                    gaps.push(now - last);
                    last = now;
                    if (gaps.length > 5000) break;
                }
                return gaps;
            }"""
        )
        expect(conversation.get_by_text("Message 1:", exact=False).first).to_be_visible()
        assert page.locator("article").count() < 80
        frames.sort()
        # Generous, for a busy 2-core CI machine: the point is no multi-second freeze.
        assert frames[len(frames) // 2] < 100, frames[-10:]
        assert frames[-1] < 1000, frames[-10:]
