"""Web cookie mode: the refresh token lives in an HttpOnly cookie the page's scripts cannot
read, and refresh or logout by cookie needs the custom header and this server's Origin."""

from __future__ import annotations

import re
import time
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from ba_assistant.auth.service import REUSE_GRACE

COOKIE_MODE = {"X-Token-Delivery": "cookie"}
SAME_ORIGIN = {**COOKIE_MODE, "Origin": "http://testserver"}


def sign_in(client: TestClient) -> httpx.Response:
    response = client.post(
        "/api/auth/dev-login",
        json={"email": "ann@example.com", "name": "Ann"},
        headers=COOKIE_MODE,
    )
    assert response.status_code == 200, response.text
    return response


def refresh_cookie(client: TestClient) -> str | None:
    for cookie in client.cookies.jar:
        if cookie.name.endswith("ba_refresh"):
            return cookie.value
    return None


def me(client: TestClient, body: dict[str, Any]) -> int:
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    return client.get("/api/me", headers=headers).status_code


class TestSignIn:
    def test_the_refresh_token_is_an_httponly_strict_cookie_not_in_the_body(
        self, client: TestClient
    ) -> None:
        response = sign_in(client)
        body = response.json()
        assert "refresh_token" not in body
        assert me(client, body) == 200
        cookie = response.headers["set-cookie"]
        assert cookie.startswith("ba_refresh=")
        for attribute in ("HttpOnly", "Path=/api/auth", "SameSite=strict"):
            assert attribute in cookie
        max_age = re.search(r"Max-Age=(\d+)", cookie)
        assert max_age is not None
        assert 30 * 86400 - 60 < int(max_age.group(1)) <= 30 * 86400  # the session's lifetime
        assert "Secure" not in cookie  # plain HTTP in development

    def test_over_https_the_cookie_is_host_prefixed_and_secure(self, app: FastAPI) -> None:
        with TestClient(app, base_url="https://testserver") as client:
            cookie = sign_in(client).headers["set-cookie"]
            assert cookie.startswith("__Host-ba_refresh=")
            assert "Secure" in cookie and "Path=/;" in cookie and "HttpOnly" in cookie
            refreshed = client.post(
                "/api/auth/refresh", headers={**COOKIE_MODE, "Origin": "https://testserver"}
            )
            assert refreshed.status_code == 200
            assert refreshed.headers["set-cookie"].startswith("__Host-ba_refresh=")

    def test_over_https_an_unprefixed_planted_cookie_is_ignored(self, app: FastAPI) -> None:
        with TestClient(app, base_url="https://testserver") as client:
            planted = client.post(
                "/api/auth/dev-login", json={"email": "mallory@example.com", "name": "M"}
            ).json()["refresh_token"]
            client.cookies.set("ba_refresh", planted)
            response = client.post(
                "/api/auth/refresh", headers={**COOKIE_MODE, "Origin": "https://testserver"}
            )
            assert response.status_code == 401

    def test_without_the_header_the_body_carries_the_token_and_no_cookie_is_set(
        self, client: TestClient
    ) -> None:
        response = client.post(
            "/api/auth/dev-login", json={"email": "ann@example.com", "name": "Ann"}
        )
        assert "refresh_token" in response.json()
        assert "set-cookie" not in response.headers


class TestRefreshByCookie:
    def test_rotates_the_cookie(self, client: TestClient) -> None:
        sign_in(client)
        first = refresh_cookie(client)
        response = client.post("/api/auth/refresh", headers=SAME_ORIGIN)
        assert response.status_code == 200, response.text
        assert "refresh_token" not in response.json()
        assert me(client, response.json()) == 200
        # A page opened afresh learns who is signed in from the same answer.
        assert response.json()["user"]["email"] == "ann@example.com"
        second = refresh_cookie(client)
        assert second is not None and second != first

    @pytest.mark.parametrize(
        "headers",
        [
            {"Origin": "http://testserver"},  # no custom header: a plain cross-site form
            {**COOKIE_MODE, "Origin": "https://evil.example"},
            {**COOKIE_MODE, "Origin": "http://testserver.evil.example"},
            COOKIE_MODE,  # no Origin at all
        ],
        ids=["no-header", "other-origin", "lookalike-origin", "no-origin"],
    )
    def test_without_the_header_and_our_origin_is_403_and_changes_nothing(
        self, client: TestClient, headers: dict[str, str]
    ) -> None:
        sign_in(client)
        before = refresh_cookie(client)
        response = client.post("/api/auth/refresh", headers=headers)
        assert response.status_code == 403
        assert response.json()["error"] == "forbidden"
        assert refresh_cookie(client) == before
        # The session was not touched: the real app can still refresh.
        assert client.post("/api/auth/refresh", headers=SAME_ORIGIN).status_code == 200

    def test_without_a_cookie_is_401(self, client: TestClient) -> None:
        response = client.post("/api/auth/refresh", headers=SAME_ORIGIN)
        assert response.status_code == 401

    def test_a_copied_cookie_reused_ends_the_session_and_clears_the_cookie(
        self, client: TestClient, app: FastAPI
    ) -> None:
        sign_in(client)
        stolen = refresh_cookie(client)
        assert client.post("/api/auth/refresh", headers=SAME_ORIGIN).status_code == 200
        with TestClient(app) as thief:
            thief.cookies.set("ba_refresh", stolen or "")
            time.sleep(REUSE_GRACE.total_seconds() + 0.2)
            response = thief.post("/api/auth/refresh", headers=SAME_ORIGIN)
            assert response.status_code == 401
            assert 'ba_refresh=""' in response.headers["set-cookie"]
        # The rightful browser's newer cookie died with the session.
        assert client.post("/api/auth/refresh", headers=SAME_ORIGIN).status_code == 401


class TestLogoutByCookie:
    def test_ends_the_session_and_clears_the_cookie(self, client: TestClient) -> None:
        body = sign_in(client).json()
        response = client.post("/api/auth/logout", headers=SAME_ORIGIN)
        assert response.status_code == 204
        assert 'ba_refresh=""' in response.headers["set-cookie"]
        assert me(client, body) == 401
        assert client.post("/api/auth/refresh", headers=SAME_ORIGIN).status_code == 401

    def test_without_the_header_is_403_and_the_session_lives(self, client: TestClient) -> None:
        body = sign_in(client).json()
        response = client.post("/api/auth/logout", headers={"Origin": "http://testserver"})
        assert response.status_code == 403
        assert me(client, body) == 200
