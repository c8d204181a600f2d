from __future__ import annotations

import base64
import json
from datetime import timedelta

import jwt
import pytest
from fastapi.testclient import TestClient

from ba_assistant.auth.tokens import AUDIENCE
from ba_assistant.config import Settings
from ba_assistant.models.base import utcnow
from tests.conftest import ApiUser


def _sid(user: ApiUser) -> str:
    sid: str = jwt.decode(user.token, options={"verify_signature": False})["sid"]
    return sid


def _claims(settings: Settings, user: ApiUser, **changes: object) -> dict[str, object]:
    now = utcnow()
    claims: dict[str, object] = {
        "sub": user.id,
        "sid": _sid(user),
        "iss": settings.resolved_public_url,
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + timedelta(minutes=5),
        "typ": "access",
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def _sign(claims: dict[str, object], key: str, algorithm: str = "HS256") -> str:
    return jwt.encode(claims, key, algorithm=algorithm)


def _unsigned(claims: dict[str, object]) -> str:
    def part(data: dict[str, object]) -> str:
        raw = json.dumps(data, default=lambda d: int(d.timestamp())).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


class TestCurrentUser:
    def test_a_valid_token_is_accepted(self, alice: ApiUser, settings: Settings) -> None:
        token = _sign(_claims(settings, alice), settings.secret("JWT_SECRET_KEY"))
        response = alice.client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200

    @pytest.mark.parametrize(
        "case",
        [
            "expired",
            "wrong_key",
            "wrong_audience",
            "wrong_issuer",
            "wrong_type",
            "missing_exp",
            "alg_none",
            "hs512",
            "garbage",
            "unknown_user",
            "missing_sid",
            "unknown_sid",
            "tampered",
        ],
    )
    def test_rejects_bad_tokens_with_401(
        self, client: TestClient, alice: ApiUser, settings: Settings, case: str
    ) -> None:
        key = settings.secret("JWT_SECRET_KEY")
        past = utcnow() - timedelta(hours=1)
        tokens = {
            "expired": lambda: _sign(_claims(settings, alice, exp=past, iat=past), key),
            "wrong_key": lambda: _sign(_claims(settings, alice), "x" * 64),
            "wrong_audience": lambda: _sign(_claims(settings, alice, aud="other"), key),
            "wrong_issuer": lambda: _sign(_claims(settings, alice, iss="https://evil"), key),
            "wrong_type": lambda: _sign(_claims(settings, alice, typ="refresh"), key),
            "missing_exp": lambda: _sign(_claims(settings, alice, exp=None), key),
            "alg_none": lambda: _unsigned(_claims(settings, alice)),
            "hs512": lambda: _sign(_claims(settings, alice), key, "HS512"),
            "garbage": lambda: "not.a.token",
            "unknown_user": lambda: _sign(
                _claims(settings, alice, sub="00000000-0000-4000-8000-000000000000"), key
            ),
            "missing_sid": lambda: _sign(_claims(settings, alice, sid=None), key),
            "unknown_sid": lambda: _sign(
                _claims(settings, alice, sid="00000000-0000-4000-8000-000000000000"), key
            ),
            "tampered": lambda: (
                alice.token[:-4] + ("AAAA" if alice.token[-4:] != "AAAA" else "BBBB")
            ),
        }
        response = client.get("/api/me", headers={"Authorization": f"Bearer {tokens[case]()}"})
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"] == "Bearer"
        body = response.json()
        assert body["error"] == "unauthorized"
        assert "Traceback" not in response.text

    def test_a_refresh_token_is_not_an_access_token(self, client: TestClient) -> None:
        tokens = client.post(
            "/api/auth/dev-login", json={"email": "ann@example.com", "name": "Ann"}
        ).json()
        bearer = {"Authorization": f"Bearer {tokens['refresh_token']}"}
        assert client.get("/api/me", headers=bearer).status_code == 401

    def test_an_expired_token_says_so(
        self, client: TestClient, alice: ApiUser, settings: Settings
    ) -> None:
        past = utcnow() - timedelta(hours=1)
        token = _sign(
            _claims(settings, alice, exp=past, iat=past), settings.secret("JWT_SECRET_KEY")
        )
        response = client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
        assert "expired" in response.json()["message"]

    def test_other_schemes_are_refused(self, client: TestClient, alice: ApiUser) -> None:
        response = client.get("/api/me", headers={"Authorization": f"Basic {alice.token}"})
        assert response.status_code == 401
