"""Sign-in providers: Google, Microsoft Entra ID and any OpenID Connect provider.

Each is found by OIDC discovery. Authlib builds the authorization URL (with PKCE S256) and
exchanges the code; the ID token is then checked here: signature by the provider's published
keys, issuer, audience, expiry and nonce. The provider's answer decides who signs in, so a
check that fails ends the sign-in with a ``ProviderError`` the web app can show, never a 500.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from typing import Any, Literal

import httpx2
import structlog
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.httpx_client import AsyncOAuth2Client
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from ba_assistant.config import Settings

log = structlog.get_logger(__name__)

ProviderId = Literal["google", "microsoft", "oidc"]
SCOPE = "openid email profile"
# Asymmetric algorithms only: an ID token signed with HS256 (the client secret) or "none" is
# refused whatever the provider advertises.
SIGNING_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)
CLOCK_SKEW_SECONDS = 60
HTTP_TIMEOUT_SECONDS = 10.0
DISCOVERY_TTL_SECONDS = 3600.0
KEYS_REFETCH_AFTER_SECONDS = 60.0
WELL_KNOWN = "/.well-known/openid-configuration"
MAX_SUBJECT_LENGTH = 255
GOOGLE_ISSUER = "https://accounts.google.com"


class ProviderError(Exception):
    """The provider failed, could not be reached, or answered something we cannot trust.

    ``reason`` is a short code sent to the web app; the message is for the person signing in.
    """

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


@dataclass(frozen=True)
class Provider:
    id: ProviderId
    name: str
    client_id: str
    client_secret: str
    discovery_url: str


@dataclass(frozen=True)
class Identity:
    """Who the provider says signed in. ``subject`` is stable for the person at that provider."""

    subject: str
    email: str
    name: str
    avatar_url: str | None


def enabled_providers(settings: Settings) -> dict[str, Provider]:
    """The providers whose client id and secret are set, in the order the sign-in screen
    shows them."""
    providers: dict[str, Provider] = {}
    if settings.google_client_id and settings.google_client_secret:
        providers["google"] = Provider(
            "google",
            "Google",
            settings.google_client_id,
            settings.google_client_secret.get_secret_value(),
            settings.google_discovery_url,
        )
    if settings.microsoft_client_id and settings.microsoft_client_secret:
        authority = settings.microsoft_authority.replace("{tenant}", settings.microsoft_tenant_id)
        providers["microsoft"] = Provider(
            "microsoft",
            "Microsoft",
            settings.microsoft_client_id,
            settings.microsoft_client_secret.get_secret_value(),
            authority.rstrip("/") + WELL_KNOWN,
        )
    if settings.oidc_issuer and settings.oidc_client_id and settings.oidc_client_secret:
        providers["oidc"] = Provider(
            "oidc",
            settings.oidc_name or "Single sign-on",
            settings.oidc_client_id,
            settings.oidc_client_secret.get_secret_value(),
            settings.oidc_issuer.rstrip("/") + WELL_KNOWN,
        )
    return providers


@dataclass
class _Cached:
    value: dict[str, Any]
    fetched_at: float


class ProviderClient:
    """Talks to the providers. Discovery documents and signing keys are cached in-process;
    keys are fetched again when a token names a key we have not seen (key rotation)."""

    def __init__(self, timeout: float = HTTP_TIMEOUT_SECONDS) -> None:
        self.timeout = timeout
        self._metadata: dict[str, _Cached] = {}
        self._keys: dict[str, tuple[KeySet, float]] = {}

    async def authorization_url(
        self,
        provider: Provider,
        metadata: dict[str, Any],
        *,
        redirect_uri: str,
        state: str,
        nonce: str,
        code_verifier: str,
    ) -> str:
        async with self._oauth_client(provider, metadata, redirect_uri) as client:
            url, _ = client.create_authorization_url(
                metadata["authorization_endpoint"],
                state=state,
                nonce=nonce,
                code_verifier=code_verifier,
            )
        return str(url)

    async def sign_in(
        self,
        provider: Provider,
        *,
        code: str,
        redirect_uri: str,
        code_verifier: str,
        nonce: str,
    ) -> Identity:
        """Exchanges the authorization code and returns the verified identity."""
        metadata = await self.metadata(provider)
        try:
            async with self._oauth_client(provider, metadata, redirect_uri) as client:
                token = await client.fetch_token(
                    metadata["token_endpoint"],
                    grant_type="authorization_code",
                    code=code,
                    code_verifier=code_verifier,
                )
        except OAuthError as exc:
            # The provider refused the code: expired, already used, or not issued to us.
            log.warning("provider_token_refused", provider=provider.id, error=exc.error)
            raise ProviderError(
                "sign_in_failed", f"{provider.name} did not accept this sign-in; please try again"
            ) from exc
        except Exception as exc:  # unreachable, or an answer that is not a token response
            log.warning("provider_unreachable", provider=provider.id, error=type(exc).__name__)
            raise self._unavailable(provider) from exc
        id_token = token.get("id_token")
        if not isinstance(id_token, str):
            raise ProviderError(
                "invalid_id_token", f"{provider.name} did not send an ID token; please try again"
            )
        claims = await self.verify_id_token(provider, metadata, id_token, nonce=nonce)
        return identity_from_claims(provider, claims)

    async def verify_id_token(
        self, provider: Provider, metadata: dict[str, Any], id_token: str, *, nonce: str
    ) -> dict[str, Any]:
        algorithms = sorted(
            set(metadata["id_token_signing_alg_values_supported"]) & SIGNING_ALGORITHMS
        )
        if not algorithms:
            log.warning("provider_algorithms_unsupported", provider=provider.id)
            raise self._unavailable(provider)
        try:
            keys = await self._signing_keys(provider, metadata)
            try:
                decoded = jwt.decode(id_token, keys, algorithms=algorithms)
            except JoseError:
                # Perhaps the provider rotated its keys since we fetched them: fetch once more.
                fresher = await self._signing_keys(provider, metadata, refresh=True)
                if fresher is keys:
                    raise
                decoded = jwt.decode(id_token, fresher, algorithms=algorithms)
            claims = dict(decoded.claims)
            registry = jwt.JWTClaimsRegistry(
                leeway=CLOCK_SKEW_SECONDS,
                iss={"essential": True, "values": accepted_issuers(provider, metadata, claims)},
                aud={"essential": True, "value": provider.client_id},
                sub={"essential": True},
                exp={"essential": True},
                iat={"essential": True},
                nonce={"essential": True, "value": nonce},
            )
            registry.validate(claims)
        except (JoseError, ValueError, TypeError) as exc:
            log.warning("id_token_rejected", provider=provider.id, error=type(exc).__name__)
            raise ProviderError(
                "invalid_id_token",
                f"{provider.name}'s answer could not be verified; please try again",
            ) from exc
        azp = claims.get("azp")
        if azp is not None and azp != provider.client_id:
            log.warning("id_token_rejected", provider=provider.id, error="azp")
            raise ProviderError(
                "invalid_id_token",
                f"{provider.name}'s answer was meant for another application",
            )
        return claims

    async def metadata(self, provider: Provider) -> dict[str, Any]:
        cached = self._metadata.get(provider.discovery_url)
        if cached and time.monotonic() - cached.fetched_at < DISCOVERY_TTL_SECONDS:
            return cached.value
        metadata = await self._get_json(provider, provider.discovery_url)
        for field in ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri"):
            if not isinstance(metadata.get(field), str):
                log.warning("provider_discovery_invalid", provider=provider.id, missing=field)
                raise self._unavailable(provider)
        # Required by OIDC discovery; RS256 is the one every provider must support.
        algorithms = metadata.setdefault("id_token_signing_alg_values_supported", ["RS256"])
        if not isinstance(algorithms, list) or not all(isinstance(a, str) for a in algorithms):
            log.warning("provider_discovery_invalid", provider=provider.id, missing="algorithms")
            raise self._unavailable(provider)
        self._metadata[provider.discovery_url] = _Cached(metadata, time.monotonic())
        return metadata

    async def _signing_keys(
        self, provider: Provider, metadata: dict[str, Any], *, refresh: bool = False
    ) -> KeySet:
        url: str = metadata["jwks_uri"]
        cached = self._keys.get(url)
        if cached is not None and not (
            refresh and time.monotonic() - cached[1] > KEYS_REFETCH_AFTER_SECONDS
        ):
            return cached[0]
        body = await self._get_json(provider, url)
        try:
            keys = KeySet.import_key_set(body)  # type: ignore[arg-type]
        except (JoseError, ValueError, TypeError, KeyError) as exc:
            log.warning("provider_keys_invalid", provider=provider.id)
            raise self._unavailable(provider) from exc
        self._keys[url] = (keys, time.monotonic())
        return keys

    async def _get_json(self, provider: Provider, url: str) -> dict[str, Any]:
        try:
            async with httpx2.AsyncClient(timeout=self.timeout) as client:
                response = await client.get(url, headers={"Accept": "application/json"})
                response.raise_for_status()
                body = response.json()
        except (httpx2.HTTPError, httpx2.InvalidURL, ValueError) as exc:
            log.warning("provider_unreachable", provider=provider.id, error=type(exc).__name__)
            raise self._unavailable(provider) from exc
        if not isinstance(body, dict):
            raise self._unavailable(provider)
        return body

    def _oauth_client(
        self, provider: Provider, metadata: dict[str, Any], redirect_uri: str
    ) -> AsyncOAuth2Client:
        return AsyncOAuth2Client(
            client_id=provider.client_id,
            client_secret=provider.client_secret,
            scope=SCOPE,
            redirect_uri=redirect_uri,
            code_challenge_method="S256",
            token_endpoint_auth_method=client_auth_method(metadata),
            timeout=self.timeout,
        )

    @staticmethod
    def _unavailable(provider: Provider) -> ProviderError:
        return ProviderError("provider_unavailable", f"{provider.name} sign-in is unavailable")


def client_auth_method(metadata: dict[str, Any]) -> str:
    """HTTP Basic unless the provider accepts only the secret in the form (both are allowed
    by Google and Entra ID; some OIDC providers offer only one)."""
    supported = metadata.get("token_endpoint_auth_methods_supported")
    if (
        isinstance(supported, list)
        and "client_secret_basic" not in supported
        and "client_secret_post" in supported
    ):
        return "client_secret_post"
    return "client_secret_basic"


def accepted_issuers(
    provider: Provider, metadata: dict[str, Any], claims: dict[str, Any]
) -> list[str]:
    issuer = expected_issuer(metadata, claims)
    if provider.id == "google" and issuer == GOOGLE_ISSUER:
        # Google documents both forms for the iss of its ID tokens.
        return [issuer, GOOGLE_ISSUER.removeprefix("https://")]
    return [issuer]


def expected_issuer(metadata: dict[str, Any], claims: dict[str, Any]) -> str:
    """The issuer the token must name. Microsoft's multi-tenant endpoints (common,
    organizations) publish ``https://login.microsoftonline.com/{tenantid}/v2.0``: the token's
    own (signed) ``tid`` fills the placeholder, so a token from any tenant must still name the
    tenant it claims to come from."""
    issuer: str = metadata["issuer"]
    if "{tenantid}" in issuer:
        tenant = claims.get("tid")
        if not isinstance(tenant, str) or not tenant:
            raise ValueError("tid")
        issuer = issuer.replace("{tenantid}", tenant)
    return issuer


def identity_from_claims(provider: Provider, claims: dict[str, Any]) -> Identity:
    """Who signed in, keyed for life: Google's ``sub``; Microsoft's tenant and object id (the
    same person across every app of the tenant); for any other provider its issuer and
    ``sub``, so that changing OIDC_ISSUER can never sign someone in as another person."""
    if provider.id == "microsoft":
        tenant, oid = claims.get("tid"), claims.get("oid")
        if not isinstance(tenant, str) or not isinstance(oid, str) or not tenant or not oid:
            raise ProviderError(
                "invalid_id_token",
                "Microsoft did not say which account signed in (tid and oid are required)",
            )
        subject = f"{tenant}:{oid}"
    elif provider.id == "oidc":
        subject = f"{claims['iss']}|{claims['sub']}"
    else:
        subject = str(claims["sub"])
    if len(subject) > MAX_SUBJECT_LENGTH:
        subject = "sha256:" + hashlib.sha256(subject.encode()).hexdigest()
    email = _text(claims.get("email")) or _text(claims.get("preferred_username")) or ""
    name = (
        _text(claims.get("name"))
        or " ".join(
            part
            for part in (_text(claims.get("given_name")), _text(claims.get("family_name")))
            if part
        )
        or email.split("@")[0]
        or provider.name + " user"
    )
    picture = _text(claims.get("picture"))
    avatar_url = picture if picture and picture.startswith("https://") else None
    return Identity(subject=subject, email=email[:320], name=name[:200], avatar_url=avatar_url)


def _text(value: object) -> str | None:
    if isinstance(value, str) and value.strip():
        return " ".join(value.split())
    return None
