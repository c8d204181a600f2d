"""What the offline assistant writes: its reading of the turn (the analyst's message, the
passages found, the tools called) and the reply, shaped as a senior BA's would be.

A first reply reads: what I understood; what the documents settle, with citations, or that
they are silent; at most five questions, the most decisive first; the edge cases of this
feature, as statements; one next step. About 250 words, short enough to read out in a
meeting. Follow-ups note what the room decided and ask only what is still open.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    TextPart,
    ToolCallPart,
    ToolReturnPart,
    UserPromptPart,
)

from ba_assistant.agent.context import (
    ArtifactEntry,
    is_context_block,
    read_artifacts,
    read_documents,
)
from ba_assistant.agent.offline_content import negative_paths
from ba_assistant.agent.offline_discovery import (
    Discovery,
    Settled,
    discover,
    instructions_to_ai,
    sentences,
    situation,
    speaks_to_ai,
    without_instructions,
)
from ba_assistant.agent.offline_thread import (
    asked_before,
    quoted_before,
    read_brief,
    requested_deliverable,
    wants_summary,
)
from ba_assistant.agent.offline_words import Passage, key_terms
from ba_assistant.agent.tools import ARTIFACT_LABELS
from ba_assistant.documents.excerpts import excerpt

NOTICE = (
    "*Offline assistant: no AI model is configured, so I am working from this project's "
    "documents and a standard discovery checklist. For Claude, set `ANTHROPIC_API_KEY` (or "
    "`AI_PROVIDER=openai` with `OPENAI_API_KEY`) and restart the server.*"
)
GETTING_STARTED = (
    "Tell me about the feature you are exploring: what it is, who it is for, and the problem it "
    "solves. I will ask the questions that matter most, search this project's documents and "
    "cite them, list the edge cases to check, and draft user stories, acceptance criteria or a "
    "requirements document when you are ready."
)
QUOTE_WORDS = 25
SETTLED_SHOWN = 2
WORD_BUDGET = 350  # before the next step: the whole reply stays under about 380
MIN_EDGE_CASES = 3
SUMMARY_SENTENCES = 7
_MARKERS = re.compile(r"(?m)(^|… )\s*(?:[-*+]|\d+[.)]|#{1,6})\s+")
_FAQ_QUESTION = re.compile(r"(?<![^\s…])[A-Z][^.!?\n“”]{2,120}\?(?:\s+|$)")
_QUERY = re.compile(r'<passages source="[^"]*" query="([^"]*)">')
_VERSION = re.compile(r'<artifact artifact_id="[^"]*" type="[^"]*" version="(\d+)"')
_RULE = re.compile(
    r"\d|\b(?:must|only|cannot|can't|never|may|within|at least|at most|up to|before|after|"
    r"unless|paid by|decides?|final|reviewed|approved|verified|required|escalat\w*)\b",
    re.IGNORECASE,
)


class Turn:
    """The analyst's latest message and what the tools have done for it so far."""

    def __init__(self) -> None:
        self.message = ""
        self.conversation: list[tuple[str, str]] = []
        self.called: set[str] = set()
        self.passages: list[Passage] = []
        self.search_query: str | None = None
        self.artifact_title: str | None = None
        self.artifact_type: str | None = None
        self.revised_from: int | None = None  # the version read before revising
        self.artifacts: list[ArtifactEntry] = []

    @property
    def subject(self) -> str:
        """What to search and ask about: the latest message, or when it only asks for a
        deliverable ("write the user stories"), everything the analyst said in the thread."""
        if requested_deliverable(self.message) is None:
            return self.message
        return "\n".join(text for role, text in self.conversation if role == "user")

    @property
    def said(self) -> str:
        """Everything the analyst said in the thread."""
        return "\n".join(text for role, text in self.conversation if role == "user")

    @property
    def earlier(self) -> list[tuple[str, str]]:
        """The conversation before the latest message."""
        return self.conversation[:-1]

    @classmethod
    def read(cls, messages: list[ModelMessage]) -> Turn:
        turn = cls()
        for message in messages:
            if isinstance(message, ModelRequest):
                for part in message.parts:
                    if isinstance(part, UserPromptPart):
                        turn._prompted(part)
                    elif isinstance(part, ToolReturnPart):
                        turn._tool_returned(part)
            elif isinstance(message, ModelResponse):
                text = "".join(p.content for p in message.parts if isinstance(p, TextPart))
                if text:
                    turn.conversation.append(("assistant", text))
                for response_part in message.parts:
                    if isinstance(response_part, ToolCallPart):
                        turn._tool_called(response_part)
        return turn

    def _prompted(self, part: UserPromptPart) -> None:
        """A user turn: the analyst's message (the last text), after the context blocks the
        server added (the memory, the first search's passages, the thread's artifacts)."""
        texts = (
            [part.content]
            if isinstance(part.content, str)
            else [c for c in part.content if isinstance(c, str)]
        )
        said = [t for t in texts if not is_context_block(t)]
        if not said:  # the memory alone, before the window's first message
            return
        self.message = said[-1]
        self.conversation.append(("user", self.message))
        self.called.clear()
        self.passages = []
        self.search_query = None
        self.artifact_title = self.artifact_type = None
        self.revised_from = None
        self.artifacts = []
        for block in texts:
            if block.startswith("<passages "):
                query = _QUERY.search(block)
                self.search_query = query.group(1) if query else ""
                self.passages = [Passage(n, i, t.strip()) for n, i, t in read_documents(block)]
            if "<thread_artifacts>" in block:
                self.artifacts = read_artifacts(block)

    def _tool_called(self, part: ToolCallPart) -> None:
        self.called.add(part.tool_name)
        arguments = part.args_as_dict()
        if part.tool_name == "DocumentSearch":
            self.search_query = str(arguments.get("query", ""))
        elif part.tool_name == "ArtifactGenerator":
            self.artifact_title = str(arguments.get("title", ""))
            self.artifact_type = str(arguments.get("artifact_type", "custom"))

    def _tool_returned(self, part: ToolReturnPart) -> None:
        content = part.model_response_str()
        if part.tool_name == "DocumentSearch":
            found = [Passage(n, i, t.strip()) for n, i, t in read_documents(content)]
            # Whole passages replace the first search's excerpts of the same passages.
            whole = {(p.document_name, p.passage) for p in found}
            earlier = [p for p in self.passages if (p.document_name, p.passage) not in whole]
            self.passages = [*found, *earlier]
        elif part.tool_name == "ArtifactReader":
            version = _VERSION.search(content)
            self.revised_from = int(version.group(1)) if version else None


