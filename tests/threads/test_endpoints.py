from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from ba_assistant.agent import offline
from ba_assistant.artifacts import service as artifacts
from ba_assistant.config import Settings
from ba_assistant.models import Message
from ba_assistant.models.base import utcnow
from tests.conftest import ApiUser, make_app, wait_for_reply


class TestCreateThread:
    def test_creates_an_empty_thread(self, alice: ApiUser) -> None:
        project = alice.project()
        response = alice.post(f"/api/projects/{project['id']}/threads", json={})
        assert response.status_code == 201
        body = response.json()
        assert body["project_id"] == project["id"]
        assert body["title"] is None
        assert body["message_count"] == 0
        assert body["last_message_at"].endswith("Z")

    def test_with_a_title(self, alice: ApiUser) -> None:
        project = alice.project()
        body = alice.thread(project["id"], title="  Refund window ")
        assert body["title"] == "Refund window"

    def test_stores_the_initial_message(self, alice: ApiUser) -> None:
        project = alice.project()
        thread = alice.thread(project["id"], initial_message="What about partial refunds?")
        # The message, and the AI's reply to it, which starts at once.
        assert thread["message_count"] == 2
        assert thread["stream_url"] == (
            f"/api/threads/{thread['id']}/stream?message_id={thread['message_id']}"
        )
        messages = alice.get(f"/api/threads/{thread['id']}/messages").json()["messages"]
        first = messages[0]
        assert (first["id"], first["role"], first["content"]) == (
            thread["message_id"],
            "user",
            "What about partial refunds?",
        )
        assert messages[1]["role"] == "assistant"
        assert messages[1]["id"] == thread["reply_id"]
        assert messages[1]["reply_to"] == thread["message_id"]

    def test_an_empty_initial_message_is_refused(self, alice: ApiUser) -> None:
        project = alice.project()
        response = alice.post(
            f"/api/projects/{project['id']}/threads", json={"initial_message": "  "}
        )
        assert response.status_code == 400
        assert "initial_message" in response.json()["details"]

    def test_in_an_unknown_project_is_404(self, alice: ApiUser) -> None:
        response = alice.post("/api/projects/00000000-0000-4000-8000-000000000000/threads", json={})
        assert response.status_code == 404


class TestListThreads:
    def test_most_recent_activity_first_with_counts(self, alice: ApiUser) -> None:
        project = alice.project()
        old = alice.thread(project["id"], title="Old", initial_message="first")
        wait_for_reply(alice, old["id"])
        time.sleep(0.01)
        new = alice.thread(project["id"], title="New")
        body = alice.get(f"/api/projects/{project['id']}/threads").json()
        assert [t["id"] for t in body["threads"]] == [new["id"], old["id"]]
        assert [t["message_count"] for t in body["threads"]] == [0, 2]
        assert body["total"] == 2
        assert body["has_more"] is False

    def test_pages(self, alice: ApiUser) -> None:
        project = alice.project()
        for _ in range(3):
            alice.thread(project["id"])
        page = alice.get(f"/api/projects/{project['id']}/threads", params={"limit": 2}).json()
        assert len(page["threads"]) == 2
        assert page["has_more"] is True


class TestGetThread:
    def test_returns_the_thread(self, alice: ApiUser) -> None:
        project = alice.project()
        thread = alice.thread(project["id"], title="T")
        response = alice.get(f"/api/threads/{thread['id']}")
        assert response.status_code == 200
        # Creating answers the thread plus the first message's ids (none here).
        assert {**response.json(), "message_id": None, "reply_id": None, "stream_url": None} == (
            thread
        )

    def test_unknown_is_404(self, alice: ApiUser) -> None:
        response = alice.get("/api/threads/00000000-0000-4000-8000-000000000000")
        assert response.status_code == 404
        assert response.json()["message"] == "Thread not found"


class TestUpdateThread:
    def test_renames_and_sets_the_summary(self, alice: ApiUser) -> None:
        project = alice.project()
        thread = alice.thread(project["id"])
        body = alice.patch(
            f"/api/threads/{thread['id']}", json={"title": "Refunds", "summary": "We agreed."}
        ).json()
        assert body["title"] == "Refunds"
        assert body["summary"] == "We agreed."

    def test_an_overlong_title_is_refused(self, alice: ApiUser) -> None:
        project = alice.project()
        thread = alice.thread(project["id"])
        response = alice.patch(f"/api/threads/{thread['id']}", json={"title": "x" * 201})
        assert response.status_code == 400
        assert "title" in response.json()["details"]


class TestDeleteThread:
    def test_deletes_the_thread_and_its_messages(self, alice: ApiUser, app: FastAPI) -> None:
        project = alice.project()
        thread = alice.thread(project["id"], initial_message="hello")
        assert alice.delete(f"/api/threads/{thread['id']}").status_code == 204
        assert alice.get(f"/api/threads/{thread['id']}").status_code == 404
        with app.state.db.session(write=False) as session:
            left = session.scalar(
                select(func.count(Message.id)).where(Message.thread_id == thread["id"])
            )
        assert left == 0
        assert alice.get(f"/api/projects/{project['id']}").json()["thread_count"] == 0


