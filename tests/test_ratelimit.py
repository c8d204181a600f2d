from __future__ import annotations

import logging
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.conftest import free_port, make_app, make_settings, sign_in


def _six_requests_on_two_workers(tmp_path: Path, redis_url: str | None) -> list[int]:
    """Three requests on each of two app instances (two workers), with a limit of five."""
    settings = make_settings(tmp_path, redis_url=redis_url, rate_limit_per_minute=5)
    first, second = make_app(settings), make_app(settings)
    with TestClient(first) as one, TestClient(second) as two:
        user_one = sign_in(one, "ann@example.com")
        user_two = sign_in(two, "ann@example.com")
        statuses = [user_one.get("/api/projects").status_code for _ in range(3)]
        statuses += [user_two.get("/api/projects").status_code for _ in range(3)]
    return statuses


class TestRedisStorage:
    def test_two_workers_share_one_budget(self, tmp_path: Path, redis_url: str) -> None:
        """With REDIS_URL, every worker counts against the same per-user window."""
        assert _six_requests_on_two_workers(tmp_path, redis_url) == [200] * 5 + [429]

    def test_without_redis_each_worker_counts_alone(self, tmp_path: Path) -> None:
        assert _six_requests_on_two_workers(tmp_path, None) == [200] * 6

    def test_an_unreachable_redis_serves_requests_and_warns(
        self, tmp_path: Path, caplog: pytest.LogCaptureFixture
    ) -> None:
        app = make_app(make_settings(tmp_path, redis_url=f"redis://127.0.0.1:{free_port()}/0"))
        with caplog.at_level(logging.WARNING), TestClient(app) as client:
            response = sign_in(client, "ann@example.com").get("/api/projects")
        assert response.status_code == 200
        events = [r.msg.get("event") for r in caplog.records if isinstance(r.msg, dict)]
        assert "rate_limit_storage_unavailable" in events
