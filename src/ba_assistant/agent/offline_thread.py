"""Reading the thread: what the analyst asks for (a deliverable, a summary, a revision), what
they said about the feature (who, what, why, the rules), and what the assistant already asked.

Deterministic and standard-library only. The analyst's words are kept as said wherever they
fill a template, so that a story reads "As a customer, I want to cancel a paid order …".
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

from ba_assistant.agent.offline_knowledge import CORE_QUESTIONS
from ba_assistant.agent.offline_words import (
    ROLE,
    Topic,
    detect_topics,
    key_terms,
    normalise,
    roles,
    word_set,
)

Deliverable = Literal["user_story", "acceptance_criteria", "requirements_doc"]

# --- deliverable requests -----------------------------------------------------------------------

_REQUEST_LEAD = (
    r"write|draft|create|generate|produce|prepare|compile|add|update|revise|rewrite|redo|"
    r"refine|expand|put together|draw up|spell out|"
    r"turn [\w']+(?: [\w']+)? into|convert [\w']+(?: [\w']+)? into|"
    r"(?:give|send|show|make) (?:me|us)|(?:can|could|may) (?:i|we) (?:have|get|see)|"
    r"(?:i|we)(?:'d| would) like(?: to (?:see|have|get))?|"
    r"(?:i|we) need(?: to (?:see|have|get))?|let(?:'s| us) (?:have|get|do|see)|time for|"
    r"move on to|next up"
)
_REQUEST_GAP = (
    r"(?:\s+(?:a|an|the|some|me|us|up|out|our|my|your|it|this|that|these|those|as|in|into|for|"
    r"of|first|quick|short|few|couple|full|proper|rough|initial|detailed|draft|new|set|list|"
    r"then|also|now|just|brief|clear|formal|basic|simple|more|another|complete|testable|good|"
    r"two|three|2|3|4|5|please))*"
)
_DELIVERABLE_NOUN = (
    r"(?P<user_story>user[\s-]+stor(?:y|ies)|stor(?:y|ies))|"
    r"(?P<acceptance_criteria>acceptance[\s-]+criteri(?:a|on|as)|acs?|gherkin|"
    r"given[\s/-]+when[\s/-]+then|(?:test[\s-]+)?scenarios?)|"
    r"(?P<requirements_doc>(?:product[\s-]+|business[\s-]+|functional[\s-]+)?requirements?"
    r"(?:[\s-]+(?:docs?|documents?|specs?|specification))?|prd|brd|specs?|specification)"
)
_REQUEST = re.compile(
    rf"\b(?:{_REQUEST_LEAD}){_REQUEST_GAP}\s+(?:{_DELIVERABLE_NOUN})\b(?P<after>[^.?!\n]*)"
)
_POLITE = re.compile(
    r"^\W*(?:(?:ok(?:ay)?|right|great|so|now|and|then|next)\W+)*(?:the\s+|some\s+)?"
    rf"(?:{_DELIVERABLE_NOUN})(?P<after>\s+for\s+[^,.?!]{{1,80}})?[\s,]*please\b"
)
# A lead after these words is a statement or a question about the past, not a request...
_NOT_A_REQUEST = word_set(
    "did do does have has had who already not never don't didn't doesn't haven't we they i you will"
)
# ...unless they follow one of these ("could we write", "can you draft").
_ASKING = word_set("can could would will shall should please let let's and")


def _requests(text: str) -> Iterable[re.Match[str]]:
    lowered = normalise(text)
    for match in _REQUEST.finditer(lowered):
        before = re.findall(r"[\w']+", lowered[: match.start()])
        previous = before[-1] if before else ""
        asking = len(before) >= 2 and before[-2] in _ASKING
        if previous in _NOT_A_REQUEST and not asking:
            continue
        yield match
    polite = _POLITE.search(lowered)
    if polite:
        yield polite


def requested_deliverable(text: str) -> Deliverable | None:
    """What the analyst asks to be written, if the message is such a request."""
    for match in _requests(text):
        if match["user_story"]:
            return "user_story"
        if match["acceptance_criteria"]:
            return "acceptance_criteria"
        return "requirements_doc"
    return None


# --- reading a conversation ---------------------------------------------------------------------

_CAPABILITY = re.compile(
    r"\b(?:be able to|the ability to|a way to|(?:allow|allows|enable|enables|let|lets)\s+"
    r"(?:\w+\s+){0,2}?(?:to\s+)?(?=\w)|(?:want|wants|would like|'d like|need|needs)\s+"
    r"(?:(?:\w+\s+){0,3}?to\s+(?:be able to\s+)?)|(?:should|must|can)\s+"
    r"(?:be able to\s+)?)(?P<what>[^.?!;\n]{3,})",
    re.IGNORECASE,
)
_META_VERBS = word_set(
    """i it not never that they this we you
    ask agree brainstorm begin capture clarify cover decide discuss document draft explore
    figure focus go know look make start talk think understand write"""
)
# Stripped from the start of a capability: "to", adverbs, and "let customers" (the role is
# named elsewhere): "let store managers override prices" → "override prices".
_CAPABILITY_NOISE = re.compile(
    r"^(?:(?:be able to|to|also|easily|quickly|simply|just|automatically)\s+)*"
    r"(?:(?:let|allow|enable|help)\s+(?:the\s+|our\s+)?"
    + ROLE.pattern.removeprefix(r"\b")
    + r"\s+(?:to\s+)?)?",
    re.IGNORECASE,
)
_LEADING = re.compile(
    r"^(?:(?:be able to|to|also|easily|quickly|simply|just|automatically)\s+)*", re.IGNORECASE
)
_PASSIVE_OK = re.compile(
    r"be (?:notified|told|alerted|reminded|warned|shown|sent|emailed|offered|asked|redirected)\b",
    re.IGNORECASE,
)
_CLAUSE_END = re.compile(
    r"\s*(?:,|;|:|\s-\s|—|\bso that\b|\binstead of\b|\brather than\b|\bwithout\b|"
    r"\bso (?:they|we|it|the)\b|\bbecause\b|\bin order to\b|"
    r"\bwhich\b|\bunless\b|\bbut\b|\bas long as\b|\bsince\b|\be\.g\.)",
    re.IGNORECASE,
)
_GOAL = re.compile(
    r"\b(?:so that|so (?=(?:they|we|i|you|it)\b)|in order to|"
    r"the (?:goal|aim|point|objective) is(?: to)?|"
    r"(?=(?:reduce|cut|stop|avoid|improve|increase|save|prevent|speed up)\b))\s*"
    r"(?P<goal>[^.?!;\n]{3,160})",
    re.IGNORECASE,
)
_PROBLEM = re.compile(
    r"\b(?:because|the problem is(?: that)?|the issue is(?: that)?|currently|right now|"
    r"at the moment)\s*,?\s*(?P<problem>[^.?!;\n]{3,160})",
    re.IGNORECASE,
)
_SUCCESS = re.compile({k: p for k, _q, p in CORE_QUESTIONS}["success"], re.IGNORECASE)
_CONSTRAINT = re.compile(
    r"\d|[£$€]|\b(?:must|never|only|cannot|can't|at least|at most|no more than|up to|within|"
    r"maximum|minimum|limit|deadline|always|regulat\w*|law|legal|policy)\b",
    re.IGNORECASE,
)
_SUBJECT = re.compile(r"^(?:for|about|on|covering)\s+(?P<what>[^.?!;\n]{3,})", re.IGNORECASE)
_VAGUE = re.compile(
    r"^(?:this|that|it|these|those|them|the above|what we|everything|all of|the feature)\b",
    re.IGNORECASE,
)
_LEAD_IN = re.compile(
    r"^(?:(?:ok(?:ay)?|so|right|well|now|hi|hello)\W+)*(?:(?:(?:we(?:'re| are)|i(?:'m| am)) "
    r"(?:looking at|discussing|talking about|working on|thinking about)|let's (?:talk about|"
    r"discuss|look at)|the (?:next )?(?:feature|idea|topic) is(?: about)?|today(?:'s topic)? is)"
    r"\s+|(?:we(?:'re| are)|i(?:'m| am))\s+(?=\w+ing\b))",
    re.IGNORECASE,
)
_POSSESSIVE = re.compile(r"\b(?:their|his|her|your|our|my)\b", re.IGNORECASE)
_TRAILING = re.compile(
    r"(?:\s+(?:a|an|the|and|or|of|to|for|from|in|on|at|with|by|as|their|our|my|your|etc|too|"
    r"as well|also))+$",
    re.IGNORECASE,
)
TITLE_LENGTH = 60


def user_texts(conversation: Sequence[tuple[str, str]]) -> list[str]:
    """The analyst's messages (the offline assistant's own replies teach nothing)."""
    return [
        "\n".join(" ".join(line.split()) for line in text.replace("`", "'").splitlines())
        for role, text in conversation
        if role == "user" and text.strip()
    ]


def sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+|\n+", text) if s.strip()]


def _clause(text: str) -> str:
    cut = _CLAUSE_END.search(text)
    clause = text[: cut.start()] if cut else text
    return _TRAILING.sub("", clause.strip(" \t'\"“”")).strip()


def _capability(text: str, *, keep_role: bool = False) -> tuple[str, str]:
    """The first capability stated ("… to request a partial refund …") as said, and the
    benefit given in the same sentence ("… so that …"), if any. Without ``keep_role``,
    "let store managers override prices" becomes "override prices"."""
    for match in _CAPABILITY.finditer(text):
        what = (_LEADING if keep_role else _CAPABILITY_NOISE).sub("", match["what"].strip())
        first = what.split()[0].lower() if what.split() else ""
        if not first or first in _META_VERBS or requested_deliverable(what):
            continue
        if first == "be" and not _PASSIVE_OK.match(what):
            continue  # "refunds must be approved by finance" is a rule, not a capability
        clause = _clause(what)
        if len(clause.split()) >= 2:
            goal = _GOAL.search(what[len(clause) :])
            return clause, _clause(goal["goal"]) if goal else ""
    return "", ""


def shorten(text: str, length: int = TITLE_LENGTH) -> str:
    text = " ".join(text.split())
    if len(text) > length:
        text = text[: length + 1].rsplit(" ", 1)[0]
        text = _TRAILING.sub("", text)
    return text[:length].strip()


def sentence_case(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


def _first_match(pattern: re.Pattern[str], group: str, texts: Iterable[str]) -> str:
    for text in texts:
        for sentence in sentences(text):
            if requested_deliverable(sentence):
                continue
            match = pattern.search(sentence)
            if match:
                found = _clause(match[group])
                if len(found.split()) >= 2:
                    return found
    return ""


def feature_name(conversation: list[tuple[str, str]]) -> str:
    """A short sentence-case title for the feature discussed."""
    texts = user_texts(conversation)
    subject = ""
    for text in texts:  # "write user stories for partial refunds": the analyst named it
        for match in _requests(text):
            after = _SUBJECT.match(match["after"].strip()) if match["after"] else None
            if after and not _VAGUE.match(after["what"]):
                subject = _clause(after["what"])
    candidates = itertools.chain(
        [subject],
        (_capability(t, keep_role=True)[0] for t in texts),
        _described(texts),
    )
    for candidate in candidates:
        title = shorten(_POSSESSIVE.sub("the", candidate))
        if len(title.split()) >= 2:
            return sentence_case(title)
    topics = detect_topics(" ".join(texts))
    return topics[0].name if topics else "New feature"


def _described(texts: list[str]) -> Iterator[str]:
    """Sentences that describe something (not requests or small talk), lead-ins removed."""
    for text in texts:
        for sentence in sentences(text):
            if not requested_deliverable(sentence) and len(key_terms(sentence)) >= 2:
                yield _clause(_LEAD_IN.sub("", sentence))


@dataclass(frozen=True)
class Story:
    """One capability stated in the thread: who, what, and why if it was said."""

    role: str
    capability: str
    benefit: str


@dataclass(frozen=True)
class Brief:
    """What the conversation says about the feature, as the analyst said it."""

    feature: str
    capability: str
    benefit: str
    relief: str  # what it replaces ("emailing them to the claims mailbox"), if said
    roles: tuple[str, ...]
    stories: tuple[Story, ...]
    goal: str
    problem: str
    success: str
    constraints: tuple[str, ...]
    text: str
    topics: tuple[Topic, ...]


_REPLACED = re.compile(
    r"\b(?:instead of|rather than|without)\s+(?P<what>[^.?!;,\n]{3,120})|"
    r"\breplac(?:e|es|ed|ing)\s+(?P<old>[^.?!;,\n]{3,80}?)\s+with\b",
    re.IGNORECASE,
)


def _relief(texts: Iterable[str]) -> str:
    """What the feature replaces, as said: "instead of emailing them to …" → "emailing them
    to …", "replace email approvals with …" → "email approvals"."""
    for text in texts:
        match = _REPLACED.search(text)
        if match:
            return _TRAILING.sub("", (match["what"] or match["old"]).strip())
    return ""


