"""Streams benchmark: many AI replies streamed at once over SSE, against a fake Anthropic API.

Three processes, so that none shares another's GIL: the fake provider (``FakeAnthropic`` from
``tests/fakes/llm_servers.py``, run by this file with ``--fake``), the server (``ba-assistant
serve``, one worker) and this client (httpx on asyncio). Each reply has its own titled thread;
each user runs at most two. All times are ``time.perf_counter()`` (CLOCK_MONOTONIC, the same
clock in all three processes); the fake's records are matched to replies by a marker.

    .venv/bin/python bench/streams.py                           # 200 replies, 50 chunks/s, 10 s
    .venv/bin/python bench/streams.py --replies 20 --seconds 3  # quick

This prints figures; it is not a pass/fail test. See bench/README.md for what they mean.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import math
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
TARGET_FIRST_CHUNK_P95_MS = 50.0
TARGET_DELIVERY_P99_MS = 100.0
PERCENTILES = ("p50", "p95", "p99", "max")
MARKER = re.compile(r"bench-marker-(\d+)")
WARM_UP = 2  # replies stopped at their first chunk before measuring (imports, model client)


# --- process 1: the fake provider ---------------------------------------------------------------


def serve_fake(args: argparse.Namespace) -> None:
    """Serves ``FakeAnthropic`` until stdin closes, then writes its records as JSON."""
    sys.path.insert(0, str(REPO))
    from tests.fakes.llm_servers import FakeAnthropic, Reply, text

    words = itertools.cycle(["the", "customer", "confirms", "the", "order", "before", "it"])
    body = " ".join(itertools.islice(words, round(args.rate * args.seconds)))
    script = Reply(
        text(body, chunks_per_second=args.rate), first_token_delay=args.first_token_delay
    )
    with FakeAnthropic(default_reply=script) as fake:
        print(fake.base_url, flush=True)
        sys.stdin.read()  # the parent closes stdin to stop us (or dies, which closes it too)
        times = ("received_at", "first_delta_at", "finished_at", "outcome")
        records = [
            {"marker": int(found[1]) if found else None, **{k: getattr(r, k) for k in times}}
            for r in fake.requests
            if r.path == "/v1/messages"
            for found in [MARKER.search(json.dumps(r.body))]
        ]
    Path(args.fake).write_text(json.dumps(records))


def start_fake(args: argparse.Namespace, out: Path) -> tuple[subprocess.Popen[str], str]:
    options = ["--rate", str(args.rate), "--seconds", str(args.seconds)]
    options += ["--first-token-delay", str(args.first_token_delay)]
    command = [sys.executable, __file__, "--fake", str(out), *options]
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    base_url = process.stdout.readline().strip()
    if not base_url.startswith("http"):
        raise RuntimeError("the fake provider did not start")
    return process, base_url


# --- process 2: the server ----------------------------------------------------------------------


def start_server(data_dir: Path, fake_url: str) -> tuple[subprocess.Popen[bytes], str]:
    """``ba-assistant migrate``, then ``ba-assistant serve`` (1 worker) on a free port."""
    from ba_assistant.config import Settings

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    env = {k: v for k, v in os.environ.items() if k.lower() not in Settings.model_fields}
    env |= {
        "ENVIRONMENT": "development",
        "DATA_DIR": str(data_dir),
        "ANTHROPIC_API_KEY": "bench",
        "ANTHROPIC_BASE_URL": fake_url,
        "RATE_LIMIT_PER_MINUTE": "1000000",
        "AUTH_RATE_LIMIT_PER_MINUTE": "1000000",
        "LOG_LEVEL": "WARNING",
    }
    command, port = [sys.executable, "-m", "ba_assistant"], url.rsplit(":", 1)[1]
    with (data_dir / "server.log").open("ab") as out:  # cwd data_dir: no stray .env is read
        options: dict[str, Any] = {"cwd": data_dir, "env": env, "stdout": out, "stderr": out}
        subprocess.run([*command, "migrate"], check=True, **options)
        process = subprocess.Popen([*command, "serve", "--port", port, "--workers", "1"], **options)
    deadline = time.monotonic() + 60
    while process.poll() is None and time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return process, url
        except httpx.TransportError:
            time.sleep(0.2)
    stop(process)
    raise RuntimeError(f"the server did not start: {(data_dir / 'server.log').read_text()}")


def stop(process: subprocess.Popen[Any] | None) -> None:
    if process is not None and process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process, from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def memory_mb(pid: int) -> dict[str, float]:
    """VmRSS (now) and VmHWM (peak) of a process, in MB."""
    lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    status = dict(line.split(":", 1) for line in lines)
    return {key: int(status[key].split()[0]) / 1024 for key in ("VmRSS", "VmHWM")}


# --- process 3: the client ----------------------------------------------------------------------


@dataclass
class Stream:
    index: int
    token: str = ""
    thread_id: str = ""
    message_id: str = ""
    t_post: float = 0.0
    t_posted: float = 0.0
    chunk_times: list[float] = field(default_factory=list)
    outcome: str = "not started"  # "complete", or what went wrong


async def prepare(client: httpx.AsyncClient, streams: list[Stream], users: int) -> None:
    """Signs in ``users`` users, gives each a project and each reply a titled thread."""
    gate = asyncio.Semaphore(20)

    async def user(u: int) -> None:
        async with gate:
            login = {"email": f"bench.streams.{u}@example.com", "name": f"Streams {u}"}
            response = await client.post("/api/auth/dev-login", json=login)
            token = response.raise_for_status().json()["access_token"]
            auth = {"Authorization": f"Bearer {token}"}
            project = await client.post("/api/projects", json={"name": "Streams"}, headers=auth)
            path = f"/api/projects/{project.raise_for_status().json()['id']}/threads"
            for stream in streams[u::users]:
                response = await client.post(path, json={"title": "x"}, headers=auth)
                stream.token, stream.thread_id = token, response.raise_for_status().json()["id"]

    await asyncio.gather(*(user(u) for u in range(users)))


async def follow(
    client: httpx.AsyncClient, stream: Stream, delay: float, *, first_only: bool = False
) -> None:
    """Posts the message, then reads the reply's stream to its end (or to its first chunk)."""
    await asyncio.sleep(delay)
    auth = {"Authorization": f"Bearer {stream.token}"}
    body = {"content": f"Write the release notes. bench-marker-{stream.index}"}
    try:
        stream.t_post = time.perf_counter()
        posted = await client.post(
            f"/api/threads/{stream.thread_id}/messages", json=body, headers=auth
        )
        stream.t_posted = time.perf_counter()
        if posted.status_code != 201:
            stream.outcome = f"POST {posted.status_code}"
            return
        stream.outcome, stream.message_id = "stream ended early", posted.json()["message_id"]
        async with client.stream("GET", posted.json()["stream_url"], headers=auth) as response:
            if response.status_code != 200:
                stream.outcome = f"GET {response.status_code}"
                return
            rest = b""
            async for data in response.aiter_raw():
                now = time.perf_counter()
                *events, rest = (rest + data).split(b"\n\n")
                for event in events:
                    if b"\nevent: chunk\n" in event:
                        stream.chunk_times.append(now)
                        if first_only:
                            return
                    elif b"\nevent: complete\n" in event:
                        stream.outcome = "complete"
                    elif b"\nevent: error\n" in event:
                        stream.outcome = "error event: " + event.decode()[-200:]
    except httpx.HTTPError as exc:
        stream.outcome = f"{type(exc).__name__} {exc}".strip()


