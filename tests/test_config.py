from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from ba_assistant.config import (
    SECRET_NAMES,
    ConfigError,
    Settings,
    generate_secrets,
    load_settings,
)

STRONG = {name.lower(): value for name, value in generate_secrets().items()}


def production(tmp_path: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "environment": "production",
        "data_dir": tmp_path,
        "auth_dev_login": False,
        "public_url": "https://ba.example.com",
        **STRONG,
    }
    values.update(overrides)
    return load_settings(**values)


class TestDevelopmentSecrets:
    def test_a_new_data_dir_is_private(self, tmp_path: Path) -> None:
        load_settings(data_dir=tmp_path / "data")
        assert stat.S_IMODE((tmp_path / "data").stat().st_mode) == 0o700

    def test_are_generated_once_with_mode_0600(self, tmp_path: Path) -> None:
        first = load_settings(data_dir=tmp_path)
        path = tmp_path / "secrets.json"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        stored = json.loads(path.read_text())
        assert set(stored) == set(SECRET_NAMES)
        second = load_settings(data_dir=tmp_path)
        for name in SECRET_NAMES:
            assert first.secret(name) == second.secret(name) == stored[name]

    def test_values_from_the_environment_win(self, tmp_path: Path) -> None:
        settings = load_settings(data_dir=tmp_path, jwt_secret_key=STRONG["jwt_secret_key"])
        assert settings.secret("JWT_SECRET_KEY") == STRONG["jwt_secret_key"]

    def test_read_from_the_environment(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("DATA_DIR", str(tmp_path))
        monkeypatch.setenv("PORT", "9123")
        monkeypatch.setenv("ALLOWED_REDIRECT_URIS", "https://a.example/cb, myapp://login")
        settings = load_settings()
        assert settings.port == 9123
        assert settings.allowed_redirect_uris == ["https://a.example/cb", "myapp://login"]
        assert settings.dev_login_enabled is True


class TestProductionRefusesToStart:
    def test_with_strong_secrets_it_starts(self, tmp_path: Path) -> None:
        settings = production(tmp_path)
        assert not (tmp_path / "secrets.json").exists()
        assert settings.dev_login_enabled is False

    @pytest.mark.parametrize("name", SECRET_NAMES)
    def test_when_a_secret_is_missing(self, tmp_path: Path, name: str) -> None:
        with pytest.raises(ConfigError, match=name):
            production(tmp_path, **{name.lower(): None})

    @pytest.mark.parametrize("name", ["SECRET_KEY", "JWT_SECRET_KEY", "SQLCIPHER_KEY"])
    @pytest.mark.parametrize(
        "weak",
        ["short-but-random-Xy7", "a" * 100, "0123456789abcdef" * 3, "changeme"],
    )
    def test_when_a_secret_is_weak_or_a_default(self, tmp_path: Path, name: str, weak: str) -> None:
        with pytest.raises(ConfigError, match=name):
            production(tmp_path, **{name.lower(): weak})

    def test_when_the_fernet_key_is_not_a_fernet_key(self, tmp_path: Path) -> None:
        with pytest.raises(ConfigError, match="DB_ENCRYPTION_KEY"):
            production(tmp_path, db_encryption_key="not-a-key")

    def test_when_dev_login_is_on(self, tmp_path: Path) -> None:
        with pytest.raises(ConfigError, match="AUTH_DEV_LOGIN"):
            production(tmp_path, auth_dev_login=True)

    def test_when_dev_login_is_left_to_its_default_it_is_off(self, tmp_path: Path) -> None:
        assert production(tmp_path, auth_dev_login=None).dev_login_enabled is False

    def test_sqlite_without_sqlcipher_key_names_the_reason(self, tmp_path: Path) -> None:
        with pytest.raises(ConfigError, match=r"SQLCIPHER_KEY is required.*SQLite"):
            production(tmp_path, sqlcipher_key=None)

    @pytest.mark.parametrize("public_url", [None, "http://ba.example.com"])
    def test_needs_an_https_public_url(self, tmp_path: Path, public_url: str | None) -> None:
        with pytest.raises(ConfigError, match="PUBLIC_URL must be this server's https://"):
            production(tmp_path, public_url=public_url)

    def test_postgresql_needs_no_sqlcipher_key(self, tmp_path: Path) -> None:
        settings = production(
            tmp_path, sqlcipher_key=None, database_url="postgresql+psycopg://u:p@db/ba"
        )
        assert not settings.uses_sqlite

    def test_staging_is_held_to_the_same_rules(self, tmp_path: Path) -> None:
        with pytest.raises(ConfigError, match="SECRET_KEY"):
            production(tmp_path, environment="staging", secret_key=None)

    def test_the_cli_prints_the_message_and_exits(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from ba_assistant.cli import main

        monkeypatch.setenv("ENVIRONMENT", "production")
        monkeypatch.setenv("DATA_DIR", str(tmp_path))
        for name in SECRET_NAMES:
            monkeypatch.delenv(name, raising=False)
        with pytest.raises(SystemExit) as exit_info:
            main(["migrate"])
        assert "SECRET_KEY is required in production" in str(exit_info.value.code)


class TestKeyRotationList:
    def test_first_key_encrypts_all_keys_decrypt(self, tmp_path: Path) -> None:
        old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
        before = load_settings(data_dir=tmp_path, db_encryption_key=old)
        token = before.fernet.encrypt(b"minutes of the meeting")
        after = load_settings(data_dir=tmp_path, db_encryption_key=f"{new}, {old}")
        assert after.fernet.decrypt(token) == b"minutes of the meeting"
        rotated = after.fernet.rotate(token)
        assert Fernet(new.encode()).decrypt(rotated) == b"minutes of the meeting"
