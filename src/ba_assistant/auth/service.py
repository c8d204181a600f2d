from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from ba_assistant.errors import Unauthorized
from ba_assistant.models import User, UserSession
from ba_assistant.models.base import new_id, utcnow

DEV_PROVIDER = "dev"


def get_user(session: Session, user_id: str) -> User | None:
    return session.get(User, user_id)


def upsert_user(
    session: Session,
    *,
    provider: str,
    subject: str,
    email: str,
    name: str,
    avatar_url: str | None = None,
) -> User:
    """Find the user by (provider, subject) and refresh their profile, or create them."""
    user = session.scalar(
        select(User).where(User.oauth_provider == provider, User.oauth_id == subject)
    )
    if user is None:
        user = User(oauth_provider=provider, oauth_id=subject, email=email, name=name)
        session.add(user)
    user.email, user.name, user.avatar_url = email, name, avatar_url
    session.flush()
    return user


def dev_login(session: Session, *, email: str, name: str) -> User:
    return upsert_user(
        session, provider=DEV_PROVIDER, subject=email.lower(), email=email, name=name
    )


# --- sessions and refresh tokens ---------------------------------------------------------
#
# A session is one signed-in device: a family of refresh tokens, each used once. Refreshing
# rotates the token (the old row is marked rotated, a new row joins the family) and keeps the
# family's absolute expiry. Presenting a rotated token again means it was copied: the whole
# family is revoked. The one exception is a race between two requests holding the same token
# at the same moment (two tabs refreshing together): within REUSE_GRACE the loser just fails.

REUSE_GRACE = timedelta(seconds=2)


class RefreshTokenReused(Exception):
    """A rotated refresh token came back: it was copied. The caller revokes the family and
    answers 401 (the revocation must be committed, so it is not an AppError)."""

    def __init__(self, family_id: str, user_id: str) -> None:
        super().__init__(family_id)
        self.family_id = family_id
        self.user_id = user_id


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedSession:
    family_id: str
    refresh_token: str
    expires_at: datetime


def start_session(
    session: Session,
    user: User,
    *,
    lifetime: timedelta,
    user_agent: str | None = None,
    ip_address: str | None = None,
) -> IssuedSession:
    family_id = new_id()
    token = secrets.token_urlsafe(32)
    expires_at = utcnow() + lifetime
    session.add(
        UserSession(
            user_id=user.id,
            refresh_token_hash=hash_token(token),
            family_id=family_id,
            expires_at=expires_at,
            user_agent=(user_agent or "")[:512] or None,
            ip_address=ip_address,
        )
    )
    session.flush()
    return IssuedSession(family_id, token, expires_at)


def rotate_refresh_token(session: Session, token: str) -> tuple[User, IssuedSession]:
    """The user and a new refresh token for the same session, or Unauthorized."""
    now = utcnow()
    current = family_for_refresh_token(session, token)
    if current is None or current.revoked_at is not None:
        raise Unauthorized("This sign-in has ended, please sign in again")
    if current.expires_at <= now:
        raise Unauthorized("This sign-in has expired, please sign in again")
    # Claim the token atomically: of two requests presenting it, exactly one gets here first.
    claimed = session.execute(
        update(UserSession)
        .where(UserSession.id == current.id, UserSession.rotated_at.is_(None))
        .values(rotated_at=now, last_used_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        session.refresh(current)
        if current.rotated_at is not None and now - current.rotated_at > REUSE_GRACE:
            raise RefreshTokenReused(current.family_id, current.user_id)
        raise Unauthorized("This refresh token was already used, please sign in again")
    user = session.get(User, current.user_id)
    if user is None:
        raise Unauthorized("This account no longer exists")
    new_token = secrets.token_urlsafe(32)
    session.add(
        UserSession(
            user_id=current.user_id,
            refresh_token_hash=hash_token(new_token),
            family_id=current.family_id,
            expires_at=current.expires_at,
            user_agent=current.user_agent,
            ip_address=current.ip_address,
        )
    )
    session.flush()
    return user, IssuedSession(current.family_id, new_token, current.expires_at)


def revoke_family(session: Session, family_id: str) -> None:
    session.execute(
        update(UserSession)
        .where(UserSession.family_id == family_id, UserSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    )


def family_for_refresh_token(session: Session, token: str) -> UserSession | None:
    """The session row a refresh token was issued as, used or not."""
    return session.scalar(
        select(UserSession).where(UserSession.refresh_token_hash == hash_token(token))
    )


def session_is_active(session: Session, family_id: str) -> bool:
    """True while the signed-in session (refresh family) has not been ended or revoked."""
    row = session.scalar(
        select(UserSession.id)
        .where(
            UserSession.family_id == family_id,
            UserSession.revoked_at.is_(None),
            UserSession.expires_at > utcnow(),
        )
        .limit(1)
    )
    return row is not None


def delete_user(session: Session, user: User) -> None:
    """The account and everything it owns: sessions, projects, documents, threads…"""
    session.execute(delete(User).where(User.id == user.id))
