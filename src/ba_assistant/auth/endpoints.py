from __future__ import annotations

from typing import Annotated

import structlog
from fastapi import APIRouter, Depends, Request, status
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ba_assistant.auth import service as auth
from ba_assistant.auth.schemas import (
    DevLoginRequest,
    LogoutRequest,
    RefreshedTokens,
    RefreshRequest,
    TokenResponse,
    UserRead,
)
from ba_assistant.auth.tokens import issue_access_token, verify_access_token
from ba_assistant.config import Settings
from ba_assistant.db import SessionDep
from ba_assistant.deps import CurrentUser, IpRateLimit, SettingsDep, client_ip
from ba_assistant.errors import NotFound, Unauthorized, render
from ba_assistant.models import User

router = APIRouter(prefix="/api", tags=["auth"])
log = structlog.get_logger(__name__)
_optional_bearer = HTTPBearer(auto_error=False)


def _tokens(settings: Settings, user: User, issued: auth.IssuedSession) -> RefreshedTokens:
    access, expires_in = issue_access_token(settings, user.id, issued.family_id)
    return RefreshedTokens(
        access_token=access, refresh_token=issued.refresh_token, expires_in=expires_in
    )


@router.post(
    "/auth/dev-login",
    response_model=TokenResponse,
    dependencies=[IpRateLimit],
    summary="Sign in as a local user (development only)",
)
def dev_login(
    body: DevLoginRequest, request: Request, session: SessionDep, settings: SettingsDep
) -> TokenResponse:
    """Creates or reuses the local user with this email. Disabled outside development."""
    if not settings.dev_login_enabled:
        raise NotFound("Development sign-in is disabled")
    user = auth.dev_login(session, email=str(body.email), name=body.name)
    issued = auth.start_session(
        session,
        user,
        lifetime=settings.refresh_lifetime,
        user_agent=request.headers.get("user-agent"),
        ip_address=client_ip(request),
    )
    log.info("sign_in", provider=auth.DEV_PROVIDER, user_id=user.id)
    tokens = _tokens(settings, user, issued)
    return TokenResponse(**tokens.model_dump(), user=UserRead.model_validate(user))


@router.post(
    "/auth/refresh",
    response_model=RefreshedTokens,
    dependencies=[IpRateLimit],
    summary="Trade a refresh token for new tokens",
)
def refresh(
    body: RefreshRequest, session: SessionDep, settings: SettingsDep
) -> RefreshedTokens | JSONResponse:
    """The refresh token works once: keep the new one this returns."""
    try:
        user, issued = auth.rotate_refresh_token(session, body.refresh_token)
    except auth.RefreshTokenReused as reuse:
        # Answered, not raised, so that the revocation is committed with the request.
        auth.revoke_family(session, reuse.family_id)
        log.warning("refresh_token_reuse", user_id=reuse.user_id, session_id=reuse.family_id)
        return render(Unauthorized("This sign-in was ended for safety, please sign in again"))
    return _tokens(settings, user, issued)


@router.post(
    "/auth/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=[IpRateLimit],
    summary="End this sign-in",
)
def logout(
    session: SessionDep,
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_optional_bearer)],
    body: LogoutRequest | None = None,
) -> None:
    """Ends the session of the refresh token given, or else of the access token sent. Its
    refresh token stops working at once, and so do its access tokens."""
    family_id: str | None = None
    if body is not None and body.refresh_token:
        row = auth.family_for_refresh_token(session, body.refresh_token)
        family_id = row.family_id if row is not None else None
    elif credentials is not None:
        family_id = str(verify_access_token(settings, credentials.credentials)["sid"])
    if family_id is None:
        raise Unauthorized("Nothing to sign out of: send the refresh token or an access token")
    auth.revoke_family(session, family_id)
    log.info("logout", session_id=family_id)


@router.get("/me", response_model=UserRead, summary="The signed-in user")
def me(user: CurrentUser) -> UserRead:
    return UserRead.model_validate(user)


@router.delete(
    "/me",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete your account and everything in it",
)
def delete_me(user: CurrentUser, session: SessionDep) -> None:
    """Deletes the account, every sign-in session, and all projects, documents and threads."""
    auth.delete_user(session, user)
    log.info("account_deleted", user_id=user.id)
