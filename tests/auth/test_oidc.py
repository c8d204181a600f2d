"""Signing in through a real OpenID Connect provider on loopback, configured in turn as
Google (GOOGLE_DISCOVERY_URL), Microsoft (MICROSOFT_AUTHORITY, multi-tenant issuer) and a
generic OIDC provider (OIDC_ISSUER): the redirect flow, and everything that must make it fail.
"""

from __future__ import annotations

import base64
import hashlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from ba_assistant.auth.providers import accepted_issuers, enabled_providers
from ba_assistant.models import LoginCode, OAuthState, User
from ba_assistant.models.base import utcnow
from tests.conftest import free_port, make_app, make_settings
from tests.fakes.oidc import FakeOidcProvider, callback_query, fragment

PROVIDERS = ("google", "microsoft", "oidc")
TENANT = "9f0c2c1e-tenant-a"
APP_RETURN = "https://app.example.com/auth/done"
DEEP_LINK = "ba-assistant://signed-in"


@pytest.fixture(scope="module")
def idps() -> Iterator[dict[str, FakeOidcProvider]]:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the provider's own access log
    with (
        FakeOidcProvider() as google,
        FakeOidcProvider(microsoft=True) as microsoft,
        FakeOidcProvider() as generic,
    ):
        yield {"google": google, "microsoft": microsoft, "oidc": generic}


@pytest.fixture
def providers(idps: dict[str, FakeOidcProvider]) -> Iterator[dict[str, FakeOidcProvider]]:
    yield idps
    for idp in idps.values():
        idp.tamper_id_token = idp.token_endpoint_down = False


def provider_settings(idps: dict[str, FakeOidcProvider]) -> dict[str, Any]:
    return {
        "google_client_id": "ba-google-client",
        "google_client_secret": "google-client-secret-value",
        "google_discovery_url": idps["google"].discovery_url,
        "microsoft_client_id": "ba-microsoft-client",
        "microsoft_client_secret": "microsoft-client-secret-value",
        "microsoft_authority": idps["microsoft"].microsoft_authority,
        "oidc_name": "Acme SSO",
        "oidc_issuer": idps["oidc"].base_url,
        "oidc_client_id": "ba-oidc-client",
        "oidc_client_secret": "oidc-client-secret-value",
        "allowed_redirect_uris": f"{APP_RETURN},{DEEP_LINK}",
    }


@pytest.fixture
def app(data_dir: Path, providers: dict[str, FakeOidcProvider]) -> Iterator[FastAPI]:
    application = make_app(make_settings(data_dir, **provider_settings(providers)))
    yield application
    application.state.db.dispose()


@dataclass
class Flow:
    """The browser's side of signing in, step by step."""

    client: TestClient
    idps: dict[str, FakeOidcProvider]

    def person(self, provider: str, subject: str, **claims: Any) -> None:
        """Who ``subject`` is at the provider (their claims go into the ID token)."""
        idp = self.idps[provider]
        if provider == "microsoft":
            tenant = claims.pop("tenant", TENANT)
            oid = claims.pop("oid", f"oid-{subject}")
            idp.set_microsoft_user(subject, tenant=tenant, oid=oid, **claims)
        else:
            idp.set_user(subject, **claims)

    def start(
        self, provider: str, redirect_uri: str = "/", client: TestClient | None = None
    ) -> str:
        response = (client or self.client).post(
            f"/api/auth/oauth/{provider}", json={"redirect_uri": redirect_uri}
        )
        assert response.status_code == 200, response.text
        auth_url: str = response.json()["auth_url"]
        return auth_url

    def at_provider(self, provider: str, auth_url: str, subject: str) -> str:
        return self.idps[provider].authorize(auth_url, subject)

    def callback(self, location: str, client: TestClient | None = None) -> httpx.Response:
        return (client or self.client).get(
            "/api/auth/callback", params=callback_query(location), follow_redirects=False
        )

    def login_code(self, provider: str, subject: str, redirect_uri: str = "/") -> str:
        location = self.at_provider(provider, self.start(provider, redirect_uri), subject)
        response = self.callback(location)
        assert response.status_code == 302, response.text
        back = fragment(response.headers["location"])
        assert "login_code" in back, back
        return back["login_code"]

    def sign_in(self, provider: str, subject: str, **claims: Any) -> dict[str, Any]:
        claims.setdefault("email", f"{subject}@example.com")
        claims.setdefault("name", subject.title())
        self.person(provider, subject, **claims)
        response = self.client.post(
            "/api/auth/token", json={"login_code": self.login_code(provider, subject)}
        )
        assert response.status_code == 200, response.text
        tokens: dict[str, Any] = response.json()
        return tokens

    def error_after(self, response: httpx.Response) -> dict[str, str]:
        assert response.status_code == 302, response.text
        back = fragment(response.headers["location"])
        assert "login_code" not in back
        return back


