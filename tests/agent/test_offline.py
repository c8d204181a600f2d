"""The offline assistant (no AI key): the same agent and tools with a deterministic model.
Its replies to a few fixed conversations, exactly."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from ba_assistant.models import Artifact
from tests.conftest import (
    ApiUser,
    Event,
    make_app,
    make_settings,
    read_events,
    sign_in,
    wait_for_reply,
)

NOTICE = (
    "*Offline assistant: no AI model is configured, so I am working from this project's "
    "documents and a standard discovery checklist. To talk this through with Claude, set "
    "`ANTHROPIC_API_KEY` (or `AI_PROVIDER=openai` with `OPENAI_API_KEY`) and restart the "
    "server.*"
)
POLICY = (
    "# Refund policy\n\nRefunds are accepted within 30 days of delivery. Partial refunds above "
    "200 euros need a manager's approval."
)
REFUND_IDEA = (
    "We want customers to be able to request a partial refund from their order history page."
)
QUOTE = (
    "**What the documents say**\n\n"
    "> Refund policy Refunds are accepted within 30 days of delivery. Partial refunds above 200 "
    "euros need a manager's approval.\n"
    "> [Refund policy.md, passage 1]"
)
REFUND_QUESTIONS = """**Questions to ask next**

1. What problem does this solve today, and what happens if we do nothing?
2. How will we know it worked: which number should move, and by how much?
3. What is the smallest first release that would be useful, and what is out of scope?
4. How is a partial refund worked out: by item and quantity, or any amount the customer chooses?
5. How long after delivery can a customer ask for a refund, and what happens once that window \
has closed?"""
REFUND_EDGE_CASES = """**Edge cases to check**

- **Invalid and extreme inputs:** A partial refund is requested for more than is left to refund \
on the order. Is it blocked with a clear message, or capped at the remaining amount?
- **Concurrency:** The customer submits the same refund twice, or an agent refunds the order at \
the same moment. Could the money go out twice?
- **Failures of dependencies:** The payment provider rejects the refund because the card has \
expired or the account is closed. Where does the money go instead?
- **Roles and permissions:** A support agent refunds more than their approval limit. Who \
approves it, and what does the customer see meanwhile?"""
INVITATION = (
    "Say *write the user stories*, *draft acceptance criteria* or *write a requirements "
    "document* when you are ready, and I will turn this thread into a first draft."
)


@pytest.fixture
def app(data_dir: Path) -> Iterator[FastAPI]:
    application = make_app(make_settings(data_dir))  # no key: the offline assistant
    yield application
    application.state.db.dispose()


@pytest.fixture
def analyst(client: TestClient) -> ApiUser:
    return sign_in(client, "ann@example.com", "Ann Analyst")


def ask(user: ApiUser, thread_id: str, content: str) -> tuple[list[Event], dict[str, Any]]:
    response = user.post(f"/api/threads/{thread_id}/messages", json={"content": content})
    assert response.status_code == 201, response.text
    events = read_events(user, response.json()["stream_url"])
    return events, wait_for_reply(user, thread_id)


def outline(events: list[Event]) -> list[str]:
    return [
        e.event if "tool" not in e.data else f"{e.event}:{e.data['tool']}"
        for e in events
        if e.event != "chunk"
    ]


class TestAConversationAboutRefunds:
    def test_it_searches_quotes_asks_and_then_drafts_the_stories(
        self, analyst: ApiUser, app: FastAPI
    ) -> None:
        project = analyst.project("Shop")
        analyst.document(project["id"], "Refund policy.md", POLICY)
        thread = analyst.thread(project["id"], title="Refunds")

        events, reply = ask(analyst, thread["id"], REFUND_IDEA)
        assert outline(events) == [
            "start",
            "tool_call:DocumentSearch",
            "tool_result:DocumentSearch",
            "complete",
        ]
        assert events[1].data["input"] == {
            "query": "partial refund order history request customers page",
            "max_results": 3,
        }
        assert events[2].data["result_preview"] == "Found 1 passage in 1 document"
        assert sum(e.event == "chunk" for e in events) > 100  # word by word, like a model
        assert reply["model"] == "offline"
        assert reply["content"] == "\n\n".join(
            [
                NOTICE,
                f"**What I understood:** {REFUND_IDEA}",
                QUOTE,
                REFUND_QUESTIONS,
                REFUND_EDGE_CASES,
                INVITATION,
            ]
        )

        events, reply = ask(analyst, thread["id"], "Can you write the user stories?")
        assert outline(events) == [
            "start",
            "tool_call:DocumentSearch",
            "tool_result:DocumentSearch",
            "tool_call:ArtifactGenerator",
            "artifact",
            "tool_result:ArtifactGenerator",
            "complete",
        ]
        title = "Request a partial refund from the order history page"
        assert reply["content"] == "\n\n".join(
            [
                NOTICE,
                QUOTE,
                f"I drafted the user story **{title}** from what has been said so far: open the "
                "card below. Everything marked **To confirm** still needs an answer from the "
                "room.",
                REFUND_QUESTIONS,
                REFUND_EDGE_CASES,
                "Tell me what the room decides and I will update the draft.",
            ]
        )
        assert [(a["type"], a["title"]) for a in reply["artifacts"]] == [("user_story", title)]
        # The stored reply keeps its tool activity, for a page opened after it was written.
        assert [(c["tool"], c["status"]) for c in reply["tool_calls"]] == [
            ("DocumentSearch", "complete"),
            ("ArtifactGenerator", "complete"),
        ]
        assert reply["tool_calls"][0]["input"]["query"]
        assert reply["tool_calls"][0]["result_preview"] == "Found 1 passage in 1 document"
        assert reply["tool_calls"][1]["input"]["title"] == title
        with app.state.db.session(write=False) as session:
            story = session.scalars(select(Artifact)).one().content
        assert story.startswith(f"# {title}\n\n## Story 1: Customer\n\n")
        assert (
            "As a customer, I want to request a partial refund from my order history page, "
            "so that <benefit to confirm>." in story
        )
        assert "Scenario: Happy path" in story and "Given a customer who is signed in" in story
        assert "[Refund policy.md, passage 1]" in story


class TestWithoutDocuments:
    def test_it_says_there_is_nothing_to_search_and_asks_about_the_topic(
        self, analyst: ApiUser
    ) -> None:
        thread = analyst.thread(analyst.project("Exports")["id"], title="Exports")
        events, reply = ask(
            analyst, thread["id"], "Users should get an email when their export is ready."
        )
        assert outline(events) == ["start", "complete"]
        assert reply["content"] == "\n\n".join(
            [
                NOTICE,
                "**What I understood:** Users should get an email when their export is ready.",
                "This project has no documents yet. Upload policies, specifications or meeting "
                "notes and I will search them and cite what they say.",
                """**Questions to ask next**

