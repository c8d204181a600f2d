"""Lighthouse scores and the initial JavaScript size of the built web app.

    make web && .venv/bin/python bench/lighthouse.py            # mobile (Lighthouse's default)
    .venv/bin/python bench/lighthouse.py --desktop --runs 3

Starts the server on a free loopback port with a temporary database, runs the `lighthouse`
npm package (bench/lighthouse/, installed on first use) against Debian's Chromium
(`CHROME_PATH`, default `chromium` on PATH) for the sign-in page and for a deep link
(`/projects`, which restores the session or goes to sign-in), and prints performance and
accessibility scores with the main timings. The initial JavaScript is what index.html loads
before any route: the entry script and its module preloads, gzipped. Budget: 200 KB;
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
    done = subprocess.run(
        command, env={**os.environ, "CHROME_PATH": chrome}, capture_output=True, check=True
    )
    return json.loads(done.stdout)


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
        for page in ("/sign-in", "/projects"):
            runs = [lighthouse(base + page, chrome, args.desktop, {}) for _ in range(args.runs)]
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