@pytest.fixture
def flow(client: TestClient, providers: dict[str, FakeOidcProvider]) -> Flow:
    return Flow(client, providers)


def me(client: TestClient, access_token: str) -> httpx.Response:
    return client.get("/api/me", headers={"Authorization": f"Bearer {access_token}"})


def users(app: FastAPI) -> list[User]:
    with app.state.db.session(write=False) as session:
        return list(session.scalars(select(User).order_by(User.created_at)))


class TestProviders:
    def test_lists_the_enabled_providers_and_dev_login(self, client: TestClient) -> None:
        listed = client.get("/api/auth/providers").json()["providers"]
        assert listed == [
            {"id": "google", "name": "Google"},
            {"id": "microsoft", "name": "Microsoft"},
            {"id": "oidc", "name": "Acme SSO"},
            {"id": "dev", "name": "Local user"},
        ]

    def test_a_provider_without_its_secret_is_not_offered(self, tmp_path: Path) -> None:
        settings = make_settings(
            tmp_path / "data", google_client_id="only-the-id", auth_dev_login=False
        )
        application = make_app(settings)
        with TestClient(application) as client:
            assert client.get("/api/auth/providers").json() == {"providers": []}
            response = client.post("/api/auth/oauth/google", json={"redirect_uri": "/"})
            assert response.status_code == 404
        application.state.db.dispose()

    def test_an_unknown_provider_is_404(self, client: TestClient) -> None:
        response = client.post("/api/auth/oauth/github", json={"redirect_uri": "/"})
        assert response.status_code == 404
        assert response.json()["error"] == "not_found"


