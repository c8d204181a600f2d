"""Lighthouse scores and the initial JavaScript size of the built web app.

    make web && .venv/bin/python bench/lighthouse.py            # mobile (Lighthouse's default)
    .venv/bin/python bench/lighthouse.py --desktop --runs 3

Starts the server on a free loopback port with a temporary database, runs the `lighthouse`
npm package (bench/lighthouse/, installed on first use) against Debian's Chromium
(`CHROME_PATH`, default `chromium` on PATH) for the sign-in page and, signed in
as a returning analyst (a refresh cookie, as the browser keeps it), for the projects, a
project and a thread with a drafted story. It prints performance and accessibility scores
with the main timings. The initial JavaScript is what index.html loads before any route:
the entry script and its module preloads, gzipped. Budget: 200 KB;
Lighthouse mobile performance >= 90, accessibility >= 95. Results as JSON in bench/results/.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from ba_assistant import migrations
from ba_assistant.config import load_settings
from ba_assistant.main import WEB_DIST, create_app

HERE = Path(__file__).resolve().parent
TOOL = HERE / "lighthouse"
RESULTS = HERE / "results"
BUDGET_KB = 200


def initial_js_kb() -> tuple[float, list[str]]:
    index = (WEB_DIST / "index.html").read_text(encoding="utf-8")
    scripts = re.findall(r'<script[^>]+src="(/assets/[^"]+\.js)"', index)
    preloads = re.findall(r'<link rel="modulepreload"[^>]+href="(/assets/[^"]+\.js)"', index)
    files = scripts + preloads
    size = sum(len(gzip.compress((WEB_DIST / f.lstrip("/")).read_bytes(), 9)) for f in files)
    return size / 1024, files


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def lighthouse(url: str, chrome: str, desktop: bool, extra_headers: dict[str, str]) -> Any:
    binary = TOOL / "node_modules" / ".bin" / "lighthouse"
    if not binary.exists():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=TOOL, check=True)
    command = [
        str(binary),
        url,
        "--output=json",
        "--quiet",
        "--only-categories=performance,accessibility",
        "--chrome-flags=--headless=new --no-sandbox",
    ]
    if desktop:
        command.append("--preset=desktop")
    if extra_headers:
        command.append(f"--extra-headers={json.dumps(extra_headers)}")
    # Headless Chromium now and then loses the trace (NO_NAVSTART): such a run is repeated.
    for _ in range(3):
        done = subprocess.run(
            command, env={**os.environ, "CHROME_PATH": chrome}, capture_output=True
        )
        if done.returncode == 0:
            return json.loads(done.stdout)
    raise SystemExit(f"lighthouse failed on {url}:\n{done.stderr.decode()[-2000:]}")


def seed(base: str) -> list[str]:
    """A signed-in analyst's screens with something on them: the projects, a project with a
    document, and a thread with an answered question and a drafted story."""
    with httpx.Client(base_url=base, timeout=60) as http:
        token = http.post("/api/auth/dev-login", json=ANALYST).json()["access_token"]
        http.headers["Authorization"] = f"Bearer {token}"
        project = http.post("/api/projects", json={"name": "Refunds"}).json()["id"]
        http.post(
            f"/api/projects/{project}/documents",
            json={"name": "Refund policy.md", "content": POLICY},
        ).raise_for_status()
        thread = http.post(f"/api/projects/{project}/threads", json={"title": "Partial refunds"})
        thread_id = thread.json()["id"]
        for question in (
            "Customers want to request a partial refund from their order history page.",
            "Write the user stories please.",
        ):
            http.post(f"/api/threads/{thread_id}/messages", json={"content": question})
            for _ in range(600):
                messages = http.get(f"/api/threads/{thread_id}/messages").json()["messages"]
                if messages[-1]["role"] == "assistant" and messages[-1]["status"] != "streaming":
                    break
                time.sleep(0.1)
    return ["/projects", f"/projects/{project}", f"/threads/{thread_id}"]


def session_cookie(base: str) -> dict[str, str]:
    """A fresh web sign-in's refresh cookie for one Lighthouse run: the page trades it for an
    access token as a returning analyst's browser would (each refresh token works once)."""
    response = httpx.post(
        f"{base}/api/auth/dev-login", json=ANALYST, headers={"X-Token-Delivery": "cookie"}
    )
    cookie = next(iter(response.cookies.jar))
    return {"Cookie": f"{cookie.name}={cookie.value}"}


ANALYST = {"email": "lighthouse@example.com", "name": "Lighthouse Analyst"}
POLICY = (
    "# Refund policy\n\nCustomers may return items within 30 days of delivery. Refunds go back "
    "to the original payment method within 5 working days. Partial refunds are allowed."
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--desktop", action="store_true", help="desktop preset instead of mobile")
    parser.add_argument("--runs", type=int, default=1, help="runs per page (median reported)")
    args = parser.parse_args()
    if not (WEB_DIST / "index.html").is_file():
        raise SystemExit("build the web app first: make web")
    chrome = os.environ.get("CHROME_PATH") or shutil.which("chromium")
    if not chrome:
        raise SystemExit("set CHROME_PATH or install chromium")

    kb, files = initial_js_kb()
    print(f"initial JS (gzip): {kb:.1f} KB of {BUDGET_KB} KB budget  ({', '.join(files)})")

    data_dir = Path(tempfile.mkdtemp(prefix="ba-lighthouse-"))
    app = create_app(load_settings(environment="development", data_dir=data_dir, log_level="ERROR"))
    migrations.upgrade(app.state.db.engine)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port}"
    report: dict[str, Any] = {"initial_js_kb": round(kb, 1), "pages": {}}
    try:
        screens = dict(zip(("projects", "project", "thread"), seed(base), strict=True))
        pages = {"sign-in": ("/sign-in", False)}
        pages |= {name: (path, True) for name, path in screens.items()}
        for page, (path, signed_in) in pages.items():
            runs = [
                lighthouse(
                    base + path, chrome, args.desktop, session_cookie(base) if signed_in else {}
                )
                for _ in range(args.runs)
            ]
            perf = statistics.median(r["categories"]["performance"]["score"] * 100 for r in runs)
            a11y = statistics.median(r["categories"]["accessibility"]["score"] * 100 for r in runs)
            audits = runs[-1]["audits"]
            timings = {
                name: audits[name]["displayValue"]
                for name in (
                    "first-contentful-paint",
                    "largest-contentful-paint",
                    "total-blocking-time",
                    "cumulative-layout-shift",
                )
            }
            report["pages"][page] = {"performance": perf, "accessibility": a11y, **timings}
            print(f"{page:<10} performance {perf:>5.0f}  accessibility {a11y:>5.0f}  {timings}")
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        app.state.db.dispose()
        shutil.rmtree(data_dir, ignore_errors=True)
    RESULTS.mkdir(exist_ok=True)
    name = "lighthouse-desktop.json" if args.desktop else "lighthouse-mobile.json"
    (RESULTS / name).write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
