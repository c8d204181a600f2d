"""A steady, long discovery conversation against the fake Claude, for the memory test and the
memory benchmark: the analyst takes a decision at turn 3 and talks on for 40 turns.

The fake answers like the real service would for each kind of request: a turn gets an answer of
about 80 words; the memory request (the title model, asked to fold older messages) gets a
memory that keeps every line that states a decision, as a model told to keep them would; a
title request gets a title.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.conftest import ApiUser, read_events, wait_for_reply
from tests.fakes.llm_servers import RecordedRequest, Reply, Script, text

DECISION = "Decision: refunds over 250 euros need a team lead's approval within 2 working days."
TOPICS = (
    "partial refunds for damaged items",
    "refunds to an expired card",
    "store credit instead of money back",
    "refunds on discounted bundles",
    "the refund status page",
    "refund notifications by email",
    "refunds for marketplace sellers",
    "the monthly refund report for finance",
)
POLICY = "\n\n".join(
    [
        "# Refund policy",
        "Customers may ask for a refund within 30 days of delivery. Refunds go back to the "
        "original payment method within 5 working days of approval.",
        "Partial refunds are allowed for damaged or missing items. The agent records the reason "
        "and attaches a photo of the damage when the customer sends one.",
        "Store credit may be offered instead of money back only when the customer agrees in "
        "writing. Store credit expires after 12 months.",
    ]
)
_TURN = re.compile(r"Turn (\d+):")


def analyst_message(turn: int) -> str:
    topic = TOPICS[turn % len(TOPICS)]
    said = (
        f"Turn {turn}: let us look at {topic}. The support team handles about 400 refund "
        "requests a week, most of them under 50 euros, and the agents want fewer clicks per "
        "request. What would you ask the room about this part, and what could go wrong?"
    )
    return f"{said} {DECISION}" if turn == 3 else said


def claude_reply(turn: int) -> str:
    topic = TOPICS[turn % len(TOPICS)]
    return (
        f"On {topic} (turn {turn}): first, who may approve it and up to which amount; second, "
        "what the customer sees while it waits; third, what happens when the payment provider "
        "rejects the refund. Edge cases: a refund requested twice, a card that expired, a "
        "partial refund larger than what is left on the order. Next step: confirm the approver "
        "for amounts over the agent's limit, then I can draft the acceptance criteria."
    )


def _system(body: dict[str, Any]) -> str:
    system = body.get("system")
    if isinstance(system, list):
        return " ".join(str(block.get("text", "")) for block in system)
    return str(system or "")


def _last_user_text(body: dict[str, Any]) -> str:
    for message in reversed(body.get("messages", [])):
        if message.get("role") != "user":
            continue
        content = message["content"]
        if isinstance(content, str):
            return content
        return "\n".join(b.get("text", "") for b in content if b.get("type") == "text")
    return ""


def respond(request: RecordedRequest) -> Script:
    """What the fake answers when nothing is queued."""
    body = request.json
    system = _system(body)
    if "running memory" in system:
        kept = sorted(set(re.findall(r"Decision: [^\n<]*?\.(?=\s|$)", _last_user_text(body))))
        memory = "Feature: refunds in the support tool.\nDecisions:\n" + "\n".join(
            f"- {line}" for line in kept
        )
        return Reply(text(memory))
    if "Write a title" in system:
        return Reply(text("Refunds in the support tool"))
    found = _TURN.findall(_last_user_text(body))
    return Reply(text(claude_reply(int(found[-1]) if found else 0)))


@dataclass(frozen=True)
class Turn:
    number: int
    input_tokens: int  # everything the model read, cached or not
    cache_read_tokens: int
    cache_write_tokens: int
    output_tokens: int
    request: dict[str, Any]  # the turn's (first) request to the model

    @property
    def cached_share(self) -> float:
        return self.cache_read_tokens / self.input_tokens if self.input_tokens else 0.0


def converse(
    user: ApiUser,
    thread_id: str,
    turns: int,
    *,
    requests: Callable[[], list[RecordedRequest]],
    settle: Callable[[], None],
) -> list[Turn]:
    """Plays the conversation; after each reply, waits for the thread's background work (the
    memory fold) so every turn starts from the same state a calm meeting would give it."""
    results = []
    for number in range(1, turns + 1):
        before = len(requests())
        response = user.post(
            f"/api/threads/{thread_id}/messages", json={"content": analyst_message(number)}
        )
        assert response.status_code == 201, response.text
        events = read_events(user, response.json()["stream_url"])
        wait_for_reply(user, thread_id)
        settle()
        complete = events[-1]
        assert complete.event == "complete", complete.data
        mine = [r for r in requests()[before:] if "running memory" not in _system(r.json)]
        results.append(
            Turn(
                number=number,
                input_tokens=complete.data["input_tokens"],
                cache_read_tokens=complete.data["cache_read_tokens"],
                cache_write_tokens=complete.data["cache_write_tokens"],
                output_tokens=complete.data["output_tokens"],
                request=mine[0].json,
            )
        )
    return results
