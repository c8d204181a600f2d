"""What every response shares: error bodies, request ids, headers, compression, limits."""

from __future__ import annotations

import gzip
import logging
import socket
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.conftest import ApiUser, LiveServer, make_app, make_settings, sign_in


class TestErrorBody:
    def test_unknown_route_is_404_in_our_shape(self, client: TestClient) -> None:
        response = client.get("/api/nothing-here")
        assert response.status_code == 404
        body = response.json()
        assert set(body) == {"error", "message", "details", "request_id"}
        assert body["error"] == "not_found"
        assert body["request_id"] == response.headers["X-Request-ID"]

    def test_wrong_method_is_405_in_our_shape(self, alice: ApiUser) -> None:
        response = alice.request("PUT", "/api/projects")
        assert response.status_code == 405
        assert response.json()["error"] == "method_not_allowed"

    def test_a_crash_is_a_500_without_internals(self, tmp_path: Path) -> None:
        app = make_app(make_settings(tmp_path))

        @app.get("/api/boom")
        def boom() -> None:
            raise RuntimeError("secret internal detail /etc/passwd")

        with TestClient(app, raise_server_exceptions=False) as client:
            response = client.get("/api/boom")
        assert response.status_code == 500
        body = response.json()
        assert body["error"] == "internal_error"
        assert body["message"] == "An unexpected error occurred"
        assert body["request_id"] == response.headers["X-Request-ID"]
        assert "secret internal detail" not in response.text
        assert "Traceback" not in response.text
        assert response.headers["X-Content-Type-Options"] == "nosniff"


class TestRequestId:
    def test_every_response_has_one(self, client: TestClient) -> None:
        first = client.get("/healthz").headers["X-Request-ID"]
        second = client.get("/healthz").headers["X-Request-ID"]
        assert first and second and first != second

    def test_a_safe_incoming_id_is_kept(self, client: TestClient) -> None:
        response = client.get("/healthz", headers={"X-Request-ID": "trace-123"})
        assert response.headers["X-Request-ID"] == "trace-123"

    def test_an_unsafe_incoming_id_is_replaced(self, client: TestClient) -> None:
        response = client.get("/healthz", headers={"X-Request-ID": "bad id\twith <html>"})
        assert response.headers["X-Request-ID"] != "bad id\twith <html>"
        assert len(response.headers["X-Request-ID"]) == 32

    def test_appears_in_the_log_line(
        self, client: TestClient, caplog: pytest.LogCaptureFixture
    ) -> None:
        with caplog.at_level(logging.INFO, logger="ba_assistant.request"):
            client.get("/healthz", headers={"X-Request-ID": "find-me-in-logs"})
        events = [r.msg for r in caplog.records if isinstance(r.msg, dict)]
        request_lines = [e for e in events if e.get("request_id") == "find-me-in-logs"]
        assert request_lines
        assert request_lines[-1]["route"] == "/healthz"
        assert request_lines[-1]["status"] == 200
        assert request_lines[-1]["event"] == "request"


class TestSecurityHeaders:
    def test_api_responses(self, alice: ApiUser) -> None:
        headers = alice.get("/api/projects").headers
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Referrer-Policy"] == "no-referrer"
        assert "default-src 'none'" in headers["Content-Security-Policy"]
        assert headers["Cache-Control"] == "no-store"
        assert "Strict-Transport-Security" not in headers  # localhost

    def test_hsts_when_not_on_localhost(self, client: TestClient) -> None:
        response = client.get("/healthz", headers={"Host": "ba.example.com"})
        assert "max-age=" in response.headers["Strict-Transport-Security"]

    def test_the_web_app_gets_a_strict_csp(self, client: TestClient) -> None:
        csp = client.get("/").headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp
        assert "img-src 'self' data:" in csp
        assert "frame-ancestors 'none'" in csp


class TestCompression:
    def test_large_json_is_gzipped(self, alice: ApiUser) -> None:
        for index in range(30):
            alice.project(f"Project number {index}", description="d" * 50)
        response = alice.get("/api/projects", headers={"Accept-Encoding": "gzip"})
        assert response.headers["Content-Encoding"] == "gzip"
        assert len(response.json()["projects"]) == 30

    def test_small_json_is_not(self, alice: ApiUser) -> None:
        response = alice.get("/api/me", headers={"Accept-Encoding": "gzip"})
        assert "Content-Encoding" not in response.headers
        assert gzip  # the module is what a client would use to read the large one


class TestCors:
    def test_allowed_origin(self, tmp_path: Path) -> None:
        app = make_app(make_settings(tmp_path, cors_origins="https://app.example.com"))
        with TestClient(app) as client:
            response = client.options(
                "/api/projects",
                headers={
                    "Origin": "https://app.example.com",
                    "Access-Control-Request-Method": "POST",
                    "Access-Control-Request-Headers": "authorization,content-type",
                },
            )
            other = client.get("/healthz", headers={"Origin": "https://evil.example"})
        assert response.status_code == 200
        assert response.headers["Access-Control-Allow-Origin"] == "https://app.example.com"
        assert "Access-Control-Allow-Origin" not in other.headers

    def test_no_cors_by_default(self, client: TestClient) -> None:
        response = client.get("/healthz", headers={"Origin": "https://evil.example"})
        assert "Access-Control-Allow-Origin" not in response.headers


