"""The AI analyst: one pydantic-ai ``Agent`` with the BA system prompt and its tools, and the
model it talks to (Claude, any OpenAI-compatible endpoint, or the offline assistant).

The system prompt is static (``prompts/system.md``) and comes first; the project's name and
document list follow in a second block that changes only when documents do. With Anthropic,
both and the tool definitions are marked for prompt caching, and so is the end of the history
(``context.py``), with the automatic breakpoint on the last block for the steps of a turn.

Claude thinks before it answers: adaptively on the models that decide for themselves how much
(Sonnet 4.6 and later), within a fixed budget on older ones. ``max_tokens`` is the answer's
room (``CLAUDE_MAX_TOKENS``) plus the thinking budget (``CLAUDE_THINKING_TOKENS``), so thinking
never eats the answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal

from anthropic import AsyncAnthropic
from openai import AsyncOpenAI
from pydantic_ai import Agent, RunContext
from pydantic_ai.models import Model
from pydantic_ai.models.anthropic import AnthropicModel, AnthropicModelSettings
from pydantic_ai.models.openai import OpenAIChatModel
from pydantic_ai.profiles.anthropic import anthropic_model_profile
from pydantic_ai.providers.anthropic import AnthropicProvider
from pydantic_ai.providers.openai import OpenAIProvider
from pydantic_ai.settings import ModelSettings

from ba_assistant.agent.offline import offline_model
from ba_assistant.agent.tools import TOOL_RETRIES, TOOLS, AnalystDeps, project_block
from ba_assistant.config import DEFAULT_OPENAI_MODEL, Settings

SDK_RETRIES = 2  # three attempts in all, with the SDK's exponential backoff and retry-after
OFFLINE_MODEL = "offline"
MIN_THINKING_BUDGET = 1024  # the least extended thinking Anthropic accepts
THINKING_EFFORT: Literal["low", "medium", "high"] = "medium"


@cache
def system_prompt() -> str:
    return (resources.files("ba_assistant.agent") / "prompts" / "system.md").read_text("utf-8")


def _instructions(ctx: RunContext[AnalystDeps]) -> str:
    return project_block(ctx.deps.brief) if ctx.deps.brief else ""


analyst = Agent(
    deps_type=AnalystDeps,
    tools=TOOLS,
    instructions=[system_prompt(), _instructions],
    name="ba-analyst",
    retries={"tools": TOOL_RETRIES},
)


@dataclass(frozen=True)
class ModelChoice:
    model: Model
    name: str
    settings: ModelSettings
    setting: str  # the environment variable that names this model, for error messages


def model_name(settings: Settings) -> str:
    provider = settings.resolved_ai_provider
    if provider == "anthropic":
        return settings.claude_model
    if provider == "openai":
        return settings.openai_model or DEFAULT_OPENAI_MODEL
    return OFFLINE_MODEL


def thinking_settings(settings: Settings, name: str) -> AnthropicModelSettings:
    """How Claude thinks, and a ``max_tokens`` that leaves the answer its room."""
    budget = settings.claude_thinking_tokens
    answer = settings.claude_max_tokens
    if budget == 0:
        return AnthropicModelSettings(max_tokens=answer, thinking=False)
    profile = anthropic_model_profile(name) or {}
    if profile.get("anthropic_supports_adaptive_thinking"):
        adaptive = AnthropicModelSettings(
            max_tokens=answer + budget, anthropic_thinking={"type": "adaptive"}
        )
        if profile.get("anthropic_supports_effort"):
            adaptive["anthropic_effort"] = THINKING_EFFORT
        return adaptive
    budget = max(budget, MIN_THINKING_BUDGET)
    return AnthropicModelSettings(
        max_tokens=answer + budget,
        anthropic_thinking={"type": "enabled", "budget_tokens": budget},
    )


def _anthropic_client(settings: Settings) -> AsyncAnthropic:
    assert settings.anthropic_api_key is not None
    return AsyncAnthropic(
        api_key=settings.anthropic_api_key.get_secret_value(),
        base_url=settings.anthropic_base_url,
        max_retries=SDK_RETRIES,
        timeout=settings.ai_request_timeout_seconds,
    )


def _openai_client(settings: Settings) -> AsyncOpenAI:
    return AsyncOpenAI(
        api_key=(
            settings.openai_api_key.get_secret_value() if settings.openai_api_key else "not-needed"
        ),
        base_url=settings.openai_base_url,
        max_retries=SDK_RETRIES,
        timeout=settings.ai_request_timeout_seconds,
    )


def choose_model(settings: Settings) -> ModelChoice:
    provider = settings.resolved_ai_provider
    name = model_name(settings)
    if provider == "anthropic":
        model_settings = thinking_settings(settings, name)
        model_settings["anthropic_cache_instructions"] = True
        model_settings["anthropic_cache_tool_definitions"] = True
        model_settings["anthropic_cache"] = True
        provider_ = AnthropicProvider(anthropic_client=_anthropic_client(settings))
        return ModelChoice(
            AnthropicModel(name, provider=provider_), name, model_settings, "CLAUDE_MODEL"
        )
    if provider == "openai":
        provider_o = OpenAIProvider(openai_client=_openai_client(settings))
        return ModelChoice(
            OpenAIChatModel(name, provider=provider_o),
            name,
            ModelSettings(max_tokens=settings.claude_max_tokens),
            "OPENAI_MODEL",
        )
    return ModelChoice(offline_model(), OFFLINE_MODEL, ModelSettings(), "AI_PROVIDER")


def title_model(settings: Settings, choice: ModelChoice) -> ModelChoice:
    """The cheap model for titles and the thread's memory: ``AI_TITLE_MODEL`` of the same
    provider (Claude: Haiku by default), answering without thinking."""
    name = settings.resolved_title_model
    if name is None or choice.name == OFFLINE_MODEL:
        return choice
    provider = settings.resolved_ai_provider
    if provider == "anthropic":
        model: Model = AnthropicModel(
            name, provider=AnthropicProvider(anthropic_client=_anthropic_client(settings))
        )
    else:
        model = OpenAIChatModel(
            name, provider=OpenAIProvider(openai_client=_openai_client(settings))
        )
    return ModelChoice(model, name, ModelSettings(thinking=False), "AI_TITLE_MODEL")


def with_max_tokens(choice: ModelChoice, max_tokens: int) -> ModelSettings:
    """The choice's settings for a short answer (a title, a summary)."""
    return ModelSettings(**{**choice.settings, "max_tokens": max_tokens})
