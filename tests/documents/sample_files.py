"""Files the document tests upload, built in memory: PDFs, Word documents, images, zip bombs."""

from __future__ import annotations

import functools
import io
import random
import struct
import zipfile
from collections.abc import Callable

import docx
from docx.document import Document
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.text.paragraph import Paragraph
from PIL import Image
from pypdf import PdfReader, PdfWriter
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

CONTENT_TYPES_XML = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'
)


def pdf(*pages: str) -> bytes:
    """A PDF with one page per argument, each line of the text drawn on its page."""
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    for text in pages:
        for number, line in enumerate(text.split("\n")):
            page.drawString(72, 760 - 14 * number, line)
        page.showPage()
    page.save()
    return buffer.getvalue()


def pdf_without_pages() -> bytes:
    buffer = io.BytesIO()
    PdfWriter().write(buffer)
    return buffer.getvalue()


def password_protected_pdf(text: str, *, user_password: str = "open-sesame") -> bytes:
    """Encrypted; with an empty user password anyone may open it (only editing is locked)."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf(text))))
    writer.encrypt(user_password=user_password, owner_password="owner-secret")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), "white").save(buffer, format="PNG")
    return buffer.getvalue()


def scanned_pdf() -> bytes:
    """A page that shows an image of a document and a drawn frame, with no text layer."""
    scan = Image.new("L", (200, 100), 255)
    for x in range(20, 180):
        for y in (30, 50, 70):
            scan.putpixel((x, y), 0)
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.drawImage(ImageReader(scan), 72, 500, width=400, height=200)
    page.rect(60, 480, 424, 240)
    page.showPage()
    page.save()
    return buffer.getvalue()


def garbled_pdf() -> bytes:
    noise = random.Random(7).randbytes(4_000)
    return b"%PDF-1.7\n" + noise


def truncated_pdf() -> bytes:
    whole = pdf("Refund policy\nCustomers may ask for a refund within 30 days.")
    return whole[: len(whole) // 3]


def word(build: Callable[[Document], object]) -> bytes:
    """A .docx made by python-docx; ``build`` adds the content."""
    document = docx.Document()
    build(document)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def word_paragraphs(*paragraphs: str) -> bytes:
    def build(document: Document) -> None:
        for text in paragraphs:
            document.add_paragraph(text)

    return word(build)


def add_hyperlink(paragraph: Paragraph, text: str, url: str) -> None:
    """python-docx has no API for links, so write the w:hyperlink element ourselves."""
    relationship = paragraph.part.relate_to(
        url,
        "http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink",
        is_external=True,
    )
    link = OxmlElement("w:hyperlink")
    link.set(qn("r:id"), relationship)
    run = OxmlElement("w:r")
    run_text = OxmlElement("w:t")
    run_text.text = text
    run.append(run_text)
    link.append(run)
    paragraph._p.append(link)


def zip_archive(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def corrupt_word() -> bytes:
    return b"PK\x03\x04" + random.Random(11).randbytes(3_000)


@functools.cache
def zip_bomb_word(megabytes: int = 300) -> bytes:
    """A .docx whose document.xml is `megabytes` MB of zeros: a few hundred KB on the wire."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES_XML)
        with archive.open("word/document.xml", "w", force_zip64=True) as entry:
            zeros = bytes(1024 * 1024)
            for _ in range(megabytes):
                entry.write(zeros)
    return buffer.getvalue()


def many_entries_word(entries: int = 2_500) -> bytes:
    files = {"[Content_Types].xml": CONTENT_TYPES_XML, "word/document.xml": b"<w:document/>"}
    files.update({f"word/media/image{n}.png": b"" for n in range(entries)})
    return zip_archive(files)


def pdf_with_unknown_filter() -> bytes:
    """A PDF whose page content says it is compressed with a filter no reader knows."""
    whole = pdf("Refund policy")
    assert b"/FlateDecode" in whole
    return whole.replace(b"/FlateDecode", b"/FlateDecodX")