async def load(args: argparse.Namespace, url: str, pid: int, fake_pid: int) -> dict[str, Any]:
    limits = httpx.Limits(max_connections=500, max_keepalive_connections=500)
    timeout = httpx.Timeout(60.0, connect=10.0)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=timeout) as client:
        streams = [Stream(i) for i in range(args.replies)]
        warm = [Stream(10**6 + i) for i in range(WARM_UP)]
        await prepare(client, streams + warm, args.users)
        print(f"{args.users} users, {len(streams) + len(warm)} threads ready", flush=True)
        # The server's first reply imports modules and builds the model client: warm it up.
        await asyncio.gather(*(follow(client, w, 0, first_only=True) for w in warm))
        for w in warm:
            cancel = f"/api/threads/{w.thread_id}/messages/{w.message_id}/cancel"
            await client.post(cancel, headers={"Authorization": f"Bearer {w.token}"})
        fake_cpu, client_cpu = cpu_seconds(fake_pid), time.process_time()
        samples = [(time.perf_counter(), cpu_seconds(pid))]

        async def sample() -> None:
            while True:
                await asyncio.sleep(0.5)
                samples.append((time.perf_counter(), cpu_seconds(pid)))

        sampler = asyncio.create_task(sample())
        step = args.ramp / args.replies
        await asyncio.gather(*(follow(client, s, s.index * step) for s in streams))
        sampler.cancel()
    samples.append((time.perf_counter(), cpu_seconds(pid)))
    (t0, cpu0), (t1, cpu1) = samples[0], samples[-1]
    windows = [(c2 - c1) / (t2 - t1) for (t1, c1), (t2, c2) in itertools.pairwise(samples)]
    return {
        "streams": streams,
        "wall_s": t1 - t0,
        "server_cpu_s": cpu1 - cpu0,
        "server_cpu_percent": 100 * (cpu1 - cpu0) / (t1 - t0),
        "server_cpu_percent_busiest_half_second": 100 * max(windows),
        "client_cpu_s": time.process_time() - client_cpu,
        "fake_cpu_s": cpu_seconds(fake_pid) - fake_cpu,
        **{f"server_{k}_mb": v for k, v in memory_mb(pid).items()},
    }