def _stories(texts: list[str], main_role: str) -> tuple[Story, ...]:
    """Each distinct capability stated in the thread, with the role named in its sentence."""
    stories: list[Story] = []
    for text in texts:
        for sentence in sentences(text):
            if requested_deliverable(sentence):
                continue
            capability, benefit = _capability(sentence)
            if not capability or any(s.capability == capability for s in stories):
                continue
            before = sentence[: max(sentence.lower().find(capability.lower()), 0)]
            named = roles(before)
            stories.append(Story(named[-1] if named else main_role, capability, benefit))
    return tuple(stories[:4])


def _feature_topics(text: str, capability: str) -> tuple[Topic, ...]:
    """The conversation's topics, those of the capability itself first."""
    core = detect_topics(capability) if capability else []
    return tuple([*core, *(t for t in detect_topics(text) if t not in core)])


def read_brief(conversation: Sequence[tuple[str, str]]) -> Brief:
    texts = user_texts(conversation)
    joined = "\n".join(texts)
    capability, benefit = next((c for c in map(_capability, texts) if c[0]), ("", ""))
    constraints: list[str] = []
    success = ""
    for text in texts:
        for sentence in sentences(text):
            if requested_deliverable(sentence):
                continue
            if not success and _SUCCESS.search(sentence):
                success = sentence
            said = shorten(sentence, 200)
            if _CONSTRAINT.search(sentence) and said not in constraints:
                constraints.append(said)
    named = tuple(roles(joined))
    return Brief(
        feature=feature_name(list(conversation)),
        capability=capability,
        benefit=benefit,
        relief=_relief(texts),
        roles=named,
        stories=_stories(texts, named[0] if named else "user"),
        goal=_first_match(_GOAL, "goal", texts),
        problem=_first_match(_PROBLEM, "problem", texts),
        success=success,
        constraints=tuple(constraints[:5]),
        text=joined,
        topics=_feature_topics(joined, capability),
    )


