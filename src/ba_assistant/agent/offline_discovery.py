"""Discovery: what the documents already settle, which questions are left to ask (most
decisive first, never one the documents or the thread answer, never one asked before), which
edge cases to raise for this feature, and which passages speak to an AI instead of about it.

Deterministic and standard-library only; the knowledge itself lives in ``offline_knowledge``
(questions) and ``offline_edge_cases`` (what can go wrong).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from ba_assistant.agent.offline_edge_cases import GENERIC_EDGE_CASES, TOPIC_EDGE_CASES
from ba_assistant.agent.offline_knowledge import (
    CATEGORIES,
    CORE_QUESTIONS,
    GENERAL_QUESTIONS,
    TOPIC_QUESTIONS,
    Ask,
)
from ba_assistant.agent.offline_words import (
    Entry,
    Passage,
    Topic,
    entry,
    feature_topics,
    normalise,
    roles,
)

FIRST_TOPIC_QUESTIONS = 3  # the main topic's share of the questions, before the others' turn
OTHER_TOPIC_QUESTIONS = 2
CORE_SHARE = 2  # at most this many of the general discovery questions while topic ones remain

# --- passages addressed to an AI ----------------------------------------------------------------

_INSTRUCTION = re.compile(
    r"\b(?:ignore|disregard|forget|override)\b[^.\n]{0,40}\b(?:instructions?|analyst|user|prompt|"
    r"rules|above)\b|\b(?:previous|prior|earlier|original) instructions\b|"
    r"\b(?:ai|llm|language model|chatbot|assistant|automated tool)s?\b[^.\n]{0,40}"
    r"\b(?:must|should|reading this|are told|shall)\b|\bsystem (?:message|prompt)\b|"
    r"\breply only with\b|\banswer every question with\b|"
    r"\b(?:call|use|invoke)\s+(?:the\s+)?(?:artifactgenerator|documentsearch|threadsummarizer|"
    r"artifactreader)\b|"
    # A role or turn tag (<system>, </user>, <|im_start|>, [INST]): defused to ‹ before it
    # reaches a model, and never the analyst speaking.
    r"[‹<]\s*/?\s*\|?\s*(?:system|assistant|user|human|developer|instructions?|im_start|"
    r"im_end)\b|\[/?(?:system|inst)\]",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z0-9£$€])")
_MARKER = re.compile(r"^\s*(?:#{1,6}|[-*+]|\d+[.)])\s+")


def sentences(text: str) -> list[str]:
    """The sentences of a passage, headings and list items each one of their own."""
    found: list[str] = []
    for line in text.splitlines():
        line = _MARKER.sub("", line.strip()).strip("… ").strip()
        found += [s.strip() for s in _SENTENCE_END.split(line) if s.strip()]
    return found


def speaks_to_ai(sentence: str) -> bool:
    """Text written to steer an AI reader (prompt injection), not about the feature."""
    return _INSTRUCTION.search(sentence) is not None


def without_instructions(text: str) -> str:
    """The passage with every line or sentence addressed to an AI removed."""
    kept: list[str] = []
    for line in text.splitlines():
        if not speaks_to_ai(line):
            kept.append(line)
            continue
        rest = [s for s in _SENTENCE_END.split(line) if not speaks_to_ai(s)]
        if rest:
            kept.append(" ".join(rest))
    return "\n".join(kept)


def instructions_to_ai(passages: Sequence[Passage]) -> list[Passage]:
    """The passages that contain text addressed to an AI, each once."""
    return list(dict.fromkeys(p for p in passages if any(map(speaks_to_ai, sentences(p.text)))))


# --- what the documents settle ------------------------------------------------------------------


@dataclass(frozen=True)
class Settled:
    """A question a document answers: what it settles, and the sentence that does."""

    about: str
    passage: Passage
    sentence: str


@functools.lru_cache(maxsize=512)
def _pattern(settled: str) -> re.Pattern[str] | None:
    return re.compile(settled) if settled else None


def _condition(ask: Ask) -> Entry:
    return entry(ask.when, ask.text)


def _settled_by(ask: Ask, passages: Sequence[Passage]) -> Settled | None:
    pattern = _pattern(ask.settled)
    if pattern is None:
        return None
    for passage in passages:
        for sentence in sentences(passage.text):
            if not speaks_to_ai(sentence) and pattern.search(normalise(sentence)):
                return Settled(ask.about or "this", passage, sentence)
    return None


def _said_settles(ask: Ask, said_sentences: Sequence[str]) -> bool:
    pattern = _pattern(ask.settled)
    return pattern is not None and any(pattern.search(s) for s in said_sentences)


# --- discovery ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Discovery:
    topics: list[Topic]
    questions: list[str]
    settled: list[Settled]
    edge_cases: list[tuple[str, str]]  # (taxonomy category, the situation)


def discover(
    said: str,
    passages: Sequence[Passage] = (),
    *,
    known: str = "",
    asked: Collection[str] = (),
    questions: int = 5,
    edges: int = 5,
) -> Discovery:
    """What to tell the room about a feature: ``said`` is what the analyst said in the thread,
    ``passages`` what the documents gave for it, ``known`` what earlier replies quoted, and
    ``asked`` the questions already put to the analyst."""
    clean = [Passage(p.document_name, p.passage, without_instructions(p.text)) for p in passages]
    topics = feature_topics(said, [p.text for p in clean])
    lowered, found = normalise(said), normalise(" ".join(p.text for p in clean))
    said_sentences = [normalise(s) for s in sentences(said)]
    known_passage = [Passage("", 0, known)] if known else []
    known_settled = known.lower()
    settled: list[Settled] = []

    def open_question(ask: Ask) -> bool:
        answer = _settled_by(ask, clean)
        if answer is not None:
            if all(s.about != answer.about for s in settled):
                settled.append(answer)
            return False
        if _said_settles(ask, said_sentences) or _settled_by(ask, known_passage):
            return False
        if ask.about and f"{ask.about}" in known_settled:
            return False  # an earlier reply said the documents settle it
        return ask.text not in asked

    core: list[str] = []
    for key, ask, answered in CORE_QUESTIONS:
        if key == "users":
            if not roles(said) and open_question(ask):
                core.append(ask.text)
        elif not (answered and re.search(answered, lowered)) and open_question(ask):
            core.append(ask.text)
    ranked: list[list[str]] = []
    for topic in topics:
        chosen = []
        for ask in TOPIC_QUESTIONS.get(topic.id, ()):
            # Only the analyst's words trigger a question: a document that mentions
            # downloads does not make an import about exports.
            if _condition(ask).relevance(lowered) is not None and open_question(ask):
                chosen.append(ask.text)
        ranked.append(chosen)
    first_pass: list[str] = []
    for index, chosen in enumerate(ranked):
        share = FIRST_TOPIC_QUESTIONS if index == 0 else OTHER_TOPIC_QUESTIONS
        first_pass += chosen[:share]
    rest = [q for chosen in ranked for q in chosen if q not in first_pass]
    order = [*first_pass[:3], *core[:CORE_SHARE], *first_pass[3:], *rest, *core[CORE_SHARE:]]
    order += [q for q in GENERAL_QUESTIONS if q not in asked]
    chosen_questions = list(dict.fromkeys(order))[: max(questions, 0)]
    return Discovery(topics, chosen_questions, settled, _edge_cases(lowered, found, topics, edges))


def discovery_questions(said: str, passages: Sequence[Passage] = (), limit: int = 5) -> list[str]:
    """The next questions a senior BA would ask, most decisive first."""
    return discover(said, passages, questions=limit).questions


# --- edge cases ---------------------------------------------------------------------------------

_EDGE = re.compile(r"^(?P<key>\w+)\s*(?:\[(?P<when>[^\]]*)\])?:\s*(?P<text>.+)$", re.DOTALL)


def _parse_edge(raw: str) -> Entry:
    match = _EDGE.match(raw)
    assert match is not None and match["key"] in CATEGORIES, raw
    return entry(match["when"], match["text"], CATEGORIES[match["key"]])


_EDGES = {k: tuple(map(_parse_edge, v)) for k, v in TOPIC_EDGE_CASES.items()}
_GENERIC_EDGES = tuple(map(_parse_edge, GENERIC_EDGE_CASES))


def situation(edge: str) -> tuple[str, str]:
    """'Situation. Question?' → ('Situation', 'Question?')."""
    match = re.match(r"(?P<situation>.+?[.])\s+(?P<question>.+)$", edge)
    if not match:
        return edge.rstrip(".?"), ""
    return match["situation"].rstrip("."), match["question"]


def edge_entries(said: str, found: str, topics: Sequence[Topic], limit: int) -> list[Entry]:
    """The feature's edge cases: one per category first, the topics' own before generic ones,
    those whose words the analyst used first."""
    ranked: list[tuple[int, int, int, Entry]] = []
    for topic_rank, topic in enumerate(topics):
        for position, item in enumerate(_EDGES.get(topic.id, ())):
            relevance = item.relevance(said, found)
            if relevance is not None:
                ranked.append((-relevance, topic_rank, position, item))
    pool = [item for *_key, item in sorted(ranked, key=lambda r: r[:3])]
    generic = [e for e in _GENERIC_EDGES if e.relevance(said, found) is not None]
    chosen: list[Entry] = []
    for candidates in (pool, generic):
        for item in candidates:
            if len(chosen) < limit and item.category not in {e.category for e in chosen}:
                chosen.append(item)
    for item in pool:
        if len(chosen) < limit and item not in chosen:
            chosen.append(item)
    return chosen


def _edge_cases(
    said: str, found: str, topics: Sequence[Topic], limit: int
) -> list[tuple[str, str]]:
    return [(e.category, e.text) for e in edge_entries(said, found, topics, limit)]


def edge_cases(
    said: str, passages: Sequence[Passage] = (), limit: int = 4
) -> list[tuple[str, str]]:
    """(taxonomy category, edge case) pairs for the feature."""
    return discover(said, passages, questions=0, edges=limit).edge_cases
