"""API benchmark: latency percentiles at 50 concurrent clients, beside the same queries run raw.

Seeds one user with 5,000 threads x 20 messages and 2,000 documents (~200 MB of text), serves
the app with real uvicorn (``ba-assistant serve``) in a subprocess, and measures p50/p95/max at
50 concurrent clients for: list projects, list threads, list messages (50), get document,
search (common word, rare word, prefix) and a 1 MB upload. Beside each figure, the same
database work run directly in this script (no HTTP, no app) and the ratio API p95 / raw p95.

    .venv/bin/python bench/api.py                      # full scale, temporary database
    .venv/bin/python bench/api.py --scale 0.1          # a quick run (500 threads, 200 documents)
    .venv/bin/python bench/api.py --data-dir /tmp/ba   # seed once, reuse on the next run

This prints figures; it is not a pass/fail test. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import itertools
import json
import math
import os
import platform
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
from sqlalchemy import event, insert, text
from sqlalchemy.orm import Session

from ba_assistant import migrations
from ba_assistant.auth import service as auth_service
from ba_assistant.config import Settings, load_settings
from ba_assistant.db import Database, derive_sqlcipher_key, sqlcipher_connect
from ba_assistant.deps import _owned_document, _owned_thread, load_owned_project
from ba_assistant.documents import search as search_service
from ba_assistant.documents import service as documents_service
from ba_assistant.documents.extract import extract
from ba_assistant.models import Artifact, Message, Project, Thread, User
from ba_assistant.projects import service as projects_service
from ba_assistant.projects.schemas import ProjectCreate
from ba_assistant.threads import service as threads_service

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCH_DIR / "results"
MANIFEST = "bench-manifest.json"
SEED_COPY = "seeded.db"
SEED_VERSION = 3

EMAIL = "bench.analyst@example.com"
NAME = "Bench Analyst"

# Full-scale shape (multiplied by --scale, except the sizes).
THREADS = 5_000
MESSAGES_PER_THREAD = 20
DOCUMENTS = 2_000
DOCUMENT_MEAN_BYTES = 100_000  # 2,000 x ~100 kB = ~200 MB of text
PROJECTS = 10
MAIN_PROJECT_SHARE = 0.5  # the benchmarked project holds half of all threads and documents
UPLOAD_BYTES = 1024 * 1024

TARGETS_MS = {"list": 50.0, "get": 50.0, "search": 50.0, "upload": 300.0}

# Search terms. "customer" is one of the most frequent words of the generated text (94% of the
# passages hold it); the rare word is planted in exactly three documents; the prefix expands to
# nine mid-frequency words (configuration, confirm, confidential, ...) found in 80% of them.
COMMON_WORD = "customer"
RARE_WORD = "zephyrquartz"
PREFIX = "confi*"


# --- text -------------------------------------------------------------------------------


def _words(line: str) -> list[str]:
    return line.split()


_FUNCTION_WORDS = _words(
    "the of and to a in is that for it as with be on by this are or from at an will which "
    "should when must can not all each we they if so have has into our their but"
)
_DOMAIN_WORDS = _words(
    "user system data order account payment report process team product service request "
    "status screen field approval workflow invoice manager release feature requirement "
    "integration delivery stakeholder policy refund checkout dashboard notification "
    "configuration project progress profile priority deadline budget risk assumption "
    "constraint scope milestone backlog sprint story criteria acceptance journey persona "
    "interview meeting decision action owner supplier warehouse shipment catalogue pricing "
    "discount tax compliance audit security access role permission export import search "
    "filter upload download migration legacy interface error validation exception "
    "confirm escalation support ticket contract renewal subscription billing ledger "
    "reconciliation onboarding training rollout pilot feedback survey metric target baseline "
    "forecast capacity schedule calendar booking reservation cancellation confirmation "
    "procurement procedure provider proposal conflict confidential confidence confined "
    "configure configurable confidentiality"
)
_SYLLABLES = _words(
    "ka lo mi ta ren vo qui sel dor pan tri mex ul ba cor fen gal hos lin ner pri sto ven "
    "wil zan bri del fo gra jun mur ost pel sar tem vix yor"
)
_GENERATED_WORDS = 6_000
_ZIPF_EXPONENT = 1.0


class Vocabulary:
    """English function and business words, then generated words, drawn with Zipf's law."""

    def __init__(self) -> None:
        rng = random.Random(1234)
        real = [*_FUNCTION_WORDS[:6], COMMON_WORD, *_FUNCTION_WORDS[6:], *_DOMAIN_WORDS]
        words = list(dict.fromkeys(real))
        taken = set(words)
        while len(words) < len(real) + _GENERATED_WORDS:
            word = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4)))
            if word not in taken and not word.startswith("conf") and word != RARE_WORD:
                taken.add(word)
                words.append(word)
        self.words = words
        self.cum_weights = list(
            itertools.accumulate(1.0 / (rank**_ZIPF_EXPONENT) for rank in range(1, len(words) + 1))
        )

    def draw(self, rng: random.Random, count: int) -> list[str]:
        return rng.choices(self.words, cum_weights=self.cum_weights, k=count)

    def sentences(self, rng: random.Random, count: int) -> str:
        words = self.draw(rng, count)
        out: list[str] = []
        i = 0
        while i < count:
            length = rng.randint(6, 22)
            sentence = words[i : i + length]
            i += length
            sentence[0] = sentence[0].capitalize()
            if len(sentence) > 8 and rng.random() < 0.3:
                sentence[len(sentence) // 2] += ","
            out.append(" ".join(sentence) + ".")
        return " ".join(out)

    def title(self, rng: random.Random, count: int = 3) -> str:
        # Titles come from the less frequent half of the real words, so they read as topics.
        start = len(_FUNCTION_WORDS) + 1
        picks = rng.sample(self.words[start : start + 160], count)
        return " ".join(w.capitalize() for w in picks)

    def document(self, rng: random.Random, target_bytes: int, title: str) -> str:
        """Markdown: a title, ## sections of 2-6 paragraphs, paragraphs of 30-180 words."""
        parts = [f"# {title}"]
        size = len(parts[0])
        while size < target_bytes:
            heading = f"## {self.title(rng, rng.randint(2, 4))}"
            parts.append(heading)
            size += len(heading) + 2
            for _ in range(rng.randint(2, 6)):
                if rng.random() < 0.15:
                    items = [f"- {self.sentences(rng, rng.randint(5, 14))}" for _ in range(4)]
                    paragraph = "\n".join(items)
                else:
                    paragraph = self.sentences(rng, rng.randint(30, 180))
                parts.append(paragraph)
                size += len(paragraph) + 2
                if size >= target_bytes:
                    break
        return "\n\n".join(parts)


def plant(rng: random.Random, body: str, word: str) -> str:
    """Puts ``word`` once into a random sentence of the body."""
    sentences = body.split(". ")
    at = rng.randrange(1, max(2, len(sentences)))
    sentences[at - 1] += f" {word}"
    return ". ".join(sentences)


def document_size(rng: random.Random) -> int:
    # Log-normal sizes with a mean of DOCUMENT_MEAN_BYTES: most documents are 30-150 kB.
    sigma = 0.8
    mu = math.log(DOCUMENT_MEAN_BYTES) - sigma * sigma / 2
    return int(min(900_000, max(3_000, rng.lognormvariate(mu, sigma))))


def upload_payload(vocabulary: Vocabulary, variant: int) -> bytes:
    rng = random.Random(10_000 + variant)
    body = vocabulary.document(rng, UPLOAD_BYTES + 200, f"Upload {variant}").encode()
    return body[:UPLOAD_BYTES]


# --- settings and database --------------------------------------------------------------


def bench_settings(data_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "environment": "development",
        "data_dir": data_dir,
        "rate_limit_per_minute": 10_000_000,
        "auth_rate_limit_per_minute": 10_000_000,
        "log_level": "WARNING",
        "_env_file": None,
    }
    values.update(overrides)
    return load_settings(**values)


def clean_environment() -> None:
    """Drop any Settings variable from the environment so neither process sees stray config."""
    for name in Settings.model_fields:
        os.environ.pop(name.upper(), None)
        os.environ.pop(name, None)


def database_path(settings: Settings) -> Path:
    return Path(settings.resolved_database_url.removeprefix("sqlite:///"))


def database_bytes(settings: Settings) -> int:
    path = database_path(settings)
    return sum(
        p.stat().st_size for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")) if p.exists()
    )


def raw_connection(settings: Settings) -> Any:
    key = settings.sqlcipher_key.get_secret_value() if settings.sqlcipher_key else ""
    return sqlcipher_connect(str(database_path(settings)), derive_sqlcipher_key(key))


# --- seeding ----------------------------------------------------------------------------


@dataclass
class Manifest:
    seed_version: int
    scale: float
    complete: bool
    schema: str  # fingerprint of the migrations the database was created with
    user_id: str
    main_project_id: str
    project_ids: list[str]
    thread_ids: list[str]  # a sample of the main project's threads
    document_ids: list[str]  # a sample of the main project's documents
    threads: int = 0
    messages: int = 0
    documents: int = 0
    chunks: int = 0
    document_text_bytes: int = 0
    seed_seconds: float = 0.0
    seed_steps: dict[str, float] = field(default_factory=dict)
    database_bytes: int = 0

    @classmethod
    def load(cls, data_dir: Path) -> Manifest | None:
        try:
            return cls(**json.loads((data_dir / MANIFEST).read_text()))
        except FileNotFoundError:
            return None

    def save(self, data_dir: Path) -> None:
        (data_dir / MANIFEST).write_text(json.dumps(asdict(self), indent=2))


def schema_fingerprint() -> str:
    """A hash of the migration scripts: a seeded database is only reused with the same ones."""
    versions = Path(migrations.__file__).parent / "versions"
    digest = hashlib.sha256()
    for path in sorted(versions.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def code_version() -> dict[str, Any]:
    """The commit measured, and whether src/ had uncommitted changes."""

    def git(*arguments: str) -> str:
        result = subprocess.run(
            ["git", *arguments], cwd=BENCH_DIR.parent, capture_output=True, text=True, check=False
        )
        return result.stdout.strip()

    return {
        "commit": git("rev-parse", "HEAD"),
        "src_dirty": bool(git("status", "--porcelain", "src")),
    }


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def seed(settings: Settings, scale: float, vocabulary: Vocabulary) -> Manifest:
    started = time.perf_counter()
    database = Database(settings)
    migrations.upgrade(database.engine)
    rng = random.Random(42)
    with database.session() as session:
        user = auth_service.dev_login(session, email=EMAIL, name=NAME)
        projects = [
            projects_service.create_project(
                session,
                user,
                ProjectCreate(
                    name=("Payments platform (benchmark)" if i == 0 else vocabulary.title(rng)),
                    description=vocabulary.sentences(rng, 25),
                ),
            )
            for i in range(PROJECTS)
        ]
        user_id, project_ids = user.id, [p.id for p in projects]
    manifest = Manifest(
        seed_version=SEED_VERSION,
        scale=scale,
        complete=False,
        schema=schema_fingerprint(),
        user_id=user_id,
        main_project_id=project_ids[0],
        project_ids=project_ids,
        thread_ids=[],
        document_ids=[],
    )

    def pick_project() -> str:
        if rng.random() < MAIN_PROJECT_SHARE:
            return project_ids[0]
        return rng.choice(project_ids[1:])

    step = time.perf_counter()
    main_threads = seed_threads(database, vocabulary, rng, manifest, pick_project, scale)
    manifest.seed_steps["threads_and_messages"] = round(time.perf_counter() - step, 1)
    step = time.perf_counter()
    main_documents = seed_documents(database, vocabulary, rng, manifest, pick_project, scale)
    manifest.seed_steps["documents"] = round(time.perf_counter() - step, 1)

    step = time.perf_counter()
    with database.engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.rollback()
    manifest.seed_steps["checkpoint"] = round(time.perf_counter() - step, 1)
    database.dispose()
    # Every later run starts from this copy, so uploads and deletions (free pages, FTS
    # tombstones) of one run never change what the next one measures.
    shutil.copyfile(database_path(settings), settings.data_dir / SEED_COPY)

    sampler = random.Random(7)
    manifest.thread_ids = sampler.sample(main_threads, min(500, len(main_threads)))
    manifest.document_ids = sampler.sample(main_documents, min(500, len(main_documents)))
    manifest.seed_seconds = round(time.perf_counter() - started, 1)
    manifest.database_bytes = database_bytes(settings)
    manifest.complete = True
    manifest.save(settings.data_dir)
    return manifest


def seed_threads(
    database: Database,
    vocabulary: Vocabulary,
    rng: random.Random,
    manifest: Manifest,
    pick_project: Callable[[], str],
    scale: float,
) -> list[str]:
    """Threads, messages and one artifact per thread, as bulk inserts of 250 threads each."""
    total = max(1, round(THREADS * scale))
    now = datetime.now(UTC)
    main: list[str] = []
    batch = 250
    for first in range(0, total, batch):
        threads: list[dict[str, Any]] = []
        messages: list[dict[str, Any]] = []
        artifacts: list[dict[str, Any]] = []
        for _ in range(first, min(total, first + batch)):
            thread_id = str(uuid.uuid4())
            project_id = pick_project()
            if project_id == manifest.main_project_id:
                main.append(thread_id)
            start = now - timedelta(days=rng.uniform(1, 365))
            at = start
            message_ids = []
            for j in range(MESSAGES_PER_THREAD):
                at += timedelta(seconds=rng.randint(20, 600))
                assistant = j % 2 == 1
                message_id = str(uuid.uuid4())
                message_ids.append(message_id)
                words = rng.randint(40, 250) if assistant else rng.randint(8, 80)
                messages.append(
                    {
                        "id": message_id,
                        "thread_id": thread_id,
                        "role": "assistant" if assistant else "user",
                        "content": vocabulary.sentences(rng, words),
                        "status": "complete",
                        "reply_to_id": message_ids[-2] if assistant else None,
                        "model": "claude-sonnet-5-5" if assistant else None,
                        "token_count": int(words * 1.3),
                        "created_at": at,
                    }
                )
            artifacts.append(
                {
                    "id": str(uuid.uuid4()),
                    "message_id": message_ids[-1],
                    "thread_id": thread_id,
                    "type": "user_story",
                    "title": vocabulary.title(rng),
                    "content": vocabulary.sentences(rng, 120),
                    "version": 1,
                    "created_at": at,
                    "updated_at": at,
                }
            )
            threads.append(
                {
                    "id": thread_id,
                    "project_id": project_id,
                    "title": f"Discovery: {vocabulary.title(rng)}",
                    "summary": vocabulary.sentences(rng, 40),
                    "last_message_at": at,
                    "created_at": start,
                    "updated_at": at,
                }
            )
        with database.session() as session:
            session.execute(insert(Thread), threads)
            session.execute(insert(Message), messages)
            session.execute(insert(Artifact), artifacts)
        manifest.threads += len(threads)
        manifest.messages += len(messages)
        if manifest.threads % 1000 == 0 or manifest.threads == total:
            log(f"seeded {manifest.threads:,}/{total:,} threads, {manifest.messages:,} messages")
    return main


def seed_documents(
    database: Database,
    vocabulary: Vocabulary,
    rng: random.Random,
    manifest: Manifest,
    pick_project: Callable[[], str],
    scale: float,
) -> list[str]:
    """Documents through the service layer (encrypt, split, index), ~5 MB per transaction."""
    total = max(1, round(DOCUMENTS * scale))
    fernet = database.settings.fernet
    planted = {total // 7, total // 2, (5 * total) // 6}  # the rare word's three documents
    kinds = ("Requirements", "Meeting notes", "Specification", "Interview", "Process map")
    main: list[str] = []
    started = time.perf_counter()
    index = 0
    while index < total:
        budget = 0
        with database.session() as session:
            projects: dict[str, Project] = {}
            while index < total and budget < 5_000_000:
                doc_rng = random.Random(1_000_000 + index)
                title = f"{rng.choice(kinds)} {index:04d}: {vocabulary.title(doc_rng)}"
                body = vocabulary.document(doc_rng, document_size(doc_rng), title)
                if index in planted:
                    body = plant(doc_rng, body, RARE_WORD)
                project_id = pick_project()
                project = projects.get(project_id) or session.get(Project, project_id)
                assert project is not None
                projects[project_id] = project
                data = body.encode()
                document = documents_service.create_document(
                    session,
                    project,
                    name=f"{title}.md",
                    extracted=extract(f"{title}.md", data),
                    size_bytes=len(data),
                    fernet=fernet,
                )
                if project_id == manifest.main_project_id:
                    main.append(document.id)
                manifest.documents += 1
                manifest.document_text_bytes += len(data)
                budget += len(data)
                index += 1
        elapsed = time.perf_counter() - started
        rate = manifest.document_text_bytes / elapsed / 1e6
        eta = (total - index) * (elapsed / index)
        log(
            f"seeded {index:,}/{total:,} documents, "
            f"{manifest.document_text_bytes / 1e6:,.0f} MB ({rate:.2f} MB/s, ~{eta:,.0f} s left)"
        )
    with database.engine.connect() as connection:
        manifest.chunks = connection.execute(
            text("SELECT count(*) FROM document_chunks")
        ).scalar_one()
    return main


def restore_seed(settings: Settings) -> None:
    started = time.perf_counter()
    database = database_path(settings)
    for leftover in (Path(f"{database}-wal"), Path(f"{database}-shm")):
        leftover.unlink(missing_ok=True)
    shutil.copyfile(settings.data_dir / SEED_COPY, database)
    log(f"restored the seeded database in {time.perf_counter() - started:,.1f} s")


def prepare_data(args: argparse.Namespace, vocabulary: Vocabulary) -> tuple[Settings, Manifest]:
    data_dir: Path = args.data_dir
    manifest = Manifest.load(data_dir)
    if manifest is not None:
        if not manifest.complete:
            sys.exit(f"{data_dir} holds an unfinished seed; delete the directory and run again")
        if manifest.seed_version != SEED_VERSION or manifest.scale != args.scale:
            sys.exit(
                f"{data_dir} was seeded at scale {manifest.scale} (seed v{manifest.seed_version}); "
                f"pass --scale {manifest.scale} or use another --data-dir"
            )
        if manifest.schema != schema_fingerprint():
            sys.exit(
                f"{data_dir} was seeded with other migrations than this checkout's; "
                "delete it or use another --data-dir"
            )
        log(
            f"reusing the database in {data_dir} (seeded in {manifest.seed_seconds:,.0f} s, "
            f"{manifest.database_bytes / 1e6:,.0f} MB)"
        )
        settings = bench_settings(data_dir)
        restore_seed(settings)
        return settings, manifest
    if data_dir.exists() and any(p.name.endswith(".db") for p in data_dir.iterdir()):
        sys.exit(f"{data_dir} holds a database without a benchmark manifest; use another path")
    settings = bench_settings(data_dir)
    log(
        f"seeding {data_dir} at scale {args.scale}: "
        f"{round(THREADS * args.scale):,} threads x {MESSAGES_PER_THREAD} messages, "
        f"{round(DOCUMENTS * args.scale):,} documents (~{DOCUMENT_MEAN_BYTES // 1000} kB each)"
    )
    manifest = seed(settings, args.scale, vocabulary)
    log(
        f"seeded in {manifest.seed_seconds:,.0f} s {manifest.seed_steps}; database "
        f"{manifest.database_bytes / 1e6:,.0f} MB, {manifest.chunks:,} passages"
    )
    return settings, manifest


# --- the server -------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Server:
    """``ba-assistant serve`` (migrations, then uvicorn) in a subprocess on a loopback port."""

    def __init__(self, data_dir: Path, *, workers: int, log_level: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.data_dir = data_dir
        self.workers = workers
        self.log_level = log_level
        self.log_path = data_dir / "server.log"
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Server:
        env = {
            **os.environ,
            "ENVIRONMENT": "development",
            "DATA_DIR": str(self.data_dir.resolve()),
            "RATE_LIMIT_PER_MINUTE": "10000000",
            "AUTH_RATE_LIMIT_PER_MINUTE": "10000000",
            "LOG_LEVEL": self.log_level,
        }
        command = [sys.executable, "-m", "ba_assistant", "serve", "--port", str(self.port)]
        command += ["--workers", str(self.workers)]
        with self.log_path.open("ab") as log_file:
            # cwd is the data directory, so no stray .env is read.
            self.process = subprocess.Popen(
                command, cwd=self.data_dir, env=env, stdout=log_file, stderr=log_file
            )
        deadline = time.monotonic() + 120
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited; see {self.log_path}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start; see {self.log_path}")
            time.sleep(0.2)

    def __exit__(self, *_: object) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def cpu_seconds(self) -> float:
        """User + system CPU of the server process and its workers, from /proc."""
        if self.process is None:
            return 0.0
        return sum(_proc_cpu(pid) for pid in _process_tree(self.process.pid))

    def sign_in(self) -> tuple[str, str]:
        response = httpx.post(
            f"{self.url}/api/auth/dev-login", json={"email": EMAIL, "name": NAME}, timeout=30
        )
        response.raise_for_status()
        body = response.json()
        return body["access_token"], body["user"]["id"]


def _process_tree(pid: int) -> list[int]:
    pids = [pid]
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            children = Path(f"/proc/{pid}/task/{tid}/children").read_text().split()
        except OSError:
            continue
        for child in children:
            pids += _process_tree(int(child))
    return pids


def _proc_cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


# --- measuring --------------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


@dataclass
class Figures:
    count: int
    p50_ms: float
    p95_ms: float
    max_ms: float
    per_second: float
    seconds: float
    errors: int = 0
    first_error: str = ""

    @classmethod
    def of(
        cls, seconds: list[float], wall: float, errors: int = 0, first_error: str = ""
    ) -> Figures:
        return cls(
            count=len(seconds),
            p50_ms=round(percentile(seconds, 50) * 1000, 2),
            p95_ms=round(percentile(seconds, 95) * 1000, 2),
            max_ms=round(max(seconds) * 1000, 2),
            per_second=round(len(seconds) / wall, 1) if wall else 0.0,
            seconds=round(wall, 2),
            errors=errors,
            first_error=first_error,
        )


@dataclass
class ApiRequest:
    method: str
    url: str
    files: dict[str, tuple[str, bytes, str]] | None = None


@dataclass
class Scenario:
    name: str
    label: str
    kind: str  # list | get | search | upload: which target applies
    requests: int
    api: Callable[[int], ApiRequest]
    raw: Callable[[int], Callable[[], None]]  # i -> the raw operation for request i
    expect: int = 200


async def _load(
    base_url: str,
    token: str,
    scenario: Scenario,
    count: int,
    concurrency: int,
    offset: int,
    seconds: float,
    think: float = 0.0,
) -> tuple[list[float], float, int, str]:
    """``count`` requests from ``concurrency`` clients that send the next one as soon as the
    last answered (a closed loop; with ``think`` seconds, after pausing 0.5-1.5 x think), but
    none started after ``seconds``. Returns latencies, wall time, errors and the first error.
    """
    pauses = random.Random(offset)
    # Idle connections are dropped before uvicorn's 5 s keep-alive timeout would close them,
    # so that a request never races the server closing its connection.
    limits = httpx.Limits(
        max_connections=concurrency, max_keepalive_connections=concurrency, keepalive_expiry=4
    )
    headers = {"Authorization": f"Bearer {token}"}
    latencies: list[float] = []
    errors = 0
    first_error = ""
    counter = iter(range(offset, offset + count))
    async with httpx.AsyncClient(
        base_url=base_url, headers=headers, limits=limits, timeout=300
    ) as client:

        async def worker() -> None:
            nonlocal errors, first_error
            if think:  # staggered starts: no burst of every client at once
                await asyncio.sleep(think * pauses.random())
            for i in counter:
                if time.perf_counter() > deadline:
                    return
                request = scenario.api(i)
                started = time.perf_counter()
                try:
                    response = await client.request(
                        request.method, request.url, files=request.files
                    )
                    problem = (
                        f"{response.status_code} {response.text[:300]}"
                        if response.status_code != scenario.expect
                        else ""
                    )
                except httpx.TransportError as exc:  # counted, not fatal: a figure, not a test
                    problem = f"{type(exc).__name__}: {exc}"
                latencies.append(time.perf_counter() - started)
                if problem:
                    errors += 1
                    first_error = first_error or problem
                if think:
                    await asyncio.sleep(think * pauses.uniform(0.5, 1.5))

        started = time.perf_counter()
        deadline = started + seconds
        await asyncio.gather(*(worker() for _ in range(min(concurrency, count))))
        wall = time.perf_counter() - started
    return latencies, wall, errors, first_error


def run_api(
    server: Server,
    scenario: Scenario,
    count: int,
    concurrency: int,
    offset: int,
    seconds: float,
    think: float = 0.0,
) -> tuple[Figures, float]:
    token, _ = server.sign_in()  # fresh each time: access tokens live 15 minutes
    cpu_before = server.cpu_seconds()
    latencies, wall, errors, first_error = _run_async(
        _load(server.url, token, scenario, count, concurrency, offset, seconds, think)
    )
    cpu = server.cpu_seconds() - cpu_before
    if errors:
        log(f"  {scenario.name}: {errors} unexpected responses, e.g. {first_error}")
    return Figures.of(latencies, wall, errors, first_error), cpu


def _run_async(coroutine: Any) -> Any:
    try:
        import uvloop

        return uvloop.run(coroutine)
    except ImportError:  # pragma: no cover - uvloop comes with uvicorn[standard]
        return asyncio.run(coroutine)


def run_raw(scenario: Scenario, count: int, offset: int, seconds: float) -> Figures:
    """The raw operations one after another, on one connection in this process."""
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds
    for i in range(offset, offset + count):
        if time.perf_counter() > deadline:
            break
        operation = scenario.raw(i)  # captures the SQL on first use: not timed
        started = time.perf_counter()
        operation()
        latencies.append(time.perf_counter() - started)
    return Figures.of(latencies, sum(latencies))


class Capture:
    """Records the SQL a service call sends, to replay it on a raw SQLCipher connection."""

    def __init__(self, database: Database, connection: Any) -> None:
        self.database = database
        self.connection = connection
        self.statements: list[tuple[str, Any]] = []
        self._cache: dict[Any, list[tuple[str, Any]]] = {}
        event.listen(database.engine, "before_cursor_execute", self._record)

    def _record(self, _c: Any, _cur: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            self.statements.append((statement, parameters))

    def sql(self, key: Any, call: Callable[[Session], object]) -> list[tuple[str, Any]]:
        if key not in self._cache:
            self.statements = []
            with self.database.session(write=False) as session:
                call(session)
            self._cache[key] = self.statements
        return self._cache[key]

    def replay(self, key: Any, call: Callable[[Session], object]) -> Callable[[], None]:
        statements = self.sql(key, call)
        connection = self.connection

        def operation() -> None:
            cursor = connection.cursor()
            cursor.execute("BEGIN")
            for statement, parameters in statements:
                cursor.execute(statement, parameters).fetchall()
            cursor.execute("COMMIT")
            cursor.close()

        return operation


def scenarios(
    args: argparse.Namespace,
    settings: Settings,
    manifest: Manifest,
    database: Database,
    capture: Capture,
    upload_project_id: str,
    payloads: list[bytes],
) -> list[Scenario]:
    n = args.requests
    main = manifest.main_project_id
    threads, documents = manifest.thread_ids, manifest.document_ids
    with database.session(write=False) as session:
        user = session.get(User, manifest.user_id)
        assert user is not None
        session.expunge(user)

    def project_query(call: Callable[[Session, Project], object]) -> Callable[[Session], None]:
        def run(session: Session) -> None:
            call(session, load_owned_project(session, user, main))

        return run

    def list_threads(session: Session, project: Project) -> None:
        threads_service.list_threads(session, project, limit=50, offset=0)

    def search_for(query: str) -> Callable[[int], Callable[[], None]]:
        def run(session: Session, project: Project) -> None:
            search_service.search(session, project.id, query, limit=11)  # the endpoint's limit+1

        return lambda _: capture.replay(("search", query), project_query(run))

    def list_messages(i: int) -> Callable[[], None]:
        thread_id = threads[i % len(threads)]

        def run(session: Session) -> None:
            thread = _owned_thread(thread_id, user, session)
            threads_service.list_messages(session, thread, limit=50, offset=0)

        return capture.replay(("messages", thread_id), run)

    def get_document(i: int) -> Callable[[], None]:
        document_id = documents[i % len(documents)]

        def run(session: Session) -> None:
            document = _owned_document(document_id, user, session)
            document.content_encrypted  # noqa: B018 - loads the content if it is deferred

        return capture.replay(("document", document_id), run)

    def upload_api(i: int) -> ApiRequest:
        payload = payloads[i % len(payloads)]
        return ApiRequest(
            "POST",
            f"/api/projects/{upload_project_id}/documents",
            files={"file": (f"bench-upload-{i}.txt", payload, "text/plain")},
        )

    def upload_raw(i: int) -> Callable[[], None]:
        payload = payloads[i % len(payloads)]

        def operation() -> None:
            # The endpoint's work without HTTP: extract, then encrypt, split, insert and index.
            with database.session() as session:
                project = load_owned_project(session, user, upload_project_id)
                name = f"bench-raw-{i}.txt"
                documents_service.create_document(
                    session,
                    project,
                    name=name,
                    extracted=extract(name, payload),
                    size_bytes=len(payload),
                    fernet=settings.fernet,
                )

        return operation

    def search_api(query: str) -> Callable[[int], ApiRequest]:
        return lambda _: ApiRequest("GET", f"/api/projects/{main}/search?q={quote(query)}")

    return [
        Scenario(
            "list_projects",
            "list projects",
            "list",
            n,
            lambda _: ApiRequest("GET", "/api/projects"),
            lambda _: capture.replay(
                "projects",
                lambda session: projects_service.list_projects(session, user, limit=50, offset=0),
            ),
        ),
        Scenario(
            "list_threads",
            "list threads (50)",
            "list",
            n,
            lambda _: ApiRequest("GET", f"/api/projects/{main}/threads?limit=50"),
            lambda _: capture.replay("threads", project_query(list_threads)),
        ),
        Scenario(
            "list_messages",
            "list messages (50)",
            "list",
            n,
            lambda i: ApiRequest(
                "GET", f"/api/threads/{threads[i % len(threads)]}/messages?limit=50"
            ),
            list_messages,
        ),
        Scenario(
            "get_document",
            "get document",
            "get",
            n,
            lambda i: ApiRequest("GET", f"/api/documents/{documents[i % len(documents)]}"),
            get_document,
        ),
        Scenario(
            "search_common",
            f"search common ({COMMON_WORD})",
            "search",
            n,
            search_api(COMMON_WORD),
            search_for(COMMON_WORD),
        ),
        Scenario(
            "search_rare",
            f"search rare ({RARE_WORD})",
            "search",
            n,
            search_api(RARE_WORD),
            search_for(RARE_WORD),
        ),
        Scenario(
            "search_prefix",
            f"search prefix ({PREFIX})",
            "search",
            n,
            search_api(PREFIX),
            search_for(PREFIX),
        ),
        Scenario(
            "upload_1mb",
            "upload 1 MB .txt",
            "upload",
            args.uploads,
            upload_api,
            upload_raw,
            expect=201,
        ),
    ]


# --- the run ----------------------------------------------------------------------------


@dataclass
class Row:
    name: str
    label: str
    target_ms: float
    api: Figures
    raw: Figures
    serial_p50_ms: float | None
    server_cpu_ms_per_request: float
    server_cpu_cores: float

    @property
    def ratio(self) -> float:
        return round(self.api.p95_ms / self.raw.p95_ms, 1) if self.raw.p95_ms else math.inf

    @property
    def met(self) -> bool:
        return self.api.p95_ms < self.target_ms and self.api.errors == 0


def measure(args: argparse.Namespace, server: Server, scenario: Scenario, concurrency: int) -> Row:
    count, limit = scenario.requests, args.time_limit
    warmup = 2 if scenario.kind == "upload" else min(concurrency, count)
    log(f"{scenario.label}: {warmup} warm-up, then {count} requests from {concurrency} clients")
    run_api(server, scenario, warmup, concurrency, offset=0, seconds=min(30, limit))
    think = args.think_ms / 1000
    api, cpu = run_api(server, scenario, count, concurrency, warmup, limit, think)
    if api.count < count:
        log(f"  stopped after {api.count} requests: --time-limit {limit:g} s")
    serial_p50 = None
    serial_count = min(args.serial_requests, 10 if scenario.kind == "upload" else count)
    if serial_count:
        offset = warmup + count
        serial, _ = run_api(server, scenario, serial_count, 1, offset=offset, seconds=30)
        serial_p50 = serial.p50_ms
    scenario.raw(0)()  # warm the raw connection's page cache too
    raw = run_raw(scenario, count, offset=warmup, seconds=limit)
    row = Row(
        name=scenario.name,
        label=scenario.label,
        target_ms=TARGETS_MS[scenario.kind],
        api=api,
        raw=raw,
        serial_p50_ms=serial_p50,
        server_cpu_ms_per_request=round(cpu * 1000 / api.count, 2),
        server_cpu_cores=round(cpu / api.seconds, 2) if api.seconds else 0.0,
    )
    log(
        f"  API p50 {api.p50_ms:,.1f} ms, p95 {api.p95_ms:,.1f} ms, {api.per_second:,.1f}/s, "
        f"server CPU {row.server_cpu_ms_per_request:,.1f} ms/request; raw p95 "
        f"{raw.p95_ms:,.2f} ms ({raw.count} runs); ratio {row.ratio}"
    )
    return row


def table(rows: list[Row], concurrency: int, think_ms: float) -> str:
    header = (
        f"{'scenario':<28}{'n':>5}{'API p50':>9}{'API p95':>9}{'API max':>9}{'req/s':>8}"
        f"{'cpu/req':>9}{'c=1 p50':>9}{'raw p50':>9}{'raw p95':>9}{'ratio':>8}"
        f"{'target':>8}  met"
    )
    pause = f", each pausing ~{think_ms:g} ms between requests" if think_ms else ""
    lines = [
        f"milliseconds. API: {concurrency} concurrent clients{pause}. cpu/req: server CPU per "
        "request. c=1: one client.",
        "raw: the endpoint's SQL replayed in-process on one SQLCipher connection, one at a time "
        "(upload: the service call). ratio: API p95 / raw p95.",
        header,
        "-" * len(header),
    ]
    for row in rows:
        serial = f"{row.serial_p50_ms:,.1f}" if row.serial_p50_ms is not None else "-"
        lines.append(
            f"{row.label:<28}{row.api.count:>5}"
            f"{row.api.p50_ms:>9,.1f}{row.api.p95_ms:>9,.1f}{row.api.max_ms:>9,.0f}"
            f"{row.api.per_second:>8,.0f}{row.server_cpu_ms_per_request:>9,.1f}{serial:>9}"
            f"{row.raw.p50_ms:>9,.2f}{row.raw.p95_ms:>9,.2f}{row.ratio:>8,.1f}"
            f"{'<' + format(row.target_ms, 'g'):>8}  {'yes' if row.met else 'NO'}"
            + (f" ({row.api.errors} errors)" if row.api.errors else "")
        )
    return "\n".join(lines)


def machine() -> dict[str, Any]:
    connection = __import__("sqlcipher3.dbapi2", fromlist=["connect"]).connect(":memory:")
    versions = connection.execute("SELECT sqlite_version()").fetchone()[0]
    cipher = connection.execute("PRAGMA cipher_version").fetchone()[0]
    connection.close()
    return {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "sqlite": versions,
        "sqlcipher": cipher,
        "load_average": os.getloadavg(),
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--scale", type=float, default=1.0, help="data size factor (1 = 5,000 threads, 2,000 docs)"
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        help="keep the seeded database here and reuse it next time (default: a temporary one)",
    )
    parser.add_argument("--concurrency", type=int, default=50, help="concurrent clients")
    parser.add_argument("--requests", type=int, default=500, help="requests per read scenario")
    parser.add_argument("--uploads", type=int, default=50, help="requests for the upload")
    parser.add_argument(
        "--serial-requests",
        type=int,
        default=30,
        help="requests from a single client for the 'c=1 p50' column (0 skips it)",
    )
    parser.add_argument(
        "--time-limit",
        type=float,
        default=120,
        help="seconds after which a scenario starts no more requests (API and raw alike)",
    )
    parser.add_argument(
        "--think-ms",
        type=float,
        default=0,
        help="each client pauses about this long between requests (default 0: a closed loop)",
    )
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument("--log-level", default="WARNING", help="the server's LOG_LEVEL")
    parser.add_argument("--only", help="comma-separated scenario names, e.g. search_common")
    parser.add_argument("--seed-only", action="store_true", help="seed, then stop")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    clean_environment()
    temporary = args.data_dir is None
    if temporary:
        args.data_dir = Path(tempfile.mkdtemp(prefix="ba-bench-"))
    args.data_dir = args.data_dir.resolve()
    vocabulary = Vocabulary()
    try:
        settings, manifest = prepare_data(args, vocabulary)
        if not args.seed_only:
            run(args, settings, manifest, vocabulary)
    finally:
        if temporary:
            shutil.rmtree(args.data_dir, ignore_errors=True)


def run(
    args: argparse.Namespace, settings: Settings, manifest: Manifest, vocabulary: Vocabulary
) -> None:
    code = code_version()  # before the server starts: the code it imports
    payloads = [upload_payload(vocabulary, variant) for variant in range(3)]
    database = Database(settings)
    with database.session() as session:
        user = session.get(User, manifest.user_id)
        assert user is not None
        upload_project_id = projects_service.create_project(
            session, user, ProjectCreate(name="Bench uploads (deleted after the run)")
        ).id
    connection = raw_connection(settings)
    capture = Capture(database, connection)
    selected = set(args.only.split(",")) if args.only else None
    rows: list[Row] = []
    try:
        with Server(args.data_dir, workers=args.workers, log_level=args.log_level) as server:
            _, user_id = server.sign_in()
            if user_id != manifest.user_id:
                sys.exit("dev-login returned another user than the seeded one")
            log(f"server {server.url} (pid {server.process and server.process.pid})")
            for scenario in scenarios(
                args, settings, manifest, database, capture, upload_project_id, payloads
            ):
                if selected is None or scenario.name in selected:
                    rows.append(measure(args, server, scenario, args.concurrency))
    finally:
        started = time.perf_counter()
        with database.session() as session:
            project = session.get(Project, upload_project_id)
            if project is not None:
                projects_service.delete_project(session, project)
        log(f"deleted the uploads project in {time.perf_counter() - started:,.1f} s")
        connection.close()
        database.dispose()

    report = table(rows, args.concurrency, args.think_ms)
    print()
    print(report)
    print()
    print(
        f"data: {manifest.threads:,} threads, {manifest.messages:,} messages, "
        f"{manifest.documents:,} documents ({manifest.document_text_bytes / 1e6:,.0f} MB of "
        f"text, {manifest.chunks:,} passages) in {len(manifest.project_ids)} projects; "
        f"database {manifest.database_bytes / 1e6:,.0f} MB; seeded in "
        f"{manifest.seed_seconds:,.0f} s"
    )
    RESULTS_DIR.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS_DIR / f"api-{stamp}.json"
    result = {
        "when": stamp,
        "arguments": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "machine": machine(),
        "code": code,
        "data": {k: v for k, v in asdict(manifest).items() if not k.endswith("_ids")},
        "targets_ms": TARGETS_MS,
        "rows": [{**asdict(row), "ratio_p95": row.ratio, "target_met": row.met} for row in rows],
        "table": report,
    }
    path.write_text(json.dumps(result, indent=2))
    print(f"written to {path.relative_to(BENCH_DIR.parent)}")


if __name__ == "__main__":
    main()
