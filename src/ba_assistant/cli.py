"""The ``ba-assistant`` command: serve, migrate, backup, restore, rotate-keys, create-secrets."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

from ba_assistant.config import ConfigError, Settings, generate_secrets, load_settings


def _settings() -> Settings:
    try:
        return load_settings()
    except ConfigError as exc:
        sys.exit(f"ba-assistant: configuration error: {exc}")


def cmd_serve(args: argparse.Namespace) -> None:
    """Apply migrations, then serve the API and web app."""
    import uvicorn

    from ba_assistant.server import server_config

    settings = _settings()
    if args.workers > 1:
        sys.exit(
            "ba-assistant: AI replies are streamed from the worker that writes them, and the "
            "event hub shared between workers (Redis Streams) is not built yet: with several "
            "workers a stream or a Stop could reach the wrong one. Run one worker per "
            "instance for now."
        )
    _migrate(settings)
    host = args.host or settings.host
    port = args.port or settings.port
    print(f"BA Assistant is running on http://{host}:{port}  (Ctrl+C stops it)", flush=True)
    server = uvicorn.Server(
        server_config("ba_assistant.main:create_app", settings, factory=True, host=host, port=port)
    )
    try:
        server.run()
    except KeyboardInterrupt:  # uvicorn raises Ctrl+C again once it has shut down
        return
    if not server.started:
        sys.exit("ba-assistant: the server did not start (see the log above)")


def _migrate(settings: Settings) -> None:
    from ba_assistant import migrations
    from ba_assistant.db import Database

    database = Database(settings)
    try:
        migrations.upgrade(database.engine)
    except Exception as exc:
        if "file is not a database" in str(exc):
            sys.exit(
                "ba-assistant: the database cannot be opened with the configured SQLCIPHER_KEY "
                f"({settings.resolved_database_url}). Use the key it was created with."
            )
        raise
    finally:
        database.dispose()


def cmd_migrate(_: argparse.Namespace) -> None:
    """Bring the database schema up to date."""
    from ba_assistant import migrations
    from ba_assistant.db import Database

    settings = _settings()
    _migrate(settings)
    database = Database(settings)
    print(f"database at revision {migrations.current_revision(database.engine)}")
    database.dispose()


def _sqlite_path(settings: Settings) -> Path:
    if not settings.uses_sqlite:
        sys.exit("ba-assistant: backup and restore handle SQLite; use pg_dump for PostgreSQL")
    return Path(settings.resolved_database_url.removeprefix("sqlite:///"))


def _hex_key(settings: Settings) -> str:
    from ba_assistant.db import derive_sqlcipher_key

    return derive_sqlcipher_key(settings.secret("SQLCIPHER_KEY"))


def cmd_backup(args: argparse.Namespace) -> None:
    """Copy the live database to PATH, still encrypted. Safe while the server runs."""
    from ba_assistant.db import sqlcipher_connect

    settings = _settings()
    source_path = _sqlite_path(settings)
    if not source_path.exists():
        sys.exit(f"ba-assistant: no database at {source_path}")
    target = Path(args.path)
    if target.exists() and not args.force:
        sys.exit(f"ba-assistant: {target} exists; pass --force to overwrite it")
    target.parent.mkdir(parents=True, exist_ok=True)
    key = _hex_key(settings)
    # Write beside the target and rename, so a failed backup never leaves half a file.
    fd, partial = tempfile.mkstemp(dir=target.parent, prefix=".backup-", suffix=".db")
    os.close(fd)
    os.unlink(partial)
    source = sqlcipher_connect(str(source_path), key)
    copy = sqlcipher_connect(partial, key)
    try:
        source.backup(copy)
        copy.execute("PRAGMA journal_mode = DELETE")
    finally:
        copy.close()
        source.close()
    os.chmod(partial, 0o600)
    os.replace(partial, target)
    print(f"backup written to {target}")


def cmd_restore(args: argparse.Namespace) -> None:
    """Replace the database with the backup at PATH (stop the server first)."""
    from ba_assistant.db import sqlcipher_connect

    settings = _settings()
    target_path = _sqlite_path(settings)
    source_path = Path(args.path)
    if not source_path.is_file():
        sys.exit(f"ba-assistant: no backup at {source_path}")
    key = _hex_key(settings)
    try:
        source = sqlcipher_connect(str(source_path), key, wal=False)
        has_schema = source.execute(
            "SELECT 1 FROM sqlite_master WHERE name = 'alembic_version'"
        ).fetchone()
    except Exception:
        sys.exit(
            f"ba-assistant: {source_path} cannot be opened with the configured SQLCIPHER_KEY "
            "(wrong key, or not a BA Assistant backup); nothing was changed"
        )
    if not has_schema:
        source.close()
        sys.exit(f"ba-assistant: {source_path} is not a BA Assistant backup; nothing was changed")
    target_path.parent.mkdir(parents=True, exist_ok=True)
    if target_path.exists():
        kept = target_path.with_suffix(".db.before-restore")
        shutil.copy2(target_path, kept)
        print(f"the previous database was kept as {kept}")
    target = sqlcipher_connect(str(target_path), key)
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()
    _migrate(settings)
    print(f"restored {source_path} into {target_path}")


def cmd_rotate_keys(_: argparse.Namespace) -> None:
    """Re-encrypt every document with the first key listed in DB_ENCRYPTION_KEY."""
    from ba_assistant.db import Database
    from ba_assistant.documents import service as documents

    settings = _settings()
    database = Database(settings)
    with database.session() as session:
        count = documents.rotate_keys(session, settings.fernet)
    database.dispose()
    print(
        f"re-encrypted {count} documents with the first key; "
        "the other keys in DB_ENCRYPTION_KEY can now be removed"
    )


def cmd_create_secrets(_: argparse.Namespace) -> None:
    """Print fresh secrets in .env format (for production)."""
    for name, value in generate_secrets().items():
        print(f"{name}={value}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="ba-assistant", description="BA Assistant server")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help=cmd_serve.__doc__)
    serve.add_argument("--host", help="address to listen on (default: $HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default: $PORT or 8000)")
    serve.add_argument("--workers", type=int, default=1, help="worker processes")
    serve.set_defaults(func=cmd_serve)

    commands.add_parser("migrate", help=cmd_migrate.__doc__).set_defaults(func=cmd_migrate)

    backup = commands.add_parser("backup", help=cmd_backup.__doc__)
    backup.add_argument("path")
    backup.add_argument("--force", action="store_true", help="overwrite an existing file")
    backup.set_defaults(func=cmd_backup)

    restore = commands.add_parser("restore", help=cmd_restore.__doc__)
    restore.add_argument("path")
    restore.set_defaults(func=cmd_restore)

    commands.add_parser("rotate-keys", help=cmd_rotate_keys.__doc__).set_defaults(
        func=cmd_rotate_keys
    )
    commands.add_parser("create-secrets", help=cmd_create_secrets.__doc__).set_defaults(
        func=cmd_create_secrets
    )

    args = parser.parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    main()