class TestListMessages:
    def _seed(self, app: FastAPI, thread_id: str, count: int) -> list[str]:
        """Messages written the way the AI issue will write them: user, then assistant."""
        ids: list[str] = []
        base = utcnow()
        with app.state.db.session() as session:
            for index in range(count):
                message = Message(
                    thread_id=thread_id,
                    role="user" if index % 2 == 0 else "assistant",
                    content=f"message {index}",
                    created_at=base + timedelta(milliseconds=index + 1),
                )
                session.add(message)
                session.flush()
                ids.append(message.id)
        return ids

    def test_oldest_first_with_paging(self, alice: ApiUser, app: FastAPI) -> None:
        project = alice.project()
        thread = alice.thread(project["id"])
        ids = self._seed(app, thread["id"], 7)
        first = alice.get(f"/api/threads/{thread['id']}/messages", params={"limit": 5}).json()
        assert [m["id"] for m in first["messages"]] == ids[:5]
        assert first["total"] == 7
        assert first["has_more"] is True
        rest = alice.get(
            f"/api/threads/{thread['id']}/messages", params={"limit": 5, "offset": 5}
        ).json()
        assert [m["id"] for m in rest["messages"]] == ids[5:]
        assert rest["has_more"] is False
        message = first["messages"][1]
        assert message["role"] == "assistant"
        assert message["status"] == "complete"
        assert message["artifacts"] == []

    def test_includes_the_artifacts_of_each_message(self, alice: ApiUser, app: FastAPI) -> None:
        project = alice.project()
        thread = alice.thread(project["id"])
        ids = self._seed(app, thread["id"], 2)
        with app.state.db.session() as session:
            artifact_id = artifacts.create_artifact(
                session,
                thread_id=thread["id"],
                message_id=ids[1],
                kind="user_story",
                title="Refund request",
                content="As a customer…",
            ).id
        messages = alice.get(f"/api/threads/{thread['id']}/messages").json()["messages"]
        assert messages[0]["artifacts"] == []
        assert messages[1]["artifacts"] == [
            {
                "id": artifact_id,
                "type": "user_story",
                "title": "Refund request",
                "version": 1,
                "latest_version": 1,
            }
        ]