# --- the reply ----------------------------------------------------------------------------------


def compose(turn: Turn, *, has_documents: bool) -> str:
    if not key_terms(turn.subject) and not discover(turn.subject, questions=0).topics:
        return f"{NOTICE}\n\n{GETTING_STARTED}"  # small talk, or nothing to go on yet
    if wants_summary(turn.message):
        return _summary(turn, has_documents=has_documents)
    if turn.artifact_title is not None:
        return _deliverable(turn, has_documents=has_documents)
    return _discovery(turn, has_documents=has_documents)


def _found(turn: Turn) -> Discovery:
    return discover(
        turn.said,
        turn.passages,
        known=quoted_before(turn.earlier),
        asked=asked_before(turn.earlier),
    )


def _discovery(turn: Turn, *, has_documents: bool) -> str:
    found = _found(turn)
    first = not any(role == "assistant" for role, _text in turn.earlier)
    sections = [NOTICE, _understood(turn, found, first=first)]
    sections.append(_documents(turn, found, has_documents=has_documents))
    sections.append(_questions(found.questions, "Questions to ask next, most decisive first"))
    earlier = " ".join(text for role, text in turn.earlier if role == "assistant")
    cases = [(c, s) for c, s in _situations(found) if s not in earlier]
    # About 250 words, to read out in a meeting: fewer edge cases (never under 3) when long.
    while len(cases) > MIN_EDGE_CASES and _length([*sections, *cases]) > WORD_BUDGET:
        cases.pop()
    if cases:
        listed = "\n".join(f"- **{category.capitalize()}:** {s}." for category, s in cases)
        sections.append(f"**Edge cases for this feature**\n\n{listed}")
    sections.append(
        "**Next step:** take questions 1 and 2 to the room, then say *write the user stories* "
        "(or *acceptance criteria*, or *a requirements document*) and I will draft it."
    )
    return "\n\n".join(section for section in sections if section)