1. What problem does this solve today, and what happens if we do nothing?
2. Who exactly will use this, and does each role need to see or do something different?
3. How will we know it worked: which number should move, and by how much?
4. Who opens the export: a person in Excel or another system, and which columns and format do \
they need?
5. Who may export, and must exported files leave out personal or confidential data?""",
                """**Edge cases to check**

- **Roles and permissions:** Someone exports records they can see on screen but may not share. \
Does the export apply the same permissions?
- **Audit, compliance and privacy:** An export with personal data is emailed outside the \
company. Is the export logged, and should it be restricted?
- **Performance and scale:** Someone exports 500,000 rows at peak time. Is it built in the \
background, with a message when it is ready?
- **Empty and first-use states:** Someone exports a filtered list with no matching rows. Do \
they get an empty file or a message?""",
                INVITATION,
            ]
        )

    def test_small_talk_gets_a_way_to_start(self, analyst: ApiUser) -> None:
        thread = analyst.thread(analyst.project("Anything")["id"], title="Hello")
        events, reply = ask(analyst, thread["id"], "Hi")
        assert outline(events) == ["start", "complete"]
        assert reply["content"] == (
            f"{NOTICE}\n\nTell me about the feature you are exploring: what it is, who it is "
            "for, and the problem it solves. I will ask the questions that matter most, search "
            "this project's documents and cite them, list the edge cases to check, and draft "
            "user stories, acceptance criteria or a requirements document when you are ready."
        )

    def test_an_untitled_thread_is_named_after_the_feature(self, analyst: ApiUser) -> None:
        thread = analyst.thread(analyst.project("Shop")["id"])
        ask(analyst, thread["id"], REFUND_IDEA)
        titled = analyst.get(f"/api/threads/{thread['id']}").json()["title"]
        assert titled == "Request a partial refund from the order history page"
