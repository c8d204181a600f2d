"""What a reply cost, from its token counts and a price table per model, and the ledger of
what each person used.

Prices are US dollars per million tokens: input, output, cache read, cache write. The table
covers the current models of both providers; ``AI_PRICES`` (JSON,
``{"model-prefix": [in, out, read, write]}``) adds or overrides entries. A model is priced by
the longest matching name prefix. An unknown model's cost is unknown (``None``), never $0: the
server warns at start-up, naming ``AI_PRICES``, and usage says "cost unknown".
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

# Checked on 3 December 2026 against https://platform.claude.com/docs/en/about-claude/pricing,
# https://developers.openai.com/api/docs/pricing and the genai-prices snapshot that pydantic-ai
# ships. Every live id is listed, because the longest prefix wins ("gpt-5.5" would otherwise
# price "gpt-5.5-pro"). Long-context surcharges are not modelled: Haiku 5.5 costs 5x for a
# request over 100K prompt tokens, current GPT models 2x (input) above 272K.
DEFAULT_PRICES: dict[str, Prices] = {
    # Anthropic: 5-minute cache writes 1.25x input, reads 0.1x or less
    "claude-fable-5-2": (8.0, 40.0, 0.20, 10.0),
    "claude-fable-5-1": (10.0, 50.0, 0.25, 12.5),
    "claude-fable-5": (10.0, 50.0, 1.00, 12.5),
    "claude-mythos-5-2": (8.0, 40.0, 0.20, 10.0),
    "claude-mythos-5-1": (10.0, 50.0, 0.25, 12.5),
    "claude-mythos-5": (10.0, 50.0, 1.00, 12.5),
    "claude-opus-5-5": (4.0, 20.0, 0.20, 5.0),
    "claude-opus-5": (5.0, 25.0, 0.50, 6.25),
    "claude-opus-4-8": (5.0, 25.0, 0.50, 6.25),
    "claude-opus-4-7": (5.0, 25.0, 0.50, 6.25),
    "claude-opus-4-6": (5.0, 25.0, 0.50, 6.25),
    "claude-opus-4-5": (5.0, 25.0, 0.50, 6.25),
    "claude-sonnet-5-5": (2.0, 10.0, 0.10, 2.5),
    "claude-sonnet-5": (2.0, 10.0, 0.20, 2.5),
    "claude-sonnet-4-6": (3.0, 15.0, 0.30, 3.75),
    "claude-haiku-5-5": (0.10, 0.50, 0.01, 0.125),
    "claude-haiku-4-5": (1.0, 5.0, 0.10, 1.25),
    # OpenAI: cache writes are charged (1.25x input) from GPT-5.6 on
    "gpt-6.2-astra": (8.0, 40.0, 0.40, 10.0),
    "gpt-6.2-sol": (2.0, 10.0, 0.10, 2.5),
    "gpt-6.1-sol": (2.0, 10.0, 0.10, 2.5),
    "gpt-6.1-terra": (1.0, 5.0, 0.05, 1.25),
    "gpt-6-astra": (10.0, 50.0, 1.00, 12.5),
    "gpt-6-sol": (2.0, 10.0, 0.20, 2.5),
    "gpt-6-luna": (0.10, 0.50, 0.01, 0.125),
    "gpt-5.6-sol": (4.0, 20.0, 0.40, 5.0),
    "gpt-5.6-terra": (2.0, 12.0, 0.20, 2.5),
    "gpt-5.6-luna": (0.20, 1.20, 0.02, 0.25),
    "gpt-5.5-pro": (30.0, 180.0, 30.0, 0.0),
    "gpt-5.5": (5.0, 30.0, 0.50, 0.0),
    "gpt-5.4-pro": (30.0, 180.0, 30.0, 0.0),
    "gpt-5.4-mini": (0.75, 4.50, 0.075, 0.0),
    "gpt-5.4-nano": (0.20, 1.25, 0.02, 0.0),
    "gpt-5.4": (2.50, 15.0, 0.25, 0.0),
    "gpt-5.2-pro": (21.0, 168.0, 21.0, 0.0),
    "gpt-5.2": (1.75, 14.0, 0.175, 0.0),
    "gpt-5.1": (1.25, 10.0, 0.125, 0.0),
    "gpt-5-mini": (0.25, 2.0, 0.025, 0.0),
    "gpt-5-nano": (0.05, 0.40, 0.005, 0.0),
    "gpt-5": (1.25, 10.0, 0.125, 0.0),
    "o3": (2.0, 8.0, 0.50, 0.0),
    "gpt-4.1-mini": (0.40, 1.60, 0.10, 0.0),
    "gpt-4.1": (2.0, 8.0, 0.50, 0.0),
    "gpt-4o-mini": (0.15, 0.60, 0.075, 0.0),
    "gpt-4o": (2.50, 10.0, 1.25, 0.0),
    "offline": (0.0, 0.0, 0.0, 0.0),
}
_unpriced: set[str] = set()
MILLION = Decimal(1_000_000)


def prices_for(settings: Settings, model: str) -> Prices | None:
    table = {**DEFAULT_PRICES, **settings.ai_prices}
    matches = [prefix for prefix in table if model.startswith(prefix)]
    return table[max(matches, key=len)] if matches else None


def cost_of(settings: Settings, model: str, usage: RunUsage) -> Decimal | None:
    """Input tokens include the cached ones (as pydantic-ai counts them); those are priced at
    the cache rates instead. None when the model has no price."""
    prices = prices_for(settings, model)
    if prices is None:
        if model not in _unpriced:
            _unpriced.add(model)
            log.warning("model_unpriced", model=model, hint="add its prices to AI_PRICES")
        return None
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
    session: Session, user_id: str, kind: str, model: str, usage: RunUsage, cost: Decimal | None
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
