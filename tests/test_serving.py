"""How the server meets the network: forwarded headers only from trusted proxies, only its own
host names, deadlines for slow clients, the API docs without a CDN, and /metrics behind a
token outside development."""

from __future__ import annotations

import re
import secrets
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from ba_assistant.config import generate_secrets
from ba_assistant.middleware import APP_CSP
from tests.conftest import LiveServer, make_app, make_settings, sign_in


def served(data_dir: Path, **overrides: Any) -> Iterator[LiveServer]:
    app = make_app(make_settings(data_dir, **overrides))
    try:
        with LiveServer(app) as server:
            yield server
    finally:
        app.state.db.dispose()


SECRETS = generate_secrets()


def outside_development(**overrides: Any) -> dict[str, Any]:
    """What staging needs to start: strong secrets, https, no dev login."""
    return {
        "environment": "staging",
        "public_url": "https://ba.example.com",
        "allowed_hosts": ["testserver"],
        "auth_dev_login": False,
        **{name.lower(): value for name, value in SECRETS.items()},
        **overrides,
    }


def raw_exchange(server: LiveServer, first: bytes, *, then_wait: float = 5.0) -> tuple[bytes, bool]:
    """Send ``first`` and then nothing: what the server answers, and whether it hung up."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=then_wait) as sock:
        sock.sendall(first)
        answer = b""
        try:
            while chunk := sock.recv(65536):
                answer += chunk
        except TimeoutError:
            return answer, False
        return answer, True


class TestForwardedHeaders:
    def test_a_client_cannot_pick_the_address_the_limit_counts(self, data_dir: Path) -> None:
        for server in served(data_dir, auth_rate_limit_per_minute=3):
            statuses = [
                httpx.get(
                    f"{server.url}/api/projects", headers={"X-Forwarded-For": f"203.0.113.{n}"}
                ).status_code
                for n in range(4)
            ]
            assert statuses == [401, 401, 401, 429]

    def test_a_trusted_proxy_names_the_client(self, data_dir: Path) -> None:
        for server in served(
            data_dir, auth_rate_limit_per_minute=3, forwarded_allow_ips=["127.0.0.1"]
        ):
            statuses = [
                httpx.get(
                    f"{server.url}/api/projects", headers={"X-Forwarded-For": f"203.0.113.{n}"}
                ).status_code
                for n in range(4)
            ]
            assert statuses == [401] * 4  # four people behind the proxy, each under the limit


class TestHostNames:
    @pytest.fixture
    def app(self, data_dir: Path) -> Iterator[FastAPI]:
        application = make_app(make_settings(data_dir, allowed_hosts=["testserver", "ba.internal"]))
        yield application
        application.state.db.dispose()

    def test_a_rebinding_page_cannot_sign_in_or_read(self, client: TestClient) -> None:
        alice = sign_in(client, "alice@example.com")
        alice.project("Secret merger")
        evil = {"Host": "attacker.example:8000"}
        login = client.post(
            "/api/auth/dev-login", json={"email": "alice@example.com"}, headers=evil
        )
        assert login.status_code == 400
        body = login.json()
        assert body["error"] == "validation_error"
        assert "attacker.example" in body["message"] and "ALLOWED_HOSTS" in body["message"]
        assert body["request_id"] == login.headers["X-Request-ID"]
        read = client.get("/api/projects", headers={**alice.headers, **evil})
        assert read.status_code == 400
        assert "Secret merger" not in read.text

    @pytest.mark.parametrize(
        "host", ["127.0.0.1:8000", "localhost:5173", "[::1]:8000", "ba.internal", "BA.Internal:443"]
    )
    def test_its_own_names_on_any_port(self, client: TestClient, host: str) -> None:
        assert client.get("/api/auth/providers", headers={"Host": host}).status_code == 200

    @pytest.mark.parametrize("host", ["", "127.0.0.1.attacker.example", "localhost.evil"])
    def test_anything_else_is_refused(self, client: TestClient, host: str) -> None:
        assert client.get("/api/auth/providers", headers={"Host": host}).status_code == 400

    def test_a_probe_may_use_the_address(self, client: TestClient) -> None:
        assert client.get("/healthz", headers={"Host": "10.0.3.7:8000"}).status_code == 200

    def test_listening_everywhere_answers_locally_and_to_named_addresses(
        self, data_dir: Path
    ) -> None:
        settings = make_settings(data_dir, host="0.0.0.0", allowed_hosts=["192.168.1.20"])
        with TestClient(make_app(settings), base_url="http://127.0.0.1:8000") as client:
            for host in ("127.0.0.1:8000", "localhost:8000", "192.168.1.20:8000"):
                assert client.get("/api/auth/providers", headers={"Host": host}).is_success
            other = client.get("/api/auth/providers", headers={"Host": "192.168.1.99:8000"})
            assert "ALLOWED_HOSTS" in other.json()["message"]

    def test_a_public_url_elsewhere_is_not_loopback(self, data_dir: Path) -> None:
        settings = make_settings(data_dir, public_url="https://ba.example.com", allowed_hosts=[])
        with TestClient(make_app(settings), base_url="https://ba.example.com") as client:
            assert client.get("/api/auth/providers").status_code == 200
            refused = client.get("/api/auth/providers", headers={"Host": "localhost"})
            assert refused.status_code == 400


class TestSlowClients:
    def test_headers_that_trickle_get_408_and_the_connection_closes(self, data_dir: Path) -> None:
        for server in served(data_dir, header_read_timeout_seconds=0.5):
            started = time.monotonic()
            answer, closed = raw_exchange(
                server, b"GET /api/auth/providers HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: 1"
            )
            assert time.monotonic() - started < 4
            assert answer.startswith(b"HTTP/1.1 408 ")
            assert b'"error": "request_timeout"' in answer
            assert closed

    def test_a_connection_that_sends_nothing_is_closed(self, data_dir: Path) -> None:
        for server in served(data_dir, header_read_timeout_seconds=0.5):
            answer, closed = raw_exchange(server, b"")
            assert answer.startswith(b"HTTP/1.1 408 ") and closed

    def test_a_body_that_stalls_gets_408_and_the_connection_closes(self, data_dir: Path) -> None:
        for server in served(data_dir, body_read_timeout_seconds=0.5):
            answer, closed = raw_exchange(
                server,
                b"POST /api/auth/dev-login HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Content-Type: application/json\r\nContent-Length: 200\r\n\r\n"
                b'{"email": "al',
            )
            head, _, body = answer.partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 408 ")
            assert re.search(rb"(?im)^connection: close", head)
            assert b'"error":"request_timeout"' in body
            assert b"stopped arriving" in body
            assert closed

    def test_a_slow_body_that_keeps_moving_is_read(self, data_dir: Path) -> None:
        for server in served(data_dir, body_read_timeout_seconds=1.0):
            body = b'{"email": "slow@example.com", "name": "Slow Sam"}'
            with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
                sock.sendall(
                    b"POST /api/auth/dev-login HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    b"Content-Type: application/json\r\n"
                    b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n"
                )
                for start in range(0, len(body), 10):  # 2.5 s in all, 0.5 s between parts
                    time.sleep(0.5)
                    sock.sendall(body[start : start + 10])
                assert sock.recv(65536).startswith(b"HTTP/1.1 200 ")


class TestApiDocs:
    def test_the_docs_come_from_this_server_under_the_apps_policy(self, client: TestClient) -> None:
        page = client.get("/api/docs")
        assert page.status_code == 200
        assert page.headers["Content-Security-Policy"] == APP_CSP
        assert "unsafe-inline" not in APP_CSP.split("script-src")[1].split(";")[0]
        scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page.text, re.DOTALL)
        assert scripts and all('src="/api/docs/' in attrs and not code for attrs, code in scripts)
        assert "http" not in page.text  # nothing from elsewhere
        for asset in re.findall(r'(?:src|href)="(/api/docs/[^"]+)"', page.text):
            assert client.get(asset).status_code == 200, asset
        bundle = client.get("/api/docs/assets/swagger-ui-bundle.js")
        assert "javascript" in bundle.headers["content-type"]
        assert "SwaggerUIBundle" in bundle.text

    def test_outside_development_they_are_off_unless_asked_for(self, data_dir: Path) -> None:
        with TestClient(make_app(make_settings(data_dir, **outside_development()))) as c:
            assert c.get("/api/docs").status_code == 404
            assert c.get("/api/docs/assets/swagger-ui-bundle.js").status_code == 404
            assert c.get("/api/openapi.json").status_code == 200  # the web client's contract
        on = make_settings(data_dir, **outside_development(api_docs=True))
        with TestClient(make_app(on)) as c:
            assert c.get("/api/docs").status_code == 200


class TestMetrics:
    TOKEN = secrets.token_hex(16)

    def test_outside_development_metrics_need_the_token(self, data_dir: Path) -> None:
        settings = make_settings(data_dir, **outside_development())
        with TestClient(make_app(settings)) as client:
            closed = client.get("/metrics")
            assert closed.status_code == 401
            assert "METRICS_TOKEN" in closed.json()["message"]
            assert "http_requests_total" not in closed.text
        with_token = make_settings(data_dir, **outside_development(), metrics_token=self.TOKEN)
        with TestClient(make_app(with_token)) as client:
            assert client.get("/metrics").status_code == 401
            wrong = client.get("/metrics", headers={"Authorization": f"Bearer {self.TOKEN}x"})
            assert wrong.status_code == 401
            good = client.get("/metrics", headers={"Authorization": f"Bearer {self.TOKEN}"})
            assert good.status_code == 200
            assert "http_requests_total" in good.text

    def test_in_development_they_are_open_until_a_token_is_set(self, data_dir: Path) -> None:
        with TestClient(make_app(make_settings(data_dir))) as client:
            assert client.get("/metrics").status_code == 200
        with TestClient(make_app(make_settings(data_dir, metrics_token=self.TOKEN))) as client:
            assert client.get("/metrics").status_code == 401