# --- what else the analyst asks for -------------------------------------------------------------

_SUMMARY = re.compile(
    r"\b(?:summari[sz]e|summari[sz]ing|sum up|recap|tl;?dr|give me (?:an? )?(?:overview|gist)|"
    r"(?:a |an )?(?:summary|overview) of)\b",
    re.IGNORECASE,
)
_CHANGE = re.compile(
    r"^\W*(?:(?:ok(?:ay)?|right|great|thanks|now|and|then|also|please|can you|could you)\W+)*"
    r"(?:add|update|change|revise|edit|amend|extend|rework|rewrite|fix|remove|drop|rename|"
    r"adjust|tweak|modify|expand|refine|redo|include|split|merge)\b",
    re.IGNORECASE,
)
_NEW = re.compile(r"\b(?:new|separate|another|fresh)\b", re.IGNORECASE)


def wants_summary(text: str) -> bool:
    """The analyst asks for a summary of a document or of the documents."""
    return bool(_SUMMARY.search(text)) and requested_deliverable(text) is None


def wants_revision(text: str) -> bool:
    """The message asks to change a deliverable already in the thread ("Add acceptance
    criteria for the failure cases", "Update the story: …"), not for a new one."""
    return bool(_CHANGE.match(text)) and not _NEW.search(text)


