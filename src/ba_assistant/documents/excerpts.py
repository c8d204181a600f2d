"""Excerpts of a passage made of whole sentences around what a search matched.

A quote cut at a word count can stop just before the sentence that decides the question ("…
refunds over £500 need"), so an excerpt here is the sentence that matches the search best,
widened by its neighbours while it stays short, and never cut inside a sentence. Headings and
list items count as sentences of their own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ba_assistant.documents.search import matcher, parse_terms, word_matches

# A sentence ends at . ! ? (with closing quotes or brackets) followed by a space and what looks
# like the start of the next one; "e.g. this", "J. Smith" and "£4.50 each" do not end one.
_SENTENCE_END = re.compile(
    r"(?<!\b\w)(?<!\be\.g)(?<!\bi\.e)(?<!\betc)(?<!\bvs)(?<!\bNo)(?<!\bMr)(?<!\bMs)(?<!\bDr)"
    r"[.!?][\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z0-9£$€])"
)
_LINE_UNIT = re.compile(r"^\s*(#{1,6}\s|[-*+]\s|\d+[.)]\s|\|)")
_WORD = re.compile(r"\w+")
ELLIPSIS = "…"


@dataclass(frozen=True)
class _Unit:
    start: int
    end: int
    words: int
    matches: int
    distinct: int


def _units(content: str) -> list[tuple[int, int]]:
    """(start, end) offsets of the sentences, headings and list items of ``content``."""
    spans: list[tuple[int, int]] = []
    offset = 0
    for line in content.splitlines(keepends=True):
        stripped = line.strip()
        if stripped:
            begin = offset + line.index(stripped[0])
            stop = begin + len(stripped)
            if _LINE_UNIT.match(line):
                spans.append((begin, stop))
            else:
                cursor = begin
                for match in _SENTENCE_END.finditer(content, begin, stop):
                    spans.append((cursor, match.start() + len(match.group().rstrip())))
                    cursor = match.end()
                spans.append((cursor, stop))
        offset += len(line)
    return _join_continuations(content, [(a, b) for a, b in spans if b > a])


def _join_continuations(content: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """A sentence broken over two lines of a paragraph is one sentence."""
    joined: list[tuple[int, int]] = []
    for start, end in spans:
        if joined and not _LINE_UNIT.match(content[start:end]):
            previous = content[joined[-1][0] : joined[-1][1]]
            gap = content[joined[-1][1] : start]
            if "\n\n" not in gap and not _LINE_UNIT.match(previous) and not _ends(previous):
                joined[-1] = (joined[-1][0], end)
                continue
        joined.append((start, end))
    return joined


def _ends(sentence: str) -> bool:
    return bool(re.search(r"[.!?:;][\"'”’)\]]*$", sentence.rstrip()))


def _score(content: str, spans: list[tuple[int, int]], query: str) -> list[_Unit]:
    stems, prefixes = matcher(parse_terms(query))
    units = []
    for start, end in spans:
        words = _WORD.findall(content[start:end])
        found = [w for w in words if word_matches(w, stems, prefixes)]
        distinct = len({w.lower() for w in found})
        units.append(_Unit(start, end, len(words), len(found), distinct))
    return units


def excerpt(content: str, query: str, *, max_words: int = 90) -> str:
    """Whole sentences of ``content`` around the best match for ``query``, about
    ``max_words`` long (the best sentence is kept whole even when it is longer). An ellipsis
    marks text left out before or after."""
    spans = _units(content)
    if not spans:
        return content.strip()
    units = _score(content, spans, query)
    # A fragment carried over from the previous passage ("… end of a sentence") is no sentence.
    candidates = [i for i, u in enumerate(units) if not content[u.start :].startswith(ELLIPSIS)]
    best = max(candidates or range(len(units)), key=lambda i: (units[i].distinct, units[i].matches))
    first = last = best
    words = units[best].words
    # Widen towards the sentences that match too, then towards the context that follows.
    while True:
        before = first - 1 if first > 0 else None
        after = last + 1 if last + 1 < len(units) else None
        options = [i for i in (after, before) if i is not None]
        if not options:
            break
        pick = max(options, key=lambda i: (units[i].matches, i == after))
        if words + units[pick].words > max_words:
            break
        words += units[pick].words
        first, last = min(first, pick), max(last, pick)
    text = content[units[first].start : units[last].end].strip()
    if first > 0:
        text = f"{ELLIPSIS} {text}"
    if last < len(units) - 1:
        text = f"{text} {ELLIPSIS}"
    return text