class TestSendMessage:
    """`client_message_id`: a message sent again (a retry, a second tab) is stored once."""

    @pytest.fixture
    def slow_replies(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """The offline assistant writes for several seconds, so replies are still running."""
        monkeypatch.setattr(offline, "PAUSE_SECONDS", 0.1)

    @staticmethod
    def post(user: ApiUser, thread_id: str, content: str, key: str | None) -> httpx.Response:
        body: dict[str, Any] = {"content": content}
        if key is not None:
            body["client_message_id"] = key
        return user.post(f"/api/threads/{thread_id}/messages", json=body)

    @staticmethod
    def at_once(count: int, send: Callable[[], httpx.Response]) -> list[httpx.Response]:
        """``count`` requests released together."""
        start = threading.Barrier(count)
        responses: list[httpx.Response] = []

        def worker() -> None:
            start.wait()
            responses.append(send())

        workers = [threading.Thread(target=worker) for _ in range(count)]
        for worker_thread in workers:
            worker_thread.start()
        for worker_thread in workers:
            worker_thread.join(timeout=30)
        return responses

    @staticmethod
    def roles(user: ApiUser, thread_id: str) -> list[tuple[str, str]]:
        messages = user.get(f"/api/threads/{thread_id}/messages").json()["messages"]
        return [(m["role"], m["content"] if m["role"] == "user" else "reply") for m in messages]

    def test_the_same_key_at_once_is_one_message_and_one_reply(self, alice: ApiUser) -> None:
        thread = alice.thread(alice.project()["id"])
        key = str(uuid.uuid4())
        responses = self.at_once(
            4, lambda: self.post(alice, thread["id"], "Who approves refunds?", key)
        )
        assert [r.status_code for r in responses] == [201] * 4, [r.text for r in responses]
        bodies = [r.json() for r in responses]
        assert all(body == bodies[0] for body in bodies)
        wait_for_reply(alice, thread["id"])
        assert self.roles(alice, thread["id"]) == [
            ("user", "Who approves refunds?"),
            ("assistant", "reply"),
        ]
        messages = alice.get(f"/api/threads/{thread['id']}/messages").json()["messages"]
        assert messages[0]["id"] == bodies[0]["message_id"]
        assert messages[0]["client_message_id"] == key
        assert messages[1]["id"] == bodies[0]["reply_id"]
        assert messages[1]["status"] == "complete"

    def test_at_once_while_another_reply_is_running_neither_is_refused(
        self, alice: ApiUser, slow_replies: None
    ) -> None:
        # One reply slot of two is taken; the same message sent twice at once needs only one.
        thread = alice.thread(alice.project()["id"])
        assert self.post(alice, thread["id"], "First question", None).status_code == 201
        key = str(uuid.uuid4())
        responses = self.at_once(2, lambda: self.post(alice, thread["id"], "Second", key))
        assert [r.status_code for r in responses] == [201, 201], [r.text for r in responses]
        assert responses[0].json() == responses[1].json()
        alice.client.app.state.runs.cancel_where(user_id=alice.id)
        wait_for_reply(alice, thread["id"])
        assert [role for role, _ in self.roles(alice, thread["id"])] == [
            "user",
            "assistant",
            "user",
            "assistant",
        ]

    def test_sent_again_it_answers_like_the_first_time_and_starts_no_reply(
        self, alice: ApiUser, slow_replies: None
    ) -> None:
        thread = alice.thread(alice.project()["id"])
        assert self.post(alice, thread["id"], "Something else", None).status_code == 201
        key = str(uuid.uuid4())
        first = self.post(alice, thread["id"], "Partial refunds?", key)
        assert first.status_code == 201
        # Both of the person's reply slots are taken, one of them by this message's reply:
        # sending it again is still answered, not refused with 429.
        again = self.post(alice, thread["id"], "Partial refunds?", key)
        assert (again.status_code, again.json()) == (201, first.json())
        assert again.json()["stream_url"] == (
            f"/api/threads/{thread['id']}/stream?message_id={first.json()['message_id']}"
        )
        alice.client.app.state.runs.cancel_where(user_id=alice.id)
        wait_for_reply(alice, thread["id"])
        later = self.post(alice, thread["id"], "Partial refunds?", key)
        assert (later.status_code, later.json()) == (201, first.json())
        assert self.roles(alice, thread["id"]) == [
            ("user", "Something else"),
            ("assistant", "reply"),
            ("user", "Partial refunds?"),
            ("assistant", "reply"),
        ]

    def test_the_same_key_in_another_thread_is_another_message(self, alice: ApiUser) -> None:
        project = alice.project()
        one, two = alice.thread(project["id"]), alice.thread(project["id"])
        key = str(uuid.uuid4())
        first = self.post(alice, one["id"], "Refund window?", key)
        second = self.post(alice, two["id"], "Refund window?", key)
        assert (first.status_code, second.status_code) == (201, 201)
        assert first.json()["message_id"] != second.json()["message_id"]
        for thread in (one, two):
            wait_for_reply(alice, thread["id"])
            assert self.roles(alice, thread["id"]) == [
                ("user", "Refund window?"),
                ("assistant", "reply"),
            ]

    def test_the_same_key_with_other_text_is_a_conflict(self, alice: ApiUser) -> None:
        thread = alice.thread(alice.project()["id"])
        key = str(uuid.uuid4())
        assert self.post(alice, thread["id"], "Refund window?", key).status_code == 201
        other = self.post(alice, thread["id"], "Something else entirely", key)
        assert other.status_code == 409
        assert other.json()["error"] == "conflict"
        wait_for_reply(alice, thread["id"])
        assert [text for role, text in self.roles(alice, thread["id"]) if role == "user"] == [
            "Refund window?"
        ]

    def test_a_key_that_is_not_a_uuid_is_refused(self, alice: ApiUser) -> None:
        thread = alice.thread(alice.project()["id"])
        response = self.post(alice, thread["id"], "Refund window?", "local-42")
        assert response.status_code == 400
        body = response.json()
        assert body["error"] == "validation_error"
        assert "client_message_id" in body["details"]
        assert body["request_id"]
        assert self.roles(alice, thread["id"]) == []

    def test_another_persons_thread_is_refused_before_anything(
        self, alice: ApiUser, bob: ApiUser
    ) -> None:
        thread = alice.thread(alice.project()["id"])
        key = str(uuid.uuid4())
        assert self.post(bob, thread["id"], "Mine now", key).status_code == 403
        assert self.post(bob, thread["id"], "Mine now", "not-a-uuid").status_code == 403
        # The key was not taken by Bob's attempt.
        assert self.post(alice, thread["id"], "Refund window?", key).status_code == 201
        wait_for_reply(alice, thread["id"])
        assert self.roles(alice, thread["id"]) == [
            ("user", "Refund window?"),
            ("assistant", "reply"),
        ]

    def test_two_server_processes_at_once_store_it_once(
        self, alice: ApiUser, settings: Settings
    ) -> None:
        """Two instances on one database: the unique index decides, not a lock in memory."""
        other_app = make_app(settings)
        try:
            with TestClient(other_app) as other_client:
                other = ApiUser(other_client, alice.id, alice.email, alice.token)
                thread = alice.thread(alice.project()["id"])
                key = str(uuid.uuid4())
                users = iter([alice, other])
                responses = self.at_once(
                    2, lambda: self.post(next(users), thread["id"], "Refund window?", key)
                )
                assert [r.status_code for r in responses] == [201, 201]
                assert responses[0].json() == responses[1].json()
                wait_for_reply(alice, thread["id"])
                assert self.roles(alice, thread["id"]) == [
                    ("user", "Refund window?"),
                    ("assistant", "reply"),
                ]
        finally:
            other_app.state.db.dispose()