class TestSignIn:
    @pytest.mark.parametrize("provider", PROVIDERS)
    def test_the_redirect_flow_ends_with_working_tokens(
        self, flow: Flow, client: TestClient, provider: str
    ) -> None:
        tokens = flow.sign_in(provider, "ann", email="ann@client.example", name="Ann Analyst")
        assert tokens["token_type"] == "bearer"
        profile = me(client, tokens["access_token"])
        assert profile.status_code == 200
        assert profile.json()["email"] == "ann@client.example"
        assert profile.json()["name"] == "Ann Analyst"
        refreshed = client.post(
            "/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
        )
        assert refreshed.status_code == 200
        assert me(client, refreshed.json()["access_token"]).status_code == 200

    def test_the_auth_url_asks_for_pkce_s256_a_nonce_and_our_callback(
        self, flow: Flow, providers: dict[str, FakeOidcProvider]
    ) -> None:
        auth_url = flow.start("google")
        assert auth_url.startswith(providers["google"].base_url + "/oauth2/authorize?")
        query = callback_query(auth_url)
        assert query["code_challenge_method"] == "S256"
        assert len(query["code_challenge"]) == 43
        assert len(query["state"]) >= 43 and len(query["nonce"]) >= 43
        assert query["redirect_uri"] == "http://127.0.0.1:8000/api/auth/callback"
        assert query["scope"] == "openid email profile"
        assert query["client_id"] == "ba-google-client"

    @pytest.mark.parametrize("provider", PROVIDERS)
    def test_the_same_subject_twice_is_one_user_with_a_fresh_profile(
        self, flow: Flow, app: FastAPI, client: TestClient, provider: str
    ) -> None:
        first = flow.sign_in(provider, "ann", name="Ann Smith", picture="https://img.example/a.png")
        second = flow.sign_in(provider, "ann", name="Ann Jones", email="ann.jones@example.com")
        assert first["user"]["id"] == second["user"]["id"]
        assert len(users(app)) == 1
        profile = me(client, first["access_token"]).json()
        assert profile["name"] == "Ann Jones"
        assert profile["email"] == "ann.jones@example.com"

    @pytest.mark.parametrize("provider", PROVIDERS)
    def test_two_subjects_with_the_same_email_are_two_users(
        self, flow: Flow, app: FastAPI, provider: str
    ) -> None:
        ann = flow.sign_in(provider, "ann", email="shared@example.com")
        impostor = flow.sign_in(provider, "mallory", email="shared@example.com")
        assert ann["user"]["id"] != impostor["user"]["id"]
        assert len(users(app)) == 2

    def test_the_same_email_at_two_providers_is_two_users(self, flow: Flow, app: FastAPI) -> None:
        google = flow.sign_in("google", "ann", email="ann@example.com")
        oidc = flow.sign_in("oidc", "ann", email="ann@example.com")
        assert google["user"]["id"] != oidc["user"]["id"]

    def test_microsoft_users_are_keyed_by_tenant_and_object_id(
        self, flow: Flow, app: FastAPI
    ) -> None:
        first = flow.sign_in("microsoft", "ann", tenant=TENANT, oid="oid-1")
        # The same object id in another tenant is another person.
        other = flow.sign_in("microsoft", "ann", tenant="another-tenant", oid="oid-1")
        assert first["user"]["id"] != other["user"]["id"]
        subjects = {user.oauth_id for user in users(app)}
        assert subjects == {f"{TENANT}:oid-1", "another-tenant:oid-1"}

    def test_a_relative_redirect_uri_returns_to_this_app(self, flow: Flow) -> None:
        flow.person("google", "ann")
        location = flow.at_provider("google", flow.start("google", "/projects?x=1"), "ann")
        response = flow.callback(location)
        assert response.headers["location"].startswith("http://127.0.0.1:8000/projects?x=1#")

    @pytest.mark.parametrize("target", [APP_RETURN, DEEP_LINK])
    def test_an_allowed_redirect_uri_is_used_exactly(self, flow: Flow, target: str) -> None:
        flow.person("google", "ann")
        location = flow.at_provider("google", flow.start("google", target), "ann")
        response = flow.callback(location)
        assert response.headers["location"].startswith(target + "#login_code=")

    def test_the_callback_leaks_nothing_by_referrer_or_cache(self, flow: Flow) -> None:
        flow.person("google", "ann")
        response = flow.callback(flow.at_provider("google", flow.start("google"), "ann"))
        assert response.headers["referrer-policy"] == "no-referrer"
        assert response.headers["cache-control"] == "no-store"

    def test_two_sign_ins_in_two_tabs_both_work(self, flow: Flow) -> None:
        flow.person("google", "ann")
        first, second = flow.start("google"), flow.start("google")
        for auth_url in (second, first):
            response = flow.callback(flow.at_provider("google", auth_url, "ann"))
            assert "login_code" in fragment(response.headers["location"])

    def test_pkce_binds_the_code_to_the_verifier_stored_with_the_state(
        self, flow: Flow, app: FastAPI
    ) -> None:
        challenge = callback_query(flow.start("google"))["code_challenge"]
        with app.state.db.session(write=False) as session:
            verifier = session.scalars(select(OAuthState.code_verifier)).one()
        digest = hashlib.sha256(verifier.encode()).digest()
        assert challenge == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


class TestRedirectUri:
    @pytest.mark.parametrize(
        "redirect_uri",
        [
            "//evil.example",
            "//evil.example/auth/done",
            "https:evil.example",
            "/\\evil.example",
            "/\\/evil.example",
            "https://evil.example/auth/done",
            "https://app.example.com/auth/done/",  # not an exact match
            "https://app.example.com/auth/done?next=x",
            "http://app.example.com/auth/done",  # another scheme
            "https://app.example.com:8443/auth/done",  # another port
            "javascript:alert(1)",
            "projects",
            "/projects#fragment",
            "/ evil",
            "/\tevil",
        ],
    )
    def test_anything_but_an_allowed_uri_or_an_app_path_is_400(
        self, client: TestClient, redirect_uri: str
    ) -> None:
        response = client.post("/api/auth/oauth/google", json={"redirect_uri": redirect_uri})
        assert response.status_code == 400, redirect_uri
        body = response.json()
        assert body["error"] == "validation_error"
        assert "redirect_uri" in body["details"]


