"""GET /api/artifacts/{id}/export: each format as a download with the title as its name."""

from __future__ import annotations

import csv
import io
import threading
from typing import Any
from urllib.parse import unquote

import docx
import httpx
import pypdf
import pytest
from fastapi import FastAPI

from ba_assistant.artifacts.rendering import attachment
from tests.artifacts.test_endpoints import make_artifact
from tests.artifacts.test_export import RICH, TWO_STORIES
from tests.conftest import ApiUser, LiveServer


@pytest.fixture
def thread(alice: ApiUser) -> dict[str, Any]:
    return alice.thread(alice.project("Café refunds")["id"], title="Refunds")


@pytest.fixture
def stories(app: FastAPI, thread: dict[str, Any]) -> str:
    return make_artifact(app, thread["id"], title="Remboursements partiels", content=TWO_STORIES)


def export(user: ApiUser, artifact_id: str, **params: Any) -> httpx.Response:
    return user.get(f"/api/artifacts/{artifact_id}/export", params=params)


def filename(response: httpx.Response) -> str:
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    return unquote(disposition.split("filename*=UTF-8''", 1)[1])


class TestFormats:
    @pytest.mark.parametrize(
        ("format", "content_type", "extension"),
        [
            ("markdown", "text/markdown; charset=utf-8", ".md"),
            ("pdf", "application/pdf", ".pdf"),
            (
                "docx",
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                ".docx",
            ),
            ("feature", "text/plain; charset=utf-8", ".feature"),
            ("csv", "text/csv; charset=utf-8", ".csv"),
        ],
    )
    def test_each_is_a_download_named_after_the_title(
        self, alice: ApiUser, stories: str, format: str, content_type: str, extension: str
    ) -> None:
        response = export(alice, stories, format=format)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == content_type
        assert filename(response) == f"Remboursements partiels{extension}"
        assert response.headers["cache-control"] == "private, no-store"
        assert len(response.content) > 100

    def test_markdown_has_the_project_and_version_in_its_header(
        self, alice: ApiUser, stories: str
    ) -> None:
        text = export(alice, stories, format="markdown").text
        assert text.startswith("# Remboursements partiels\n\n*Project:* Café refunds · ")
        assert "*Version:* 1" in text
        assert "Scenario: Refund one item of three" in text

    def test_word_and_pdf_are_what_their_tools_open(self, alice: ApiUser, stories: str) -> None:
        word = docx.Document(io.BytesIO(export(alice, stories, format="docx").content))
        assert word.core_properties.author == "Alice Analyst"
        assert word.paragraphs[0].text == "Remboursements partiels"
        pdf = pypdf.PdfReader(io.BytesIO(export(alice, stories, format="pdf").content))
        text = pdf.pages[0].extract_text()
        assert "Remboursements partiels" in text and "Café refunds" in text
        assert "Refund one item of three" in text

    def test_the_csv_and_feature_read_back(self, alice: ApiUser, stories: str) -> None:
        rows = list(csv.reader(io.StringIO(export(alice, stories, format="csv").text)))
        assert [row[1] for row in rows[1:]] == [
            "Request a partial refund from my order history",
            "Approve refunds above £500",
        ]
        feature = export(alice, stories, format="feature").text
        assert feature.startswith("Feature: Remboursements partiels\n")
        assert feature.count("  Scenario: ") == 3


class TestBadRequests:
    def test_an_unknown_format_is_400_naming_the_valid_ones(
        self, alice: ApiUser, stories: str
    ) -> None:
        response = export(alice, stories, format="xlsx")
        assert response.status_code == 400
        assert response.json()["error"] == "validation_error"
        assert "markdown, pdf, docx, feature, csv" in response.json()["message"]

    def test_a_missing_format_is_refused(self, alice: ApiUser, stories: str) -> None:
        response = alice.get(f"/api/artifacts/{stories}/export")
        assert response.status_code == 400
        assert "format" in response.text

    def test_gherkin_and_csv_without_stories_say_why(
        self, app: FastAPI, alice: ApiUser, thread: dict[str, Any]
    ) -> None:
        notes = make_artifact(app, thread["id"], kind="custom", title="Notes", content=RICH)
        feature = export(alice, notes, format="feature")
        assert feature.status_code == 422
        assert "no Given/When/Then scenarios" in feature.json()["message"]
        table = export(alice, notes, format="csv")
        assert table.status_code == 422
        assert "no user stories" in table.json()["message"]
        assert export(alice, notes, format="pdf").status_code == 200

    def test_a_version_that_does_not_exist_is_404(self, alice: ApiUser, stories: str) -> None:
        assert export(alice, stories, format="markdown", version=7).status_code == 404
        assert export(alice, stories, format="markdown", version=0).status_code == 400


