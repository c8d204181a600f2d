"""What a reply cost, from its token counts and a price table per model, and the ledger of
what each person used.

Prices are US dollars per million tokens: input, output, cache read, cache write. The table
covers the default models; ``AI_PRICES`` (JSON, ``{"model-prefix": [in, out, read, write]}``)
adds or overrides entries. A model is priced by the longest matching name prefix; an unknown
model costs 0 (and says so in the log once).
"""

from __future__ import annotations

from decimal import Decimal

import structlog
from pydantic_ai.usage import RunUsage
from sqlalchemy.orm import Session

from ba_assistant.config import Settings
from ba_assistant.models import AIUsage, User

log = structlog.get_logger(__name__)

Prices = tuple[float, float, float, float]

DEFAULT_PRICES: dict[str, Prices] = {
    "claude-opus-4-5": (5.0, 25.0, 0.50, 6.25),
    "claude-opus-4": (15.0, 75.0, 1.50, 18.75),
    "claude-sonnet-4": (3.0, 15.0, 0.30, 3.75),
    "claude-3-7-sonnet": (3.0, 15.0, 0.30, 3.75),
    "claude-haiku-4-5": (1.0, 5.0, 0.10, 1.25),
    "claude-3-5-haiku": (0.80, 4.0, 0.08, 1.0),
    "gpt-4o-mini": (0.15, 0.60, 0.075, 0.0),
    "gpt-4o": (2.50, 10.0, 1.25, 0.0),
    "gpt-4.1-mini": (0.40, 1.60, 0.10, 0.0),
    "gpt-4.1": (2.0, 8.0, 0.50, 0.0),
    "offline": (0.0, 0.0, 0.0, 0.0),
}
_unpriced: set[str] = set()
MILLION = Decimal(1_000_000)


def prices_for(settings: Settings, model: str) -> Prices | None:
    table = {**DEFAULT_PRICES, **settings.ai_prices}
    matches = [prefix for prefix in table if model.startswith(prefix)]
    return table[max(matches, key=len)] if matches else None


def cost_of(settings: Settings, model: str, usage: RunUsage) -> Decimal:
    """Input tokens include the cached ones (as pydantic-ai counts them); those are priced at
    the cache rates instead."""
    prices = prices_for(settings, model)
    if prices is None:
        if model not in _unpriced:
            _unpriced.add(model)
            log.warning("model_unpriced", model=model, hint="add it to AI_PRICES")
        return Decimal(0)
    cached = usage.cache_read_tokens + usage.cache_write_tokens
    fresh = max(0, usage.input_tokens - cached)
    total = (
        Decimal(fresh) * Decimal(str(prices[0]))
        + Decimal(usage.output_tokens) * Decimal(str(prices[1]))
        + Decimal(usage.cache_read_tokens) * Decimal(str(prices[2]))
        + Decimal(usage.cache_write_tokens) * Decimal(str(prices[3]))
    )
    return (total / MILLION).quantize(Decimal("0.000001"))


def record_usage(
    session: Session, user_id: str, kind: str, model: str, usage: RunUsage, cost: Decimal
) -> None:
    """One line of the person's usage ledger (nothing for a call that used no tokens)."""
    if not (usage.input_tokens or usage.output_tokens):
        return
    if session.get(User, user_id) is None:  # the account was deleted meanwhile
        return
    session.add(
        AIUsage(
            user_id=user_id,
            kind=kind,
            model=model,
            input_tokens=usage.input_tokens,
            output_tokens=usage.output_tokens,
            cache_read_tokens=usage.cache_read_tokens,
            cache_write_tokens=usage.cache_write_tokens,
            cost_usd=cost,
        )
    )
