from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ba_assistant.models.base import Base, CreatedMixin, IdMixin, TimestampMixin


class User(IdMixin, TimestampMixin, Base):
    """An analyst. Identified by (provider, subject), never by email alone."""

    __tablename__ = "users"
    __table_args__ = (
        UniqueConstraint("oauth_provider", "oauth_id"),
        Index("idx_users_email", "email"),
    )

    email: Mapped[str] = mapped_column(String(320))
    name: Mapped[str] = mapped_column(String(200))
    avatar_url: Mapped[str | None] = mapped_column(Text)
    oauth_provider: Mapped[str] = mapped_column(String(32))
    oauth_id: Mapped[str] = mapped_column(String(255))


class UserSession(IdMixin, CreatedMixin, Base):
    """A signed-in device. Its refresh token is stored hashed and rotates on every use."""

    __tablename__ = "sessions"
    __table_args__ = (
        Index("idx_sessions_user", "user_id"),
        Index("idx_sessions_family", "family_id"),
        Index("idx_sessions_expires", "expires_at"),
    )

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    refresh_token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    family_id: Mapped[str] = mapped_column(String(36))
    expires_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    rotated_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    user_agent: Mapped[str | None] = mapped_column(String(512))
    ip_address: Mapped[str | None] = mapped_column(String(64))


class OAuthState(CreatedMixin, Base):
    """One sign-in attempt in flight: single use, short-lived."""

    __tablename__ = "oauth_states"
    __table_args__ = (Index("idx_oauth_states_expires", "expires_at"),)

    state_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    provider: Mapped[str] = mapped_column(String(32))
    nonce: Mapped[str] = mapped_column(String(128))
    code_verifier: Mapped[str] = mapped_column(String(128))
    redirect_uri: Mapped[str] = mapped_column(Text)
    browser_binding_hash: Mapped[str | None] = mapped_column(String(64))
    expires_at: Mapped[datetime]


class LoginCode(CreatedMixin, Base):
    """The one-time code a finished sign-in hands to the client in the URL fragment."""

    __tablename__ = "login_codes"
    __table_args__ = (Index("idx_login_codes_expires", "expires_at"),)

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    browser_binding_hash: Mapped[str | None] = mapped_column(String(64))
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
