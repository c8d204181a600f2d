"""Reading words: the key terms of a message (what the server and the offline assistant search
for) and the topics a feature touches, from what the analyst said and what the documents found.

Deterministic and standard-library only: the same text always gives the same terms and topics.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ba_assistant.agent.offline_knowledge import (
    AMBIGUOUS_PHRASES,
    CURRENT_STATE,
    SUPERSEDES,
    TOPICS,
)


@dataclass(frozen=True)
class Topic:
    id: str
    name: str


@dataclass(frozen=True)
class Passage:
    """A document passage found by search; cite it as ``[document_name, passage N]``."""

    document_name: str
    passage: int
    text: str

    @property
    def citation(self) -> str:
        return f"[{self.document_name}, passage {self.passage}]"


def word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


def normalise(text: str) -> str:
    return " ".join(text.replace("’", "'").lower().split())


def singular(word: str) -> str:
    if len(word) > 3 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def words_pattern(terms: Iterable[str], *, prefix: bool) -> re.Pattern[str]:
    """One regex for comma-free terms: "*" is any ending, a space also matches a hyphen."""
    parts = []
    for term in sorted(terms, key=len, reverse=True):  # the longest alternative first
        body = r"[\s-]+".join(re.escape(word).replace(r"\*", r"\w*") for word in term.split())
        parts.append(body + (r"\w*" if prefix else ""))
    return re.compile(r"\b(?:" + "|".join(parts) + r")\b") if parts else re.compile(r"(?!)")


def split_terms(spec: str) -> list[str]:
    return [term.strip() for term in spec.split(",") if term.strip()]


# --- words --------------------------------------------------------------------------------------

STOP_WORDS = word_set(
    """a about above after again against all also am an and any are as at be because been before
    being below between both but by can cannot could did do does doing down during each else
    ever every few for from further had has have having he her here hers herself him himself his
    how however i if in into is it its itself just let me more most my myself no nor not now of
    off on once one only or other ought our ours ourselves out over own same she should so some
    such than that the their theirs them themselves then there these they this those through to
    too under until up upon us very was we were what when where whether which while who whom
    whose why will with within without would yet you your yours yourself yourselves per via
    never always often sometimes usually"""
)

FILLER_WORDS = word_set(
    """able actually again ah already anyway anything around basically bit certain currently
    discuss discussed discussing draft easily easy etc everything example feature features
    generate get gets getting give go goes going good gonna got great guess guys hello help hey
    hi idea ideas just kind know lets like likely lot lots make maybe mean meeting might mention
    must need needs new nice now okay ok perhaps please pretty probably quick quickly quite
    really right said say says see seems should simply somehow something sort stuff sure talk
    talking tell thanks thing things think thinking today told try trying use using want wanted
    take taking pain hundred hundreds thousand thousands million millions billion
    wanting wants way well whatever write writing yeah yes summarise summarize summarised
    summary summaries recap overview briefly brief"""
)

GENERIC_WORDS = word_set(
    """app button customer customers data details field information list option options page
    pages people person process screen screens section staff system systems team time tool
    user users view"""
)

SHORT_TERMS = frozenset({"ai", "hr", "ui", "ux", "id"})

# Phrases kept whole by key_terms (a final "s" is optional, a space also matches a hyphen).
DOMAIN_PHRASES = (
    "single sign on, two factor authentication, multi factor authentication, password reset, "
    "magic link, store credit, gift card, credit card, debit card, bank transfer, direct "
    "debit, credit note, purchase order, promo code, free trial, out of stock, audit trail, "
    "audit log, time zone, opening hours, business hours, live chat, push notification, text "
    "message, personal data, data protection, terms and conditions, access control, legacy "
    "system, customer support, support agent, finance team, delivery address, billing "
    "address, approval limit, service level agreement, no show, price list, bank details, "
    "loyalty points"
)
PHRASE_MODIFIERS = word_set(
    """annual automatic automated bulk cancelled daily duplicate expired failed full late manual
    monthly overdue partial pending recurring scheduled unpaid weekly"""
)
PHRASE_HEADS = word_set(
    """address code cycle date fee history level limit link log method number period plan
    policy provider request rule rules settings status template trail type window"""
)


@dataclass(frozen=True)
class _TopicSpec:
    topic: Topic
    strong: re.Pattern[str]
    weak: re.Pattern[str]


_TOPIC_SPECS = tuple(
    _TopicSpec(
        Topic(topic_id, name),
        words_pattern(split_terms(strong), prefix=False),
        words_pattern(split_terms(weak), prefix=False),
    )
    for topic_id, name, strong, weak in TOPICS
)
TOPIC_NAMES = {spec.topic.id: spec.topic.name for spec in _TOPIC_SPECS}
_KEYWORDS = words_pattern(
    [term for _id, _name, *specs in TOPICS for spec in specs for term in split_terms(spec)],
    prefix=False,
)
_AMBIGUOUS = re.compile(r"\b(?:" + "|".join(AMBIGUOUS_PHRASES) + r")\b")
_CURRENT_STATE = re.compile("|".join(CURRENT_STATE))
_PHRASES = tuple((p, words_pattern([p + "*"], prefix=False)) for p in split_terms(DOMAIN_PHRASES))
_TOKEN = re.compile(r"[a-z0-9]+(?:['’-][a-z0-9]+)*")


# --- key terms ----------------------------------------------------------------------------------


def _is_domain_word(word: str) -> bool:
    return _KEYWORDS.fullmatch(word) is not None


def key_terms(text: str, limit: int = 6) -> list[str]:
    """The message's most telling words for a document search, most specific first."""
    lowered = _AMBIGUOUS.sub(" ", normalise(text))
    found: list[tuple[int, int, str]] = []  # (rank, position, term); lower rank = more specific
    taken: list[tuple[int, int]] = []
    for phrase, pattern in _PHRASES:
        for match in pattern.finditer(lowered):
            if not any(a < match.end() and match.start() < b for a, b in taken):
                taken.append(match.span())
                found.append((0, match.start(), phrase))
    tokens = [
        (m.start(), m.group().replace("’", "'"))
        for m in _TOKEN.finditer(lowered)
        if not any(a <= m.start() < b for a, b in taken)
    ]
    words: list[tuple[int, str]] = []
    for position, token in tokens:
        word = token.removesuffix("'s")
        if "'" in word or word.isdigit() or word in STOP_WORDS or word in FILLER_WORDS:
            words.append((position, ""))  # a gap: no phrase spans it
        elif len(word) >= 3 or word in SHORT_TERMS:
            words.append((position, word))
        else:
            words.append((position, ""))
    index = 0
    while index < len(words):
        position, word = words[index]
        following = words[index + 1][1] if index + 1 < len(words) else ""
        if word and following and word not in GENERIC_WORDS:
            modifier = word in PHRASE_MODIFIERS and following not in GENERIC_WORDS
            compound = _is_domain_word(word) and singular(following) in PHRASE_HEADS
            if modifier or compound:
                found.append((0, position, f"{word} {singular(following)}"))
                index += 2
                continue
        if word:
            rank = 3 if word in GENERIC_WORDS else 1 if _is_domain_word(word) else 2
            found.append((rank, position, word))
        index += 1
    seen: set[str] = set()
    result: list[str] = []
    for _rank, _position, term in sorted(found):
        keys = {singular(w) for w in term.split()}
        if keys <= seen:
            continue
        seen |= keys
        result.append(term)
    return result[: max(limit, 0)]


