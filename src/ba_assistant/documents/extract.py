"""Turn an uploaded file into text we can store, search and show to the AI.

Supported: .txt and .md (UTF-8, UTF-16 with BOM, or Windows-1252), .pdf (pypdf) and .docx
(python-docx, with headings, lists and tables kept as markdown). Anything else, or a file whose
bytes do not match its extension, is refused with 415; a file we recognise but cannot read
(empty, password-protected, scanned, corrupt, zip bomb) is refused with 422 and a message that
tells the person what to do.

Extraction is CPU-bound and its cost grows with what a file holds, not with its size: a 1.7 MB
.docx can hold millions of empty paragraphs. So a file's paragraphs and table cells are
counted in its raw XML before anything parses it, and the text is capped as it is built; past
a limit, the file is refused with a message naming the limit. PDF and Word files are read in
a worker process with CPU and memory limits (``documents.extraction``).
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from typing import Any

from ba_assistant.errors import AppError, Unprocessable, UnsupportedMediaType

TEXT_TYPES = {".txt": "text/plain", ".md": "text/markdown", ".markdown": "text/markdown"}
PDF_TYPE = "application/pdf"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
SUPPORTED = ".txt, .md, .pdf, .docx"

# Limits for what a .docx may unpack to; a real requirements document is far below these.
DOCX_MAX_ENTRIES = 2_000
DOCX_MAX_UNCOMPRESSED = 200 * 1024 * 1024
DOCX_MAX_RATIO = 200
# Limits for what a file may hold. A 500-page specification has about 10,000 paragraphs.
DOCX_MAX_PARAGRAPHS = 50_000
DOCX_MAX_TABLE_CELLS = 100_000
PDF_MAX_PAGES = 2_000
# The longest text kept from a PDF or Word file, unless the caller says otherwise.
MAX_CHARACTERS = 10 * 1024 * 1024

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")
# Elements by local name, whatever prefix the file binds to WordprocessingML's namespace
# (DrawingML's a:p paragraphs in text boxes count too: python-docx does not read them, but
# they are rare). python-docx never expands entities, so what is written is all there is.
_XML_PARAGRAPH = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?p[\s/>]")
_XML_TABLE_CELL = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?tc[\s/>]")


@dataclass(frozen=True)
class Extracted:
    text: str
    content_type: str


def clean_filename(name: str, *, default: str = "document") -> str:
    """A display name safe anywhere: no directories, NUL, control or bidi-override characters."""
    name = unicodedata.normalize("NFC", name)
    name = re.split(r"[\\/]", name)[-1]
    name = re.sub(r"\s", " ", name)  # a tab or line break reads as a space, not as nothing
    name = _CONTROL.sub("", name)
    name = "".join(ch for ch in name if unicodedata.category(ch) != "Cf")
    name = " ".join(name.split()).strip(" .")
    if not name:
        return default
    if len(name) > 255:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 250 - len(ext)] + dot + ext) if dot and len(ext) <= 10 else name[:255]
    return name


def extension(name: str) -> str:
    _, dot, ext = name.rpartition(".")
    return f".{ext.lower()}" if dot else ""


def extract(name: str, data: bytes, *, max_characters: int = MAX_CHARACTERS) -> Extracted:
    """The file's text. For PDF and Word files this is CPU-bound: the server runs it in a
    worker process (``documents.extraction``)."""
    ext = extension(name)
    if ext in TEXT_TYPES:
        return Extracted(_text(data, ext), TEXT_TYPES[ext])
    if ext == ".pdf":
        return Extracted(_pdf(data, max_characters), PDF_TYPE)
    if ext == ".docx":
        return Extracted(_docx(data, max_characters), DOCX_TYPE)
    shown = ext or "files without an extension"
    raise UnsupportedMediaType(
        f"{shown} is not supported. Upload a {SUPPORTED} file.",
        details={"supported": SUPPORTED.split(", ")},
    )


def _mismatch(ext: str, actual: str) -> UnsupportedMediaType:
    return UnsupportedMediaType(
        f"This file is named {ext} but its content is {actual}. "
        "Rename it with the right extension or export it again."
    )


def _sniff(data: bytes) -> str | None:
    if data.startswith(b"%PDF-"):
        return "a PDF"
    if data.startswith(b"PK\x03\x04"):
        return "a ZIP archive (e.g. a Word or Excel file)"
    if data.startswith(_OLE):
        return "an old-style Office file"
    if data[:4] in (b"\x89PNG", b"GIF8") or data[:3] == b"\xff\xd8\xff":
        return "an image"
    return None


def normalise_text(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    return text.strip("\n")


def _text(data: bytes, ext: str) -> str:
    actual = _sniff(data)
    if actual:
        raise _mismatch(ext, actual)
    text: str | None = None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            text = None
    elif b"\x00" not in data:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("cp1252", errors="replace")
    if text is None or _looks_binary(text):
        raise _mismatch(ext, "binary data, not text")
    text = normalise_text(text)
    if not text.strip():
        raise Unprocessable("The file is empty. Add some text and upload it again.")
    return text


def _looks_binary(text: str) -> bool:
    sample = text[:8192]
    if not sample:
        return False
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\n\r\t\f")
    return controls / len(sample) > 0.05


def over_limit(what: str, limit: int, advice: str) -> Unprocessable:
    """A file refused for holding too much, naming the limit and what to do."""
    return Unprocessable(
        f"This document has more than {limit:,} {what}, the most we read from one file. {advice}",
        details={"limit": what.replace(" ", "_"), "max": limit},
    )


_SPLIT = "Split it into smaller files and upload them one by one."


class _TextBudget:
    """Counts the characters of extracted text, and stops the extraction past the limit."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0

    def take(self, text: str) -> str:
        self.used += len(text)
        if self.used > self.limit:
            raise over_limit("characters of text", self.limit, _SPLIT)
        return text


