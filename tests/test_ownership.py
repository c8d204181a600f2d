"""The two-user matrix: Bob can never see or touch Alice's things, by path or by body."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import ApiUser

MISSING = "00000000-0000-4000-8000-000000000000"


@pytest.fixture
def alices(alice: ApiUser) -> dict[str, str]:
    project = alice.project("Alice's confidential project")
    document = alice.document(project["id"], "contract.md", "Secret pricing: 42 per seat")
    thread = alice.thread(project["id"], title="Pricing", initial_message="Discuss pricing")
    return {"project": project["id"], "document": document["id"], "thread": thread["id"]}


# (method, path template, json body) for every route that takes an id.
ROUTES: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "/api/projects/{project}", None),
    ("PATCH", "/api/projects/{project}", {"name": "Hijacked"}),
    ("DELETE", "/api/projects/{project}", None),
    ("GET", "/api/projects/{project}/documents", None),
    ("POST", "/api/projects/{project}/documents", {"name": "x.md", "content": "planted"}),
    ("GET", "/api/projects/{project}/search?q=pricing", None),
    ("GET", "/api/projects/{project}/threads", None),
    ("POST", "/api/projects/{project}/threads", {"title": "planted"}),
    ("GET", "/api/documents/{document}", None),
    ("DELETE", "/api/documents/{document}", None),
    ("GET", "/api/threads/{thread}", None),
    ("PATCH", "/api/threads/{thread}", {"title": "Hijacked"}),
    ("DELETE", "/api/threads/{thread}", None),
    ("GET", "/api/threads/{thread}/messages", None),
]


def _ids(route: tuple[str, str, Any]) -> str:
    return f"{route[0]} {route[1]}"


@pytest.mark.parametrize("route", ROUTES, ids=_ids)
def test_another_users_resource_is_403(
    route: tuple[str, str, dict[str, Any] | None],
    alice: ApiUser,
    bob: ApiUser,
    alices: dict[str, str],
) -> None:
    method, template, body = route
    response = bob.request(method, template.format(**alices), json=body)
    assert response.status_code == 403
    assert response.json()["error"] == "forbidden"
    assert "42 per seat" not in response.text


@pytest.mark.parametrize("route", ROUTES, ids=_ids)
def test_a_missing_resource_is_404(
    route: tuple[str, str, dict[str, Any] | None], bob: ApiUser
) -> None:
    method, template, body = route
    path = template.format(project=MISSING, document=MISSING, thread=MISSING)
    response = bob.request(method, path, json=body)
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


def test_nothing_of_alices_changed(alice: ApiUser, bob: ApiUser, alices: dict[str, str]) -> None:
    for method, template, body in ROUTES:
        bob.request(method, template.format(**alices), json=body)
    project = alice.get(f"/api/projects/{alices['project']}").json()
    assert project["name"] == "Alice's confidential project"
    assert project["document_count"] == 1
    assert project["thread_count"] == 1
    assert alice.get(f"/api/threads/{alices['thread']}").json()["title"] == "Pricing"
    assert alice.get(f"/api/documents/{alices['document']}").status_code == 200


def test_bob_lists_none_of_alices_things(bob: ApiUser, alices: dict[str, str]) -> None:
    bob.project("Bob's")
    listed = bob.get("/api/projects").json()
    assert alices["project"] not in {p["id"] for p in listed["projects"]}
    assert listed["total"] == 1


def test_ids_in_the_body_cannot_move_things(
    alice: ApiUser, bob: ApiUser, alices: dict[str, str]
) -> None:
    """Body fields naming another owner or project are ignored: ownership comes from the path."""
    own = bob.project("Bob's")
    response = bob.post(
        f"/api/projects/{own['id']}/threads",
        json={"title": "mine", "project_id": alices["project"], "user_id": alice.id},
    )
    assert response.status_code == 201
    assert response.json()["project_id"] == own["id"]
    assert alice.get(f"/api/projects/{alices['project']}").json()["thread_count"] == 1
