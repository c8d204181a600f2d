"""Request rate limits (per user, and per IP on unauthenticated routes) with ``limits``.

Memory storage in one process; Redis storage when REDIS_URL is set, so that every worker and
instance counts against the same window. If Redis cannot be reached, requests are served
unlimited (and a warning is logged) rather than refused.
"""

from __future__ import annotations

import math
import time

import structlog
from limits import RateLimitItemPerMinute
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter, SlidingWindowCounterRateLimiter

from ba_assistant.config import Settings
from ba_assistant.errors import RateLimited

log = structlog.get_logger(__name__)


class RateLimiter:
    def __init__(self, settings: Settings) -> None:
        if settings.redis_url:
            storage = storage_from_string(settings.redis_url)
            self._strategy: MovingWindowRateLimiter | SlidingWindowCounterRateLimiter = (
                SlidingWindowCounterRateLimiter(storage)
            )
        else:
            self._strategy = MovingWindowRateLimiter(storage_from_string("memory://"))
        self.per_user = RateLimitItemPerMinute(settings.rate_limit_per_minute)
        self.per_ip_unauthenticated = RateLimitItemPerMinute(settings.auth_rate_limit_per_minute)

    def check_user(self, user_id: str) -> None:
        self._hit(self.per_user, "user", user_id)

    def check_ip(self, ip: str) -> None:
        self._hit(self.per_ip_unauthenticated, "ip", ip)

    def _hit(self, item: RateLimitItemPerMinute, *identifiers: str) -> None:
        try:
            allowed = self._strategy.hit(item, *identifiers)
        except Exception as exc:  # storage down: serve people rather than fail every request
            log.warning("rate_limit_storage_unavailable", error=type(exc).__name__)
            return
        if allowed:
            return
        stats = self._strategy.get_window_stats(item, *identifiers)
        retry_after = max(1, math.ceil(stats.reset_time - time.time()))
        raise RateLimited(retry_after)
