"""Structured logs with the request id, and Prometheus metrics."""

from __future__ import annotations

import logging
import sys
from contextvars import ContextVar
from typing import Any

import structlog
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)

# Keys whose values must never reach a log line, whatever the caller passed.
_REDACTED_KEYS = frozenset(
    {"password", "token", "access_token", "refresh_token", "authorization", "secret", "code"}
)


def current_request_id() -> str | None:
    return _request_id.get()


def set_request_id(value: str | None) -> Any:
    return _request_id.set(value)


def reset_request_id(token: Any) -> None:
    _request_id.reset(token)


def _add_request_id(_: Any, __: str, event: dict[str, Any]) -> dict[str, Any]:
    request_id = _request_id.get()
    if request_id and "request_id" not in event:
        event["request_id"] = request_id
    return event


def _redact(_: Any, __: str, event: dict[str, Any]) -> dict[str, Any]:
    for key in list(event):
        if key.lower() in _REDACTED_KEYS:
            event[key] = "[redacted]"
    return event


def configure_logging(level: str = "INFO") -> None:
    """JSON lines on stderr, for our own events and for the libraries' standard logging."""
    numeric = logging.getLevelName(level.upper())
    if not isinstance(numeric, int):
        numeric = logging.INFO
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _add_request_id,
        _redact,
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    handler.set_name("ba_assistant")
    root = logging.getLogger()
    # Replace our own handler (create_app may run more than once) and keep anyone else's.
    root.handlers = [h for h in root.handlers if h.get_name() != "ba_assistant"] + [handler]
    root.setLevel(numeric)
    # uvicorn's access log repeats ours without the request id; ours has the route and user.
    logging.getLogger("uvicorn.access").disabled = True
    # Chatty at INFO and never about our requests.
    for name in ("alembic.runtime.migration", "httpx", "httpx2", "httpcore"):
        logging.getLogger(name).setLevel(max(numeric, logging.WARNING))
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers = []
        logging.getLogger(name).propagate = True


class Metrics:
    """The app's Prometheus registry: one per app, so tests and workers never collide."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "http_requests_total",
            "HTTP requests by method, route template and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "http_request_duration_seconds",
            "HTTP request latency by method, route template and status.",
            ["method", "route", "status"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )
        self.errors = Counter(
            "http_errors_total",
            "Responses with status >= 400, by route template and error status.",
            ["route", "status"],
            registry=self.registry,
        )
        self.replies = Counter(
            "ai_replies_total",
            "AI replies by outcome (complete, error, cancelled, interrupted) and model.",
            ["outcome", "model"],
            registry=self.registry,
        )
        self.first_chunk = Histogram(
            "ai_time_to_first_chunk_seconds",
            "From the start of a reply's run to its first chunk of text, by model.",
            ["model"],
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30),
            registry=self.registry,
        )
        self.tokens = Counter(
            "ai_tokens_total",
            "Tokens used by AI replies, by model and kind (input, output, cache_read, "
            "cache_write).",
            ["model", "kind"],
            registry=self.registry,
        )
        self.cost = Counter(
            "ai_cost_usd_total",
            "Cost of AI replies in US dollars, by model.",
            ["model"],
            registry=self.registry,
        )
        self.tool_calls = Counter(
            "ai_tool_calls_total",
            "Tool calls made by the AI, by tool.",
            ["tool"],
            registry=self.registry,
        )

    def add_collector(self, collector: Collector) -> None:
        self.registry.register(collector)


class PoolCollector(Collector):
    """Reads the database connection pool at scrape time."""

    def __init__(self, pool: Any) -> None:
        self.pool = pool

    def collect(self) -> Any:
        gauge = GaugeMetricFamily(
            "db_pool_connections", "Database pool connections.", labels=["state"]
        )
        for state, reader in (
            ("size", "size"),
            ("checked_in", "checkedin"),
            ("checked_out", "checkedout"),
            ("overflow", "overflow"),
        ):
            method = getattr(self.pool, reader, None)
            if callable(method):
                gauge.add_metric([state], float(method()))
        yield gauge
