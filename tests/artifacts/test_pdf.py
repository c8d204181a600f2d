"""The PDF a BA sends to a client: every element in order, fonts for every script, and
nothing active or fetched."""

from __future__ import annotations

import base64
import io
import shutil
import subprocess
import zipfile
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from threading import Thread
from typing import Any

import pypdf
import pytest

from ba_assistant.artifacts.export import ExportSource
from ba_assistant.artifacts.pdf import to_html, to_pdf
from ba_assistant.artifacts.word import to_docx
from tests.artifacts.test_export import RICH


def source(content: str, title: str = "Refund requirements") -> ExportSource:
    return ExportSource(
        title=title,
        type="requirements_doc",
        content=content,
        project="Shop — café",
        version=2,
        exported_on=date(2026, 11, 25),
    )


def pdf_text(data: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def font_names(data: bytes) -> set[str]:
    reader = pypdf.PdfReader(io.BytesIO(data))
    names = set()
    for page in reader.pages:
        fonts = page["/Resources"].get_object().get("/Font", {})
        for font in fonts.values():
            names.add(str(font.get_object()["/BaseFont"]))
    return names


def link_targets(data: bytes) -> list[str]:
    reader = pypdf.PdfReader(io.BytesIO(data))
    targets = []
    for page in reader.pages:
        for annotation in page.get("/Annots", []):
            action = annotation.get_object().get("/A", {})
            if "/URI" in action:
                targets.append(str(action["/URI"]))
    return targets


@pytest.fixture(scope="module")
def rich_pdf() -> bytes:
    return to_pdf(source(RICH), author="Ann Analyst")


class TestContent:
    def test_every_element_is_there_in_order(self, rich_pdf: bytes) -> None:
        text = pdf_text(rich_pdf)
        expected = [
            "Refund requirements",
            "Shop — café · Requirements document · version 2 · 2026-11-25",
            "Overview",
            "Customers get partial refunds and café owners see them.",
            "退款 is Chinese for refund.",
            "First level with code",
            "Second level",
            "Back to the policy (https://example.com/policy)",
            "Step one",
            "Step two",
            "Field Rule",
            "Amount ≤ €500",
            "Reason required",
            "GET /refunds/{id}",
            "200 OK",
            "<script>alert(1)</script>",  # raw HTML is shown as text
        ]
        positions = [text.find(part) for part in expected]
        assert -1 not in positions, [p for p, at in zip(expected, positions, strict=True) if at < 0]
        assert positions == sorted(positions)
        assert text.count("Refund requirements") == 1  # the title heading is not repeated

    def test_pages_are_numbered_with_the_project_in_the_footer(self) -> None:
        long = "\n\n".join(f"## Section {n}\n\n" + "A paragraph of rules. " * 60 for n in range(12))
        text = pdf_text(to_pdf(source(long), author="Ann"))
        pages = pypdf.PdfReader(io.BytesIO(to_pdf(source(long), author="Ann"))).pages
        assert len(pages) >= 3
        for number in range(1, len(pages) + 1):
            assert f"Page {number} of {len(pages)}" in text
        assert text.count("Shop — café") >= len(pages) + 1  # the title block and each footer

    def test_the_documents_properties_are_set(self, rich_pdf: bytes) -> None:
        metadata = pypdf.PdfReader(io.BytesIO(rich_pdf)).metadata
        assert metadata is not None
        assert metadata.title == "Refund requirements"
        assert metadata.author == "Ann Analyst"

    def test_bold_italic_and_code_use_their_own_faces(self, rich_pdf: bytes) -> None:
        names = " ".join(font_names(rich_pdf))
        assert "Bold" in names
        assert "Oblique" in names or "Italic" in names
        assert "Mono" in names

    @pytest.mark.skipif(
        shutil.which("fc-list") is None
        or "Noto Sans CJK"
        not in subprocess.run(["fc-list"], capture_output=True, text=True).stdout,
        reason="fonts-noto-cjk is not installed (make test installs it)",
    )
    def test_chinese_text_gets_a_cjk_font(self, rich_pdf: bytes) -> None:
        assert any("CJK" in name for name in font_names(rich_pdf))

    def test_links_keep_their_address(self, rich_pdf: bytes) -> None:
        assert set(link_targets(rich_pdf)) == {"https://example.com/policy"}


class Recorder(BaseHTTPRequestHandler):
    requests: list[str] = []  # noqa: RUF012 - shared on purpose: the server's record

    def do_GET(self) -> None:
        Recorder.requests.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()

    def log_message(self, *_: Any) -> None:
        pass


@pytest.fixture
def watcher() -> Iterator[str]:
    """A local server that records every request: nothing should ever reach it."""
    Recorder.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def hostile(watcher: str) -> str:
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
        f'<style>@import url("{watcher}/svg.css");</style>'
        f'<image href="{watcher}/svg.png" width="10" height="10"/>'
        '<image href="file:///etc/passwd" width="10" height="10"/></svg>'
    )
    mislabelled = base64.b64encode(svg.encode()).decode()
    return f"""# Hostile

![reference style][pixel]

[pixel]: {watcher}/reference.png

![an SVG called a PNG](data:image/png;base64,{mislabelled})

<{watcher}/autolink>

<script>fetch('{watcher}/script')</script>

<img src={watcher}/raw.png onerror=alert(1)>

[click me](javascript:alert(document.cookie)) and [data](data:text/html;base64,PHNjcmlwdD4=)

![tracking pixel]({watcher}/pixel.png)

![local file](file:///etc/passwd)

<iframe src="{watcher}/frame"></iframe>

[fine](https://example.com/ok)
"""


class TestHostileContent:
    def test_the_pdf_fetches_nothing_and_holds_nothing_active(self, watcher: str) -> None:
        data = to_pdf(source(hostile(watcher), "Hostile"), author="Mallory")
        assert Recorder.requests == []
        text = pdf_text(data)
        assert "<script>fetch(" in text  # shown, never run
        assert "[image: tracking pixel]" in text
        assert "![local file](file:///etc/passwd)" in text  # not a link markdown accepts
        assert "root:" not in text
        # Links stay links (nothing follows them while rendering); never javascript: or data:.
        assert set(link_targets(data)) == {"https://example.com/ok", f"{watcher}/autolink"}
        reader = pypdf.PdfReader(io.BytesIO(data))
        catalog = reader.trailer["/Root"]
        assert "/OpenAction" not in catalog and "/AA" not in catalog
        assert "/JavaScript" not in str(catalog.get("/Names", {}))
        for marker in (b"/JavaScript", b"/JS ", b"/Launch", b"javascript:"):
            assert marker not in data

    def test_the_html_behind_it_has_no_active_element(self, watcher: str) -> None:
        html = to_html(source(hostile(watcher), "Hostile"))
        body = html.split("<main>", 1)[1]
        for tag in ("<script", "<img", "<iframe", 'href="javascript', 'href="data'):
            assert tag not in body
        assert "[image: an SVG called a PNG]" in body

    def test_a_real_data_image_is_kept(self) -> None:
        png = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 16).decode()
        html = to_html(source(f"![logo](data:image/png;base64,{png})"))
        assert f'<img src="data:image/png;base64,{png}" alt="logo">' in html

    def test_word_fetches_nothing_and_links_nothing_active(self, watcher: str) -> None:
        data = to_docx(source(hostile(watcher), "Hostile"), author="Mallory")
        assert Recorder.requests == []
        assert b"javascript:" not in data
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            relations = package.read("word/_rels/document.xml.rels").decode()
        assert watcher not in relations and "TargetMode" not in relations