class TestFailures:
    def test_content_a_layout_engine_cannot_handle_is_422_saying_what_to_do(
        self, app: FastAPI, alice: ApiUser, thread: dict[str, Any]
    ) -> None:
        nested = make_artifact(app, thread["id"], content="*" * 800 + "x" + "*" * 800)
        response = export(alice, nested, format="pdf")
        assert response.status_code == 422
        assert "could not be made into a PDF file" in response.json()["message"]
        assert "another format" in response.json()["message"]
        assert export(alice, nested, format="markdown").status_code == 200

    def test_a_worker_that_died_is_replaced(
        self, app: FastAPI, alice: ApiUser, stories: str
    ) -> None:
        assert export(alice, stories, format="docx").status_code == 200
        killed = app.state.renderer.processes()
        assert killed
        for process in killed:  # killed, as the OOM killer would
            process.kill()
            process.join(5)
        response = export(alice, stories, format="pdf")
        assert response.status_code == 200
        assert response.content.startswith(b"%PDF")
        assert not {p.pid for p in killed} & {p.pid for p in app.state.renderer.processes()}


class TestVersions:
    def test_edit_twice_and_export_each_of_the_three(self, alice: ApiUser, stories: str) -> None:
        url = f"/api/artifacts/{stories}"
        alice.patch(url, json={"content": "# Second\n\nAs a clerk, I want X, so that Y."})
        alice.patch(url, json={"title": "Refunds v3", "content": "Third draft."})
        assert alice.get(url).json()["version"] == 3
        latest = export(alice, stories, format="markdown")
        assert filename(latest) == "Refunds v3.md" and "Third draft." in latest.text
        second = export(alice, stories, format="markdown", version=2)
        assert filename(second) == "Remboursements partiels (v2).md"
        assert "As a clerk, I want X" in second.text and "*Version:* 2" in second.text
        first = export(alice, stories, format="csv", version=1)
        assert "Approve refunds above £500" in first.text


class TestFileNames:
    @pytest.mark.parametrize(
        ("title", "ascii_name", "full_name"),
        [
            ("Refunds", "Refunds.pdf", "Refunds.pdf"),
            ("Remboursements é/à", "Remboursements e a.pdf", "Remboursements é à.pdf"),
            ("退款 requirements", "requirements.pdf", "退款 requirements.pdf"),
            ('../../etc/passwd"\r\nX-Evil: 1', "etc passwd X-Evil 1.pdf", None),
            ("退款", "artifact.pdf", "退款.pdf"),
            ("...", "artifact.pdf", "artifact.pdf"),
        ],
    )
    def test_names_are_safe_and_keep_the_real_title(
        self, title: str, ascii_name: str, full_name: str | None
    ) -> None:
        value = attachment(title, ".pdf")
        assert f'filename="{ascii_name}"' in value
        assert "\r" not in value and "\n" not in value and "/" not in value.split("''")[1]
        if full_name is not None:
            assert unquote(value.split("filename*=UTF-8''")[1]) == full_name


class TestWhileRendering:
    def test_other_requests_are_answered_during_a_long_pdf(self, app: FastAPI) -> None:
        long = "\n\n".join(f"## Rule {n}\n\n{RICH}" for n in range(40))  # about 40 pages
        with LiveServer(app) as server, httpx.Client(base_url=server.url, timeout=120) as http:
            signed_in = http.post(
                "/api/auth/dev-login", json={"email": "live@example.com", "name": "Live"}
            )
            headers = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}
            project = http.post("/api/projects", json={"name": "Long"}, headers=headers).json()
            thread = http.post(
                f"/api/projects/{project['id']}/threads", json={}, headers=headers
            ).json()
            artifact = make_artifact(app, thread["id"], kind="requirements_doc", content=long)
            done = threading.Event()
            outcome: dict[str, httpx.Response] = {}

            def download() -> None:
                outcome["pdf"] = http.get(
                    f"/api/artifacts/{artifact}/export", params={"format": "pdf"}, headers=headers
                )
                done.set()

            threading.Thread(target=download, daemon=True).start()
            answered_during = 0
            while not done.wait(0.05):
                if http.get("/healthz").status_code == 200 and not done.is_set():
                    answered_during += 1
            assert outcome["pdf"].status_code == 200
            assert len(pypdf.PdfReader(io.BytesIO(outcome["pdf"].content)).pages) > 10
            assert answered_during >= 3  # the server kept answering while the PDF was laid out
