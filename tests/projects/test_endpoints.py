from __future__ import annotations

import time

from tests.conftest import ApiUser


class TestCreateProject:
    def test_returns_the_new_project_with_zero_counts(self, alice: ApiUser) -> None:
        response = alice.post(
            "/api/projects", json={"name": "  Checkout  redesign ", "description": "Q3 work"}
        )
        assert response.status_code == 201
        body = response.json()
        assert body["name"] == "Checkout redesign"
        assert body["description"] == "Q3 work"
        assert body["document_count"] == 0
        assert body["thread_count"] == 0
        for field in ("created_at", "updated_at", "last_activity_at"):
            assert body[field].endswith("Z")

    def test_description_is_optional(self, alice: ApiUser) -> None:
        assert alice.project("Only a name")["description"] is None

    def test_name_is_required(self, alice: ApiUser) -> None:
        for body in ({}, {"name": ""}, {"name": "   "}, {"name": None}):
            response = alice.post("/api/projects", json=body)
            assert response.status_code == 400, body
            error = response.json()
            assert error["error"] == "validation_error"
            assert "name" in error["details"]
            assert error["request_id"]

    def test_overlong_fields_are_refused(self, alice: ApiUser) -> None:
        response = alice.post("/api/projects", json={"name": "x" * 201, "description": "y" * 5001})
        assert response.status_code == 400
        assert set(response.json()["details"]) == {"name", "description"}


class TestListProjects:
    def test_lists_only_my_projects_most_recent_first(self, alice: ApiUser, bob: ApiUser) -> None:
        first = alice.project("First")
        time.sleep(0.01)
        second = alice.project("Second")
        bob.project("Bob's")
        body = alice.get("/api/projects").json()
        assert [p["id"] for p in body["projects"]] == [second["id"], first["id"]]
        assert body["total"] == 2
        assert body["has_more"] is False

    def test_pages_with_limit_and_offset(self, alice: ApiUser) -> None:
        for index in range(5):
            alice.project(f"P{index}")
        page = alice.get("/api/projects", params={"limit": 2, "offset": 2}).json()
        assert len(page["projects"]) == 2
        assert page["total"] == 5
        assert page["has_more"] is True
        last = alice.get("/api/projects", params={"limit": 2, "offset": 4}).json()
        assert len(last["projects"]) == 1
        assert last["has_more"] is False

    def test_limit_is_bounded(self, alice: ApiUser) -> None:
        for params in ({"limit": 0}, {"limit": 101}, {"offset": -1}, {"limit": "many"}):
            response = alice.get("/api/projects", params=params)
            assert response.status_code == 400, params
            assert response.json()["error"] == "validation_error"

    def test_counts_documents_and_threads(self, alice: ApiUser) -> None:
        project = alice.project()
        alice.document(project["id"], "notes.md", "Some notes")
        alice.thread(project["id"])
        alice.thread(project["id"])
        listed = alice.get("/api/projects").json()["projects"][0]
        assert listed["document_count"] == 1
        assert listed["thread_count"] == 2


class TestGetProject:
    def test_returns_the_project(self, alice: ApiUser) -> None:
        project = alice.project("Mine", description="About it")
        response = alice.get(f"/api/projects/{project['id']}")
        assert response.status_code == 200
        assert response.json() == project

    def test_unknown_or_malformed_id_is_404(self, alice: ApiUser) -> None:
        for project_id in ("00000000-0000-4000-8000-000000000000", "not-a-uuid", "1"):
            response = alice.get(f"/api/projects/{project_id}")
            assert response.status_code == 404
            assert response.json()["error"] == "not_found"
            assert response.json()["message"] == "Project not found"

    def test_last_activity_follows_the_threads(self, alice: ApiUser) -> None:
        project = alice.project()
        time.sleep(0.01)
        thread = alice.thread(project["id"], initial_message="Let's talk refunds")
        body = alice.get(f"/api/projects/{project['id']}").json()
        assert body["last_activity_at"] == thread["last_message_at"]
        assert body["last_activity_at"] > body["updated_at"]


class TestUpdateProject:
    def test_renames_and_describes(self, alice: ApiUser) -> None:
        project = alice.project("Old")
        time.sleep(0.01)
        response = alice.patch(f"/api/projects/{project['id']}", json={"name": "New"})
        assert response.status_code == 200
        body = response.json()
        assert body["name"] == "New"
        assert body["description"] is None
        assert body["updated_at"] > project["updated_at"]
        described = alice.patch(f"/api/projects/{project['id']}", json={"description": "Why"})
        assert described.json()["name"] == "New"
        assert described.json()["description"] == "Why"

    def test_clears_the_description_with_null(self, alice: ApiUser) -> None:
        project = alice.project("P", description="Something")
        body = alice.patch(f"/api/projects/{project['id']}", json={"description": None}).json()
        assert body["description"] is None

    def test_an_empty_name_is_refused(self, alice: ApiUser) -> None:
        project = alice.project("Keep")
        response = alice.patch(f"/api/projects/{project['id']}", json={"name": " "})
        assert response.status_code == 400
        assert response.json()["details"] == {"name": "Project name is required"}
        assert alice.get(f"/api/projects/{project['id']}").json()["name"] == "Keep"


class TestDeleteProject:
    def test_deletes_the_project_and_everything_in_it(self, alice: ApiUser) -> None:
        project = alice.project()
        document = alice.document(project["id"], "spec.md", "Refunds within thirty days")
        thread = alice.thread(project["id"], initial_message="Hello")
        response = alice.delete(f"/api/projects/{project['id']}")
        assert response.status_code == 204
        assert response.content == b""
        assert alice.get(f"/api/projects/{project['id']}").status_code == 404
        assert alice.get(f"/api/documents/{document['id']}").status_code == 404
        assert alice.get(f"/api/threads/{thread['id']}").status_code == 404
        assert alice.get("/api/projects").json()["total"] == 0

    def test_twice_is_404(self, alice: ApiUser) -> None:
        project = alice.project()
        assert alice.delete(f"/api/projects/{project['id']}").status_code == 204
        assert alice.delete(f"/api/projects/{project['id']}").status_code == 404
