"""The API's documentation in a real browser: Swagger UI renders from this server's own files
under the app's strict policy, with nothing refused and nothing fetched from elsewhere."""

from __future__ import annotations

from playwright.sync_api import ConsoleMessage, Page, Request, expect

from tests.conftest import LiveServer


class TestApiDocs:
    def test_swagger_ui_renders_the_api_under_the_apps_policy(
        self, page: Page, server: LiveServer
    ) -> None:
        refused: list[str] = []
        elsewhere: list[str] = []

        def console(message: ConsoleMessage) -> None:
            if "Content Security Policy" in message.text or "Refused to" in message.text:
                refused.append(message.text)

        def request(sent: Request) -> None:
            if not sent.url.startswith(server.url):
                elsewhere.append(sent.url)

        page.on("console", console)
        page.on("request", request)
        page.goto("/api/docs")
        expect(page.get_by_role("heading", name="BA Assistant API")).to_be_visible()
        expect(page.get_by_text("/api/projects/{project_id}/documents").first).to_be_visible()
        assert refused == []
        assert elsewhere == []
