from __future__ import annotations

import io
import struct
import tracemalloc
import zipfile
import zlib

import pytest
from docx.document import Document

from ba_assistant.documents.extract import DOCX_TYPE, PDF_TYPE, clean_filename, extract
from ba_assistant.errors import Unprocessable
from tests.documents import sample_files as files


class TestExtract:
    def test_text_keeps_its_words_with_unix_line_ends(self) -> None:
        extracted = extract("notes.txt", b"\xef\xbb\xbfFirst line\r\nSecond line\r\n")

        assert extracted.text == "First line\nSecond line"
        assert extracted.content_type == "text/plain"

    def test_markdown_is_stored_as_markdown(self) -> None:
        extracted = extract("Notes.MD", b"# Scope\n\n- refunds\n")

        assert extracted.text == "# Scope\n\n- refunds"
        assert extracted.content_type == "text/markdown"

    def test_utf16_and_windows_1252_text_is_decoded(self) -> None:
        assert extract("a.txt", "Café – 東京".encode("utf-16")).text == "Café – 東京"
        assert extract("b.txt", "Café – naïve".encode("cp1252")).text == "Café – naïve"

    def test_pdf_text_comes_from_every_page_in_order(self) -> None:
        data = files.pdf("Refund policy\nCustomers may ask for a refund.", "Page two: approvals")

        extracted = extract("policy.pdf", data)

        assert extracted.content_type == PDF_TYPE
        assert extracted.text == (
            "Refund policy\nCustomers may ask for a refund.\n\nPage two: approvals"
        )

    def test_a_pdf_locked_only_against_editing_is_read(self) -> None:
        data = files.password_protected_pdf("Open to all readers", user_password="")

        assert extract("open.pdf", data).text == "Open to all readers"

    def test_word_structure_becomes_markdown_in_document_order(self) -> None:
        def build(document: Document) -> None:
            document.add_heading("Refund policy", 0)
            document.add_heading("Scope", 1)
            document.add_paragraph("Customers may ask for a refund.")
            document.add_paragraph("Card payments", style="List Bullet")
            document.add_paragraph("Visa and Mastercard", style="List Bullet 2")
            document.add_paragraph("Bank transfers", style="List Bullet")
            document.add_heading("Process", 2)
            document.add_paragraph("Check the order", style="List Number")
            document.add_paragraph("Find the payment", style="List Number 2")
            document.add_paragraph("Pay it back", style="List Number")
            table = document.add_table(rows=3, cols=2)
            for row, cells in enumerate([("Field", "Rule"), ("amount", "> 0"), ("note", "a|b")]):
                for column, value in enumerate(cells):
                    table.cell(row, column).text = value
            document.add_paragraph("Approved by finance.")

        extracted = extract("policy.docx", files.word(build))

        assert extracted.content_type == DOCX_TYPE
        assert extracted.text == (
            "# Refund policy\n\n"
            "# Scope\n\n"
            "Customers may ask for a refund.\n\n"
            "- Card payments\n"
            "    - Visa and Mastercard\n"
            "- Bank transfers\n\n"
            "## Process\n\n"
            "1. Check the order\n"
            "    1. Find the payment\n"
            "1. Pay it back\n\n"
            "| Field | Rule |\n"
            "| --- | --- |\n"
            "| amount | > 0 |\n"
            "| note | a\\|b |\n\n"
            "Approved by finance."
        )

    def test_word_emphasis_and_links_keep_every_word_and_space(self) -> None:
        def build(document: Document) -> None:
            paragraph = document.add_paragraph("Customers")
            paragraph.add_run(" must").bold = True
            paragraph.add_run(" ask within ")
            paragraph.add_run("30 days").italic = True
            paragraph.add_run(". Re")
            paragraph.add_run("fund").bold = True
            paragraph.add_run("ing follows ")
            files.add_hyperlink(paragraph, "the terms", "https://example.com/terms")
            paragraph.add_run(".")

        extracted = extract("terms.docx", files.word(build))

        assert extracted.text == (
            "Customers **must** ask within *30 days*. Re**fund**ing follows "
            "[the terms](https://example.com/terms)."
        )

    def test_a_word_bomb_that_lies_about_its_size_is_refused_without_inflating_it(
        self,
    ) -> None:
        bomb = lying_zip_bomb(megabytes=200, declared=300)

        tracemalloc.start()
        try:
            with pytest.raises(Unprocessable):
                extract("bomb.docx", bomb)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()

        assert peak < 30 * 1024 * 1024


class TestCleanFilename:
    @pytest.mark.parametrize(
        ("given", "cleaned"),
        [
            ("../../etc/passwd.txt", "passwd.txt"),
            ("C:\\Users\\x\\notes.md", "notes.md"),
            ("re\x00port\x07\x1b.txt", "report.txt"),
            ("inv\u202eoice\u202c\u200b.md", "invoice.md"),
            (" Q3\tplan .md ", "Q3 plan .md"),
            ("...", "document"),
            ("/", "document"),
            ("Cafe\u0301.md", "Café.md"),
        ],
    )
    def test_the_name_is_safe_to_show_and_store(self, given: str, cleaned: str) -> None:
        assert clean_filename(given) == cleaned

    def test_a_very_long_name_keeps_its_extension(self) -> None:
        cleaned = clean_filename("x" * 400 + ".docx")

        assert len(cleaned) <= 255
        assert cleaned.endswith(".docx")


def lying_zip_bomb(*, megabytes: int, declared: int) -> bytes:
    """A .docx whose first part inflates to `megabytes` MB while claiming `declared` bytes.

    The CRC is that of the declared bytes, so only a reader that stops at the declared size
    without inflating the rest gets through unharmed.
    """
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        with archive.open("[Content_Types].xml", "w") as entry:
            for _ in range(megabytes):
                entry.write(bytes(1024 * 1024))
        archive.writestr("word/document.xml", b"<w:document/>")
    data = bytearray(buffer.getvalue())
    record = data.index(b"PK\x01\x02")  # the central directory entry of [Content_Types].xml
    struct.pack_into("<I", data, record + 16, zlib.crc32(bytes(declared)))
    struct.pack_into("<I", data, record + 24, declared)
    return bytes(data)
