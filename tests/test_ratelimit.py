from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from tests.conftest import make_app, make_settings, sign_in


class TestRedisStorage:
    def test_two_workers_share_one_budget(self, tmp_path: Path, redis_url: str) -> None:
        """With REDIS_URL, every worker counts against the same per-user window."""
        settings = make_settings(tmp_path, redis_url=redis_url, rate_limit_per_minute=5)
        first, second = make_app(settings), make_app(settings)
        with TestClient(first) as one, TestClient(second) as two:
            user_one = sign_in(one, "ann@example.com")
            user_two = sign_in(two, "ann@example.com")
            statuses = [user_one.get("/api/projects").status_code for _ in range(3)]
            statuses += [user_two.get("/api/projects").status_code for _ in range(3)]
        assert statuses == [200] * 5 + [429]

    def test_without_redis_each_worker_counts_alone(self, tmp_path: Path) -> None:
        settings = make_settings(tmp_path, rate_limit_per_minute=5)
        first, second = make_app(settings), make_app(settings)
        with TestClient(first) as one, TestClient(second) as two:
            user_one = sign_in(one, "ann@example.com")
            user_two = sign_in(two, "ann@example.com")
            statuses = [user_one.get("/api/projects").status_code for _ in range(3)]
            statuses += [user_two.get("/api/projects").status_code for _ in range(3)]
        assert statuses == [200] * 6
