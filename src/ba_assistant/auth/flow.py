"""The sign-in redirect flow: where a sign-in may return, the state that ties the provider's
answer to the browser that asked, and the one-time login code handed back to the client.

Secrets (state, browser binding, login code) are stored only as SHA-256 hashes; the nonce and
PKCE verifier are stored as they are because the callback needs them, in the encrypted
database, for at most ten minutes.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from ba_assistant.auth.service import hash_token
from ba_assistant.errors import Unauthorized, ValidationFailed
from ba_assistant.models import LoginCode, OAuthState
from ba_assistant.models.base import utcnow

STATE_LIFETIME = timedelta(minutes=10)
LOGIN_CODE_LIFETIME = timedelta(seconds=60)


@dataclass(frozen=True)
class SignInRejected:
    """The callback cannot be trusted (unknown, used or expired state, another browser).
    There is no safe place to redirect to, so the callback answers 400 itself."""

    reason: str
    message: str


def check_redirect_uri(redirect_uri: str, allowed: list[str]) -> str:
    """The redirect_uri if a sign-in may return there: one of ``ALLOWED_REDIRECT_URIS``
    exactly, or a path of this web app (``/``, ``/auth/done?next=/projects``). Anything that a
    browser could read as another host is refused: ``//evil.example``, ``/\\evil.example``,
    ``https:evil.example``."""
    if redirect_uri in allowed:
        return redirect_uri
    reason = _unsafe_path(redirect_uri)
    if reason is not None:
        raise ValidationFailed(
            "This redirect_uri is not allowed for sign-in",
            details={"redirect_uri": reason},
        )
    return redirect_uri


def _unsafe_path(value: str) -> str | None:
    if not value.startswith("/"):
        return "Use a path of this app (starting with /) or a URL in ALLOWED_REDIRECT_URIS"
    if value.startswith("//") or "\\" in value:
        return "A path may not start with // or contain a backslash"
    if any(ord(char) < 0x21 or ord(char) == 0x7F for char in value):
        return "A path may not contain spaces or control characters"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or parts.fragment or "#" in value:
        return "A path may not name a host or carry a #fragment"
    return None


def resolve_redirect(redirect_uri: str, public_url: str) -> str:
    """Where to send the browser: relative paths are on this server's public URL."""
    return public_url + redirect_uri if redirect_uri.startswith("/") else redirect_uri


@dataclass(frozen=True)
class PendingSignIn:
    state: str
    nonce: str
    code_verifier: str
    browser_binding: str


def begin_sign_in(session: Session, *, provider: str, redirect_uri: str) -> PendingSignIn:
    """Stores a new sign-in attempt. Expired attempts are swept on the way."""
    now = utcnow()
    session.execute(delete(OAuthState).where(OAuthState.expires_at <= now))
    session.execute(delete(LoginCode).where(LoginCode.expires_at <= now - LOGIN_CODE_LIFETIME))
    pending = PendingSignIn(
        state=secrets.token_urlsafe(32),
        nonce=secrets.token_urlsafe(32),
        code_verifier=secrets.token_urlsafe(64),
        browser_binding=secrets.token_urlsafe(32),
    )
    session.add(
        OAuthState(
            state_hash=hash_token(pending.state),
            provider=provider,
            nonce=pending.nonce,
            code_verifier=pending.code_verifier,
            redirect_uri=redirect_uri,
            browser_binding_hash=hash_token(pending.browser_binding),
            expires_at=now + STATE_LIFETIME,
        )
    )
    return pending


def take_state(
    session: Session, state: str | None, browser_binding: str | None
) -> OAuthState | SignInRejected:
    """The sign-in attempt for this state, removed so that it cannot be used again: also when
    it is refused, so a state that reached us from another browser is spent. Refusals are
    returned, not raised, so that the removal is committed."""
    if not state:
        return SignInRejected("missing_state", "This sign-in link is incomplete.")
    row = session.get(OAuthState, hash_token(state))
    if row is None:
        return SignInRejected("invalid_state", "This sign-in link is unknown or was already used.")
    claimed = session.execute(
        delete(OAuthState)
        .where(OAuthState.state_hash == row.state_hash)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return SignInRejected("invalid_state", "This sign-in link was already used.")
    if row.expires_at <= utcnow():
        return SignInRejected("expired_state", "This sign-in took longer than 10 minutes.")
    if not browser_binding or hash_token(browser_binding) != row.browser_binding_hash:
        return SignInRejected(
            "browser_mismatch", "This sign-in was started in another browser or window."
        )
    return row


def issue_login_code(session: Session, user_id: str, browser_binding_hash: str | None) -> str:
    """A one-time code for the browser that signed in (the same binding cookie must come back
    with it, so a code slipped into someone else's browser is worthless)."""
    code = secrets.token_urlsafe(32)
    session.add(
        LoginCode(
            code_hash=hash_token(code),
            user_id=user_id,
            browser_binding_hash=browser_binding_hash,
            expires_at=utcnow() + LOGIN_CODE_LIFETIME,
        )
    )
    return code


def redeem_login_code(session: Session, code: str, bindings: dict[str, str]) -> tuple[str, str]:
    """The user id the code was issued for, and the name of the binding cookie that matched.
    Works once, within 60 seconds, in the browser that signed in."""
    now = utcnow()
    row = session.get(LoginCode, hash_token(code))
    if row is None:
        raise Unauthorized("This login code is not valid; please sign in again")
    if row.used_at is not None:
        raise Unauthorized("This login code was already used; please sign in again")
    if row.expires_at <= now:
        raise Unauthorized("This login code has expired; please sign in again")
    matched = next(
        (name for name, value in bindings.items() if hash_token(value) == row.browser_binding_hash),
        None,
    )
    if matched is None:
        raise Unauthorized("Finish signing in in the browser where you started")
    claimed = session.execute(
        update(LoginCode)
        .where(LoginCode.code_hash == row.code_hash, LoginCode.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise Unauthorized("This login code was already used; please sign in again")
    return row.user_id, matched
