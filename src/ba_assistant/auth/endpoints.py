from __future__ import annotations

import html
from typing import Annotated
from urllib.parse import urlencode

import structlog
from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from ba_assistant.auth import cookies
from ba_assistant.auth import service as auth
from ba_assistant.auth.flow import (
    SignInRejected,
    begin_sign_in,
    check_redirect_uri,
    issue_login_code,
    redeem_login_code,
    resolve_redirect,
    take_state,
)
from ba_assistant.auth.providers import (
    Identity,
    Provider,
    ProviderClient,
    ProviderError,
    enabled_providers,
)
from ba_assistant.auth.schemas import (
    AuthUrl,
    CookieSignIn,
    DevLoginRequest,
    LoginCodeRequest,
    LogoutRequest,
    OAuthStart,
    ProviderRead,
    ProvidersRead,
    RefreshedTokens,
    RefreshRequest,
    TokenResponse,
    UserRead,
)
from ba_assistant.auth.tokens import issue_access_token, verify_access_token
from ba_assistant.config import Settings
from ba_assistant.db import DatabaseDep, SessionDep
from ba_assistant.deps import CurrentUser, IpRateLimit, RunsDep, SettingsDep, client_ip
from ba_assistant.errors import NotFound, ServiceUnavailable, Unauthorized, render
from ba_assistant.models import User

router = APIRouter(prefix="/api", tags=["auth"])
log = structlog.get_logger(__name__)
_optional_bearer = HTTPBearer(auto_error=False)
CALLBACK_PATH = "/api/auth/callback"


async def get_provider_client(request: Request) -> ProviderClient:
    client: ProviderClient = request.app.state.provider_client
    return client


ProviderClientDep = Annotated[ProviderClient, Depends(get_provider_client)]


def callback_url(settings: Settings) -> str:
    return settings.resolved_public_url + CALLBACK_PATH


def unavailable_message(provider: Provider, settings: Settings) -> str:
    """'Google sign-in is unavailable, try again or use Microsoft'."""
    others = [p.name for p in enabled_providers(settings).values() if p.id != provider.id]
    alternative = f" or use {' or '.join(others)}" if others else " in a few minutes"
    return f"{provider.name} sign-in is unavailable, try again{alternative}"


def _start_session(
    session: Session, request: Request, settings: Settings, user: User
) -> auth.IssuedSession:
    return auth.start_session(
        session,
        user,
        lifetime=settings.refresh_lifetime,
        user_agent=request.headers.get("user-agent"),
        ip_address=client_ip(request),
    )


def _signed_in(
    request: Request,
    response: Response,
    settings: Settings,
    user: User,
    issued: auth.IssuedSession,
) -> TokenResponse | CookieSignIn:
    access, expires_in = issue_access_token(settings, user.id, issued.family_id)
    profile = UserRead.model_validate(user)
    if cookies.wants_cookie(request):
        cookies.set_refresh_cookie(
            response, request, settings, issued.refresh_token, issued.expires_at
        )
        return CookieSignIn(access_token=access, expires_in=expires_in, user=profile)
    return TokenResponse(
        access_token=access,
        refresh_token=issued.refresh_token,
        expires_in=expires_in,
        user=profile,
    )


# --- providers and the redirect flow -------------------------------------------------------


@router.get(
    "/auth/providers",
    response_model=ProvidersRead,
    summary="The ways to sign in on this server",
)
def providers(settings: SettingsDep) -> ProvidersRead:
    items = [ProviderRead(id=p.id, name=p.name) for p in enabled_providers(settings).values()]
    if settings.dev_login_enabled:
        items.append(ProviderRead(id=auth.DEV_PROVIDER, name="Local user"))
    return ProvidersRead(providers=items)


@router.post(
    "/auth/oauth/{provider}",
    response_model=AuthUrl,
    dependencies=[IpRateLimit],
    summary="Start signing in with a provider",
    responses={
        404: {"description": "Sign-in with this provider is not set up on this server"},
        503: {"description": "The provider cannot be reached: try again or use another"},
    },
)
async def start_sign_in(
    provider: str,
    body: OAuthStart,
    request: Request,
    response: Response,
    settings: SettingsDep,
    database: DatabaseDep,
    client: ProviderClientDep,
) -> AuthUrl:
    """Open `auth_url` in the browser. After the provider, the browser comes back to
    `redirect_uri` with `#login_code=…` (trade it at `POST /api/auth/token` within 60 s) or
    with `#error=…&error_description=…` to show. Sets a short-lived cookie: the sign-in must
    finish in this browser."""
    configured = enabled_providers(settings).get(provider)
    if configured is None:
        raise NotFound(f"Sign-in with '{provider}' is not set up on this server")
    redirect_uri = check_redirect_uri(body.redirect_uri, settings.allowed_redirect_uris)
    try:
        metadata = await client.metadata(configured)
    except ProviderError as exc:
        raise ServiceUnavailable(unavailable_message(configured, settings)) from exc
    pending = await database.write(
        lambda session: begin_sign_in(session, provider=provider, redirect_uri=redirect_uri)
    )
    auth_url = await client.authorization_url(
        configured,
        metadata,
        redirect_uri=callback_url(settings),
        state=pending.state,
        nonce=pending.nonce,
        code_verifier=pending.code_verifier,
    )
    cookies.set_binding_cookie(response, request, settings, pending.state, pending.browser_binding)
    return AuthUrl(auth_url=auth_url)


