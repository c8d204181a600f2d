from __future__ import annotations

from pathlib import Path

import jwt
from fastapi.testclient import TestClient

from ba_assistant.auth.tokens import AUDIENCE
from tests.conftest import ApiUser, make_app, make_settings, sign_in


class TestDevLogin:
    def test_returns_a_bearer_token_and_the_user(self, client: TestClient) -> None:
        response = client.post(
            "/api/auth/dev-login", json={"email": "Ann@Example.com", "name": "  Ann  Lee "}
        )
        assert response.status_code == 200
        body = response.json()
        assert body["token_type"] == "bearer"
        assert body["expires_in"] == 15 * 60
        assert body["user"]["email"] == "Ann@example.com"  # the domain is case-insensitive
        assert body["user"]["name"] == "Ann Lee"
        assert body["user"]["created_at"].endswith("Z")

    def test_the_token_carries_the_required_claims(self, client: TestClient) -> None:
        body = client.post(
            "/api/auth/dev-login", json={"email": "ann@example.com", "name": "Ann"}
        ).json()
        header = jwt.get_unverified_header(body["access_token"])
        claims = jwt.decode(body["access_token"], options={"verify_signature": False})
        assert header["alg"] == "HS256"
        assert {"sub", "iss", "aud", "exp", "iat", "typ"} <= set(claims)
        assert claims["sub"] == body["user"]["id"]
        assert claims["aud"] == AUDIENCE
        assert claims["typ"] == "access"
        assert claims["exp"] - claims["iat"] == 15 * 60

    def test_the_same_email_signs_in_to_the_same_account(self, client: TestClient) -> None:
        first = sign_in(client, "ann@example.com", "Ann")
        again = sign_in(client, "ANN@example.com", "Ann Lee")
        assert again.id == first.id
        assert again.get("/api/me").json()["name"] == "Ann Lee"

    def test_bad_input_lists_the_fields(self, client: TestClient) -> None:
        response = client.post("/api/auth/dev-login", json={"email": "not-an-email", "name": ""})
        assert response.status_code == 400
        body = response.json()
        assert body["error"] == "validation_error"
        assert set(body["details"]) == {"email", "name"}

    def test_malformed_json_is_a_validation_error(self, client: TestClient) -> None:
        response = client.post(
            "/api/auth/dev-login",
            content=b"{not json",
            headers={"Content-Type": "application/json"},
        )
        assert response.status_code == 400
        assert response.json()["error"] == "validation_error"

    def test_is_not_found_when_disabled(self, tmp_path: Path) -> None:
        app = make_app(make_settings(tmp_path, auth_dev_login=False))
        with TestClient(app) as client:
            response = client.post(
                "/api/auth/dev-login", json={"email": "ann@example.com", "name": "Ann"}
            )
        assert response.status_code == 404
        assert response.json()["error"] == "not_found"


class TestMe:
    def test_returns_the_signed_in_user(self, alice: ApiUser) -> None:
        response = alice.get("/api/me")
        assert response.status_code == 200
        assert response.json()["id"] == alice.id
        assert response.json()["email"] == "alice@example.com"

    def test_without_a_token_is_401_with_www_authenticate(self, client: TestClient) -> None:
        response = client.get("/api/me")
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"] == "Bearer"
        assert response.json()["error"] == "unauthorized"