class TestRateLimits:
    def test_per_user_limit_is_429_with_retry_after(self, tmp_path: Path) -> None:
        app = make_app(make_settings(tmp_path, rate_limit_per_minute=5))
        with TestClient(app) as client:
            user = sign_in(client, "busy@example.com")
            statuses = [user.get("/api/projects").status_code for _ in range(6)]
            other = sign_in(client, "calm@example.com")
            other_status = other.get("/api/projects").status_code
            limited = user.get("/api/projects")
        assert statuses == [200] * 5 + [429]
        assert other_status == 200  # limits are per user
        assert limited.status_code == 429
        body = limited.json()
        assert body["error"] == "rate_limit_exceeded"
        assert 1 <= body["retry_after"] <= 60
        assert limited.headers["Retry-After"] == str(body["retry_after"])

    def test_per_ip_limit_on_unauthenticated_routes(self, tmp_path: Path) -> None:
        app = make_app(make_settings(tmp_path, auth_rate_limit_per_minute=3))
        with TestClient(app) as client:
            statuses = [
                client.post(
                    "/api/auth/dev-login", json={"email": f"u{i}@example.com", "name": "U"}
                ).status_code
                for i in range(4)
            ]
            guessing = [
                client.get("/api/me", headers={"Authorization": "Bearer nope"}).status_code
                for _ in range(2)
            ]
        assert statuses == [200, 200, 200, 429]
        assert guessing == [429, 429]  # bad tokens count against the same per-IP budget

    def test_every_sign_in_route_shares_the_per_ip_budget(self, tmp_path: Path) -> None:
        app = make_app(make_settings(tmp_path, auth_rate_limit_per_minute=2))
        with TestClient(app) as client:
            guesses = [
                client.post("/api/auth/token", json={"login_code": "guess"}).status_code
                for _ in range(3)
            ]
            others = [
                client.get("/api/auth/callback?code=c&state=s").status_code,
                client.post("/api/auth/oauth/google", json={"redirect_uri": "/"}).status_code,
                client.post("/api/auth/refresh", json={"refresh_token": "r"}).status_code,
                client.post("/api/auth/logout", json={"refresh_token": "r"}).status_code,
            ]
        assert guesses == [401, 401, 429]
        assert others == [429] * 4


class TestOperations:
    def test_healthz(self, client: TestClient) -> None:
        assert client.get("/healthz").json() == {"status": "ok"}

    def test_readyz_when_migrated(self, client: TestClient) -> None:
        response = client.get("/readyz")
        assert response.status_code == 200
        assert response.json()["checks"] == {"database": "ok", "migrations": "ok"}

    def test_readyz_before_migrations(self, tmp_path: Path) -> None:
        from ba_assistant.main import create_app

        app = create_app(make_settings(tmp_path))
        with TestClient(app) as client:
            response = client.get("/readyz")
        assert response.status_code == 503
        assert response.json()["status"] == "not_ready"
        assert response.json()["checks"]["migrations"].startswith("pending")

    def test_metrics_count_requests_by_route_and_status(self, alice: ApiUser) -> None:
        alice.get("/api/projects")
        alice.get("/api/projects/00000000-0000-4000-8000-000000000000")
        text = alice.client.get("/metrics").text
        assert 'http_requests_total{method="GET",route="/api/projects",status="200"} 1.0' in text
        assert 'route="/api/projects/{project_id}",status="404"' in text
        assert (
            'http_request_duration_seconds_count{method="GET",route="/api/projects",status="200"}'
            in text
        )
        assert 'http_errors_total{route="/api/projects/{project_id}",status="404"}' in text
        assert 'db_pool_connections{state="checked_out"}' in text

    def test_openapi_docs(self, client: TestClient) -> None:
        schema = client.get("/api/openapi.json").json()
        assert "/api/projects" in schema["paths"]
        operation_ids = {
            op["operationId"] for path in schema["paths"].values() for op in path.values()
        }
        assert "projects-list_projects" in operation_ids
        upload = schema["paths"]["/api/projects/{project_id}/documents"]["post"]
        assert set(upload["requestBody"]["content"]) == {
            "application/json",
            "multipart/form-data",
        }
        assert client.get("/api/docs").status_code == 200


class TestClientDisconnect:
    def test_a_client_leaving_mid_upload_is_not_logged_as_a_crash(
        self, alice: ApiUser, live_server: LiveServer, caplog: pytest.LogCaptureFixture
    ) -> None:
        project = alice.project()
        head = (
            f"POST /api/projects/{project['id']}/documents HTTP/1.1\r\n"
            f"Host: 127.0.0.1:{live_server.port}\r\n"
            f"Authorization: Bearer {alice.token}\r\n"
            "Content-Type: multipart/form-data; boundary=b\r\n"
            "Content-Length: 100000\r\n\r\n"
            '--b\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\n'
        ).encode()
        with caplog.at_level(logging.INFO):
            with socket.create_connection(("127.0.0.1", live_server.port)) as sock:
                sock.sendall(head + b"partial text" * 100)
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                events = [r.msg.get("event") for r in caplog.records if isinstance(r.msg, dict)]
                if "client_disconnected" in events:
                    break
                time.sleep(0.05)
        assert "client_disconnected" in events
        assert "unhandled_error" not in events
        assert alice.get(f"/api/projects/{project['id']}/documents").json()["total"] == 0
