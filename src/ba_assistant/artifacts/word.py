"""Artifacts as Word documents, built with python-docx from the same markdown tokens as the
PDF: real headings (navigable), real bulleted and numbered lists with nesting, real tables,
bold and italic runs, code in a monospace font, links with their address.

Styles are set by id, looked up once per name: python-docx's own lookup by name scans every
style of the template each time, which made a 200 KB artifact take seconds.
"""

from __future__ import annotations

import io
import re
from dataclasses import replace
from typing import Any

from docx import Document as DocxDocument
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt
from docx.text.run import Run
from markdown_it import MarkdownIt
from markdown_it.token import Token

from ba_assistant.artifacts.export import TYPE_LABELS, ExportSource, without_title

MONOSPACE = "Consolas"
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_LIST_STYLES = {"bullet_list_open": "List Bullet", "ordered_list_open": "List Number"}


def to_docx(source: ExportSource, *, author: str) -> bytes:
    """A Word document from the markdown: real headings (navigable), real bulleted and
    numbered lists with nesting, real tables, bold and italic runs, code in a monospace font,
    links with their address, and the document's title and author set."""
    source = replace(
        source,
        title=_xml_safe(source.title),
        content=_xml_safe(source.content),
        project=_xml_safe(source.project),
    )
    author = _xml_safe(author)
    document = DocxDocument()
    properties = document.core_properties
    properties.title = source.title
    properties.author = author
    properties.subject = f"{TYPE_LABELS.get(source.type, 'Document')} · {source.project}"
    document.add_heading(source.title, level=0)
    meta = document.add_paragraph()
    meta_run = meta.add_run(
        f"{source.project} · {TYPE_LABELS.get(source.type, 'Document')} · "
        f"version {source.version} · {source.exported_on.isoformat()}"
    )
    meta_run.italic = True
    _DocxWriter(document).render(markdown_tokens(without_title(source)))
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _xml_safe(text: str) -> str:
    """Without the control characters XML cannot hold (pasted from Excel or a PDF, often)."""
    return _NOT_XML.sub("", text)


def markdown_tokens(text: str) -> list[Token]:
    """The markdown as tokens: CommonMark with tables, raw HTML never interpreted."""
    return MarkdownIt("js-default").parse(text)