def word_with_part(name: str, content: bytes) -> bytes:
    """A valid .docx with one part replaced."""
    original = zipfile.ZipFile(io.BytesIO(word_paragraphs("Refund policy")))
    parts = {info.filename: original.read(info.filename) for info in original.infolist()}
    return zip_archive({**parts, name: content})


def word_with_broken_compression() -> bytes:
    """A .docx whose document.xml inflates to garbage: the zip directory itself is intact."""
    data = bytearray(word_paragraphs("Refund policy " * 50))
    archive = zipfile.ZipFile(io.BytesIO(bytes(data)))
    entry = archive.getinfo("word/document.xml")
    name_length, extra_length = struct.unpack_from("<HH", data, entry.header_offset + 26)
    start = entry.header_offset + 30 + name_length + extra_length
    data[start : start + 8] = b"\xff" * 8
    return bytes(data)


OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def old_word() -> bytes:
    """The start of a Word 97-2003 .doc: an OLE container holding a WordDocument stream."""
    return OLE_SIGNATURE + bytes(504) + _ole_directory("Root Entry", "WordDocument", "1Table")


def password_protected_word() -> bytes:
    """What Word writes for a .docx with a password: an OLE container, not a zip.

    Only what a reader can check without the password is real here: the OLE signature and
    the directory entries Office writes for an encrypted package.
    """
    names = ("Root Entry", "EncryptionInfo", "EncryptedPackage")
    return OLE_SIGNATURE + bytes(504) + _ole_directory(*names)


def _ole_directory(*names: str) -> bytes:
    return b"".join(name.encode("utf-16-le").ljust(128, b"\0") for name in names)


_WORD_NS = b"http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_PACKAGE_CONTENT_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Default Extension="rels" '
    b'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    b'<Default Extension="xml" ContentType="application/xml"/>'
    b'<Override PartName="/word/document.xml" ContentType="application/'
    b'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
)
_PACKAGE_RELATIONSHIPS = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Id="rId1" Target="word/document.xml" Type="http://schemas.openxmlformats'
    b'.org/officeDocument/2006/relationships/officeDocument"/></Relationships>'
)


def word_from_xml(body: bytes, *, prefix: str = "w", compresslevel: int = 9) -> bytes:
    """A .docx written by hand, for files too large to build with python-docx: ``body`` is
    the XML inside the document's body, its elements in ``prefix``'s namespace."""
    document = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        + f'<{prefix}:document xmlns:{prefix}="'.encode()
        + _WORD_NS
        + f'"><{prefix}:body>'.encode()
        + body
        + f"</{prefix}:body></{prefix}:document>".encode()
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=compresslevel) as archive:
        archive.writestr("[Content_Types].xml", _PACKAGE_CONTENT_TYPES)
        archive.writestr("_rels/.rels", _PACKAGE_RELATIONSHIPS)
        archive.writestr("word/document.xml", document)
    return buffer.getvalue()


@functools.cache
def word_of_tiny_paragraphs(paragraphs: int, *, prefix: str = "w") -> bytes:
    """The audit's hostile file: millions of one-letter paragraphs in a MB or two, compressed
    lightly so that it stays within the zip-bomb budget (200 times its size)."""
    paragraph = f"<{prefix}:p><{prefix}:r><{prefix}:t>x</{prefix}:t></{prefix}:r></{prefix}:p>"
    return word_from_xml(paragraph.encode() * paragraphs, prefix=prefix, compresslevel=1)


@functools.cache
def word_slow_to_read(paragraphs: int = 40_000) -> bytes:
    """Within every count limit, yet seconds of work: each paragraph has bold and italic runs."""
    runs = b"".join(
        b'<w:r><w:rPr><w:b/><w:i/></w:rPr><w:t xml:space="preserve">refund %d </w:t></w:r>' % n
        for n in range(6)
    )
    return word_from_xml((b"<w:p>" + runs + b"</w:p>") * paragraphs)
