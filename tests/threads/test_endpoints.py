from __future__ import annotations

import time
from datetime import timedelta

from fastapi import FastAPI
from sqlalchemy import func, select

from ba_assistant.artifacts import service as artifacts
from ba_assistant.models import Message
from ba_assistant.models.base import utcnow
from tests.conftest import ApiUser, wait_for_reply


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
