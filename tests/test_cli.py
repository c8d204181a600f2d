"""The ``ba-assistant`` command: serve, migrate, backup/restore, rotate-keys, create-secrets."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient

from ba_assistant import migrations
from ba_assistant.cli import main
from ba_assistant.config import SECRET_NAMES
from tests.conftest import LiveServer, free_port, make_app, make_settings, sign_in
from tests.documents import sample_files as files


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A clean environment pointing the CLI at a fresh data dir."""
    data_dir = tmp_path / "data"
    for name in (*SECRET_NAMES, "DATABASE_URL", "ENVIRONMENT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATA_DIR", str(data_dir))
    monkeypatch.setenv("RATE_LIMIT_PER_MINUTE", "100000")
    monkeypatch.chdir(tmp_path)  # no stray .env is read
    return data_dir


class TestMigrate:
    def test_creates_the_database_at_head(
        self, env: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        main(["migrate"])
        versions = Path(migrations.__file__).parent / "versions"
        newest = max(path.name[:4] for path in versions.glob("[0-9][0-9][0-9][0-9]_*.py"))
        assert f"database at revision {newest}" in capsys.readouterr().out
        assert (env / "ba_assistant.db").exists()
        main(["migrate"])  # idempotent

    def test_a_wrong_key_is_explained(self, env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        main(["migrate"])
        monkeypatch.setenv("SQLCIPHER_KEY", "f" * 64)
        with pytest.raises(SystemExit) as exit_info:
            main(["migrate"])
        assert "cannot be opened with the configured SQLCIPHER_KEY" in str(exit_info.value.code)


class TestCreateSecrets:
    def test_prints_strong_values_for_each_secret(self, capsys: pytest.CaptureFixture[str]) -> None:
        main(["create-secrets"])
        lines = dict(line.split("=", 1) for line in capsys.readouterr().out.splitlines())
        assert set(lines) == set(SECRET_NAMES)
        Fernet(lines["DB_ENCRYPTION_KEY"].encode())
        assert len(lines["SQLCIPHER_KEY"]) == 64


class TestBackupAndRestore:
    def test_backup_during_writes_then_restore_into_a_fresh_data_dir(
        self, env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        app = make_app(make_settings(env))
        backup = tmp_path / "backups" / "ba.db"
        written: list[str] = []
        stop = threading.Event()
        with LiveServer(app) as server, httpx.Client(base_url=server.url, timeout=30) as http:
            token = http.post(
                "/api/auth/dev-login", json={"email": "ann@example.com", "name": "Ann"}
            ).json()["access_token"]
            http.headers["Authorization"] = f"Bearer {token}"
            project = http.post("/api/projects", json={"name": "Kept"}).json()
            http.post(
                f"/api/projects/{project['id']}/documents",
                json={"name": "policy.md", "content": "Refunds within thirty days"},
            )

            def keep_writing() -> None:
                with httpx.Client(base_url=server.url, headers=http.headers) as writer:
                    while not stop.is_set():
                        response = writer.post("/api/projects", json={"name": "during backup"})
                        assert response.status_code == 201
                        written.append(response.json()["id"])

            thread = threading.Thread(target=keep_writing)
            thread.start()
            time.sleep(0.3)
            before_backup = len(written)
            main(["backup", str(backup)])
            time.sleep(0.2)
            stop.set()
            thread.join()
        app.state.db.dispose()
        assert before_backup > 0 and len(written) > before_backup  # writes ran throughout
        assert oct(backup.stat().st_mode & 0o777) == "0o600"
        assert not backup.read_bytes().startswith(b"SQLite format 3")

        fresh = tmp_path / "fresh"
        fresh.mkdir()
        shutil.copy(env / "secrets.json", fresh / "secrets.json")  # same keys, new machine
        monkeypatch.setenv("DATA_DIR", str(fresh))
        main(["restore", str(backup)])
        restored = make_app(make_settings(fresh))
        with TestClient(restored) as client:
            ann = sign_in(client, "ann@example.com", "Ann")
            ids: set[str] = set()
            while True:
                page = ann.get("/api/projects", params={"limit": 100, "offset": len(ids)}).json()
                ids |= {p["id"] for p in page["projects"]}
                if not page["has_more"]:
                    break
            assert project["id"] in ids
            # Everything written before the backup began is there, and nothing after it ended.
            assert set(written[:before_backup]) <= ids
            assert ids <= set(written) | {project["id"]}
            documents = ann.get(f"/api/projects/{project['id']}/documents").json()["documents"]
            document = ann.get(f"/api/documents/{documents[0]['id']}").json()
            assert document["content"] == "Refunds within thirty days"
            hits = ann.get(f"/api/projects/{project['id']}/search", params={"q": "refunds"})
            assert hits.json()["results"][0]["document_name"] == "policy.md"
        restored.state.db.dispose()

    def test_restore_refuses_a_file_it_cannot_open(
        self, env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        main(["migrate"])
        backup = tmp_path / "ba.db"
        main(["backup", str(backup)])
        original = (env / "ba_assistant.db").read_bytes()
        monkeypatch.setenv("SQLCIPHER_KEY", "e" * 64)
        with pytest.raises(SystemExit) as exit_info:
            main(["restore", str(backup)])
        assert "cannot be opened with the configured SQLCIPHER_KEY" in str(exit_info.value.code)
        assert (env / "ba_assistant.db").read_bytes() == original

    def test_restore_refuses_a_file_that_is_not_a_backup(self, env: Path, tmp_path: Path) -> None:
        main(["migrate"])
        junk = tmp_path / "junk.db"
        junk.write_bytes(os.urandom(4096))
        with pytest.raises(SystemExit) as exit_info:
            main(["restore", str(junk)])
        assert "nothing was changed" in str(exit_info.value.code)

    def test_backup_will_not_overwrite_without_force(self, env: Path, tmp_path: Path) -> None:
        main(["migrate"])
        backup = tmp_path / "ba.db"
        main(["backup", str(backup)])
        with pytest.raises(SystemExit):
            main(["backup", str(backup)])
        main(["backup", str(backup), "--force"])


class TestRotateKeys:
    def test_documents_move_to_the_new_key(
        self, env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
        monkeypatch.setenv("DB_ENCRYPTION_KEY", old)
        app = make_app(make_settings(env, db_encryption_key=old))
        with TestClient(app) as client:
            ann = sign_in(client, "ann@example.com")
            project = ann.project()
            document = ann.document(project["id"], "notes.md", "Minutes of the kick-off")
        app.state.db.dispose()

        monkeypatch.setenv("DB_ENCRYPTION_KEY", f"{new},{old}")
        main(["rotate-keys"])
        assert "re-encrypted 1 documents" in capsys.readouterr().out

        only_new = make_app(make_settings(env, db_encryption_key=new))
        with TestClient(only_new) as client:
            ann = sign_in(client, "ann@example.com")
            body = ann.get(f"/api/documents/{document['id']}").json()
        only_new.state.db.dispose()
        assert body["content"] == "Minutes of the kick-off"


class TestServe:
    def test_refuses_several_workers_until_streams_are_shared(self, env: Path) -> None:
        with pytest.raises(SystemExit) as exit_info:
            main(["serve", "--workers", "2"])
        assert "Run one worker per instance" in str(exit_info.value.code)

    def test_starts_on_host_and_port_from_the_environment(self, env: Path) -> None:
        port = free_port()
        process = subprocess.Popen(
            [sys.executable, "-m", "ba_assistant", "serve"],
            env={**os.environ, "HOST": "127.0.0.1", "PORT": str(port)},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1)
                    break
                except httpx.TransportError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        output = process.stdout.read().decode() if process.stdout else ""
                        pytest.fail(f"the server did not start:\n{output}")
                    time.sleep(0.2)
            assert ready.status_code == 200
            assert ready.json()["status"] == "ready"
            assert httpx.get(f"http://127.0.0.1:{port}/").status_code == 200
        finally:
            process.terminate()
            process.wait(timeout=15)
        assert process.returncode in (0, -15)

    def test_its_export_and_reading_workers_stop_with_it(self, env: Path) -> None:
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "ba_assistant", "serve"],
            env={**os.environ, "HOST": "127.0.0.1", "PORT": str(port)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:
                wait_until_up(http, server)
                make_workers_start(http)
            workers = descendants(server.pid)
            assert len(workers) >= 2  # at least one for the export, one for the upload
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
        finally:
            if server.poll() is None:
                server.kill()
        assert server.returncode in (0, -15)
        deadline = time.monotonic() + 5
        while (left := [pid for pid in workers if alive(pid)]) and time.monotonic() < deadline:
            time.sleep(0.1)
        for pid in left:  # tidy up before failing
            os.kill(pid, signal.SIGKILL)
        assert left == [], "processes the server started outlived it"


def wait_until_up(http: httpx.Client, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            http.get("/healthz", timeout=1)
            return
        except httpx.TransportError:
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail("the server did not start")
            time.sleep(0.2)


def make_workers_start(http: httpx.Client) -> None:
    """An upload read in a worker, and an export made in one, through the API."""
    signed_in = http.post("/api/auth/dev-login", json={"email": "ann@example.com", "name": "Ann"})
    http.headers["Authorization"] = f"Bearer {signed_in.json()['access_token']}"
    project = http.post("/api/projects", json={"name": "Refunds"}).json()["id"]
    upload = http.post(
        f"/api/projects/{project}/documents",
        files={"file": ("policy.docx", files.word_paragraphs("Refunds within 30 days"))},
    )
    assert upload.status_code == 201, upload.text
    thread = http.post(
        f"/api/projects/{project}/threads", json={"initial_message": "Write the user stories"}
    ).json()["id"]
    deadline = time.monotonic() + 30
    while not (artifacts := http.get(f"/api/threads/{thread}/artifacts").json()["artifacts"]):
        assert time.monotonic() < deadline, "the offline assistant wrote no artifact"
        time.sleep(0.2)
    export = http.get(f"/api/artifacts/{artifacts[0]['id']}/export", params={"format": "pdf"})
    assert export.status_code == 200, export.text


def descendants(pid: int) -> list[int]:
    """Every process below ``pid``, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(parent, []).append(int(entry.name))
    found: list[int] = []
    pending = [pid]
    while pending:
        for child in children.get(pending.pop(), []):
            found.append(child)
            pending.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")
