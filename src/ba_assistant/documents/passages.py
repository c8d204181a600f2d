"""Documents split into passages: the unit we index, search, cite and show.

Passages follow the headings and run to a few hundred words, with a small overlap so that a
sentence cut at a boundary is still found whole. Every word of the document is in some passage.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

TARGET_WORDS = 220
MAX_WORDS = 320
MIN_WORDS = 60
OVERLAP_WORDS = 30
MAX_HEADING_WORDS = 20
_HEADING = re.compile(r"^#{1,6}\s+\S")


def _sections(body: str) -> list[tuple[str | None, list[str]]]:
    sections: list[tuple[str | None, list[str]]] = [(None, [])]
    paragraph: list[str] = []

    def end_paragraph() -> None:
        if paragraph:
            sections[-1][1].append("\n".join(paragraph).strip())
            paragraph.clear()

    for line in body.split("\n"):
        if _HEADING.match(line) and len(line.split()) <= MAX_HEADING_WORDS:
            end_paragraph()
            sections.append((line.strip(), []))
        elif line.strip():
            paragraph.append(line)
        else:
            end_paragraph()
    end_paragraph()
    return [(heading, paras) for heading, paras in sections if heading or paras]


@dataclass
class _Passages:
    """Builds passages block by block; a passage never exceeds MAX_WORDS words."""

    passages: list[str] = field(default_factory=list)
    blocks: list[str] = field(default_factory=list)
    words: int = 0
    # Words this passage adds (its heading and text), as opposed to the overlap carried in.
    fresh: int = 0
    text_words: list[str] = field(default_factory=list)
    carried: bool = False
    heading: str | None = None

    def start_section(self, heading: str | None) -> None:
        # A small section joins the next one, unless it continues a passage cut for size.
        if self.fresh >= MIN_WORDS or (self.fresh and self.carried):
            self.end(overlap=False)
        elif not self.fresh:
            self._reset()  # only the overlap: the previous passage already holds it
        self.heading = heading
        if heading:
            self._add(heading)

    def add_paragraph(self, paragraph: str) -> None:
        words = paragraph.split()
        if self.words + len(words) > MAX_WORDS and self.text_words:
            self.end(overlap=True)
        whole = True
        while self.words + len(words) > MAX_WORDS:  # too long even for an empty passage
            room = max(TARGET_WORDS - self.words, 1)
            self._add(" ".join(words[:room]), text=True)
            words, whole = words[room:], False
            self.end(overlap=True)
        if words:
            self._add(paragraph if whole else " ".join(words), text=True)
        if self.words >= TARGET_WORDS:
            self.end(overlap=True)

    def end(self, *, overlap: bool) -> None:
        if self.fresh:
            self.passages.append("\n\n".join(self.blocks))
        tail = self.text_words[-OVERLAP_WORDS:] if overlap and self.fresh else []
        self._reset()
        if tail:
            self.blocks = ([self.heading] if self.heading else []) + ["… " + " ".join(tail)]
            self.words = sum(len(block.split()) for block in self.blocks)
            self.carried = True

    def _add(self, block: str, *, text: bool = False) -> None:
        words = block.split()
        self.blocks.append(block)
        self.words += len(words)
        self.fresh += len(words)
        if text:
            self.text_words += words

    def _reset(self) -> None:
        self.blocks, self.words, self.fresh, self.text_words = [], 0, 0, []
        self.carried = False


def split_passages(body: str) -> list[str]:
    """Heading-aware passages of about TARGET_WORDS words, overlapping by OVERLAP_WORDS.

    A heading starts a new passage (tiny sections are joined to the next); a paragraph too
    long for one passage is cut between words; no word of the body is lost.
    """
    builder = _Passages()
    for heading, paragraphs in _sections(body):
        builder.start_section(heading)
        for paragraph in paragraphs:
            builder.add_paragraph(paragraph)
    builder.end(overlap=False)
    return builder.passages