def _pdf(data: bytes, max_characters: int) -> str:
    if not data.startswith(b"%PDF-"):
        actual = _sniff(data) or ("empty" if not data else "not a PDF")
        if actual == "empty":
            raise Unprocessable("The file is empty. Export the PDF again and upload it.")
        raise _mismatch(".pdf", actual)
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise _password_protected()
        if len(reader.pages) > PDF_MAX_PAGES:
            raise over_limit("pages", PDF_MAX_PAGES, _SPLIT)
        budget = _TextBudget(max_characters)
        pages = [budget.take(page.extract_text() or "") for page in reader.pages]
    except FileNotDecryptedError as exc:
        raise _password_protected() from exc
    except (Unprocessable, MemoryError):
        raise
    except Exception as exc:  # pypdf raises many types on malformed input, even builtins
        raise Unprocessable(
            "This PDF is damaged and could not be read. Open it in a PDF viewer, "
            "save or export it again, and upload the new file."
        ) from exc
    if not pages:
        raise Unprocessable("This PDF has no pages. Export it again and upload the new file.")
    text = normalise_text("\n\n".join(page.strip() for page in pages if page.strip()))
    if not text.strip():
        raise Unprocessable(
            "This PDF has no text layer: it looks like a scan or images only. Run it "
            "through OCR (most scanners and Acrobat can) or upload the original document."
        )
    return text


def _password_protected() -> Unprocessable:
    return Unprocessable(
        "This PDF is password-protected. Remove the password (print or export it "
        "without protection) and upload it again."
    )


def _docx(data: bytes, max_characters: int) -> str:
    if not data.startswith(b"PK\x03\x04"):
        if not data:
            raise Unprocessable("The file is empty. Save the document again and upload it.")
        # Word saves a password-protected .docx inside an old-style (OLE) container.
        if data.startswith(_OLE) and _ENCRYPTED_PACKAGE in data:
            raise Unprocessable(
                "This Word document is password-protected. Remove the password (File › Info › "
                "Protect Document in Word), save it, and upload it again."
            )
        raise _mismatch(".docx", _sniff(data) or "not a Word document")
    package = _repacked(data)

    import docx

    try:
        document = docx.Document(io.BytesIO(package))
        text = normalise_text(_docx_markdown(document, _TextBudget(max_characters)))
    except (Unprocessable, MemoryError):
        raise
    except Exception as exc:  # lxml, zlib and python-docx raise many types on malformed files
        raise _corrupt_docx() from exc
    if not text.strip():
        raise Unprocessable("This Word document has no text.")
    return text


