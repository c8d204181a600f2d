"""The SQLite engine under concurrency: WAL, keys, and no "database is locked"."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text

from ba_assistant.config import Settings
from ba_assistant.db import Database, SessionDep, sqlcipher_connect
from ba_assistant.errors import Conflict
from ba_assistant.models import Project, User
from tests.conftest import make_app, make_settings, sign_in


class TestConnections:
    def test_every_pooled_connection_is_configured(self, app: FastAPI) -> None:
        with app.state.db.engine.connect() as connection:
            assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert connection.execute(text("PRAGMA busy_timeout")).scalar() >= 5000

    def test_the_file_is_encrypted(self, app: FastAPI, settings: Settings) -> None:
        path = settings.data_dir / "ba_assistant.db"
        assert not path.read_bytes().startswith(b"SQLite format 3")
        with pytest.raises(sqlite3.DatabaseError):
            sqlite3.connect(path).execute("SELECT * FROM sqlite_master").fetchall()

    def test_a_wrong_key_cannot_read_it(self, app: FastAPI, settings: Settings) -> None:
        path = settings.data_dir / "ba_assistant.db"
        with pytest.raises(Exception, match="not a database"):
            connection = sqlcipher_connect(str(path), "00" * 32)
            connection.execute("SELECT count(*) FROM sqlite_master").fetchall()


def _user(database: Database) -> str:
    with database.session() as session:
        user = User(email="w@example.com", name="W", oauth_provider="dev", oauth_id="w")
        session.add(user)
        session.flush()
        return user.id


class TestWriteTransactions:
    def test_read_then_write_transactions_never_hit_database_locked(self, app: FastAPI) -> None:
        """Deferred transactions that read then write fail at once under contention;
        BEGIN IMMEDIATE makes them queue on the lock instead."""
        database: Database = app.state.db
        user_id = _user(database)
        errors: list[BaseException] = []

        def writer(worker: int) -> None:
            try:
                for index in range(15):
                    with database.session() as session:
                        count = session.scalar(select(func.count(Project.id))) or 0
                        time.sleep(0.001)  # widen the window between the read and the write
                        session.add(Project(user_id=user_id, name=f"{worker}-{index}-{count}"))
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=writer, args=(n,)) for n in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        with database.session(write=False) as session:
            assert session.scalar(select(func.count(Project.id))) == 20 * 15

    def test_reads_are_not_blocked_by_a_long_write(self, app: FastAPI) -> None:
        database: Database = app.state.db
        user_id = _user(database)
        holding = threading.Event()
        release = threading.Event()

        def long_writer() -> None:
            with database.session() as session:
                session.add(Project(user_id=user_id, name="slow"))
                session.flush()
                holding.set()
                release.wait(5)

        thread = threading.Thread(target=long_writer)
        thread.start()
        holding.wait(5)
        started = time.perf_counter()
        with database.session(write=False) as session:
            visible = session.scalar(select(func.count(Project.id)))
        elapsed = time.perf_counter() - started
        release.set()
        thread.join()
        assert visible == 0  # the uncommitted row is invisible
        assert elapsed < 1.0  # and the reader did not wait for the writer


class TestFailedRequestsLeaveNoTrace:
    def test_an_error_after_a_write_rolls_it_back(self, tmp_path: Path) -> None:
        app = make_app(make_settings(tmp_path))

        @app.post("/api/half-done")
        def half_done(session: SessionDep) -> None:
            user = session.scalars(select(User)).first()
            assert user is not None
            session.add(Project(user_id=user.id, name="should vanish"))
            session.flush()
            raise Conflict("stopped halfway")

        with TestClient(app) as client:
            user = sign_in(client, "ann@example.com")
            assert user.post("/api/half-done").status_code == 409
            assert user.get("/api/projects").json()["total"] == 0
