"""Settings from the environment, and the secrets they need.

In development, missing secrets are generated once into ``$DATA_DIR/secrets.json`` (mode 0600)
so that ``make run`` needs no configuration. Everywhere else the server refuses to start when a
secret is missing, weak or a known default.
"""

from __future__ import annotations

import json
import math
import os
import secrets
from datetime import timedelta
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from cryptography.fernet import Fernet, MultiFernet
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_CLAUDE_MODEL = "claude-sonnet-5-5"
DEFAULT_CLAUDE_TITLE_MODEL = "claude-haiku-5-5"
DEFAULT_OPENAI_MODEL = "gpt-6.2-sol"
DEFAULT_OPENAI_TITLE_MODEL = "gpt-6-luna"

SECRET_NAMES = ("SECRET_KEY", "JWT_SECRET_KEY", "SQLCIPHER_KEY", "DB_ENCRYPTION_KEY")
SECRETS_FILE = "secrets.json"
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})

# Values that appear in examples, tutorials and our own .env.example: never acceptable.
KNOWN_DEFAULTS = frozenset(
    {
        "changeme",
        "change-me",
        "change_me",
        "secret",
        "secret-key",
        "your-secret-key",
        "your-secret-key-here",
        "your-jwt-secret",
        "your-jwt-secret-here",
        "supersecret",
        "password",
        "development",
        "dev",
        "test",
        "replace-me",
        "generate-with-ba-assistant-create-secrets",
    }
)


class ConfigError(Exception):
    """The configuration cannot be used; the message names the variable to fix."""


def _split_list(value: Any) -> Any:
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