def _corrupt_docx() -> Unprocessable:
    return Unprocessable(
        "This Word document is damaged and could not be read. Open it in Word or "
        "LibreOffice, save it again as .docx, and upload the new file."
    )


def _repacked(data: bytes) -> bytes:
    """The archive rebuilt, uncompressed, from what its entries really hold within our limits.

    Declared sizes can lie, and zipfile inflates a whole entry in one call when asked for all
    of it, so python-docx must never read the upload itself: each entry is read here in
    bounded chunks, which also stops at the declared size and checks the CRC.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
            _check_zip(entries, len(data))
            if "word/document.xml" not in archive.namelist():
                raise _mismatch(".docx", "a ZIP archive that is not a Word document")
            budget = _unpack_budget(len(data))
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as copy:
                for entry in entries:
                    body = entry.filename == "word/document.xml"
                    content = _read_entry(archive, entry, budget, count=body)
                    budget -= len(content)
                    copy.writestr(entry.filename, content)
    except (AppError, MemoryError):
        raise
    except Exception as exc:  # BadZipFile, zlib.error, NotImplementedError (method), …
        raise _corrupt_docx() from exc
    return buffer.getvalue()


def _unpack_budget(compressed_size: int) -> int:
    return min(DOCX_MAX_UNCOMPRESSED, DOCX_MAX_RATIO * compressed_size + 10 * 1024 * 1024)


def _too_big() -> Unprocessable:
    return Unprocessable(
        "This Word document unpacks to an unreasonable size, so it was not opened. "
        "If it is genuine, save it again without embedded media and upload it."
    )


def _check_zip(entries: list[zipfile.ZipInfo], compressed_size: int) -> None:
    total = sum(entry.file_size for entry in entries)
    if len(entries) > DOCX_MAX_ENTRIES or total > _unpack_budget(compressed_size):
        raise _too_big()
    # Word writes stored and deflated entries only; zipfile inflates others unbounded.
    if any(e.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) for e in entries):
        raise _corrupt_docx()


class _BodyCount:
    """Paragraphs and table cells in the raw XML of a document's body, so that a body with
    too many is refused before python-docx parses it (about 0.1 ms a paragraph). Counting
    chunk by chunk misses only elements cut in two, so a hostile body is refused after its
    first few megabytes; the whole body is counted exactly at the end."""

    def __init__(self) -> None:
        self.paragraphs = 0
        self.cells = 0

    def add(self, xml: bytes) -> None:
        self.paragraphs += len(_XML_PARAGRAPH.findall(xml))
        self.cells += len(_XML_TABLE_CELL.findall(xml))
        if self.paragraphs > DOCX_MAX_PARAGRAPHS:
            raise over_limit("paragraphs", DOCX_MAX_PARAGRAPHS, _SPLIT)
        if self.cells > DOCX_MAX_TABLE_CELLS:
            advice = "Split its tables, or the document, into smaller files."
            raise over_limit("table cells", DOCX_MAX_TABLE_CELLS, advice)


def _read_entry(
    archive: zipfile.ZipFile, entry: zipfile.ZipInfo, budget: int, *, count: bool = False
) -> bytes:
    chunks: list[bytes] = []
    counted = _BodyCount()
    with archive.open(entry) as stream:
        while chunk := stream.read(1024 * 1024):
            budget -= len(chunk)
            if budget < 0:
                raise _too_big()
            chunks.append(chunk)
            if count:
                counted.add(chunk)
    content = b"".join(chunks)
    if count:
        _BodyCount().add(content)
    return content


# --- .docx → markdown -------------------------------------------------------------------

_HEADING = re.compile(r"^heading\s*(\d)$", re.IGNORECASE)


def _docx_markdown(document: Any, budget: _TextBudget) -> str:
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    styles = _StyleNames()
    blocks: list[str] = []
    for item in document.iter_inner_content():
        if isinstance(item, Paragraph):
            line = _paragraph(item, styles)
            if line is not None:
                blocks.append(budget.take(line))
        elif isinstance(item, Table):
            blocks.append(budget.take(_table(item)))
    # Consecutive list items belong to one list: join them with single newlines.
    out: list[str] = []
    for block in blocks:
        if out and _is_list_item(block) and _is_list_item(out[-1]):
            out[-1] += "\n" + block
        else:
            out.append(block)
    return "\n\n".join(out)


def _is_list_item(block: str) -> bool:
    return bool(re.match(r"^\s*(?:[-*]|\d+\.)\s", block))


def _runs_markdown(paragraph: Any) -> str:
    from docx.text.hyperlink import Hyperlink

    parts: list[str] = []
    for item in paragraph.iter_inner_content():
        parts.append(_link(item) if isinstance(item, Hyperlink) else _emphasis(item))
    return " ".join("".join(parts).split())


def _emphasis(run: Any) -> str:
    text: str = run.text
    core = text.strip()
    if not core or not (run.bold or run.italic):
        return text
    marker = "***" if run.bold and run.italic else "**" if run.bold else "*"
    # Spaces stay outside the markers, so "a" + bold " b" reads "a **b**", not "a**b**".
    lead, trail = text[: len(text) - len(text.lstrip())], text[len(text.rstrip()) :]
    return f"{lead}{marker}{core}{marker}{trail}"


def _link(hyperlink: Any) -> str:
    text: str = hyperlink.text
    try:
        url: str = hyperlink.url
    except KeyError:  # a link whose target is missing from the package
        url = ""
    if not text.strip() or not url or re.search(r"[\s()<>]", url):
        return text
    return f"[{text.strip()}]({url})"


class _StyleNames:
    """Paragraph style names by style id. python-docx looks a style up by scanning every
    style in the file, twice for a paragraph without one: about 1 ms a paragraph."""

    def __init__(self) -> None:
        self._names: dict[str | None, str] = {}

    def of(self, paragraph: Any) -> str:
        style_id: str | None = paragraph._p.style
        if style_id not in self._names:
            style = paragraph.style
            self._names[style_id] = (style.name if style is not None else "") or ""
        return self._names[style_id]


def _paragraph(paragraph: Any, styles: _StyleNames) -> str | None:
    text = _runs_markdown(paragraph)
    if not text:
        return None
    style = styles.of(paragraph)
    if style == "Title":
        return f"# {paragraph.text.strip()}"
    match = _HEADING.match(style)
    if match:
        return f"{'#' * min(int(match.group(1)), 6)} {paragraph.text.strip()}"
    depth, numbered = _list_info(paragraph, style)
    if depth is not None:
        marker = "1." if numbered else "-"
        # Four spaces nest under both "- " and "1. " in CommonMark and classic Markdown.
        return f"{'    ' * depth}{marker} {text}"
    return text


def _list_info(paragraph: Any, style: str) -> tuple[int | None, bool]:
    numbered = "number" in style.lower()
    is_list = style.lower().startswith("list")
    level = 0
    num_pr = paragraph._p.pPr.numPr if paragraph._p.pPr is not None else None
    if num_pr is not None:
        is_list = True
        if num_pr.ilvl is not None and num_pr.ilvl.val is not None:
            level = int(num_pr.ilvl.val)
    else:
        match = re.search(r"(\d)$", style)
        if is_list and match:
            level = max(int(match.group(1)) - 1, 0)
    return (min(level, 8) if is_list else None), numbered


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _table(table: Any) -> str:
    rows: list[list[str]] = []
    for row in table.rows:
        cells: list[str] = []
        previous = None
        for cell in row.cells:
            # Merged cells repeat the same object; show their text once.
            cells.append("" if cell._tc is previous else _cell(cell.text))
            previous = cell._tc
        rows.append(cells)
    if not rows:
        return ""
    width = max(len(row) for row in rows)
    rows = [row + [""] * (width - len(row)) for row in rows]
    lines = ["| " + " | ".join(rows[0]) + " |", "|" + " --- |" * width]
    lines += ["| " + " | ".join(row) + " |" for row in rows[1:]]
    return "\n".join(lines)
