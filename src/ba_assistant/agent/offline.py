"""The offline assistant: what answers when no AI model is configured.

A deterministic pydantic-ai ``FunctionModel`` that goes through the same agent and the same
tools as a real model: it searches the project's documents with the message's key terms, quotes
the best passages with citations, asks the most relevant discovery questions for the topics it
recognises, lists edge cases to check, and when asked for a deliverable saves a template
artifact filled from the thread, marking what must be confirmed. Its replies stream word by
word, and say plainly that no AI model is configured and how to set one.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Mapping

from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    TextPart,
    ToolCallPart,
    ToolReturnPart,
    UserPromptPart,
)
from pydantic_ai.models.function import AgentInfo, DeltaToolCall, DeltaToolCalls, FunctionModel

from ba_assistant.agent.offline_content import (
    Passage,
    artifact_template,
    detect_topics,
    discovery_questions,
    edge_cases,
    key_terms,
    requested_deliverable,
)
from ba_assistant.agent.tools import ARTIFACT_LABELS

WORDS_PER_PAUSE = 4
PAUSE_SECONDS = 0.02
QUOTE_WORDS = 45
NOTICE = (
    "*Offline assistant: no AI model is configured, so I am working from this project's "
    "documents and a standard discovery checklist. To talk this through with Claude, set "
    "`ANTHROPIC_API_KEY` (or `AI_PROVIDER=openai` with `OPENAI_API_KEY`) and restart the "
    "server.*"
)
_PASSAGE = re.compile(r'<document name="(.*?)" passage="(\d+)">\n(.*?)\n</document>', re.DOTALL)
NO_DOCUMENTS = "No documents have been uploaded to this project yet."


def offline_model() -> FunctionModel:
    return FunctionModel(stream_function=_stream, model_name="offline")


async def _stream(
    messages: list[ModelMessage], info: AgentInfo
) -> AsyncIterator[str | DeltaToolCalls]:
    turn = _Turn.read(messages)
    has_documents = NO_DOCUMENTS not in (info.instructions or "")
    terms = key_terms(turn.subject)
    if has_documents and terms and "DocumentSearch" not in turn.called:
        query = " ".join(terms)
        yield {0: _call("DocumentSearch", {"query": query, "max_results": 3}, "offline-search")}
        return
    deliverable = requested_deliverable(turn.message)
    if deliverable is not None and "ArtifactGenerator" not in turn.called:
        title, content = artifact_template(deliverable, turn.conversation, turn.passages)
        arguments = {"artifact_type": deliverable, "title": title, "content": content}
        yield {0: _call("ArtifactGenerator", arguments, "offline-artifact")}
        return
    async for piece in _words(compose(turn, has_documents=has_documents)):
        yield piece


def _call(name: str, arguments: Mapping[str, object], call_id: str) -> DeltaToolCall:
    return DeltaToolCall(name=name, json_args=json.dumps(arguments), tool_call_id=call_id)


async def _words(text: str) -> AsyncIterator[str]:
    pieces = re.findall(r"\S+\s*|\s+", text)
    for index, piece in enumerate(pieces, start=1):
        yield piece
        if index % WORDS_PER_PAUSE == 0:
            await asyncio.sleep(PAUSE_SECONDS)


class _Turn:
    """The analyst's latest message and what the tools have done for it so far."""

    def __init__(self) -> None:
        self.message = ""
        self.conversation: list[tuple[str, str]] = []
        self.called: set[str] = set()
        self.passages: list[Passage] = []
        self.search_query: str | None = None
        self.searched_nothing = False
        self.artifact_title: str | None = None
        self.artifact_type: str | None = None

    @property
    def subject(self) -> str:
        """What to search and ask about: the latest message, or when it only asks for a
        deliverable ("write the user stories"), everything the analyst said in the thread."""
        if requested_deliverable(self.message) is None:
            return self.message
        return "\n".join(text for role, text in self.conversation if role == "user")

    @classmethod
    def read(cls, messages: list[ModelMessage]) -> _Turn:
        turn = cls()
        for message in messages:
            if isinstance(message, ModelRequest):
                for part in message.parts:
                    if isinstance(part, UserPromptPart) and isinstance(part.content, str):
                        turn.conversation.append(("user", part.content))
                        turn.message = part.content
                        turn.called.clear()
                        turn.passages.clear()
                        turn.searched_nothing = False
                        turn.artifact_title = turn.artifact_type = None
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
            found = [
                Passage(name, int(number), text.strip())
                for name, number, text in _PASSAGE.findall(content)
            ]
            self.passages = found
            self.searched_nothing = not found


