"""Artifacts: reading, editing as versions, listing, and nobody else's."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI

from ba_assistant.artifacts.rendering import FORMATS
from ba_assistant.models import Artifact, ArtifactVersion, Message
from tests.conftest import ApiUser, read_events, wait_for_reply

STORY = "# Partial refunds\n\nAs a customer, I want a partial refund, so that I keep the rest."


def make_artifact(
    app: FastAPI,
    thread_id: str,
    kind: str = "user_story",
    title: str = "Partial refunds",
    content: str = STORY,
) -> str:
    """An artifact as the ArtifactGenerator tool stores it, on a reply of the thread."""
    with app.state.db.session() as session:
        reply = Message(thread_id=thread_id, role="assistant", content="Drafted.")
        session.add(reply)
        session.flush()
        artifact = Artifact(
            message_id=reply.id, thread_id=thread_id, type=kind, title=title, content=content
        )
        session.add(artifact)
        session.flush()
        session.add(
            ArtifactVersion(artifact_id=artifact.id, version=1, title=title, content=content)
        )
        return artifact.id


@pytest.fixture
def thread(alice: ApiUser) -> dict[str, Any]:
    return alice.thread(alice.project("Refunds")["id"], title="Refunds")


@pytest.fixture
def artifact_id(app: FastAPI, thread: dict[str, Any]) -> str:
    return make_artifact(app, thread["id"])


class TestRead:
    def test_returns_the_latest_version_with_its_place(
        self, alice: ApiUser, thread: dict[str, Any], artifact_id: str
    ) -> None:
        body = alice.get(f"/api/artifacts/{artifact_id}").json()
        assert body["content"] == STORY
        assert body["type"] == "user_story" and body["title"] == "Partial refunds"
        assert (body["version"], body["versions"]) == (1, 1)
        assert body["thread_id"] == thread["id"]
        assert body["project_id"] == thread["project_id"]

    def test_an_artifact_the_offline_assistant_wrote_is_readable(self, alice: ApiUser) -> None:
        thread = alice.thread(alice.project("Shop")["id"], title="Refunds")
        for content in (
            "Customers want to request a partial refund from their order history page.",
            "Write the acceptance criteria please.",
        ):
            sent = alice.post(f"/api/threads/{thread['id']}/messages", json={"content": content})
            read_events(alice, sent.json()["stream_url"])
        reply = wait_for_reply(alice, thread["id"])
        [card] = reply["artifacts"]
        body = alice.get(f"/api/artifacts/{card['id']}").json()
        assert body["type"] == "acceptance_criteria"
        assert "Scenario:" in body["content"] and "Given" in body["content"]


class TestEdit:
    def test_each_edit_is_a_version_and_all_stay_readable(
        self, alice: ApiUser, artifact_id: str
    ) -> None:
        url = f"/api/artifacts/{artifact_id}"
        second = alice.patch(url, json={"content": "Version two", "base_version": 1}).json()
        third = alice.patch(url, json={"title": "Refunds v3", "base_version": 2}).json()
        assert (second["version"], third["version"], third["versions"]) == (2, 3, 3)
        assert third["title"] == "Refunds v3" and third["content"] == "Version two"
        history = alice.get(f"{url}/versions").json()["versions"]
        assert [(v["version"], v["title"]) for v in history] == [
            (3, "Refunds v3"),
            (2, "Partial refunds"),
            (1, "Partial refunds"),
        ]
        contents = [alice.get(f"{url}/versions/{n}").json()["content"] for n in (1, 2, 3)]
        assert contents == [STORY, "Version two", "Version two"]
        assert alice.get(f"{url}/versions/4").status_code == 404

    def test_an_edit_from_an_old_version_is_refused_not_lost(
        self, alice: ApiUser, artifact_id: str
    ) -> None:
        url = f"/api/artifacts/{artifact_id}"
        assert (
            alice.patch(url, json={"content": "Laptop edit", "base_version": 1}).status_code == 200
        )
        phone = alice.patch(url, json={"content": "Phone edit", "base_version": 1})
        assert phone.status_code == 409
        assert phone.json()["details"] == {"version": 2}
        assert alice.get(url).json()["content"] == "Laptop edit"

    def test_an_edit_that_changes_nothing_makes_no_version(
        self, alice: ApiUser, artifact_id: str
    ) -> None:
        url = f"/api/artifacts/{artifact_id}"
        assert alice.patch(url, json={"content": STORY}).json()["version"] == 1
        empty = alice.patch(url, json={})
        assert empty.status_code == 400
        assert alice.patch(url, json={"title": "   "}).status_code == 400


class TestLists:
    def test_a_thread_and_a_project_list_their_artifacts(
        self, alice: ApiUser, app: FastAPI, thread: dict[str, Any]
    ) -> None:
        story = make_artifact(app, thread["id"])
        criteria = make_artifact(app, thread["id"], "acceptance_criteria", "Refund criteria")
        other = alice.thread(thread["project_id"], title="Other")
        document = make_artifact(app, other["id"], "requirements_doc", "Refund requirements")
        in_thread = alice.get(f"/api/threads/{thread['id']}/artifacts").json()
        assert {a["id"] for a in in_thread["artifacts"]} == {story, criteria}
        assert "content" not in in_thread["artifacts"][0]
        project = f"/api/projects/{thread['project_id']}/artifacts"
        assert alice.get(project).json()["total"] == 3
        only = alice.get(project, params={"type": "requirements_doc"}).json()["artifacts"]
        assert [a["id"] for a in only] == [document]
        assert alice.get(project, params={"type": "poem"}).status_code == 400


class TestOwnership:
    @pytest.mark.parametrize(
        ("method", "path", "body"),
        [
            ("GET", "/api/artifacts/{id}", None),
            ("PATCH", "/api/artifacts/{id}", {"content": "mine now"}),
            ("GET", "/api/artifacts/{id}/versions", None),
            ("GET", "/api/artifacts/{id}/versions/1", None),
            *[("GET", f"/api/artifacts/{{id}}/export?format={f}", None) for f in FORMATS],
            ("GET", "/api/artifacts/{id}/export?format=pdf&version=1", None),
        ],
    )
    def test_another_persons_artifact_is_403(
        self, bob: ApiUser, alice: ApiUser, artifact_id: str, method: str, path: str, body: Any
    ) -> None:
        response = bob.request(method, path.format(id=artifact_id), json=body)
        assert response.status_code == 403
        assert response.json()["error"] == "forbidden"
        assert alice.get(f"/api/artifacts/{artifact_id}").json()["content"] == STORY

    def test_another_persons_lists_are_403(
        self, bob: ApiUser, thread: dict[str, Any], artifact_id: str
    ) -> None:
        assert bob.get(f"/api/threads/{thread['id']}/artifacts").status_code == 403
        assert bob.get(f"/api/projects/{thread['project_id']}/artifacts").status_code == 403

    @pytest.mark.parametrize("artifact", ["00000000-0000-4000-8000-000000000000", "nope"])
    def test_unknown_or_malformed_is_404(self, alice: ApiUser, artifact: str) -> None:
        assert alice.get(f"/api/artifacts/{artifact}").status_code == 404