CommaList = Annotated[list[str], NoDecode]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    environment: Literal["development", "staging", "production"] = "development"
    debug: bool = False
    log_level: str = "INFO"
    host: str = "127.0.0.1"
    port: int = 8000
    data_dir: Path = Path("data")
    database_url: str | None = None

    sqlcipher_key: SecretStr | None = None
    db_encryption_key: SecretStr | None = None
    secret_key: SecretStr | None = None
    jwt_secret_key: SecretStr | None = None
    access_token_expiration_minutes: int = Field(15, ge=1, le=24 * 60)
    refresh_token_expiration_days: int = Field(30, ge=1, le=365)

    google_client_id: str | None = None
    google_client_secret: SecretStr | None = None
    google_discovery_url: str = "https://accounts.google.com/.well-known/openid-configuration"
    microsoft_client_id: str | None = None
    microsoft_client_secret: SecretStr | None = None
    microsoft_tenant_id: str = "common"
    microsoft_authority: str = "https://login.microsoftonline.com/{tenant}/v2.0"
    oidc_name: str | None = None
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: SecretStr | None = None
    auth_dev_login: bool | None = None
    public_url: str | None = None
    allowed_redirect_uris: CommaList = Field(default_factory=list)

    ai_provider: Literal["anthropic", "openai", "offline"] | None = None
    anthropic_api_key: SecretStr | None = None
    anthropic_base_url: str | None = None
    claude_model: str = DEFAULT_CLAUDE_MODEL
    claude_max_tokens: int = Field(4096, ge=256, le=64_000)
    claude_thinking_tokens: int = Field(4096, ge=0, le=64_000)
    ai_title_model: str | None = None
    openai_api_key: SecretStr | None = None
    openai_base_url: str | None = None
    openai_model: str | None = None
    ai_history_messages: int = Field(20, ge=2, le=200)
    ai_history_tokens: int = Field(12_000, ge=1_000, le=500_000)
    ai_daily_token_limit_per_user: int | None = None
    ai_request_timeout_seconds: float = Field(60.0, gt=0)
    ai_prices: dict[str, tuple[float, float, float, float]] = Field(default_factory=dict)
    sse_ping_seconds: float = Field(15.0, gt=0)

    cors_origins: CommaList = Field(default_factory=list)
    rate_limit_per_minute: int = Field(100, ge=1)
    auth_rate_limit_per_minute: int = Field(20, ge=1)
    max_document_bytes: int = Field(10 * 1024 * 1024, ge=1)
    # Reading one PDF or Word upload, in a worker process (documents/extraction.py).
    extract_cpu_seconds: float = Field(20.0, gt=0)
    extract_memory_mb: int = Field(1024, ge=64)
    extract_timeout_seconds: float = Field(60.0, gt=0)
    redis_url: str | None = None
    sentry_dsn: SecretStr | None = None

    # Serving: which proxies may speak for a client, which Host names are this server, how
    # long a client may take, and what is open besides the app.
    forwarded_allow_ips: CommaList = Field(default_factory=list)
    allowed_hosts: CommaList = Field(default_factory=list)
    header_read_timeout_seconds: float = Field(10.0, gt=0, le=300)
    body_read_timeout_seconds: float = Field(30.0, gt=0, le=600)
    api_docs: bool | None = None
    metrics_token: SecretStr | None = None

    _split = field_validator(
        "allowed_redirect_uris",
        "cors_origins",
        "forwarded_allow_ips",
        "allowed_hosts",
        mode="before",
    )(_split_list)

    @property
    def is_development(self) -> bool:
        return self.environment == "development"

    @property
    def refresh_lifetime(self) -> timedelta:
        return timedelta(days=self.refresh_token_expiration_days)

    @property
    def dev_login_enabled(self) -> bool:
        return self.is_development if self.auth_dev_login is None else self.auth_dev_login

    @property
    def api_docs_enabled(self) -> bool:
        return self.is_development if self.api_docs is None else self.api_docs

    @property
    def host_names(self) -> frozenset[str]:
        """The Host names this server answers to: ``PUBLIC_URL``'s (any of the loopback names
        when it is one of them, or when there is none and the server listens everywhere) and
        ``ALLOWED_HOSTS``."""
        public = host_name(urlsplit(self.resolved_public_url).netloc)
        names = {public, *(host_name(name) for name in self.allowed_hosts)}
        if public in LOOPBACK_NAMES or public in ("0.0.0.0", "::"):  # noqa: S104 - a name, not a bind
            names |= LOOPBACK_NAMES
        return frozenset(names)

    @property
    def resolved_ai_provider(self) -> Literal["anthropic", "openai", "offline"]:
        if self.ai_provider is not None:
            return self.ai_provider
        return "anthropic" if self.anthropic_api_key else "offline"

    @property
    def resolved_title_model(self) -> str | None:
        """``AI_TITLE_MODEL``, else the provider's small model (Claude Haiku, GPT Luna), else
        None: the main model itself (an OpenAI-compatible server of one's own)."""
        if self.ai_title_model:
            return self.ai_title_model
        if self.resolved_ai_provider == "anthropic":
            return DEFAULT_CLAUDE_TITLE_MODEL
        if self.resolved_ai_provider == "openai" and not self.openai_base_url:
            return DEFAULT_OPENAI_TITLE_MODEL  # OpenAI's own API; a local server has its own
        return None

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'ba_assistant.db'}"

    @property
    def uses_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")

    @property
    def resolved_public_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @cached_property
    def fernet(self) -> MultiFernet:
        keys = _split_list(_reveal(self.db_encryption_key))
        return MultiFernet([Fernet(key.encode()) for key in keys])

    def secret(self, name: str) -> str:
        value = _reveal(getattr(self, name.lower()))
        if not value:
            raise ConfigError(f"{name} is not set")
        return value

    def prepare(self) -> Settings:
        """Fill in development secrets, then refuse anything unsafe. Returns self."""
        if self.is_development:
            self._fill_development_secrets()
        else:
            self._check_production()
        self._check_common()
        return self

    def _fill_development_secrets(self) -> None:
        missing = [
            name
            for name in SECRET_NAMES
            if not _reveal(getattr(self, name.lower()))
            and not (name == "SQLCIPHER_KEY" and not self.uses_sqlite)
        ]
        if not missing:
            return
        stored = load_or_create_secrets(self.data_dir)
        for name in missing:
            setattr(self, name.lower(), SecretStr(stored[name]))

    def _check_production(self) -> None:
        env = self.environment
        for name in SECRET_NAMES:
            if name == "SQLCIPHER_KEY" and not self.uses_sqlite:
                continue
            value = _reveal(getattr(self, name.lower()))
            if not value:
                if name == "SQLCIPHER_KEY":
                    raise ConfigError(
                        f"SQLCIPHER_KEY is required in {env} when the database is SQLite: "
                        "without it the database file would not be encrypted"
                    )
                raise ConfigError(f"{name} is required in {env}")
            if name == "DB_ENCRYPTION_KEY":
                for key in _split_list(value):
                    if key.lower() in KNOWN_DEFAULTS:
                        raise ConfigError(f"{name} is a known default value; generate a new one")
                continue
            if value.strip().lower() in KNOWN_DEFAULTS:
                raise ConfigError(f"{name} is a known default value; generate a new one")
            if estimated_bits(value) < 256:
                raise ConfigError(
                    f"{name} is too weak (needs at least 256 bits of randomness, "
                    "e.g. 64 hex characters); run `ba-assistant create-secrets`"
                )
        if self.dev_login_enabled:
            raise ConfigError(f"AUTH_DEV_LOGIN must be off in {env}")
        metrics_token = _reveal(self.metrics_token)
        if metrics_token and estimated_bits(metrics_token) < 128:
            raise ConfigError(
                "METRICS_TOKEN is too weak (needs at least 128 bits of randomness, e.g. 32 hex "
                "characters): it guards /metrics"
            )
        if not (self.public_url or "").startswith("https://"):
            raise ConfigError(
                f"PUBLIC_URL must be this server's https:// address in {env}: sign-in providers "
                "return to $PUBLIC_URL/api/auth/callback, and sign-in cookies need HTTPS"
            )

    def _check_common(self) -> None:
        provider = self.resolved_ai_provider
        if provider == "anthropic" and not self.anthropic_api_key:
            raise ConfigError("AI_PROVIDER=anthropic needs ANTHROPIC_API_KEY")
        if provider == "anthropic":
            self._check_claude_models()
        if provider == "openai" and not (self.openai_api_key or self.openai_base_url):
            raise ConfigError(
                "AI_PROVIDER=openai needs OPENAI_API_KEY, or OPENAI_BASE_URL for a local "
                "OpenAI-compatible server (Ollama, vLLM)"
            )
        try:
            self.fernet  # noqa: B018 - validates every key in the list
        except (ValueError, TypeError) as exc:
            raise ConfigError(
                "DB_ENCRYPTION_KEY must be one or more Fernet keys separated by commas "
                "(32 url-safe base64-encoded bytes each)"
            ) from exc

    def _check_claude_models(self) -> None:
        """A retired model fails every request: refuse to start instead, naming the setting."""
        from ba_assistant.agent.catalog import retired_message, retirement

        for setting, model in (
            ("CLAUDE_MODEL", self.claude_model),
            ("AI_TITLE_MODEL", self.resolved_title_model),
        ):
            found = retirement(model) if model else None
            if found is not None and found.passed():
                raise ConfigError(retired_message(setting, found))


