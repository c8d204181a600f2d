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

**Sign-in binding.** ``POST /api/auth/oauth/{provider}`` sets a short-lived cookie, named after
the state so that two sign-ins in two tabs do not overwrite each other, whose hash is stored
with the state. The callback accepts the state only from the browser holding it, and the login
code it hands out works only with the same cookie. It is ``SameSite=Lax`` because the
provider's redirect back to us is a cross-site navigation.

Over HTTPS only the ``__Host-`` names are read: an unprefixed cookie planted by a sibling
subdomain or over plain HTTP is ignored.
"""

from __future__ import annotations

import hashlib
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


def _read(request: Request, settings: Settings, base: str) -> str | None:
    name, _ = _name_and_path(base, is_https(request, settings))
    return request.cookies.get(name)


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


def refresh_cookie(request: Request, settings: Settings) -> str | None:
    return _read(request, settings, REFRESH_COOKIE)


def _binding_base(state: str) -> str:
    return f"{BINDING_COOKIE}_{hashlib.sha256(state.encode()).hexdigest()[:12]}"


def set_binding_cookie(
    response: Response, request: Request, settings: Settings, state: str, binding: str
) -> None:
    secure = is_https(request, settings)
    name, path = _name_and_path(_binding_base(state), secure)
    response.set_cookie(
        name,
        binding,
        max_age=int(STATE_LIFETIME.total_seconds()),
        path=path,
        secure=secure,
        httponly=True,
        samesite="lax",
    )


def binding_cookie(request: Request, settings: Settings, state: str | None) -> str | None:
    """The binding cookie of the sign-in with this state."""
    return _read(request, settings, _binding_base(state)) if state else None


def binding_cookies(request: Request, settings: Settings) -> dict[str, str]:
    """Every sign-in binding this browser holds, by cookie name."""
    prefix, _ = _name_and_path(BINDING_COOKIE + "_", is_https(request, settings))
    return {name: value for name, value in request.cookies.items() if name.startswith(prefix)}


def clear_cookie(response: Response, request: Request, settings: Settings, name: str) -> None:
    secure = is_https(request, settings)
    path = "/" if secure else INSECURE_PATH
    response.delete_cookie(name, path=path, secure=secure, httponly=True, samesite="lax")


def clear_binding_cookie(
    response: Response, request: Request, settings: Settings, state: str | None
) -> None:
    if state:
        name, _ = _name_and_path(_binding_base(state), is_https(request, settings))
        clear_cookie(response, request, settings, name)


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
