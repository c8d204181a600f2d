"""Pure ASGI middleware: request context (id, logs, metrics, security headers) and body limits.

Pure ASGI rather than BaseHTTPMiddleware so that streamed responses stay streamed and the
request id context variable is visible everywhere the request runs.
"""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import structlog
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ba_assistant.config import host_name
from ba_assistant.errors import ValidationFailed, internal_error, render
from ba_assistant.observability import Metrics, reset_request_id, set_request_id

log = structlog.get_logger("ba_assistant.request")

_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "testserver"})

API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
APP_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
    "manifest-src 'self'; worker-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def _csp_for(path: str) -> str:
    if path.startswith("/api/docs"):
        return APP_CSP  # the API's documentation is a page like the app's, with its own assets
    if path.startswith("/api/") or path in ("/metrics", "/healthz", "/readyz"):
        return API_CSP
    return APP_CSP


# Probes may come from a load balancer that names the server by its address; they read nothing.
_ANY_HOST_PATHS = frozenset({"/healthz", "/readyz"})


class RequestContextMiddleware:
    """Outermost layer: every response, even a crash, gets an id, headers, a log line, metrics."""

    def __init__(self, app: ASGIApp, metrics: Metrics, host_names: frozenset[str]) -> None:
        self.app = app
        self.metrics = metrics
        self.host_names = host_names

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = Headers(scope=scope).get("x-request-id", "")
        request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        token = set_request_id(request_id)
        started = time.perf_counter()
        status = 500
        response_started = False
        path: str = scope["path"]
        host = host_name(Headers(scope=scope).get("host", ""))

        async def send_with_headers(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                headers = MutableHeaders(scope=message)
                headers["X-Request-ID"] = request_id
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("X-Frame-Options", "DENY")
                headers.setdefault("Referrer-Policy", "no-referrer")
                headers.setdefault("Content-Security-Policy", _csp_for(path))
                headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
                if path.startswith("/api/") and not path.startswith("/api/docs"):
                    headers.setdefault("Cache-Control", "no-store")
                if host not in _LOCAL_HOSTS:
                    headers.setdefault(
                        "Strict-Transport-Security", "max-age=63072000; includeSubDomains"
                    )
            await send(message)

        try:
            if host in self.host_names or path in _ANY_HOST_PATHS:
                await self.app(scope, receive, send_with_headers)
            else:
                await _unknown_host(host)(scope, receive, send_with_headers)
        except ClientDisconnect:
            # The client went away mid-request (closed the tab, lost the network): nothing
            # to answer and nothing broken. 499 is the conventional log status for it.
            status = 499
            log.info("client_disconnected", method=scope["method"], path=path)
        except Exception:
            log.exception("unhandled_error", method=scope["method"], path=path)
            if response_started:
                raise
            await internal_error()(scope, receive, send_with_headers)
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            self.metrics.requests.labels(scope["method"], template, str(status)).inc()
            self.metrics.latency.labels(scope["method"], template, str(status)).observe(elapsed)
            if status >= 400:
                self.metrics.errors.labels(template, str(status)).inc()
            user_id = (scope.get("state") or {}).get("user_id")
            log.info(
                "request",
                method=scope["method"],
                route=template,
                status=status,
                duration_ms=round(elapsed * 1000, 1),
                user_id=user_id,
            )
            reset_request_id(token)


def _unknown_host(host: str) -> Response:
    """A page reached under another name (DNS rebinding, a misrouted proxy) reads nothing."""
    log.warning("unknown_host", host=host[:100])
    return render(
        ValidationFailed(
            f"This server does not answer to the host name '{host[:100]}'. If that is its "
            "address, set PUBLIC_URL to it or add it to ALLOWED_HOSTS.",
            details={"host": "Not one of this server's names"},
        )
    )


class BodyTooLarge(HTTPException):
    def __init__(self, limit: BodyLimit) -> None:
        shown = limit.stated or limit.wire
        what = "document" if limit.stated else "request body"
        super().__init__(
            413, detail=f"The {what} is larger than the {shown / (1024 * 1024):g} MB limit"
        )
        self.limit = limit


@dataclass(frozen=True)
class BodyLimit:
    """``wire``: bytes the body may have; ``stated``: the limit to tell the person, if different
    (an upload's multipart framing is allowed for, but the person knows the document limit)."""

    wire: int
    stated: int | None = None


class BodyStalled(HTTPException):
    def __init__(self, timeout: float) -> None:
        super().__init__(
            408,
            detail=f"The request body stopped arriving for {timeout:g} seconds, so the "
            "connection was closed. Check the network and send it again.",
            headers={"Connection": "close"},
        )


class BodyLimitMiddleware:
    """Refuses bodies over a per-request limit while they are read, whatever Content-Length says,
    and bodies that stall.

    The limit is decided from the path and content type (``limit_for``); a request that
    declares too large a Content-Length gets 413 before any body byte is read. A body whose
    next part does not arrive within ``read_timeout`` seconds gets 408, and the connection is
    closed (a slow upload that keeps moving is fine).
    """

    def __init__(
        self,
        app: ASGIApp,
        limit_for: Callable[[str, str, str], BodyLimit],
        read_timeout: float,
    ) -> None:
        self.app = app
        self.limit_for = limit_for
        self.read_timeout = read_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        limit = self.limit_for(scope["method"], scope["path"], headers.get("content-type", ""))
        declared = headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit.wire:
            from ba_assistant.errors import http_error_handler

            response = await http_error_handler(None, BodyTooLarge(limit))  # type: ignore[arg-type]
            await response(scope, receive, send)
            return
        received = 0
        complete = False

        async def receive_with_limit() -> Message:
            nonlocal received, complete
            if complete:  # after the body, receive() only waits for a disconnect
                return await receive()
            try:
                message = await asyncio.wait_for(receive(), self.read_timeout)
            except TimeoutError:
                log.info("request_body_stalled", path=scope["path"], received=received)
                raise BodyStalled(self.read_timeout) from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit.wire:
                    raise BodyTooLarge(limit)
                complete = not message.get("more_body", False)
            return message

        await self.app(scope, receive_with_limit, send)