# --- figures ------------------------------------------------------------------------------------


def distribution_ms(seconds: list[float]) -> dict[str, float | None]:
    ordered = sorted(s * 1000 for s in seconds)

    def at(p: float) -> float | None:
        return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)] if ordered else None

    return {"n": len(ordered), "p50": at(50), "p95": at(95), "p99": at(99), "max": at(100)}


def figures(args: argparse.Namespace, run: dict[str, Any], records: list[Any]) -> dict[str, Any]:
    streams: list[Stream] = run.pop("streams")
    fake = {r["marker"]: r for r in records if r["first_delta_at"] is not None}
    words, gap = round(args.rate * args.seconds), 1.0 / args.rate
    first: list[float] = []
    to_fake, relay, posted, delivery, fake_late = [], [], [], [], []
    for s in streams:
        posted += [s.t_posted - s.t_post] if s.t_posted else []
        first += [s.chunk_times[0] - s.t_post - args.first_token_delay] if s.chunk_times else []
        record = fake.get(s.index)
        if record is None or not s.chunk_times:
            continue
        to_fake.append(record["received_at"] - s.t_post)
        relay.append(s.chunk_times[0] - record["first_delta_at"])
        delivery += [t - (record["first_delta_at"] + i * gap) for i, t in enumerate(s.chunk_times)]
        if record["finished_at"] is not None:
            fake_late.append(record["finished_at"] - record["first_delta_at"] - (words - 1) * gap)
    chunks = sum(len(s.chunk_times) for s in streams)
    return {
        "first_chunk_ms": distribution_ms(first),
        "post_to_provider_ms": distribution_ms(to_fake),
        "provider_to_client_first_ms": distribution_ms(relay),
        "post_answered_ms": distribution_ms(posted),
        "delivery_ms": distribution_ms(delivery),
        "fake_lateness_ms": distribution_ms(fake_late),
        "replies": len(streams),
        "completed": sum(s.outcome == "complete" for s in streams),
        "failures": dict(Counter(s.outcome for s in streams if s.outcome != "complete")),
        "chunks": chunks,
        "chunks_expected": len(streams) * words,
        "provider_requests": sum(r["marker"] in range(len(streams)) for r in records),
        **run,
        "server_cpu_us_per_chunk": 1e6 * run["server_cpu_s"] / max(1, chunks),
    }


