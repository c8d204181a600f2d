"""The database engine (SQLCipher-encrypted SQLite by default, or PostgreSQL) and sessions.

SQLite details that matter under load: the raw SQLCipher key is derived once (the passphrase
KDF would cost ~0.1 s per connection), every connection runs in WAL mode with a busy timeout,
and write transactions start with ``BEGIN IMMEDIATE`` so that two writers queue on the lock
instead of failing with "database is locked" when a read transaction tries to upgrade.

A request's write transaction spans several worker-thread hops (dependencies, the endpoint,
the commit). If many requests waited for SQLite's lock inside worker threads, the one holding
the lock could find no free thread to finish on. So write requests first queue on an async
gate, which costs no thread, and only the gate's holder ever waits on SQLite's lock.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any, TypeVar

import anyio
from fastapi import Depends, Request
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool
from starlette.concurrency import run_in_threadpool

from ba_assistant.config import Settings

T = TypeVar("T")

BUSY_TIMEOUT_MS = 15_000
_KDF_SALT = b"ba-assistant/sqlcipher/v1"
_KDF_ITERATIONS = 256_000
_IMMEDIATE = "ba_sqlite_immediate"


@functools.lru_cache(maxsize=4)
def derive_sqlcipher_key(passphrase: str) -> str:
    """The 256-bit raw key (hex) SQLCipher uses, derived from SQLCIPHER_KEY."""
    raw = hashlib.pbkdf2_hmac("sha256", passphrase.encode(), _KDF_SALT, _KDF_ITERATIONS)
    return raw.hex()


def sqlcipher_connect(path: str, hex_key: str, *, wal: bool = True) -> Any:
    """A raw sqlcipher3 connection to ``path``, keyed and configured like the pool's.

    Raises ``sqlcipher3.dbapi2.DatabaseError`` when the key does not open the file.
    """
    import sqlcipher3.dbapi2 as sqlcipher

    connection = sqlcipher.connect(path, check_same_thread=False, isolation_level=None)
    try:
        _configure_sqlite(connection, hex_key, wal=wal)
    except Exception:
        connection.close()
        raise
    return connection


def _configure_sqlite(connection: Any, hex_key: str | None, *, wal: bool = True) -> None:
    cursor = connection.cursor()
    if hex_key is not None:
        cursor.execute(f"PRAGMA key = \"x'{hex_key}'\"")
    cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys = ON")
    # Reading the schema proves the key is right before anything else touches the file.
    cursor.execute("SELECT count(*) FROM sqlite_master").fetchone()
    if wal:
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()


def create_db_engine(settings: Settings) -> Engine:
    url = make_url(settings.resolved_database_url)
    if url.get_backend_name() == "sqlite":
        return _create_sqlite_engine(settings, url.database or "")
    return create_engine(
        url,
        pool_size=10,
        max_overflow=20,
        pool_pre_ping=True,
        pool_recycle=1800,
        hide_parameters=True,  # error messages never carry document text or tokens
    )


def _create_sqlite_engine(settings: Settings, path: str) -> Engine:
    if path in ("", ":memory:"):
        raise ValueError("an in-memory SQLite database cannot be shared; use a file")
    settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = settings.sqlcipher_key.get_secret_value() if settings.sqlcipher_key else None
    hex_key = derive_sqlcipher_key(key) if key else None
    module: Any
    if hex_key is not None:
        import sqlcipher3.dbapi2

        module = sqlcipher3.dbapi2
    else:  # only reachable in development with SQLCIPHER_KEY deliberately empty
        import sqlite3

        module = sqlite3
    engine = create_engine(
        f"sqlite:///{path}",
        module=module,
        poolclass=QueuePool,
        # As many kept connections as worker threads (anyio's default is 40): an overflow
        # connection is closed after one use and the next starts with a cold page cache.
        pool_size=40,
        max_overflow=20,
        pool_timeout=30,
        connect_args={"check_same_thread": False},
        hide_parameters=True,  # error messages never carry document text or tokens
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # We issue BEGIN ourselves (below), so the driver must not.
        dbapi_connection.isolation_level = None
        _configure_sqlite(dbapi_connection, hex_key)

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        immediate = connection.get_execution_options().get(_IMMEDIATE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


class Database:
    """The engine plus two session factories: reads, and writes (``BEGIN IMMEDIATE``)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.engine = create_db_engine(settings)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        write_engine = self.engine.execution_options(**{_IMMEDIATE: True})
        self._reader = sessionmaker(self.engine, expire_on_commit=False)
        self._writer = sessionmaker(write_engine, expire_on_commit=False)
        self.write_gate = anyio.Lock()

    @contextmanager
    def session(self, *, write: bool = True) -> Iterator[Session]:
        """A session whose transaction commits on success and rolls back on any error."""
        factory = self._writer if write else self._reader
        with factory() as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    async def write(self, work: Callable[[Session], T]) -> T:
        """Runs ``work`` in its own write transaction, off the event loop, taking its turn at
        the write gate. For endpoints that must not hold a transaction across a network call
        (the sign-in callback waits on the provider between two short writes)."""
        async with self.write_gate:
            return await run_in_threadpool(self._write, work)

    def _write(self, work: Callable[[Session], T]) -> T:
        with self.session(write=True) as session:
            return work(session)

    async def read(self, work: Callable[[Session], T]) -> T:
        """Runs ``work`` in a short read transaction, off the event loop."""
        return await run_in_threadpool(self._read, work)

    def _read(self, work: Callable[[Session], T]) -> T:
        with self.session(write=False) as session:
            return work(session)

    def new_session(self, *, write: bool) -> Session:
        return (self._writer if write else self._reader)()

    def ping(self) -> None:
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    def dispose(self) -> None:
        self.engine.dispose()


_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def get_session(request: Request) -> AsyncIterator[Session]:
    """The request's session: commits when the endpoint succeeds, rolls back when it fails."""
    database: Database = request.app.state.db
    if request.method in _SAFE_METHODS:
        session = database.new_session(write=False)
        try:
            yield session
        finally:
            # Ending a read on a local SQLite file takes microseconds: not worth a thread hop.
            if database.is_sqlite:
                session.close()
            else:
                await run_in_threadpool(session.close)
        return
    async with database.write_gate:
        session = database.new_session(write=True)
        try:
            yield session
            await run_in_threadpool(session.commit)
        except BaseException:
            await run_in_threadpool(session.rollback)
            raise
        finally:
            await run_in_threadpool(session.close)


# scope="function": commit before the response is sent, so a failed commit is never a 2xx.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


async def get_database(request: Request) -> Database:
    database: Database = request.app.state.db
    return database


DatabaseDep = Annotated[Database, Depends(get_database)]
