"""Our access tokens: short-lived HS256 JWTs. The algorithm is pinned on both sides."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import jwt

from ba_assistant.config import Settings
from ba_assistant.errors import Unauthorized
from ba_assistant.models.base import utcnow

ALGORITHM = "HS256"
AUDIENCE = "ba-assistant-api"
ACCESS = "access"
_REQUIRED = ["sub", "iss", "aud", "exp", "iat", "typ", "sid"]


def issue_access_token(settings: Settings, user_id: str, session_id: str) -> tuple[str, int]:
    """A signed access token for the user, and its lifetime in seconds."""
    lifetime = timedelta(minutes=settings.access_token_expiration_minutes)
    now = utcnow()
    claims: dict[str, Any] = {
        "sub": user_id,
        "iss": settings.resolved_public_url,
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + lifetime,
        "typ": ACCESS,
        "sid": session_id,
        "jti": uuid.uuid4().hex,
    }
    token = jwt.encode(claims, settings.secret("JWT_SECRET_KEY"), algorithm=ALGORITHM)
    return token, int(lifetime.total_seconds())


def verify_access_token(settings: Settings, token: str) -> dict[str, Any]:
    """The token's claims, or Unauthorized for anything forged, expired or of another kind."""
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            settings.secret("JWT_SECRET_KEY"),
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=settings.resolved_public_url,
            options={"require": _REQUIRED},
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("Your session has expired, please sign in again") from exc
    except jwt.PyJWTError as exc:
        raise Unauthorized("Invalid access token") from exc
    if claims.get("typ") != ACCESS:
        raise Unauthorized("Invalid access token")
    return claims
