from __future__ import annotations

from fastapi import APIRouter, Request

from ba_assistant.auth import service as auth
from ba_assistant.auth.schemas import DevLoginRequest, TokenResponse, UserRead
from ba_assistant.auth.tokens import issue_access_token
from ba_assistant.db import SessionDep
from ba_assistant.deps import CurrentUser, IpRateLimit, SettingsDep
from ba_assistant.errors import NotFound

router = APIRouter(prefix="/api", tags=["auth"])


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
    token, expires_in = issue_access_token(settings, user.id)
    return TokenResponse(
        access_token=token, expires_in=expires_in, user=UserRead.model_validate(user)
    )


@router.get("/me", response_model=UserRead, summary="The signed-in user")
def me(user: CurrentUser) -> UserRead:
    return UserRead.model_validate(user)