class TestBadCallbacks:
    def test_a_missing_state_is_400(self, flow: Flow) -> None:
        response = flow.client.get("/api/auth/callback?code=abc", follow_redirects=False)
        assert response.status_code == 400
        assert "Sign-in did not complete" in response.text
        assert response.headers["content-type"].startswith("text/html")

    def test_a_tampered_state_is_400(self, flow: Flow) -> None:
        flow.person("google", "ann")
        location = flow.at_provider("google", flow.start("google"), "ann")
        query = callback_query(location)
        query["state"] = query["state"][:-2] + ("AA" if not query["state"].endswith("AA") else "BB")
        response = flow.client.get("/api/auth/callback", params=query, follow_redirects=False)
        assert response.status_code == 400

    def test_a_state_works_once(self, flow: Flow) -> None:
        flow.person("google", "ann")
        location = flow.at_provider("google", flow.start("google"), "ann")
        assert flow.callback(location).status_code == 302
        replay = flow.callback(location)
        assert replay.status_code == 400
        assert "already used" in replay.text

    def test_an_expired_state_is_400(self, flow: Flow, app: FastAPI) -> None:
        flow.person("google", "ann")
        location = flow.at_provider("google", flow.start("google"), "ann")
        with app.state.db.session() as session:
            session.execute(update(OAuthState).values(expires_at=utcnow() - timedelta(seconds=1)))
        response = flow.callback(location)
        assert response.status_code == 400
        assert "10 minutes" in response.text

    def test_a_state_from_another_browser_is_400(self, flow: Flow, app: FastAPI) -> None:
        flow.person("google", "ann")
        location = flow.at_provider("google", flow.start("google"), "ann")
        with TestClient(app) as other_browser:
            response = flow.callback(location, client=other_browser)
        assert response.status_code == 400
        assert "another browser" in response.text
        # The attempt is spent: not even the right browser can finish it now.
        assert flow.callback(location).status_code == 400

    def test_a_state_made_for_one_provider_fails_with_another_providers_code(
        self, flow: Flow, providers: dict[str, FakeOidcProvider]
    ) -> None:
        flow.person("oidc", "mallory")
        google_auth_url = flow.start("google")
        # The browser is sent to the other provider with Google's parameters.
        query = google_auth_url.split("?", 1)[1]
        other = providers["oidc"].authorize(
            f"{providers['oidc'].base_url}/oauth2/authorize?{query}", "mallory"
        )
        back = flow.error_after(flow.callback(other))
        assert back["error"] == "sign_in_failed"
        assert "Google did not accept this sign-in" in back["error_description"]

    def test_a_replayed_code_fails(self, flow: Flow) -> None:
        flow.person("google", "ann")
        first = flow.at_provider("google", flow.start("google"), "ann")
        assert "login_code" in fragment(flow.callback(first).headers["location"])
        # The same code with a fresh state: the provider has already spent it.
        fresh = callback_query(flow.at_provider("google", flow.start("google"), "ann"))
        replay = {**fresh, "code": callback_query(first)["code"]}
        response = flow.client.get("/api/auth/callback", params=replay, follow_redirects=False)
        assert flow.error_after(response)["error"] == "sign_in_failed"

    @pytest.mark.parametrize("provider", PROVIDERS)
    def test_a_wrong_nonce_is_refused(self, flow: Flow, provider: str) -> None:
        flow.person(provider, "ann", nonce="not-the-nonce-we-sent")
        response = flow.callback(flow.at_provider(provider, flow.start(provider), "ann"))
        back = flow.error_after(response)
        assert back["error"] == "invalid_id_token"
        assert "could not be verified" in back["error_description"]

    @pytest.mark.parametrize("provider", PROVIDERS)
    def test_a_tampered_id_token_is_refused(
        self, flow: Flow, providers: dict[str, FakeOidcProvider], provider: str
    ) -> None:
        flow.person(provider, "ann")
        location = flow.at_provider(provider, flow.start(provider), "ann")
        providers[provider].tamper_id_token = True
        assert flow.error_after(flow.callback(location))["error"] == "invalid_id_token"

    @pytest.mark.parametrize(
        "claims",
        [{"aud": "someone-elses-client"}, {"iss": "https://evil.example"}, {"exp": 1_000_000}],
        ids=["audience", "issuer", "expired"],
    )
    def test_an_id_token_for_someone_else_is_refused(
        self, flow: Flow, claims: dict[str, Any]
    ) -> None:
        flow.person("google", "ann", **claims)
        response = flow.callback(flow.at_provider("google", flow.start("google"), "ann"))
        assert flow.error_after(response)["error"] == "invalid_id_token"

    def test_a_microsoft_token_whose_issuer_names_another_tenant_is_refused(
        self, flow: Flow
    ) -> None:
        flow.person("microsoft", "ann", tenant=TENANT, issuer_tenant="another-tenant")
        response = flow.callback(flow.at_provider("microsoft", flow.start("microsoft"), "ann"))
        assert flow.error_after(response)["error"] == "invalid_id_token"

    def test_a_microsoft_token_without_an_object_id_is_refused(
        self, flow: Flow, providers: dict[str, FakeOidcProvider]
    ) -> None:
        providers["microsoft"].set_user(
            "ann", tid=TENANT, iss=providers["microsoft"].tenant_issuer(TENANT)
        )
        response = flow.callback(flow.at_provider("microsoft", flow.start("microsoft"), "ann"))
        assert flow.error_after(response)["error"] == "invalid_id_token"

    @pytest.mark.parametrize(
        ("answer", "error"),
        [
            (lambda token: {**token, "expires_in": [1]}, "provider_unavailable"),
            (lambda token: {"access_token": "x", "token_type": "Bearer"}, "invalid_id_token"),
            (lambda token: {**token, "id_token": "not-a-jwt"}, "invalid_id_token"),
        ],
        ids=["malformed", "no-id-token", "garbage-id-token"],
    )
    def test_a_malformed_token_response_is_an_error_not_a_500(
        self,
        flow: Flow,
        providers: dict[str, FakeOidcProvider],
        answer: Any,
        error: str,
    ) -> None:
        flow.person("google", "ann")
        location = flow.at_provider("google", flow.start("google"), "ann")
        providers["google"].token_response = answer
        try:
            assert flow.error_after(flow.callback(location))["error"] == error
        finally:
            providers["google"].token_response = None

    def test_a_cancelled_sign_in_says_so(self, flow: Flow) -> None:
        auth_url = flow.start("google")
        state = callback_query(auth_url)["state"]
        response = flow.client.get(
            "/api/auth/callback",
            params={"error": "access_denied", "state": state},
            follow_redirects=False,
        )
        back = flow.error_after(response)
        assert back == {
            "error": "access_denied",
            "error_description": "Sign-in with Google was cancelled",
        }

    def test_a_provider_down_at_the_exchange_suggests_another(
        self, flow: Flow, providers: dict[str, FakeOidcProvider]
    ) -> None:
        flow.person("google", "ann")
        location = flow.at_provider("google", flow.start("google"), "ann")
        providers["google"].token_endpoint_down = True
        back = flow.error_after(flow.callback(location))
        assert back["error"] == "provider_unavailable"
        assert back["error_description"] == (
            "Google sign-in is unavailable, try again or use Microsoft or Acme SSO"
        )

    def test_an_unreachable_provider_is_503_with_a_message(self, tmp_path: Path) -> None:
        settings = make_settings(
            tmp_path / "data",
            google_client_id="id",
            google_client_secret="secret-value",
            google_discovery_url=f"http://127.0.0.1:{free_port()}/.well-known/openid-configuration",
        )
        application = make_app(settings)
        with TestClient(application) as client:
            response = client.post("/api/auth/oauth/google", json={"redirect_uri": "/"})
        application.state.db.dispose()
        assert response.status_code == 503
        assert (
            response.json()["message"]
            == "Google sign-in is unavailable, try again in a few minutes"
        )


