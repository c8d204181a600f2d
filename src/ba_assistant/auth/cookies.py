"""Cookies of the web app's sign-in.

**Web cookie mode.** A browser client sends ``X-Token-Delivery: cookie`` on
``/api/auth/token``, ``/api/auth/dev-login`` and ``/api/auth/refresh``: the refresh token is then
set as an ``HttpOnly``, ``SameSite=Strict`` cookie and left out of the response body, so no script
can read it. Over HTTPS the cookie is ``__Host-ba_refresh`` with ``Secure`` and ``Path=/`` (the
``__Host-`` prefix requires ``Path=/``, and it guarantees that no sibling subdomain can plant or
overwrite the cookie, which matters more than a narrower path); over plain HTTP (local
development) it is ``ba_refresh`` with ``Path=/api/auth``.

Refresh and logout by cookie need the same header (a custom header cannot be sent cross-site
without CORS allowing it) and an ``Origin`` of this server, else 403.

**Sign-in binding.** ``POST /api/auth/oauth/{provider}`` sets a short-lived cookie whose hash is
stored with the state; the callback accepts the state only from the browser holding it. It is
``SameSite=Lax`` because the provider's redirect back to us is a cross-site navigation.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import Request, Response

from ba_assistant.auth.flow import STATE_LIFETIME
from ba_assistant.config import Settings
from ba_assistant.errors import Forbidden
from ba_assistant.models.base import utcnow

TOKEN_DELIVERY_HEADER = "X-Token-Delivery"  # noqa: S105 - a header name
COOKIE_DELIVERY = "cookie"
REFRESH_COOKIE = "ba_refresh"
BINDING_COOKIE = "ba_signin"
HOST_PREFIX = "__Host-"
INSECURE_PATH = "/api/auth"


def is_https(request: Request, settings: Settings) -> bool:
    return request.url.scheme == "https" or settings.resolved_public_url.startswith("https://")


def wants_cookie(request: Request) -> bool:
    return request.headers.get(TOKEN_DELIVERY_HEADER, "").strip().lower() == COOKIE_DELIVERY


def _name_and_path(base: str, secure: bool) -> tuple[str, str]:
    return (HOST_PREFIX + base, "/") if secure else (base, INSECURE_PATH)


def _read(request: Request, base: str) -> str | None:
    return request.cookies.get(HOST_PREFIX + base) or request.cookies.get(base)


def set_refresh_cookie(
    response: Response, request: Request, settings: Settings, token: str, expires_at: datetime
) -> None:
    secure = is_https(request, settings)
    name, path = _name_and_path(REFRESH_COOKIE, secure)
    response.set_cookie(
        name,
        token,
        max_age=max(0, int((expires_at - utcnow()).total_seconds())),
        path=path,
        secure=secure,
        httponly=True,
        samesite="strict",
    )


def clear_refresh_cookie(response: Response, request: Request, settings: Settings) -> None:
    secure = is_https(request, settings)
    name, path = _name_and_path(REFRESH_COOKIE, secure)
    response.delete_cookie(name, path=path, secure=secure, httponly=True, samesite="strict")


def refresh_cookie(request: Request) -> str | None:
    return _read(request, REFRESH_COOKIE)


def set_binding_cookie(
    response: Response, request: Request, settings: Settings, binding: str
) -> None:
    secure = is_https(request, settings)
    name, path = _name_and_path(BINDING_COOKIE, secure)
    response.set_cookie(
        name,
        binding,
        max_age=int(STATE_LIFETIME.total_seconds()),
        path=path,
        secure=secure,
        httponly=True,
        samesite="lax",
    )


def clear_binding_cookie(response: Response, request: Request, settings: Settings) -> None:
    secure = is_https(request, settings)
    name, path = _name_and_path(BINDING_COOKIE, secure)
    response.delete_cookie(name, path=path, secure=secure, httponly=True, samesite="lax")


def binding_cookie(request: Request) -> str | None:
    return _read(request, BINDING_COOKIE)


def require_same_origin(request: Request, settings: Settings) -> None:
    """Cookie-authenticated refresh and logout: only from this app's own pages."""
    if not wants_cookie(request):
        raise Forbidden(
            f"Signing in again by cookie needs the {TOKEN_DELIVERY_HEADER}: cookie header"
        )
    origin = (request.headers.get("origin") or "").rstrip("/")
    own = {str(request.base_url).rstrip("/"), _origin(settings.resolved_public_url)}
    if origin not in own:
        raise Forbidden("Signing in again by cookie is only possible from this app's own pages")


def _origin(url: str) -> str:
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}"
