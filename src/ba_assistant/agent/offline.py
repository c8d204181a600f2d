"""The offline assistant: what answers when no AI model is configured.

A deterministic pydantic-ai ``FunctionModel`` that goes through the same agent and the same
tools as a real model: it searches the project's documents with the message's key terms,
says what they settle with citations, asks the questions left open (the most decisive first,
never one the documents or the thread answer, never one asked before), lists the edge cases
of this feature, and when asked for a deliverable saves a template artifact filled from the
thread, marking what must be confirmed. Asked to change a deliverable of the thread, it reads
it (ArtifactReader) and saves its next version (ArtifactGenerator with its ``artifact_id``).
Its replies stream word by word, and say plainly that no AI model is configured.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Mapping

from pydantic_ai.messages import ModelMessage
from pydantic_ai.models.function import AgentInfo, DeltaToolCall, DeltaToolCalls, FunctionModel

from ba_assistant.agent.context import NO_DOCUMENTS, ArtifactEntry
from ba_assistant.agent.offline_content import artifact_template
from ba_assistant.agent.offline_replies import Turn, compose
from ba_assistant.agent.offline_thread import (
    Deliverable,
    requested_deliverable,
    wants_revision,
    wants_summary,
)
from ba_assistant.agent.offline_words import key_terms

WORDS_PER_PAUSE = 4
PAUSE_SECONDS = 0.02
SEARCH_RESULTS = 3
SUMMARY_RESULTS = 8
DELIVERABLES: tuple[Deliverable, ...] = ("user_story", "acceptance_criteria", "requirements_doc")


def offline_model() -> FunctionModel:
    return FunctionModel(stream_function=_stream, model_name="offline")


async def _stream(
    messages: list[ModelMessage], info: AgentInfo
) -> AsyncIterator[str | DeltaToolCalls]:
    turn = Turn.read(messages)
    has_documents = NO_DOCUMENTS not in (info.instructions or "")
    call = _next_call(turn, has_documents=has_documents)
    if call is not None:
        yield {0: call}
        return
    async for piece in _words(compose(turn, has_documents=has_documents)):
        yield piece


def _next_call(turn: Turn, *, has_documents: bool) -> DeltaToolCall | None:
    """The tool the turn needs next, if any: a search, reading the deliverable to revise,
    saving a deliverable."""
    terms = key_terms(turn.subject)
    summary = wants_summary(turn.message)
    # The server searched with the message, an excerpt of each passage; the offline assistant
    # reads whole passages, to see everything they settle. A request for a deliverable
    # ("write the stories") has few words of its own: it searches with what the thread is about.
    if has_documents and terms and "DocumentSearch" not in turn.called:
        limit = SUMMARY_RESULTS if summary else SEARCH_RESULTS
        arguments = {"query": " ".join(terms), "max_results": limit}
        return _call("DocumentSearch", arguments, "offline-search")
    target = _revision_target(turn)
    if target is not None and "ArtifactGenerator" not in turn.called:
        if "ArtifactReader" not in turn.called:
            return _call("ArtifactReader", {"artifact_id": target.id}, "offline-read")
        kind = target.type if target.type in DELIVERABLES else "requirements_doc"
        title, content = artifact_template(
            kind,
            turn.conversation,
            turn.passages,
            revision=turn.message,
        )
        arguments = {
            "artifact_type": target.type,
            "title": target.title or title,
            "content": content,
            "artifact_id": target.id,
        }
        return _call("ArtifactGenerator", arguments, "offline-artifact")
    deliverable = requested_deliverable(turn.message)
    if target is None and deliverable is not None and "ArtifactGenerator" not in turn.called:
        title, content = artifact_template(deliverable, turn.conversation, turn.passages)
        arguments = {"artifact_type": deliverable, "title": title, "content": content}
        return _call("ArtifactGenerator", arguments, "offline-artifact")
    return None


def _revision_target(turn: Turn) -> ArtifactEntry | None:
    """The thread's deliverable the message asks to change: the one of the type it names
    (acceptance criteria live in the stories when there is no separate document of them),
    else the latest; none when the message names a type the thread does not have yet."""
    if not turn.artifacts or not wants_revision(turn.message):
        return None
    named = requested_deliverable(turn.message)
    if named is None:
        return turn.artifacts[0]
    for kind in (named, "user_story") if named == "acceptance_criteria" else (named,):
        match = next((a for a in turn.artifacts if a.type == kind), None)
        if match is not None:
            return match
    return None


def _call(name: str, arguments: Mapping[str, object], call_id: str) -> DeltaToolCall:
    return DeltaToolCall(name=name, json_args=json.dumps(arguments), tool_call_id=call_id)


async def _words(text: str) -> AsyncIterator[str]:
    pieces = re.findall(r"\S+\s*|\s+", text)
    for index, piece in enumerate(pieces, start=1):
        yield piece
        if index % WORDS_PER_PAUSE == 0:
            await asyncio.sleep(PAUSE_SECONDS)