def _length(parts: Sequence[str | tuple[str, str]]) -> int:
    text = " ".join(p if isinstance(p, str) else " ".join(p) for p in parts)
    return len(re.findall(r"[\w£€$%'’-]+", text))


def _situations(found: Discovery) -> list[tuple[str, str]]:
    return [(category, situation(case)[0]) for category, case in found.edge_cases]


def _deliverable(turn: Turn, *, has_documents: bool) -> str:
    found = _found(turn)
    label = ARTIFACT_LABELS.get(turn.artifact_type or "custom", "document")
    brief = read_brief(turn.conversation)
    paths = negative_paths(brief) if turn.artifact_type != "requirements_doc" else []
    assumed = sum(not raised for _path, raised in paths)
    if turn.revised_from is not None:
        done = (
            f"I updated the {label} **{turn.artifact_title}** to version {turn.revised_from + 1}"
            " from what you asked and what the thread says: its card, where it was first"
            " written, now opens the new version."
        )
    else:
        done = (
            f"I drafted the {label} **{turn.artifact_title}** from what has been said so far: "
            "open its card in this reply."
        )
    if paths:
        done += (
            f" It includes {len(paths)} standard negative paths for this kind of feature; "
            f"{assumed} of them nobody has confirmed yet, so they are marked *Assumption (to "
            "confirm)*."
        )
    done += " Everything marked **To confirm** still needs an answer from the room."
    sections = [NOTICE, done]
    settled = _settled_lines(found.settled[:2], turn.passages)
    if settled:
        sections.append("**Rules from the documents in the draft**\n\n" + "\n".join(settled))
    elif has_documents and not turn.passages:
        sections.append("The documents say nothing on this, so the draft relies on the thread.")
    sections.append(_questions(found.questions[:3], "Still open"))
    sections.append("**Next step:** tell me what the room decides and I will update the draft.")
    return "\n\n".join(section for section in sections if section)


def _summary(turn: Turn, *, has_documents: bool) -> str:
    if not turn.passages:
        silent = (
            "This project has no documents yet, so there is nothing to summarise."
            if not has_documents
            else f"I searched this project's documents for *{turn.search_query}* and found "
            "nothing to summarise. Tell me the document's name and I will look again."
        )
        return f"{NOTICE}\n\n{silent}"
    passages = _focus(turn.passages, turn.message)
    names = list(dict.fromkeys(p.document_name for p in passages))
    lines: list[str] = []
    for passage in sorted(passages, key=lambda p: (names.index(p.document_name), p.passage)):
        rules = [s for s in sentences(passage.text) if _RULE.search(s) and not speaks_to_ai(s)]
        for rule in rules[:3]:
            if len(lines) < SUMMARY_SENTENCES:
                lines.append(f"- {_quote(passage, rule, len(rule.split()))}")
    title = " and ".join(f"*{n}*" for n in names)
    sections = [NOTICE, f"**Summary of {title}**, in its own words:\n\n" + "\n".join(lines)]
    sections.append(_injections(turn.passages))
    found = _found(turn)
    sections.append(_questions(found.questions[:3], "What it leaves open"))
    sections.append(
        "**Next step:** tell me the feature you are discussing in the meeting, and I will "
        "check it against these rules and list the questions and edge cases."
    )
    return "\n\n".join(section for section in sections if section)


def _focus(passages: Sequence[Passage], message: str) -> list[Passage]:
    """The passages of the document the message names ("the refund policy"), else all."""
    terms = {w for term in key_terms(message) for w in term.split()}
    names = list(dict.fromkeys(p.document_name for p in passages))
    scores = {n: len(terms & set(re.findall(r"[a-z]+", n.lower()))) for n in names}
    best = max(scores.values(), default=0)
    chosen = [n for n in names if scores[n] == best]
    if best == 0 or len(chosen) != 1:
        return list(passages)
    return [p for p in passages if p.document_name == chosen[0]]


# --- sections -----------------------------------------------------------------------------------


def _understood(turn: Turn, found: Discovery, *, first: bool) -> str:
    statements = [s for s in sentences(turn.message) if not s.rstrip().endswith("?")]
    restated = " ".join(_to_you(s) for s in statements[: 1 if first else 2])
    topics = [t.name.lower() for t in found.topics[:3]]
    touches = f" It touches {_joined(topics)}." if topics else ""
    if first or not restated:
        return f"**What I understood:** {restated or _to_you(turn.message)}{touches}"
    return f"**What I understood from the room:** {restated}"


