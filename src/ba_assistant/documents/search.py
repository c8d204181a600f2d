"""Passages and full-text search over a project's documents.

Documents are split into passages of a few hundred words that follow the headings, with a
small overlap so that a sentence cut at a boundary is still found whole. SQLite indexes them
with FTS5 (porter + unicode61, ranked by bm25); PostgreSQL with a tsvector and GIN index.

User text never reaches MATCH as syntax: it is reduced to words, each quoted (a trailing ``*``
keeps prefix search). The project filter is part of the FTS expression itself, so the lookup
is answered from the index and bounded by LIMIT before any table row is read; the join back
to the chunk re-checks the project as a second line of defence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import insert, text
from sqlalchemy.orm import Session

from ba_assistant.models import DocumentChunk

TARGET_WORDS = 220
MAX_WORDS = 320
MIN_WORDS = 60
OVERLAP_WORDS = 30
MAX_HEADING_WORDS = 20
MAX_QUERY_CHARS = 2_000
MAX_TERMS = 16
MAX_TERM_CHARS = 64
SNIPPET_TOKENS = 32
# Private-use characters mark matches inside snippets; they are stripped from document text.
_OPEN, _CLOSE = "\ue000", "\ue001"
_HEADING = re.compile(r"^#{1,6}\s+\S")
_TERM = re.compile(r"\w+\*?")


# --- passages ---------------------------------------------------------------------------


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
    for heading, paragraphs in _sections(body.replace(_OPEN, "").replace(_CLOSE, "")):
        builder.start_section(heading)
        for paragraph in paragraphs:
            builder.add_paragraph(paragraph)
    builder.end(overlap=False)
    return builder.passages


def index_document(session: Session, *, document_id: str, project_id: str, body: str) -> int:
    """Store the document's passages; the FTS index follows through triggers."""
    passages = split_passages(body)
    if passages:
        session.execute(
            insert(DocumentChunk),
            [
                {
                    "document_id": document_id,
                    "project_id": project_id,
                    "chunk_index": index,
                    "content": passage,
                }
                for index, passage in enumerate(passages)
            ],
        )
    return len(passages)


# --- queries ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    word: str
    prefix: bool


@dataclass(frozen=True)
class Hit:
    document_id: str
    document_name: str
    chunk_index: int
    snippet: str
    highlights: list[tuple[int, int]]
    score: float


def parse_terms(query: str) -> list[Term]:
    """The words of a user's query; everything else (operators, quotes, emoji) is dropped."""
    terms: list[Term] = []
    seen: set[tuple[str, bool]] = set()
    for match in _TERM.finditer(query[:MAX_QUERY_CHARS]):
        token = match.group()
        prefix = token.endswith("*")
        word = token.rstrip("*")[:MAX_TERM_CHARS]
        key = (word.lower(), prefix)
        # "_" is a word character to Python but a separator to the index: "_" alone matches
        # nothing and would empty every AND query it joins.
        if word.strip("_") and key not in seen:
            seen.add(key)
            terms.append(Term(word, prefix))
        if len(terms) == MAX_TERMS:
            break
    return terms


def _fts_expression(project_id: str, terms: list[Term], operator: str) -> str:
    phrases = [f'"{t.word}"' + ("*" if t.prefix else "") for t in terms]
    # A uuid is letters, digits and hyphens only, so quoting it is safe.
    return f'project_id : "{project_id}" AND content : ({f" {operator} ".join(phrases)})'


# Only module constants are interpolated; user input is bound as :expression.
_SQLITE_SEARCH = text(
    f"""
    SELECT c.document_id, d.name AS document_name, c.chunk_index, hits.snippet, hits.score
    FROM (
        SELECT rowid AS chunk_id, rank AS score,
               snippet(document_chunks_fts, 0, '{_OPEN}', '{_CLOSE}', '…', {SNIPPET_TOKENS})
                   AS snippet
        FROM document_chunks_fts
        WHERE document_chunks_fts MATCH :expression
        ORDER BY rank
        LIMIT :bound
    ) AS hits
    JOIN document_chunks AS c ON c.id = hits.chunk_id
    JOIN documents AS d ON d.id = c.document_id
    WHERE c.project_id = :project_id
    ORDER BY hits.score
    """
)

_POSTGRES_SEARCH = text(
    f"""
    SELECT c.document_id, d.name AS document_name, c.chunk_index,
           ts_headline('english', c.content, q.query,
                       'StartSel={_OPEN}, StopSel={_CLOSE}, MaxWords=40, MinWords=15')
               AS snippet,
           -ts_rank_cd(c.search_vector, q.query) AS score
    FROM document_chunks AS c
    JOIN documents AS d ON d.id = c.document_id
    CROSS JOIN (SELECT to_tsquery('english', :expression) AS query) AS q
    WHERE c.project_id = :project_id AND c.search_vector @@ q.query
    ORDER BY score
    LIMIT :bound
    """
)


def _postgres_expression(terms: list[Term], operator: str) -> str:
    joiner = " & " if operator == "AND" else " | "
    words = [re.sub(r"\W", "", t.word) for t in terms]
    return joiner.join(f"{w}:*" if t.prefix else w for w, t in zip(words, terms, strict=True) if w)


def search(session: Session, project_id: str, query: str, *, limit: int) -> list[Hit]:
    """Best passages first. All words must match; if none do, any word may."""
    terms = parse_terms(query)
    if not terms:
        return []
    operators = ["AND", "OR"] if len(terms) > 1 else ["AND"]
    postgres = session.get_bind().dialect.name == "postgresql"
    for operator in operators:
        if postgres:
            statement, expression = _POSTGRES_SEARCH, _postgres_expression(terms, operator)
        else:
            statement, expression = _SQLITE_SEARCH, _fts_expression(project_id, terms, operator)
        rows = session.execute(
            statement, {"expression": expression, "project_id": project_id, "bound": limit}
        ).all()
        if rows:
            return [_hit(row) for row in rows]
    return []


def _hit(row: object) -> Hit:
    marked: str = row.snippet  # type: ignore[attr-defined]
    plain: list[str] = []
    highlights: list[tuple[int, int]] = []
    position = 0
    start = 0
    for part in re.split(f"([{_OPEN}{_CLOSE}])", marked):
        if part == _OPEN:
            start = position
        elif part == _CLOSE:
            highlights.append((start, position))
        else:
            part = re.sub(r"\s*\n\s*", " ", part)
            plain.append(part)
            position += len(part)
    return Hit(
        document_id=row.document_id,  # type: ignore[attr-defined]
        document_name=row.document_name,  # type: ignore[attr-defined]
        chunk_index=row.chunk_index,  # type: ignore[attr-defined]
        snippet="".join(plain),
        highlights=highlights,
        score=float(f"{-float(row.score):.4g}"),  # type: ignore[attr-defined]
    )
