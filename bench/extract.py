"""Hostile .docx uploads: how fast they are refused, and what they cost everyone else.

Run: .venv/bin/python bench/extract.py [--seconds 20] [--clients 4]

One real server (``ba-assistant serve``, one worker process, default settings) in a
subprocess. First, each file below is uploaded once, alone, and timed:

* ``tiny-paragraphs``: the audit's file, 4.9 M one-letter paragraphs, about 1 MB (171 MB of
  XML unpacked, within the zip-bomb budget);
* ``python-docx-16k``: 16,000 paragraphs written by python-docx, 38 KB: the audit's 22 s one;
* ``slow-40k``: 40,000 paragraphs of six bold, italic runs each, within every count limit.

Then other users' simple requests (a project list, a small .txt upload, a small .docx upload,
round robin, from ``--clients`` clients in a closed loop) for ``--seconds``: once with nothing
else going on (baseline), once while one attacker uploads the three files above one after
the other, without pause. The same server process serves both. Figures, not pass/fail.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import docx
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.documents import sample_files as files

from bench.api import RESULTS_DIR, Server, percentile


def python_docx_paragraphs(count: int) -> bytes:
    document = docx.Document()
    for _ in range(count):
        document.add_paragraph("x")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def hostile_files() -> dict[str, bytes]:
    return {
        "tiny-paragraphs": files.word_of_tiny_paragraphs(4_900_000),
        "python-docx-16k": python_docx_paragraphs(16_000),
        "slow-40k": files.word_slow_to_read(40_000),
    }


async def sign_in(http: httpx.AsyncClient, email: str) -> tuple[dict[str, str], str]:
    response = await http.post("/api/auth/dev-login", json={"email": email, "name": email})
    response.raise_for_status()
    headers = {"Authorization": f"Bearer {response.json()['access_token']}"}
    project = await http.post("/api/projects", json={"name": "Bench"}, headers=headers)
    project.raise_for_status()
    return headers, project.json()["id"]


async def upload(
    http: httpx.AsyncClient, headers: dict[str, str], project: str, name: str, data: bytes
) -> httpx.Response:
    return await http.post(
        f"/api/projects/{project}/documents", headers=headers, files={"file": (name, data)}
    )


async def refusals(http: httpx.AsyncClient, hostile: dict[str, bytes]) -> list[dict[str, Any]]:
    headers, project = await sign_in(http, "attacker@example.com")
    # The first .docx starts a worker process: not what is measured here.
    await upload(http, headers, project, "warm.docx", files.word_paragraphs("warm"))
    rows = []
    for label, data in hostile.items():
        start = time.perf_counter()
        response = await upload(http, headers, project, f"{label}.docx", data)
        seconds = time.perf_counter() - start
        message = response.json().get("message", "") if response.status_code != 201 else ""
        rows.append(
            {
                "file": label,
                "bytes": len(data),
                "status": response.status_code,
                "seconds": round(seconds, 3),
                "message": message,
            }
        )
    return rows


async def others(
    http: httpx.AsyncClient, clients: int, seconds: float, user: str
) -> dict[str, list[float]]:
    headers, project = await sign_in(http, user)
    small_word = files.word_paragraphs("Refunds are paid within 30 days.")
    latencies: dict[str, list[float]] = {"list": [], "txt": [], "docx": []}
    deadline = time.perf_counter() + seconds

    async def client(offset: int) -> None:
        n = offset
        while time.perf_counter() < deadline:
            kind = ("list", "txt", "docx")[n % 3]
            start = time.perf_counter()
            if kind == "list":
                response = await http.get("/api/projects", headers=headers)
            elif kind == "txt":
                response = await upload(http, headers, project, "n.txt", b"Refunds in 30 days.")
            else:
                response = await upload(http, headers, project, "n.docx", small_word)
            assert response.status_code in (200, 201), response.text
            latencies[kind].append(time.perf_counter() - start)
            n += 1

    await asyncio.gather(*(client(i) for i in range(clients)))
    return latencies


async def attacker(http: httpx.AsyncClient, hostile: dict[str, bytes], stop: asyncio.Event) -> int:
    headers, project = await sign_in(http, "attacker-2@example.com")
    sent = 0
    while not stop.is_set():
        for label, data in hostile.items():
            await upload(http, headers, project, f"{label}.docx", data)
            sent += 1
    return sent


def summary(latencies: dict[str, list[float]]) -> dict[str, dict[str, float]]:
    return {
        kind: {
            "n": len(values),
            "p50_ms": round(percentile(values, 50) * 1000, 1),
            "p95_ms": round(percentile(values, 95) * 1000, 1),
            "max_ms": round(max(values) * 1000, 1),
        }
        for kind, values in latencies.items()
        if values
    }


async def run(args: argparse.Namespace, server: Server) -> dict[str, Any]:
    hostile = hostile_files()
    limits = httpx.Limits(max_connections=args.clients + 4)
    async with httpx.AsyncClient(base_url=server.url, timeout=120, limits=limits) as http:
        refused = await refusals(http, hostile)
        baseline = await others(http, args.clients, args.seconds, "baseline@example.com")
        stop = asyncio.Event()
        attack = asyncio.create_task(attacker(http, hostile, stop))
        await asyncio.sleep(1.0)
        loaded = await others(http, args.clients, args.seconds, "meanwhile@example.com")
        stop.set()
        sent = await attack
    return {
        "refusals": refused,
        "baseline": summary(baseline),
        "under_attack": summary(loaded),
        "hostile_uploads_sent": sent,
    }


def table(result: dict[str, Any], args: argparse.Namespace) -> str:
    lines = ["Each hostile file, uploaded alone:", ""]
    lines.append(f"{'file':<18}{'bytes':>10}{'status':>8}{'seconds':>9}  message")
    for row in result["refusals"]:
        lines.append(
            f"{row['file']:<18}{row['bytes']:>10}{row['status']:>8}{row['seconds']:>9.2f}  "
            f"{row['message'][:70]}"
        )
    lines += [
        "",
        f"Other users' requests, {args.clients} clients, {args.seconds:g} s each "
        f"({result['hostile_uploads_sent']} hostile uploads sent meanwhile):",
        "",
        f"{'request':<10}{'baseline p50':>14}{'p95':>9}{'max':>9}"
        f"{'attacked p50':>15}{'p95':>9}{'max':>9}",
    ]
    for kind in ("list", "txt", "docx"):
        base, hit = result["baseline"][kind], result["under_attack"][kind]
        lines.append(
            f"{kind:<10}{base['p50_ms']:>14.1f}{base['p95_ms']:>9.1f}{base['max_ms']:>9.1f}"
            f"{hit['p50_ms']:>15.1f}{hit['p95_ms']:>9.1f}{hit['max_ms']:>9.1f}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args(argv)
    with (
        tempfile.TemporaryDirectory(prefix="ba-bench-extract-") as tmp,
        Server(Path(tmp), workers=1, log_level="WARNING") as server,
    ):
        result = asyncio.run(run(args, server))
    print(table(result, args))
    RESULTS_DIR.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = RESULTS_DIR / f"extract-{stamp}.json"
    out.write_text(json.dumps({"args": vars(args), **result}, indent=2))
    print(f"\nraw figures: {out}")


if __name__ == "__main__":
    main()
