from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ba_assistant.models import User

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