class _DocxWriter:
    def __init__(self, document: Any) -> None:
        self.document = document
        self.style_ids: dict[str, str] = {}
        self.lists: list[str] = []
        self.table: list[list[list[Token]]] | None = None
        self.quote = 0
        self.numbering: int | None = None

    def render(self, tokens: list[Token]) -> None:
        index = 0
        while index < len(tokens):
            token = tokens[index]
            kind = token.type
            if kind == "heading_open":
                level = min(int(token.tag[1]), 4)
                self._runs(self._paragraph(f"Heading {level}"), tokens[index + 1])
                index += 2
            elif kind in _LIST_STYLES:
                if kind == "ordered_list_open" and not self.lists:
                    self.numbering = self._new_numbering(int(token.attrs.get("start", 1)))
                self.lists.append(_LIST_STYLES[kind])
            elif kind in ("bullet_list_close", "ordered_list_close"):
                self.lists.pop()
            elif kind == "blockquote_open":
                self.quote += 1
            elif kind == "blockquote_close":
                self.quote -= 1
            elif kind == "paragraph_open" and self.table is None:
                self._runs(self._paragraph(self._paragraph_style()), tokens[index + 1])
                index += 2
            elif kind in ("fence", "code_block"):
                self._code(token.content)
            elif kind == "table_open":
                self.table = []
            elif kind == "tr_open" and self.table is not None:
                self.table.append([])
            elif kind == "inline" and self.table is not None and self.table:
                self.table[-1].append(token.children or [])
            elif kind == "table_close" and self.table is not None:
                self._table(self.table)
                self.table = None
            index += 1

    def _paragraph(self, style: str | None = None) -> Any:
        paragraph = self.document.add_paragraph()
        if style:
            paragraph._p.style = self._style_id(style)
        if style == "List Number" and self.numbering is not None:
            numbers = paragraph._p.get_or_add_pPr().get_or_add_numPr()
            numbers.get_or_add_ilvl().val = 0
            numbers.get_or_add_numId().val = self.numbering
        return paragraph

    def _new_numbering(self, start: int) -> int | None:
        """Each top-level numbered list counts from its own start; in Word all paragraphs of
        the "List Number" style would otherwise make one list running through the document."""
        style = self.document.styles["List Number"].element
        if style.pPr is None or style.pPr.numPr is None or style.pPr.numPr.numId is None:
            return None
        numbering = self.document.part.numbering_part.element
        abstract = numbering.num_having_numId(style.pPr.numPr.numId.val).abstractNumId.val
        definition = numbering.add_num(abstract)
        definition.add_lvlOverride(ilvl=0).add_startOverride(max(0, min(start, 32767)))
        number_id: int = definition.numId
        return number_id

    def _style_id(self, name: str) -> str:
        if name not in self.style_ids:
            self.style_ids[name] = self.document.styles[name].style_id
        return self.style_ids[name]

    def _paragraph_style(self) -> str | None:
        if self.lists:
            depth = len(self.lists)
            return self.lists[-1] + (f" {min(depth, 3)}" if depth > 1 else "")
        return "Quote" if self.quote else None

    def _runs(self, paragraph: Any, inline: Token, *, bold: bool = False) -> None:
        strong = emphasis = 0
        link: str | None = None
        for child in inline.children or []:
            kind = child.type
            if kind == "strong_open":
                strong += 1
            elif kind == "strong_close":
                strong -= 1
            elif kind == "em_open":
                emphasis += 1
            elif kind == "em_close":
                emphasis -= 1
            elif kind == "link_open":
                link = str(child.attrs.get("href", ""))
            elif kind == "link_close":
                if link and link.startswith(("http://", "https://", "mailto:")):
                    _add_run(paragraph, f" ({link})")
                link = None
            elif kind in ("text", "html_inline"):
                run = _add_run(paragraph, child.content)
                # Only set what is on: setting None still adds an empty run property.
                if bold or strong:
                    run.bold = True
                if emphasis:
                    run.italic = True
                if link:
                    run.underline = True
            elif kind == "code_inline":
                run = _add_run(paragraph, child.content)
                run.font.name = MONOSPACE
            elif kind == "image":
                alt = "".join(c.content for c in child.children or [])
                _add_run(paragraph, f"[image: {alt}]" if alt else "[image]").italic = True
            elif kind == "softbreak":
                _add_run(paragraph, " ")
            elif kind == "hardbreak":
                _add_run(paragraph).add_break()

    def _code(self, text: str) -> None:
        paragraph = self.document.add_paragraph()
        # One run per line, joined by line breaks inside the paragraph.
        for line in text.rstrip("\n").split("\n"):
            run = _add_run(paragraph, line)
            run.font.name = MONOSPACE
            run.font.size = Pt(9)
        for run in paragraph.runs[:-1]:
            run.add_break()

    def _table(self, rows: list[list[list[Token]]]) -> None:
        if not rows:
            return
        columns = max(len(row) for row in rows)
        table = self.document.add_table(rows=len(rows), cols=columns)
        table._tbl.tblStyle_val = self._style_id("Table Grid")
        for r, (cells, row) in enumerate(
            zip((line.cells for line in table.rows), rows, strict=True)
        ):
            for cell, children in zip(cells, row, strict=False):
                inline = Token("inline", "", 0, children=children)
                self._runs(cell.paragraphs[0], inline, bold=r == 0)


def _add_run(paragraph: Any, text: str = "") -> Run:
    """``paragraph.add_run`` without its character-by-character text setter (tabs and line
    breaks never reach here: markdown gives them as their own tokens)."""
    element = OxmlElement("w:r")
    paragraph._p.append(element)  # runs go last; python-docx's insert checks every sibling
    if text:
        text_element = OxmlElement("w:t")
        text_element.text = text
        if text.strip() != text:
            text_element.set(qn("xml:space"), "preserve")
        element.append(text_element)
    return Run(element, paragraph)
