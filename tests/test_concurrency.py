"""50 concurrent writers against a real server for 30 s: every request succeeds."""

from __future__ import annotations

import os
import threading
import time
from collections import Counter

import httpx
import pytest

from tests.conftest import LiveServer

WRITERS = 50
SECONDS = float(os.environ.get("CONCURRENCY_SECONDS", "30"))


@pytest.mark.slow
def test_fifty_writers_for_thirty_seconds_see_no_errors(live_server: LiveServer) -> None:
    base = live_server.url
    with httpx.Client(base_url=base, timeout=60) as setup:
        token = setup.post(
            "/api/auth/dev-login", json={"email": "load@example.com", "name": "Load"}
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        project_id = setup.post("/api/projects", json={"name": "Load"}, headers=headers).json()[
            "id"
        ]

    statuses: Counter[int] = Counter()
    created: Counter[str] = Counter()
    failures: list[str] = []
    lock = threading.Lock()
    deadline = time.monotonic() + SECONDS
    text = "Refund requests are reviewed within five working days. " * 40

    def worker(number: int) -> None:
        with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
            own_thread = client.post(f"/api/projects/{project_id}/threads", json={}).json()["id"]
            step = 0
            while time.monotonic() < deadline:
                kind = ("upload", "thread", "rename")[(number + step) % 3]
                if kind == "upload":
                    response = client.post(
                        f"/api/projects/{project_id}/documents",
                        files={"file": (f"notes-{number}-{step}.txt", text.encode(), "text/plain")},
                    )
                elif kind == "thread":
                    response = client.post(
                        f"/api/projects/{project_id}/threads", json={"title": f"t{number}-{step}"}
                    )
                else:
                    response = client.patch(
                        f"/api/threads/{own_thread}", json={"title": f"renamed {step}"}
                    )
                with lock:
                    statuses[response.status_code] += 1
                    created[kind] += response.status_code == 201
                    if response.status_code >= 400:
                        failures.append(f"{response.status_code} {response.text[:200]}")
                step += 1

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    assert sum(statuses.values()) > WRITERS  # every writer got work done
    with httpx.Client(base_url=base, headers=headers) as client:
        project = client.get(f"/api/projects/{project_id}").json()
        assert project["document_count"] == created["upload"]
        assert project["thread_count"] == created["thread"] + WRITERS