class TestLoginCode:
    def test_works_once(self, flow: Flow) -> None:
        flow.person("google", "ann")
        code = flow.login_code("google", "ann")
        assert flow.client.post("/api/auth/token", json={"login_code": code}).status_code == 200
        replay = flow.client.post("/api/auth/token", json={"login_code": code})
        assert replay.status_code == 401
        assert "already used" in replay.json()["message"]

    def test_expires_after_a_minute(self, flow: Flow, app: FastAPI) -> None:
        flow.person("google", "ann")
        code = flow.login_code("google", "ann")
        with app.state.db.session() as session:
            session.execute(update(LoginCode).values(expires_at=utcnow() - timedelta(seconds=1)))
        response = flow.client.post("/api/auth/token", json={"login_code": code})
        assert response.status_code == 401
        assert "expired" in response.json()["message"]

    def test_in_web_cookie_mode_the_refresh_token_is_a_cookie(self, flow: Flow) -> None:
        flow.person("microsoft", "ann")
        code = flow.login_code("microsoft", "ann")
        response = flow.client.post(
            "/api/auth/token", json={"login_code": code}, headers={"X-Token-Delivery": "cookie"}
        )
        assert response.status_code == 200
        assert "refresh_token" not in response.json()
        set_cookies = response.headers.get_list("set-cookie")
        assert any(cookie.startswith("ba_refresh=") for cookie in set_cookies)
        refreshed = flow.client.post(
            "/api/auth/refresh",
            headers={"X-Token-Delivery": "cookie", "Origin": "http://testserver"},
        )
        assert refreshed.status_code == 200

    def test_works_only_in_the_browser_that_signed_in(self, flow: Flow, app: FastAPI) -> None:
        flow.person("google", "ann")
        code = flow.login_code("google", "ann")
        # A code slipped into someone else's browser (#login_code=… in a link) is worthless.
        with TestClient(app) as victim:
            refused = victim.post("/api/auth/token", json={"login_code": code})
        assert refused.status_code == 401
        assert "browser where you started" in refused.json()["message"]
        response = flow.client.post("/api/auth/token", json={"login_code": code})
        assert response.status_code == 200
        assert "ba_signin_" in response.headers["set-cookie"]  # the binding is spent

    def test_an_unknown_code_is_401(self, client: TestClient) -> None:
        response = client.post("/api/auth/token", json={"login_code": "x" * 43})
        assert response.status_code == 401

    def test_states_and_codes_are_stored_hashed(self, flow: Flow, app: FastAPI) -> None:
        auth_url = flow.start("google")
        state = callback_query(auth_url)["state"]
        flow.person("google", "ann")
        code = flow.login_code("google", "ann")
        with app.state.db.session(write=False) as session:
            stored_states = list(session.scalars(select(OAuthState.state_hash)))
            stored_codes = list(session.scalars(select(LoginCode.code_hash)))
            assert session.scalar(select(func.count()).select_from(OAuthState)) == 1
        assert state not in stored_states and code not in stored_codes
        assert all(len(value) == 64 for value in stored_states + stored_codes)