# --- topics -------------------------------------------------------------------------------------

SAID_POINTS = 2  # what the analyst says needs this many points for a topic
FOUND_STRENGTHENS = 4  # passages add a topic the analyst only touched (1 point) with this many
FOUND_ALONE = 8  # ... and one the analyst never mentioned, with this many
MAX_TOPICS = 4


def _hits(pattern: re.Pattern[str], text: str) -> int:
    """Occurrences of a keyword family, each distinct word counted at most three times."""
    counts = Counter(" ".join(re.split(r"[\s-]+", m.group())) for m in pattern.finditer(text))
    return sum(min(count, 3) for count in counts.values())


@functools.lru_cache(maxsize=128)
def _scores(text: str, *, strong_only: bool) -> tuple[int, ...]:
    """Each topic's points, in the order of ``TOPICS``. How things are done today ("instead
    of emailing them") does not count for what the analyst says."""
    cleaned = _AMBIGUOUS.sub(" ", normalise(text))
    if not strong_only:
        cleaned = _CURRENT_STATE.sub(" ", cleaned)
    return tuple(
        2 * _hits(spec.strong, cleaned) + (0 if strong_only else _hits(spec.weak, cleaned))
        for spec in _TOPIC_SPECS
    )


def feature_topics(said: str, found: Sequence[str] = ()) -> list[Topic]:
    """The topics of a feature, strongest first: from what the analyst said, strengthened by
    the passages found (only their strong keywords count). Passages never outrank the
    analyst's words: they order topics the analyst scored equally, add one the analyst only
    touched, and add at most one the analyst never mentioned."""
    spoken = _scores(said, strong_only=False)
    read = _scores("\n".join(found), strong_only=True) if found else (0,) * len(_TOPIC_SPECS)
    chosen: list[tuple[int, int, int, Topic]] = []
    unspoken: list[tuple[int, int, int, Topic]] = []
    for order, spec in enumerate(_TOPIC_SPECS):
        points, support = spoken[order], read[order]
        key = (-points, -support, order, spec.topic)
        if points >= SAID_POINTS or (points and support >= FOUND_STRENGTHENS):
            chosen.append(key)
        elif not points and support >= FOUND_ALONE:
            unspoken.append(key)
    ranked = [key[3] for key in sorted(chosen)] + [key[3] for key in sorted(unspoken)[:1]]
    ids = {t.id for t in ranked}
    kept = [t for t in ranked if not any(SUPERSEDES.get(s) == t.id for s in ids)]
    return kept[:MAX_TOPICS]