def host_name(netloc: str) -> str:
    """The host name in a URL's netloc or a Host header: ``example.com`` from
    ``Example.com:8443``, ``::1`` from ``[::1]:8000``."""
    host = netloc.rsplit("@", 1)[-1].strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host[1:]
    return host.split(":", 1)[0].rstrip(".") if host.count(":") <= 1 else host


def _reveal(value: SecretStr | None) -> str:
    return value.get_secret_value() if value is not None else ""


def estimated_bits(value: str) -> float:
    """A conservative estimate of a secret's randomness from its length and alphabet."""
    if len(set(value)) < 8:
        return 0.0
    if all(c in "0123456789abcdefABCDEF" for c in value):
        per_char = 4.0
    elif all(c.isalnum() or c in "-_+/=" for c in value):
        per_char = 6.0
    else:
        per_char = math.log2(94)
    return len(value) * per_char


def generate_secrets() -> dict[str, str]:
    return {
        "SECRET_KEY": secrets.token_urlsafe(48),
        "JWT_SECRET_KEY": secrets.token_urlsafe(48),
        "SQLCIPHER_KEY": secrets.token_hex(32),
        "DB_ENCRYPTION_KEY": Fernet.generate_key().decode(),
    }


def load_or_create_secrets(data_dir: Path) -> dict[str, str]:
    """Read the development secrets file, creating it (mode 0600) on first use."""
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = data_dir / SECRETS_FILE
    try:
        stored: dict[str, str] = json.loads(path.read_text())
    except FileNotFoundError:
        stored = {}
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path} is unreadable; fix or remove it") from exc
    fresh = generate_secrets()
    if all(name in stored for name in SECRET_NAMES):
        return stored
    stored = {**fresh, **stored}
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(stored, handle, indent=2)
    os.chmod(path, 0o600)
    return stored


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment (and overrides), with secrets resolved and checked."""
    return Settings(**overrides).prepare()
