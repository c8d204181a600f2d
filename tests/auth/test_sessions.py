"""Refresh tokens that rotate, sessions that end, accounts that go with all their data."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from ba_assistant.auth.service import REUSE_GRACE
from ba_assistant.models import (
    AIUsage,
    Document,
    DocumentChunk,
    Message,
    Project,
    Thread,
    User,
    UserSession,
)
from ba_assistant.models.base import utcnow
from tests.conftest import ApiUser, LiveServer


def dev_login(client: TestClient, email: str = "ann@example.com") -> dict[str, Any]:
    response = client.post("/api/auth/dev-login", json={"email": email, "name": "Ann"})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def refresh(client: TestClient, token: str) -> httpx.Response:
    return client.post("/api/auth/refresh", json={"refresh_token": token})


def me(client: TestClient, access_token: str) -> int:
    return client.get("/api/me", headers={"Authorization": f"Bearer {access_token}"}).status_code


class TestRefresh:
    def test_rotates_the_refresh_token_and_issues_a_working_access_token(
        self, client: TestClient
    ) -> None:
        first = dev_login(client)
        response = refresh(client, first["refresh_token"])
        assert response.status_code == 200
        body = response.json()
        assert set(body) == {"access_token", "refresh_token", "token_type", "expires_in"}
        assert body["refresh_token"] != first["refresh_token"]
        assert me(client, body["access_token"]) == 200
        assert refresh(client, body["refresh_token"]).status_code == 200

    def test_an_unknown_token_is_401(self, client: TestClient) -> None:
        for token in ("nope", "x" * 43):
            response = refresh(client, token)
            assert response.status_code == 401
            assert response.json()["error"] == "unauthorized"

    def test_a_missing_token_is_400(self, client: TestClient) -> None:
        assert client.post("/api/auth/refresh", json={}).status_code == 400

    def test_reusing_a_rotated_token_revokes_the_whole_session(self, client: TestClient) -> None:
        first = dev_login(client)
        second = refresh(client, first["refresh_token"]).json()
        time.sleep(REUSE_GRACE.total_seconds() + 0.2)
        stolen = refresh(client, first["refresh_token"])
        assert stolen.status_code == 401
        # The newest refresh token and the session's access tokens die too.
        assert refresh(client, second["refresh_token"]).status_code == 401
        assert me(client, second["access_token"]) == 401
        assert me(client, first["access_token"]) == 401

    def test_a_race_within_the_grace_fails_without_ending_the_session(
        self, client: TestClient
    ) -> None:
        first = dev_login(client)
        second = refresh(client, first["refresh_token"]).json()
        assert refresh(client, first["refresh_token"]).status_code == 401
        assert refresh(client, second["refresh_token"]).status_code == 200

    def test_two_concurrent_refreshes_with_one_token_exactly_one_succeeds(
        self, live_server: LiveServer
    ) -> None:
        with httpx.Client(base_url=live_server.url) as http:
            token = http.post(
                "/api/auth/dev-login", json={"email": "ann@example.com", "name": "Ann"}
            ).json()["refresh_token"]
        statuses: list[int] = []
        barrier = threading.Barrier(8)

        def attempt() -> None:
            with httpx.Client(base_url=live_server.url) as http:
                barrier.wait()
                response = http.post("/api/auth/refresh", json={"refresh_token": token})
                statuses.append(response.status_code)

        threads = [threading.Thread(target=attempt) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(statuses) == [200] + [401] * 7

    def test_the_session_has_an_absolute_lifetime(self, client: TestClient, app: FastAPI) -> None:
        first = dev_login(client)
        second = refresh(client, first["refresh_token"]).json()
        with app.state.db.session() as session:
            session.execute(update(UserSession).values(expires_at=utcnow() - timedelta(seconds=1)))
        assert refresh(client, second["refresh_token"]).status_code == 401
        assert me(client, second["access_token"]) == 401

    def test_rotation_keeps_the_original_expiry(self, client: TestClient, app: FastAPI) -> None:
        first = dev_login(client)
        refresh(client, refresh(client, first["refresh_token"]).json()["refresh_token"])
        with app.state.db.session(write=False) as session:
            expiries = set(session.scalars(select(UserSession.expires_at)))
        assert len(expiries) == 1

    def test_refresh_tokens_are_stored_hashed(self, client: TestClient, app: FastAPI) -> None:
        token = dev_login(client)["refresh_token"]
        with app.state.db.session(write=False) as session:
            stored = list(session.scalars(select(UserSession.refresh_token_hash)))
        assert token not in stored
        assert all(len(value) == 64 for value in stored)


class TestLogout:
    def test_with_the_access_token_ends_that_session_at_once(self, client: TestClient) -> None:
        laptop = dev_login(client)
        phone = dev_login(client)
        response = client.post(
            "/api/auth/logout", headers={"Authorization": f"Bearer {laptop['access_token']}"}
        )
        assert response.status_code == 204
        assert me(client, laptop["access_token"]) == 401
        assert refresh(client, laptop["refresh_token"]).status_code == 401
        # Another device stays signed in.
        assert me(client, phone["access_token"]) == 200
        assert refresh(client, phone["refresh_token"]).status_code == 200

    def test_with_the_refresh_token(self, client: TestClient) -> None:
        tokens = dev_login(client)
        response = client.post("/api/auth/logout", json={"refresh_token": tokens["refresh_token"]})
        assert response.status_code == 204
        assert me(client, tokens["access_token"]) == 401
        assert refresh(client, tokens["refresh_token"]).status_code == 401

    def test_with_nothing_is_401(self, client: TestClient) -> None:
        assert client.post("/api/auth/logout").status_code == 401
        bad = client.post("/api/auth/logout", headers={"Authorization": "Bearer nope"})
        assert bad.status_code == 401


def _count(app: FastAPI, model: Any, **where: str) -> int:
    with app.state.db.session(write=False) as session:
        query = select(func.count()).select_from(model)
        for column, value in where.items():
            query = query.where(getattr(model, column) == value)
        return session.scalar(query) or 0


class TestDeleteAccount:
    def test_deletes_the_user_their_sessions_and_all_their_data(
        self, alice: ApiUser, bob: ApiUser, app: FastAPI
    ) -> None:
        project = alice.project()
        alice.document(project["id"], "notes.md", "Minutes of the kick-off meeting")
        alice.thread(project["id"], initial_message="Hello")
        bobs = bob.project("Bob keeps his")
        with app.state.db.session() as session:
            session.add(AIUsage(user_id=alice.id, kind="reply", model="m", input_tokens=10))

        response = alice.delete("/api/me")

        assert response.status_code == 204
        assert alice.get("/api/me").status_code == 401
        assert _count(app, User, id=alice.id) == 0
        assert _count(app, UserSession, user_id=alice.id) == 0
        assert _count(app, Project, user_id=alice.id) == 0
        assert _count(app, Document, project_id=project["id"]) == 0
        assert _count(app, DocumentChunk, project_id=project["id"]) == 0
        assert _count(app, Thread, project_id=project["id"]) == 0
        assert _count(app, Message) == 0
        assert _count(app, AIUsage, user_id=alice.id) == 0
        assert bob.get(f"/api/projects/{bobs['id']}").status_code == 200

    def test_signing_in_again_starts_an_empty_account(self, alice: ApiUser) -> None:
        alice.project()
        alice.delete("/api/me")
        again = dev_login(alice.client, "alice@example.com")
        assert again["user"]["id"] != alice.id
        headers = {"Authorization": f"Bearer {again['access_token']}"}
        assert alice.client.get("/api/projects", headers=headers).json()["total"] == 0

    @pytest.mark.parametrize("header", [None, "Bearer nope"])
    def test_needs_a_valid_token(self, client: TestClient, header: str | None) -> None:
        headers = {"Authorization": header} if header else {}
        assert client.delete("/api/me", headers=headers).status_code == 401