# --- what the assistant already said ------------------------------------------------------------

_NUMBERED_QUESTION = re.compile(r"^\s*\d+[.)]\s+(?P<question>.+\?)\s*$", re.MULTILINE)
_QUOTE_LINE = re.compile(r"^>\s?(?P<quote>.+)$", re.MULTILINE)
_QUOTED = re.compile(r"“(?P<quote>[^”]{10,})”")
# What an earlier reply said the documents settle: "- **The refund window:** “…”" and
# "Also settled in the documents: the regions [..]; …".
_SETTLED_LABEL = re.compile(
    r"^(?:- \*\*([^*\n]+):\*\* “|Also settled in the documents: (.+)$)", re.M
)


def asked_before(conversation: Sequence[tuple[str, str]]) -> set[str]:
    """The numbered questions of the assistant's earlier replies."""
    return {
        match["question"].strip()
        for role, text in conversation
        if role == "assistant"
        for match in _NUMBERED_QUESTION.finditer(text)
    }


def quoted_before(conversation: Sequence[tuple[str, str]]) -> str:
    """What the assistant's earlier replies quoted from the documents, and what they said the
    documents settle: known, so not asked again."""
    quotes = [
        "".join(group for group in match.groups() if group)
        for role, text in conversation
        if role == "assistant"
        for pattern in (_QUOTE_LINE, _QUOTED, _SETTLED_LABEL)
        for match in pattern.finditer(text)
    ]
    return "\n".join(quotes)
