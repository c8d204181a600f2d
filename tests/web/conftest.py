"""Browser tests: Debian's Chromium driven by Playwright against the real server and the built
web app (web/dist, built by `make web`), at a phone and a desktop size."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from playwright.sync_api import Page, expect

from ba_assistant.agent import offline
from ba_assistant.main import WEB_DIST
from tests.conftest import LiveServer, make_app, make_settings, require_binary

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "docs" / "screenshots"
AXE = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 800}}
# Long enough for a person on a slow link, short enough that a broken page fails quickly.
TIMEOUT_MS = 15_000

expect.set_options(timeout=TIMEOUT_MS)


def _missing(message: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Debian's Chromium, never a downloaded browser."""
    return {**browser_type_launch_args, "executable_path": require_binary("chromium")}


@pytest.fixture(scope="session")
def web_dist() -> Path:
    if not (WEB_DIST / "index.html").is_file() or not AXE.is_file():
        _missing("the web app is not built: run `make web` (make test does)")
    return WEB_DIST


@pytest.fixture(params=list(VIEWPORTS))
def viewport(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture
def slow_replies(monkeypatch: pytest.MonkeyPatch) -> None:
    """The offline assistant writes at a readable pace (about 40 words a second), so that
    the test can watch a reply arrive and reload in the middle of it."""
    monkeypatch.setattr(offline, "PAUSE_SECONDS", 0.1)


@pytest.fixture
def web_app(web_dist: Path, data_dir: Path, slow_replies: None) -> Iterator[FastAPI]:
    application = make_app(make_settings(data_dir))
    yield application
    application.state.db.dispose()


@pytest.fixture
def server(web_app: FastAPI) -> Iterator[LiveServer]:
    with LiveServer(web_app) as live:
        yield live


@pytest.fixture
def browser_context_args(
    browser_context_args: dict[str, Any], server: LiveServer, viewport: str
) -> dict[str, Any]:
    return {
        **browser_context_args,
        "base_url": server.url,
        "viewport": VIEWPORTS[viewport],
        "is_mobile": viewport == "phone",
        "has_touch": viewport == "phone",
        "accept_downloads": True,
    }


def screenshot(page: Page, name: str, viewport: str) -> None:
    """A picture of the screen for docs/screenshots (kept by the test run)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}-{viewport}.png")


def serious_accessibility_violations(page: Page) -> list[str]:
    """axe-core's serious and critical findings on the page as it is now."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol: the app's CSP (no inline scripts) holds.
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;undefined")
    results = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".filter(v => v.impact === 'serious' || v.impact === 'critical')"
        ".map(v => ({id: v.id, help: v.help, nodes: v.nodes.map(n => n.target.join(' '))}))"
    )
    return [json.dumps(result) for result in results]


def sign_in(page: Page) -> None:
    page.goto("/")
    page.get_by_role("button", name="Continue as local user").click()
    expect(page.get_by_role("heading", name="Projects", level=1)).to_be_visible()
