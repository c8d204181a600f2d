"""What we know about Claude models: which are current, which are retired, and since when.

Requests to a retired model fail (the API answers 404), so a server configured with one refuses
to start instead of answering every message with an error. The dates come from the installed
``anthropic`` SDK's own table of deprecated models, and from our table below for models the
SDK has since dropped (it removes a model once it is retired), both after Anthropic's model
deprecations page: https://platform.claude.com/docs/en/about-claude/model-deprecations
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

from ba_assistant.config import DEFAULT_CLAUDE_MODEL, DEFAULT_CLAUDE_TITLE_MODEL

# Retired models, with the day requests to them began to fail.
RETIRED: dict[str, date] = {
    "claude-2.0": date(2025, 7, 21),
    "claude-2.1": date(2025, 7, 21),
    "claude-instant-1.2": date(2024, 11, 6),
    "claude-3-sonnet-20240229": date(2025, 7, 21),
    "claude-3-opus-20240229": date(2026, 1, 5),
    "claude-3-opus-latest": date(2026, 1, 5),
    "claude-3-5-sonnet-20240620": date(2025, 10, 28),
    "claude-3-5-sonnet-20241022": date(2025, 10, 28),
    "claude-3-5-sonnet-latest": date(2025, 10, 28),
    "claude-3-7-sonnet-20250219": date(2026, 2, 19),
    "claude-3-7-sonnet-latest": date(2026, 2, 19),
    "claude-3-5-haiku-20241022": date(2026, 2, 19),
    "claude-3-5-haiku-latest": date(2026, 2, 19),
    "claude-3-haiku-20240307": date(2026, 4, 20),
    "claude-opus-4-0": date(2026, 6, 15),
    "claude-opus-4-20250514": date(2026, 6, 15),
    "claude-sonnet-4-0": date(2026, 6, 15),
    "claude-sonnet-4-20250514": date(2026, 6, 15),
    "claude-mythos-preview": date(2026, 6, 30),
    "claude-opus-4-1": date(2026, 8, 5),
    "claude-opus-4-1-20250805": date(2026, 8, 5),
    "claude-sonnet-4-5": date(2026, 11, 30),
    "claude-sonnet-4-5-20250929": date(2026, 11, 30),
}

_SDK_DATE = re.compile(r"([A-Z][a-z]+) (\d{1,2})(?:st|nd|rd|th)?, (\d{4})")


@dataclass(frozen=True)
class Retirement:
    model: str
    on: date

    def passed(self, today: date | None = None) -> bool:
        return self.on <= (today or datetime.now(UTC).date())

    @property
    def day(self) -> str:
        return f"{self.on.day} {self.on:%B %Y}"


def _sdk_table() -> dict[str, date]:
    try:
        from anthropic._data import DEPRECATED_MODELS
    except ImportError:  # pragma: no cover - the SDK moved its table; ours still applies
        return {}
    table: dict[str, date] = {}
    for model, when in DEPRECATED_MODELS.items():
        match = _SDK_DATE.fullmatch(when.strip())
        if match:
            month, day, year = match.groups()
            table[model] = datetime.strptime(f"{day} {month} {year}", "%d %B %Y").date()
    return table


def retirement(model: str) -> Retirement | None:
    """When Anthropic retires (or retired) this model, if it has announced it."""
    known = {**RETIRED, **_sdk_table()}
    if model in known:
        return Retirement(model, known[model])
    return None


def replacement(setting: str) -> str:
    """The current model to suggest for a setting: Haiku for titles, Sonnet for replies."""
    return DEFAULT_CLAUDE_TITLE_MODEL if setting == "AI_TITLE_MODEL" else DEFAULT_CLAUDE_MODEL


def retired_message(setting: str, found: Retirement) -> str:
    return (
        f"{setting}={found.model} was retired on {found.day}: Anthropic answers every request "
        f"to it with an error. Set {setting} to a current model, such as "
        f"{replacement(setting)}."
    )