class TestAudit:
    def test_no_token_code_or_secret_reaches_the_log(
        self,
        tmp_path: Path,
        providers: dict[str, FakeOidcProvider],
        capfd: pytest.CaptureFixture[str],
    ) -> None:
        settings = make_settings(
            tmp_path / "data", log_level="INFO", **provider_settings(providers)
        )
        application = make_app(settings)
        with TestClient(application) as client:
            flow = Flow(client, providers)
            flow.person("google", "ann")
            auth_url = flow.start("google")
            location = flow.at_provider("google", auth_url, "ann")
            back = fragment(flow.callback(location).headers["location"])
            tokens = client.post("/api/auth/token", json={"login_code": back["login_code"]}).json()
            second = client.post(
                "/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
            ).json()
            client.post("/api/auth/logout", json={"refresh_token": second["refresh_token"]})
        application.state.db.dispose()
        log = capfd.readouterr().err
        events = [line for line in log.splitlines() if '"event"' in line]
        assert any('"event": "sign_in"' in line for line in events)
        assert any('"event": "logout"' in line for line in events)
        query = callback_query(auth_url)
        secrets = [
            query["state"],
            query["nonce"],
            callback_query(location)["code"],
            back["login_code"],
            tokens["access_token"],
            tokens["refresh_token"],
            second["refresh_token"],
            "google-client-secret-value",
        ]
        for secret in secrets:
            assert secret not in log


class TestIssuers:
    def test_google_tokens_may_name_the_issuer_without_https(self, tmp_path: Path) -> None:
        settings = make_settings(
            tmp_path / "data", google_client_id="id", google_client_secret="secret-value"
        )
        google = enabled_providers(settings)["google"]
        metadata = {"issuer": "https://accounts.google.com"}
        assert accepted_issuers(google, metadata, {}) == [
            "https://accounts.google.com",
            "accounts.google.com",
        ]

    def test_microsoft_multi_tenant_issuer_takes_the_tokens_tenant(self, tmp_path: Path) -> None:
        settings = make_settings(
            tmp_path / "data", microsoft_client_id="id", microsoft_client_secret="secret-value"
        )
        microsoft = enabled_providers(settings)["microsoft"]
        assert microsoft.discovery_url == (
            "https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration"
        )
        metadata = {"issuer": "https://login.microsoftonline.com/{tenantid}/v2.0"}
        assert accepted_issuers(microsoft, metadata, {"tid": "t-1"}) == [
            "https://login.microsoftonline.com/t-1/v2.0"
        ]