_PRONOUNS = {
    "we": "you",
    "we're": "you're",
    "we've": "you've",
    "i": "you",
    "i'm": "you're",
    "i've": "you've",
    "our": "your",
    "my": "your",
    "us": "you",
    "me": "you",
}


def _to_you(sentence: str) -> str:
    """The analyst's sentence as said back to them: "We want …" → "You want …"."""
    said = re.sub(
        r"\b(we're|we've|we|i'm|i've|i|our|my|us|me)\b",
        lambda m: _PRONOUNS[m[1].lower()],
        sentence.strip(),
        flags=re.IGNORECASE,
    )
    said = said[:1].upper() + said[1:]
    return said if said.endswith((".", "!", "?")) else said + "."


def _joined(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _documents(turn: Turn, found: Discovery, *, has_documents: bool) -> str:
    if not has_documents:
        return (
            "This project has no documents yet. Upload policies, specifications or meeting "
            "notes and I will search them and cite what they say."
        )
    if not turn.passages:
        query = turn.search_query or " ".join(key_terms(turn.subject))
        return (
            f"**What the documents say:** nothing on this. I searched for *{query}* and the "
            "documents are silent, so treat it as an open question."
        )
    lines = _settled_lines(found.settled[:SETTLED_SHOWN], turn.passages)
    cited = {(s.passage.document_name, s.passage.passage) for s in found.settled[:SETTLED_SHOWN]}
    query = turn.search_query or " ".join(key_terms(turn.subject))
    for passage in turn.passages:
        if len(lines) >= 2:
            break
        if (passage.document_name, passage.passage) not in cited and _useful(passage):
            lines.append(f"- {_quote(passage, query)}")
    also = [
        f"{item.about} [{item.passage.document_name}, passage {item.passage.passage}]"
        for item in found.settled[SETTLED_SHOWN : SETTLED_SHOWN + 4]
    ]
    if also:
        lines.append(f"Also settled in the documents: {'; '.join(also)}.")
    head = "**What the documents say**"
    sections = [head + "\n\n" + "\n".join(lines), _injections(turn.passages)]
    return "\n\n".join(section for section in sections if section)


def _useful(passage: Passage) -> bool:
    return len(without_instructions(passage.text).split()) >= 8


def _settled_lines(settled: Sequence[Settled], passages: Sequence[Passage]) -> list[str]:
    """One line per quote that settles questions, naming what it settles."""
    quotes: dict[str, list[str]] = {}
    for item in settled:
        quote = _quote(item.passage, item.sentence, len(item.sentence.split()))
        quotes.setdefault(quote, []).append(item.about)
    lines = []
    for quote, about in quotes.items():
        label = _joined(about)
        lines.append(f"- **{label[:1].upper() + label[1:]}:** {quote}")
    return lines


def _quote(passage: Passage, query: str, words: int = QUOTE_WORDS) -> str:
    """Whole sentences of the passage around ``query`` (never one addressed to an AI); with
    ``words`` no more than the sentence's own, the deciding sentence alone."""
    text = excerpt(without_instructions(passage.text), query, max_words=words)
    text = _MARKERS.sub(r"\1", text.replace("`", "'"))
    text = _FAQ_QUESTION.sub("", text)  # a FAQ's question: its answer is what the passage says
    text = " ".join(text.split())
    return f"“{text}” [{passage.document_name}, passage {passage.passage}]"


def _injections(passages: Sequence[Passage]) -> str:
    flagged = instructions_to_ai(passages)
    if not flagged:
        return ""
    where = _joined([f"[{p.document_name}, passage {p.passage}]" for p in flagged])
    return (
        f"**Text addressed to an AI:** {where} {'contain' if len(flagged) > 1 else 'contains'} "
        "instructions to AI tools. I have not followed them: they are not requirements, and "
        "the document's owner should remove them."
    )


def _questions(questions: Sequence[str], heading: str) -> str:
    if not questions:
        return ""
    numbered = "\n".join(f"{n}. {q}" for n, q in enumerate(questions, start=1))
    return f"**{heading}**\n\n{numbered}"
