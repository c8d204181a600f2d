"""How uvicorn serves the app: which proxies are trusted, and how long a client may dawdle.

``ba-assistant serve`` and the tests' live server both build their uvicorn configuration
here, so that what the tests exercise is what runs.

- Forwarded headers (``X-Forwarded-For``, ``X-Forwarded-Proto``) are believed only from the
  peers in ``FORWARDED_ALLOW_IPS``; by default from none, so a client cannot pick the address
  the per-IP limits count against.
- A connection has ``HEADER_READ_TIMEOUT_SECONDS`` to send a request's headers; one that
  trickles them (slowloris) gets 408 and is closed. A stalled body is the middleware's job
  (``middleware.BodyLimitMiddleware``), where the request already has an id.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from ba_assistant.config import Settings

GRACEFUL_SHUTDOWN_SECONDS = 10
KEEP_ALIVE_SECONDS = 5


class ServerConfig(uvicorn.Config):
    """uvicorn's configuration, with the deadline for a request's headers."""

    def __init__(self, app: Any, *, header_read_timeout_seconds: float, **options: Any) -> None:
        super().__init__(app, **options)
        self.header_read_timeout_seconds = header_read_timeout_seconds


def server_config(app: Any, settings: Settings, **options: Any) -> ServerConfig:
    """How to serve ``app`` (an ASGI app, or an import string with ``factory=True``); the
    caller adds the host and port."""
    trusted = ",".join(settings.forwarded_allow_ips)
    return ServerConfig(
        app,
        header_read_timeout_seconds=settings.header_read_timeout_seconds,
        proxy_headers=bool(trusted),
        # With None, uvicorn would read FORWARDED_ALLOW_IPS itself and default to loopback.
        forwarded_allow_ips=trusted or "",
        http=HeaderTimeoutProtocol,
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        log_config=None,
        access_log=False,
        **options,
    )


class HeaderTimeoutProtocol(HttpToolsProtocol):
    """uvicorn's HTTP/1.1 protocol, with a deadline for each request's headers.

    The clock starts when the connection opens, or on a kept-alive connection with the next
    request's first byte (between requests uvicorn's keep-alive timeout applies).
    """

    _headers_deadline: asyncio.TimerHandle | None = None

    @property
    def _header_timeout(self) -> float:
        timeout: float = getattr(self.config, "header_read_timeout_seconds", 10.0)
        return timeout

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_headers_deadline()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._headers_deadline is None:
            self._arm_headers_deadline()

    def on_headers_complete(self) -> None:
        self._disarm_headers_deadline()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_headers_deadline()
        super().connection_lost(exc)

    def _arm_headers_deadline(self) -> None:
        self._disarm_headers_deadline()
        self._headers_deadline = self.loop.call_later(self._header_timeout, self._headers_late)

    def _disarm_headers_deadline(self) -> None:
        if self._headers_deadline is not None:
            self._headers_deadline.cancel()
            self._headers_deadline = None

    def _headers_late(self) -> None:
        self._headers_deadline = None
        if self.transport.is_closing():
            return
        timeout = self._header_timeout
        body = json.dumps(
            {
                "error": "request_timeout",
                "message": (
                    f"The request's headers did not arrive within {timeout:g} seconds, so the "
                    "connection was closed. Check the network and try again."
                ),
                "details": {"timeout_seconds": timeout},
                "request_id": uuid.uuid4().hex,
            }
        ).encode()
        self.transport.write(
            b"HTTP/1.1 408 Request Timeout\r\n"
            b"content-type: application/json\r\n"
            b"content-length: " + str(len(body)).encode() + b"\r\n"
            b"connection: close\r\n\r\n" + body
        )
        self.transport.close()