@router.get(
    "/auth/callback",
    response_class=RedirectResponse,
    status_code=status.HTTP_302_FOUND,
    dependencies=[IpRateLimit],
    summary="Where the provider sends the browser back",
    responses={
        400: {
            "description": "Unknown, used or expired state, or another browser: a page "
            "offering to sign in again",
            "content": {"text/html": {"schema": {"type": "string"}}},
        }
    },
)
async def callback(
    request: Request,
    settings: SettingsDep,
    database: DatabaseDep,
    client: ProviderClientDep,
    code: str | None = None,
    state: str | None = None,
    error: str | None = None,
) -> Response:
    """Redirects to the sign-in's redirect_uri with `#login_code=…`, or with
    `#error=…&error_description=…` when the provider refused or failed."""
    binding = cookies.binding_cookie(request, settings, state)
    attempt = await database.write(lambda session: take_state(session, state, binding))
    if isinstance(attempt, SignInRejected):
        log.warning("sign_in_failed", reason=attempt.reason)
        return _callback_page(request, settings, attempt, state)
    target = resolve_redirect(attempt.redirect_uri, settings.resolved_public_url)
    provider = enabled_providers(settings).get(attempt.provider)
    binding_hash = attempt.browser_binding_hash

    def fail(reason: str, message: str) -> Response:
        log.warning("sign_in_failed", provider=attempt.provider, reason=reason)
        response = _redirect(target, error=reason, error_description=message)
        cookies.clear_binding_cookie(response, request, settings, state)
        return response

    if provider is None:
        return fail("provider_disabled", "This sign-in method was turned off; try another")
    if error:
        if error == "access_denied":
            return fail("access_denied", f"Sign-in with {provider.name} was cancelled")
        return fail("provider_error", f"{provider.name} could not sign you in; please try again")
    if not code:
        return fail("missing_code", f"{provider.name} did not complete the sign-in")
    try:
        identity = await client.sign_in(
            provider,
            code=code,
            redirect_uri=callback_url(settings),
            code_verifier=attempt.code_verifier,
            nonce=attempt.nonce,
        )
    except ProviderError as exc:
        message = (
            unavailable_message(provider, settings)
            if exc.reason == "provider_unavailable"
            else exc.message
        )
        return fail(exc.reason, message)

    def complete(session: Session) -> tuple[str, str]:
        user = _upsert(session, provider, identity)
        return user.id, issue_login_code(session, user.id, binding_hash)

    user_id, login_code = await database.write(complete)
    log.info("sign_in", provider=provider.id, user_id=user_id)
    # The binding cookie stays: POST /api/auth/token needs it with the login code.
    return _redirect(target, login_code=login_code)


def _upsert(session: Session, provider: Provider, identity: Identity) -> User:
    return auth.upsert_user(
        session,
        provider=provider.id,
        subject=identity.subject,
        email=identity.email,
        name=identity.name,
        avatar_url=identity.avatar_url,
    )


_NO_LEAK = {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}


def _redirect(target: str, **fragment: str) -> Response:
    """The login code travels in the fragment: browsers never send it to a server, and
    `no-referrer` keeps the callback URL (with the provider's code) out of Referer headers."""
    return RedirectResponse(
        f"{target}#{urlencode(fragment)}", status_code=status.HTTP_302_FOUND, headers=_NO_LEAK
    )


def _callback_page(
    request: Request, settings: Settings, rejected: SignInRejected, state: str | None
) -> Response:
    """A 400 page for a callback we cannot trust: with no trusted redirect_uri, the person is
    offered a fresh start on this app's sign-in page instead."""
    message = html.escape(rejected.message)
    body = (
        "<!doctype html><html lang=en><meta charset=utf-8>"
        "<meta name=viewport content='width=device-width,initial-scale=1'>"
        "<title>Sign-in did not complete</title>"
        "<body style='font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;"
        "padding:0 1rem;line-height:1.5'>"
        f"<h1>Sign-in did not complete</h1><p>{message}</p>"
        "<p><a href='/'>Start signing in again</a></p></body></html>"
    )
    response = HTMLResponse(body, status_code=status.HTTP_400_BAD_REQUEST, headers=_NO_LEAK)
    cookies.clear_binding_cookie(response, request, settings, state)
    return response