def detect_topics(text: str) -> list[Topic]:
    """Topics recognised in the text by keyword families, strongest match first."""
    return feature_topics(text)


# --- table entries with conditions -----------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """A table entry that applies when its words occur (``include``) and not when others do
    (``exclude``)."""

    text: str
    category: str = ""
    include: re.Pattern[str] | None = None
    exclude: re.Pattern[str] | None = None

    def relevance(self, said: str, found: str = "") -> int | None:
        """2 when its words occur in what the analyst said, 1 when only in the documents found,
        0 when it always applies, None when it does not apply. Both texts are normalised."""
        if self.exclude is not None and self.exclude.search(said):
            return None
        if self.include is None:
            return 0
        if self.include.search(said):
            return 2
        return 1 if found and self.include.search(found) else None


def entry(when: str | None, text: str, category: str = "") -> Entry:
    words = (when or "").split()
    include = [w for w in words if not w.startswith("-")]
    exclude = [w[1:] for w in words if w.startswith("-")]
    return Entry(
        " ".join(text.split()),
        category,
        words_pattern(include, prefix=True) if include else None,
        words_pattern(exclude, prefix=True) if exclude else None,
    )


_ENTRY = re.compile(r"^(?:\[(?P<when>[^\]]*)\]\s*)?(?P<text>.+)$", re.DOTALL)


def parse_entry(raw: str) -> Entry:
    """``"[refund -window] Text"``: the text, when those words apply."""
    match = _ENTRY.match(raw)
    assert match is not None
    return entry(match["when"], match["text"])


# --- roles --------------------------------------------------------------------------------------

ROLE_NOUNS = (
    "customer service agent, call centre agent, support agent, sales rep, account manager, "
    "store manager, regional manager, area manager, branch manager, line manager, ward manager, "
    "team lead, team leader, finance team, warehouse staff, field worker, field engineer, "
    "service engineer, case worker, staff member, loss adjuster, procurement officer, "
    "administrator, admin, accountant, adjuster, agent, applicant, approver, auditor, buyer, "
    "candidate, caseworker, client, clinician, courier, customer, dispatcher, doctor, driver, "
    "employee, guest, landlord, manager, member, merchant, nurse, operator, owner, patient, "
    "physio, recruiter, reviewer, seller, shopper, student, subscriber, supplier, teacher, "
    "technician, tenant, vendor, visitor, volunteer"
)
ROLE_LABELS = {
    "admin": "administrator",
    "finance team": "finance team member",
    "warehouse staff": "warehouse worker",
    "caseworker": "case worker",
    "loss adjuster": "adjuster",
}
ROLE = re.compile(
    r"\b(?P<role>"
    + "|".join(r"[\s-]+".join(map(re.escape, r.split())) for r in split_terms(ROLE_NOUNS))
    + r")s?\b"
)


def roles(text: str) -> list[str]:
    """Role nouns named in the text, singular, in order of first mention."""
    found: list[str] = []
    for match in ROLE.finditer(normalise(text)):
        role = " ".join(match["role"].replace("-", " ").split())
        role = ROLE_LABELS.get(role, role)
        if role not in found:
            found.append(role)
    return found