def table(args: argparse.Namespace, f: dict[str, Any]) -> str:
    def row(label: str, d: dict[str, Any], target: float | None = None, key: str = "") -> str:
        cells = "".join(f"{'-' if d[k] is None else format(d[k], ',.1f'):>10}" for k in PERCENTILES)
        verdict = "" if target is None else f"{key} <{target:g}"
        if target is not None:
            verdict += "  PASS" if d[key] is not None and d[key] < target else "  MISS"
        return f"{label:<42}{d['n']:>7,}{cells}  {verdict}".rstrip()

    header = f"{'milliseconds':<42}{'n':>7}{'p50':>10}{'p95':>10}{'p99':>10}{'max':>10}  target"
    first = "POST -> first chunk - first-token delay"
    lines = [
        f"{args.replies} replies from {args.users} users, posted "
        + (f"evenly over {args.ramp:g} s" if args.ramp else "all at once")
        + f"; each {args.rate:g} chunks/s for {args.seconds:g} s after a first-token delay of "
        f"{args.first_token_delay:g} s; 1 worker",
        header,
        "-" * (len(header) + 10),
        row(first, f["first_chunk_ms"], TARGET_FIRST_CHUNK_P95_MS, "p95"),
        row("  POST -> model request at the fake", f["post_to_provider_ms"]),
        row("  fake's first delta -> client", f["provider_to_client_first_ms"]),
        row("  POST answered (any status)", f["post_answered_ms"]),
        row("chunk delivery delay", f["delivery_ms"], TARGET_DELIVERY_P99_MS, "p99"),
        row("(the fake's own lateness, last chunk)", f["fake_lateness_ms"]),
        "",
        f"replies completed {f['completed']:,} / {f['replies']:,}; chunks {f['chunks']:,} / "
        f"{f['chunks_expected']:,}; model requests {f['provider_requests']:,}; "
        f"wall {f['wall_s']:.1f} s",
        f"server CPU {f['server_cpu_s']:.1f} s = {f['server_cpu_percent']:.0f}% of one core "
        f"(busiest 0.5 s: {f['server_cpu_percent_busiest_half_second']:.0f}%), "
        f"{f['server_cpu_us_per_chunk']:,.0f} us per chunk delivered",
        f"server RSS {f['server_VmRSS_mb']:,.0f} MB at the end, peak {f['server_VmHWM_mb']:,.0f} "
        f"MB (VmHWM); client CPU {f['client_cpu_s']:.1f} s, fake CPU {f['fake_cpu_s']:.1f} s",
    ]
    lines += [f"  {count:>4} x {outcome[:150]}" for outcome, count in f["failures"].items()]
    if f["server_errors"]:
        lines.append("server errors logged:")
        lines += [f"  {count:>4} x {error}" for error, count in f["server_errors"].items()]
    return "\n".join(lines)


def server_errors(log_path: Path) -> dict[str, int]:
    """The server's logged errors, by their last traceback line (or event name)."""
    found: Counter[str] = Counter()
    for line in log_path.read_text(errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict) and entry.get("level") in ("error", "critical"):
            exception = str(entry.get("exception", "")).strip().splitlines()
            found[exception[-1][:200] if exception else str(entry.get("event"))] += 1
    return dict(found)


# --- main ---------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--replies", type=int, default=200, help="concurrent replies")
    parser.add_argument("--rate", type=float, default=50, help="chunks/s of each reply")
    parser.add_argument("--seconds", type=float, default=10, help="how long each reply streams")
    parser.add_argument("--first-token-delay", type=float, default=0.3, help="the fake's, s")
    parser.add_argument("--users", type=int, help="default: one per reply (each may run 2)")
    parser.add_argument("--ramp", type=float, default=0.0, help="post over this many s")
    parser.add_argument("--fake", help=argparse.SUPPRESS)  # internal: be the fake provider
    args = parser.parse_args(argv)
    args.users = args.users or args.replies
    if args.users * 2 < args.replies + WARM_UP:
        parser.error("a user may have only 2 replies running: use more --users")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.fake:
        serve_fake(args)
        return

    def git(*arguments: str) -> str:
        done = subprocess.run(["git", *arguments], cwd=REPO, capture_output=True, text=True)
        return done.stdout.strip()

    try:
        import uvloop

        run_loop: Any = uvloop.run
    except ImportError:
        run_loop = asyncio.run
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # so that `finally` stops the others
    code = {"commit": git("rev-parse", "HEAD"), "src_dirty": bool(git("status", "-s", "src"))}
    data_dir = Path(tempfile.mkdtemp(prefix="ba-streams-"))
    fake = server = None
    try:
        fake, fake_url = start_fake(args, data_dir / "fake-records.json")
        server, url = start_server(data_dir, fake_url)
        print(f"fake provider {fake_url} (pid {fake.pid}), server {url} (pid {server.pid})")
        run = run_loop(load(args, url, server.pid, fake.pid))
        stop(server)
        assert fake.stdin is not None
        fake.stdin.close()  # the fake writes its records and exits
        fake.wait(timeout=30)
        records = json.loads((data_dir / "fake-records.json").read_text())
        result = figures(args, run, records)
        result["server_errors"] = server_errors(data_dir / "server.log")
    finally:
        stop(server)
        stop(fake)
        shutil.rmtree(data_dir, ignore_errors=True)
    report = table(args, result)
    print(f"\n{report}")
    RESULTS_DIR.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS_DIR / f"streams-{stamp}.json"
    result |= {"when": stamp, "arguments": vars(args), "code": code, "table": report}
    result["machine"] = {"cpus": os.cpu_count(), "python": platform.python_version()}
    path.write_text(json.dumps(result, indent=2))
    print(f"written to {path.relative_to(REPO)}")


if __name__ == "__main__":
    main()
