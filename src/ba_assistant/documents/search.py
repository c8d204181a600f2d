"""Full-text search over a project's passages.

SQLite: FTS5 (porter + unicode61) ranked by bm25; PostgreSQL: a tsvector with a GIN index.

User text never reaches MATCH as syntax: it is reduced to words, each quoted (a trailing ``*``
keeps prefix search). The project is a single indexed token inside the FTS expression, so the
lookup is answered from the index alone. It is also bounded: the newest CANDIDATES matching
passages of the project are ranked, so a word that occurs everywhere costs no more than a
rare one (for such a word every passage is a weak match anyway). Only the final few rows are
joined back to their passage and document, which re-checks the project as a second line of
defence, and their snippets are cut here rather than by the database.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

from sqlalchemy import insert, text
from sqlalchemy.orm import Session

from ba_assistant.models import DocumentChunk

MAX_QUERY_CHARS = 2_000
MAX_TERMS = 16
MAX_TERM_CHARS = 64
CANDIDATES = 2_000
SNIPPET_WORDS = 36
_TERM = re.compile(r"\w+\*?")
_WORD = re.compile(r"\w+")
# Enough of the porter stemmer's suffixes to highlight "refunds" for "refunding".
_SUFFIXES = ("ations", "ation", "ments", "ment", "ings", "ing", "edly", "ed", "es", "s", "ly")


def index_passages(
    session: Session, *, document_id: str, project_id: str, passages: list[str]
) -> None:
    """Store a document's passages; the FTS index follows through triggers."""
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
    content: str = ""


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


def project_token(project_id: str) -> str:
    """How the index spells a project: one token, as the migration's view writes it."""
    return "p" + project_id.replace("-", "")


def _fts_expression(project_id: str, terms: list[Term], operator: str) -> str:
    phrases = [f'"{t.word}"' + ("*" if t.prefix else "") for t in terms]
    project = project_token(project_id)
    return f'project : "{project}" AND content : ({f" {operator} ".join(phrases)})'


_SQLITE_SEARCH = text(
    """
    SELECT c.document_id, d.name AS document_name, c.chunk_index, c.content, top.score
    FROM (
        SELECT chunk_id, score FROM (
            SELECT rowid AS chunk_id, bm25(document_chunks_fts, 1.0, 0.0) AS score
            FROM document_chunks_fts
            WHERE document_chunks_fts MATCH :expression
            ORDER BY rowid DESC
            LIMIT :candidates
        )
        ORDER BY score
        LIMIT :bound
    ) AS top
    JOIN document_chunks AS c ON c.id = top.chunk_id
    JOIN documents AS d ON d.id = c.document_id
    WHERE c.project_id = :project_id
    ORDER BY top.score, c.id DESC
    """
)

_POSTGRES_SEARCH = text(
    """
    SELECT c.document_id, d.name AS document_name, c.chunk_index, c.content, top.score
    FROM (
        SELECT id, -ts_rank_cd(search_vector, to_tsquery('english', :expression)) AS score
        FROM (
            SELECT id, search_vector FROM document_chunks
            WHERE project_id = :project_id
              AND search_vector @@ to_tsquery('english', :expression)
            ORDER BY id DESC
            LIMIT :candidates
        ) AS candidates
        ORDER BY score
        LIMIT :bound
    ) AS top
    JOIN document_chunks AS c ON c.id = top.id
    JOIN documents AS d ON d.id = c.document_id
    WHERE c.project_id = :project_id
    ORDER BY top.score, c.id DESC
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
            statement,
            {
                "expression": expression,
                "project_id": project_id,
                "candidates": CANDIDATES,
                "bound": limit,
            },
        ).all()
        if rows:
            return [
                Hit(
                    document_id=row.document_id,
                    document_name=row.document_name,
                    chunk_index=row.chunk_index,
                    score=float(f"{-float(row.score):.4g}"),
                    snippet=snippet,
                    highlights=highlights,
                    content=row.content,
                )
                for row in rows
                for snippet, highlights in [_snippet(row.content, terms)]
            ]
    return []


# --- snippets ---------------------------------------------------------------------------


@functools.lru_cache(maxsize=65_536)
def _fold(word: str) -> str:
    """Lower case without diacritics, as the index compares words."""
    if word.isascii():
        return word.lower()
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@functools.lru_cache(maxsize=65_536)
def _stem(word: str) -> str:
    if len(word) > 3 and word.endswith("ies"):
        return word[:-3] + "i"
    if len(word) > 3 and word.endswith("y"):
        return word[:-1] + "i"
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def matcher(terms: list[Term]) -> tuple[set[str], tuple[str, ...]]:
    """The stems and prefixes a word is matched against, as the index matches them."""
    stems = {_stem(_fold(t.word)) for t in terms if not t.prefix}
    prefixes = tuple(_fold(t.word) for t in terms if t.prefix)
    return stems, prefixes


def word_matches(word: str, stems: set[str], prefixes: tuple[str, ...]) -> bool:
    folded = _fold(word)
    return _stem(folded) in stems or bool(prefixes and folded.startswith(prefixes))


def _snippet(content: str, terms: list[Term]) -> tuple[str, list[tuple[int, int]]]:
    """About SNIPPET_WORDS words of the passage around its densest run of matches, on one
    line, with the [start, end) offsets of the matched words."""
    stems, prefixes = matcher(terms)
    words = list(_WORD.finditer(content))
    if not words:
        return content[:300], []
    hits = [
        (_stem(folded := _fold(w.group())) in stems) or folded.startswith(prefixes or ("\0",))
        for w in words
    ]
    # The window holding the most matches, starting a few words before its first match.
    best, best_count, count = 0, -1, 0
    for end in range(len(words)):
        count += hits[end]
        if end >= SNIPPET_WORDS:
            count -= hits[end - SNIPPET_WORDS]
        start = max(0, end - SNIPPET_WORDS + 1)
        if count > best_count:
            best, best_count = start, count
    first = next((i for i in range(best, len(words)) if hits[i]), best)
    start = max(0, min(best, first - 4))
    stop = min(len(words), start + SNIPPET_WORDS)

    pieces: list[str] = ["… "] if start > 0 else []
    highlights: list[tuple[int, int]] = []
    length = len(pieces[0]) if pieces else 0
    # Whole passage ends keep their punctuation; cut ends stop at a word.
    text_start = 0 if start == 0 else words[start].start()
    text_end = len(content) if stop == len(words) else words[stop - 1].end()
    for part in re.split(r"(\w+)", content[text_start:text_end]):
        if not part:
            continue
        is_word = bool(_WORD.fullmatch(part))
        if not is_word:
            part = re.sub(r"\s+", " ", part)
        elif (_stem(folded := _fold(part)) in stems) or (prefixes and folded.startswith(prefixes)):
            highlights.append((length, length + len(part)))
        pieces.append(part)
        length += len(part)
    if stop < len(words):
        pieces.append(" …")
    return "".join(pieces), highlights
