"""What a long thread costs: input tokens and the share read from the prompt cache, turn by
turn, in a steady 40-turn conversation with the fake Claude (its prompt-cache simulation
follows Anthropic's rules: breakpoints, 20-block lookback, 1,024-token minimum).

Run: .venv/bin/python bench/memory.py [--turns 40] [--history-messages 20]

Two runs in the same process: the product as configured (a window of at most
AI_HISTORY_MESSAGES after the thread's memory, moving in steps), and a baseline that sends the
whole thread every turn (AI_HISTORY_MESSAGES=200, no memory needed). The token counts come from
the `complete` event of each reply, which is what the product stores and bills.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fastapi.testclient import TestClient
from tests.agent.conftest import claude_settings
from tests.conftest import make_app, sign_in
from tests.fakes.llm_servers import FakeAnthropic
from tests.fakes.long_thread import DECISION, POLICY, Turn, converse, respond

SHOWN = (1, 10, 20, 30, 40)


def run(turns: int, **settings: Any) -> tuple[list[Turn], float]:
    with FakeAnthropic(default_reply=respond) as fake, tempfile.TemporaryDirectory() as tmp:
        app = make_app(claude_settings(fake, Path(tmp) / "data", **settings))
        started = time.perf_counter()
        with TestClient(app) as client:
            user = sign_in(client, "ann@example.com")
            project = user.project("Refunds")
            user.document(project["id"], "Refund policy.md", POLICY)
            thread = user.thread(project["id"], title="Refunds in the support tool")
            portal = client.portal
            assert portal is not None
            played = converse(
                user,
                thread["id"],
                turns,
                requests=lambda: fake.requests,
                settle=lambda: portal.call(app.state.runs.settled, thread["id"]),
            )
        app.state.db.dispose()
        return played, time.perf_counter() - started


def carries_decision(turn: Turn) -> bool:
    return DECISION in json.dumps(turn.request["messages"])


def table(name: str, played: list[Turn]) -> list[dict[str, Any]]:
    print(f"\n{name}")
    heading = f"{'turn':>5} {'input':>8} {'cache read':>11} {'cache write':>12} {'cached':>7}"
    print(f"{heading}  turn 3's decision")
    rows = []
    for turn in played:
        if turn.number not in SHOWN and turn.number != len(played):
            continue
        row = {
            "turn": turn.number,
            "input_tokens": turn.input_tokens,
            "cache_read_tokens": turn.cache_read_tokens,
            "cache_write_tokens": turn.cache_write_tokens,
            "cached_share": round(turn.cached_share, 3),
            "carries_decision": carries_decision(turn),
        }
        rows.append(row)
        print(
            f"{turn.number:>5} {turn.input_tokens:>8,} {turn.cache_read_tokens:>11,} "
            f"{turn.cache_write_tokens:>12,} {turn.cached_share:>6.0%}  "
            f"{'yes' if row['carries_decision'] else 'no'}"
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--turns", type=int, default=40)
    parser.add_argument("--history-messages", type=int, default=20)
    args = parser.parse_args()

    windowed, windowed_s = run(args.turns, ai_history_messages=args.history_messages)
    whole, whole_s = run(args.turns, ai_history_messages=200, ai_history_tokens=500_000)
    results = {
        "turns": args.turns,
        "windowed": table(
            f"Window of {args.history_messages} messages after the memory ({windowed_s:.1f} s)",
            windowed,
        ),
        "whole_thread": table(f"Baseline: the whole thread every turn ({whole_s:.1f} s)", whole),
    }
    last, middle = windowed[-1], windowed[len(windowed) // 2 - 1]
    ratio = last.input_tokens / middle.input_tokens
    print(
        f"\nturn {last.number} / turn {middle.number} input: {ratio:.2f}; "
        f"turn {last.number} input vs the whole thread: "
        f"{last.input_tokens / whole[-1].input_tokens:.2f}"
    )
    out = Path(__file__).parent / "results" / f"memory-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(f"written {out}")


if __name__ == "__main__":
    main()