GETTING_STARTED = (
    "Tell me about the feature you are exploring: what it is, who it is for, and the problem it "
    "solves. I will ask the questions that matter most, search this project's documents and "
    "cite them, list the edge cases to check, and draft user stories, acceptance criteria or a "
    "requirements document when you are ready."
)


def compose(turn: _Turn, *, has_documents: bool) -> str:
    if not key_terms(turn.subject) and not detect_topics(turn.subject):
        return f"{NOTICE}\n\n{GETTING_STARTED}"  # small talk, or nothing to go on yet
    sections = [NOTICE]
    understood = _first_sentence(turn.message)
    if understood and requested_deliverable(turn.message) is None:
        sections.append(f"**What I understood:** {understood}")
    sections.append(_documents_section(turn, has_documents=has_documents))
    if turn.artifact_title is not None:
        label = ARTIFACT_LABELS.get(turn.artifact_type or "custom", "document")
        sections.append(
            f"I drafted the {label} **{turn.artifact_title}** from what has been said so far: "
            "open the card below. Everything marked **To confirm** still needs an answer "
            "from the room."
        )
    questions = discovery_questions(turn.subject, limit=5)
    if questions:
        numbered = "\n".join(f"{n}. {q}" for n, q in enumerate(questions, start=1))
        sections.append(f"**Questions to ask next**\n\n{numbered}")
    cases = edge_cases(turn.subject, limit=4) if detect_topics(turn.subject) else []
    if cases:
        listed = "\n".join(f"- **{category.capitalize()}:** {case}" for category, case in cases)
        sections.append(f"**Edge cases to check**\n\n{listed}")
    sections.append(
        "Say *write the user stories*, *draft acceptance criteria* or *write a requirements "
        "document* when you are ready, and I will turn this thread into a first draft."
        if turn.artifact_title is None
        else "Tell me what the room decides and I will update the draft."
    )
    return "\n\n".join(section for section in sections if section)


def _documents_section(turn: _Turn, *, has_documents: bool) -> str:
    if not has_documents:
        return (
            "This project has no documents yet. Upload policies, specifications or meeting "
            "notes and I will search them and cite what they say."
        )
    if turn.passages:
        quotes = "\n\n".join(
            f"> {_excerpt(p.text)}\n> [{p.document_name}, passage {p.passage}]"
            for p in turn.passages
        )
        return f"**What the documents say**\n\n{quotes}"
    if turn.search_query:
        return (
            f"I searched this project's documents for *{turn.search_query}* and found nothing "
            "on it: the documents do not seem to cover this yet, so treat it as an open question."
        )
    return ""


def _excerpt(text: str) -> str:
    plain = re.sub(r"(?m)^\s{0,3}(#{1,6}|[-*+]|\d+[.)])\s+", "", text)
    words = plain.split()
    short = " ".join(words[:QUOTE_WORDS])
    return short + (" …" if len(words) > QUOTE_WORDS else "")


def _first_sentence(text: str) -> str:
    flat = " ".join(text.split())
    match = re.match(r"(.+?[.!?])(\s|$)", flat)
    sentence = match.group(1) if match else flat
    return sentence if len(sentence) <= 300 else sentence[:297].rstrip() + "…"