@router.post(
    "/auth/token",
    response_model=TokenResponse | CookieSignIn,
    dependencies=[IpRateLimit],
    summary="Trade the login code for tokens",
    responses={
        401: {"description": "The code is not valid, used, expired or from another browser"}
    },
)
def token(
    body: LoginCodeRequest,
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
) -> TokenResponse | CookieSignIn:
    """The login code from the redirect's fragment works once, within 60 seconds, from the
    browser that signed in. Send `X-Token-Delivery: cookie` to receive the refresh token as an
    HttpOnly cookie."""
    try:
        user_id, binding = redeem_login_code(
            session, body.login_code, cookies.binding_cookies(request, settings)
        )
    except Unauthorized:
        log.warning("sign_in_failed", reason="login_code_rejected")
        raise
    cookies.clear_cookie(response, request, settings, binding)
    user = auth.get_user(session, user_id)
    if user is None:
        raise Unauthorized("This account no longer exists")
    issued = _start_session(session, request, settings, user)
    log.info("session_started", user_id=user.id, session_id=issued.family_id)
    return _signed_in(request, response, settings, user, issued)


@router.post(
    "/auth/dev-login",
    response_model=TokenResponse | CookieSignIn,
    dependencies=[IpRateLimit],
    summary="Sign in as a local user (development only)",
    responses={404: {"description": "Development sign-in is off (outside development)"}},
)
def dev_login(
    body: DevLoginRequest,
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
) -> TokenResponse | CookieSignIn:
    """Creates or reuses the local user with this email. Disabled outside development."""
    if not settings.dev_login_enabled:
        raise NotFound("Development sign-in is disabled")
    user = auth.dev_login(session, email=str(body.email), name=body.name)
    issued = _start_session(session, request, settings, user)
    log.info("sign_in", provider=auth.DEV_PROVIDER, user_id=user.id)
    return _signed_in(request, response, settings, user, issued)


# --- sessions --------------------------------------------------------------------------------


@router.post(
    "/auth/refresh",
    response_model=RefreshedTokens | CookieSignIn,
    dependencies=[IpRateLimit],
    summary="Trade a refresh token for new tokens",
    responses={
        401: {"description": "The refresh token is not valid, used or expired: sign in again"},
        403: {"description": "By cookie, only from this app's own pages"},
    },
)
def refresh(
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    body: RefreshRequest | None = None,
) -> RefreshedTokens | CookieSignIn | JSONResponse:
    """The refresh token works once: keep the new one this returns. A web client sends no
    body and `X-Token-Delivery: cookie` instead: the token is read from and written to the
    HttpOnly cookie, and the answer names the user, since a page opened afresh has only the
    cookie to go on."""
    token = body.refresh_token if body is not None else None
    by_cookie = token is None
    if by_cookie:
        token = cookies.refresh_cookie(request, settings)
        if token is None:
            raise Unauthorized("Send the refresh token, or sign in again")
        cookies.require_same_origin(request, settings)
    assert token is not None
    try:
        user, issued = auth.rotate_refresh_token(session, token)
    except auth.RefreshTokenReused as reuse:
        # Answered, not raised, so that the revocation is committed with the request.
        auth.revoke_family(session, reuse.family_id)
        log.warning(
            "refresh_token_reuse",
            security=True,
            user_id=reuse.user_id,
            session_id=reuse.family_id,
            ip=client_ip(request),
        )
        return _refused(
            request, settings, Unauthorized("This sign-in was ended for safety; sign in again")
        )
    except Unauthorized as refused:
        return _refused(request, settings, refused)
    access, expires_in = issue_access_token(settings, user.id, issued.family_id)
    if by_cookie or cookies.wants_cookie(request):
        cookies.set_refresh_cookie(
            response, request, settings, issued.refresh_token, issued.expires_at
        )
        return CookieSignIn(
            access_token=access, expires_in=expires_in, user=UserRead.model_validate(user)
        )
    return RefreshedTokens(
        access_token=access, refresh_token=issued.refresh_token, expires_in=expires_in
    )


def _refused(request: Request, settings: Settings, error: Unauthorized) -> JSONResponse:
    answer = render(error)
    if cookies.refresh_cookie(request, settings) is not None:
        cookies.clear_refresh_cookie(answer, request, settings)
    return answer


@router.post(
    "/auth/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=[IpRateLimit],
    summary="End this sign-in",
    responses={
        401: {"description": "Neither a refresh token nor a valid access token was sent"},
        403: {"description": "By cookie, only from this app's own pages"},
    },
)
def logout(
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_optional_bearer)],
    body: LogoutRequest | None = None,
) -> None:
    """Ends the session of the refresh token given (in the body or the web cookie), or else of
    the access token sent. Its refresh token stops working at once, and so do its access
    tokens."""
    family_id: str | None = None
    token = body.refresh_token if body is not None else None
    if token is None and cookies.refresh_cookie(request, settings) is not None:
        cookies.require_same_origin(request, settings)
        token = cookies.refresh_cookie(request, settings)
    if token:
        row = auth.family_for_refresh_token(session, token)
        family_id = row.family_id if row is not None else None
    elif credentials is not None:
        family_id = str(verify_access_token(settings, credentials.credentials)["sid"])
    cookies.clear_refresh_cookie(response, request, settings)
    if family_id is None:
        if token:
            return  # already gone: signing out twice is not an error
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
def delete_me(user: CurrentUser, session: SessionDep, runs: RunsDep) -> None:
    """Deletes the account, every sign-in session, and all projects, documents and threads."""
    runs.cancel_where(user_id=user.id)
    auth.delete_user(session, user)
    log.info("account_deleted", user_id=user.id)
