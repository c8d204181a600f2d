"""Signing in with an OpenID Connect provider (a real one on loopback) in the browser."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from playwright.sync_api import Page, expect

from tests.conftest import LiveServer, free_port, make_app, make_settings
from tests.fakes.oidc import FakeOidcProvider


@pytest.fixture
def idp() -> Iterator[FakeOidcProvider]:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    with FakeOidcProvider() as provider:
        yield provider


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def web_app(web_dist: Path, data_dir: Path, idp: FakeOidcProvider, port: int) -> Iterator[FastAPI]:
    settings = make_settings(
        data_dir,
        public_url=f"http://127.0.0.1:{port}",  # where the provider sends the browser back
        oidc_name="Acme SSO",
        oidc_issuer=idp.base_url,
        oidc_client_id="ba-oidc-client",
        oidc_client_secret="oidc-client-secret-value",
    )
    application = make_app(settings)
    yield application
    application.state.db.dispose()


@pytest.fixture
def server(web_app: FastAPI, port: int) -> Iterator[LiveServer]:
    live = LiveServer(web_app)
    live.port, live.url = port, f"http://127.0.0.1:{port}"
    live.server.config.port = port
    with live:
        yield live


class TestProviderSignIn:
    def test_signs_in_and_comes_back_to_the_page_asked_for(
        self, page: Page, idp: FakeOidcProvider
    ) -> None:
        idp.set_user("ann", email="ann@acme.example", name="Ann Analyst")
        page.goto("/projects")
        page.get_by_role("button", name="Sign in with Acme SSO").click()
        page.locator("input[name=sub]").fill("ann")
        page.get_by_role("button", name="Authorize").click()
        expect(page).to_have_url(re.compile(r"/projects$"))
        expect(page.get_by_role("heading", name="Projects", level=1)).to_be_visible()
        assert "login_code" not in page.url
        page.get_by_role("button", name="Account").click()
        expect(page.get_by_text("ann@acme.example")).to_be_visible()

    def test_a_refusal_at_the_provider_is_explained(self, page: Page) -> None:
        # Where the server's callback sends the browser when the provider refused.
        page.goto(
            "/sign-in#error=access_denied&error_description=Sign-in+with+Acme+SSO+was+cancelled"
        )
        expect(page.get_by_role("alert")).to_contain_text("Sign-in was cancelled")
        expect(page.get_by_role("button", name="Sign in with Acme SSO")).to_be_enabled()

    def test_text_in_a_link_to_the_sign_in_page_is_never_shown(self, page: Page) -> None:
        # Anyone can link here: a made-up description must not speak with our voice.
        page.goto("/sign-in#error=x&error_description=Your+account+is+locked,+call+0800+123")
        expect(page.get_by_role("alert")).to_contain_text("Sign-in did not complete")
        expect(page.get_by_text("call 0800")).to_have_count(0)
        expect(page.get_by_role("button", name="Sign in with Acme SSO")).to_be_enabled()
        assert "#" not in page.url
