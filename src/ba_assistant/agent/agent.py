"""The AI analyst: one pydantic-ai ``Agent`` with the BA system prompt and three tools, and the
model it talks to (Claude, any OpenAI-compatible endpoint, or the offline assistant).

The system prompt is static (``prompts/system.md``) and comes first; the project's name and
document list follow in a second block that changes only when documents do. With Anthropic,
both and the tool definitions are marked for prompt caching.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

from anthropic import AsyncAnthropic
from openai import AsyncOpenAI
from pydantic_ai import Agent, RunContext
from pydantic_ai.messages import ModelMessage, ModelRequest, ModelResponse, TextPart, UserPromptPart
from pydantic_ai.models import Model
from pydantic_ai.models.anthropic import AnthropicModel, AnthropicModelSettings
from pydantic_ai.models.openai import OpenAIChatModel
from pydantic_ai.providers.anthropic import AnthropicProvider
from pydantic_ai.providers.openai import OpenAIProvider
from pydantic_ai.settings import ModelSettings

from ba_assistant.agent.offline import offline_model
from ba_assistant.agent.tools import TOOLS, AnalystDeps, project_block
from ba_assistant.config import Settings

SDK_RETRIES = 2  # three attempts in all, with the SDK's exponential backoff and retry-after
DEFAULT_OPENAI_MODEL = "gpt-4o"
OFFLINE_MODEL = "offline"


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
)


@dataclass(frozen=True)
class ModelChoice:
    model: Model
    name: str
    settings: ModelSettings


def retirement_date(model: str) -> str | None:
    """When Anthropic retires this model, if it has announced it (per the installed SDK)."""
    try:
        from anthropic._data import DEPRECATED_MODELS
    except ImportError:  # pragma: no cover - the SDK moved its table
        return None
    return DEPRECATED_MODELS.get(model)


def choose_model(settings: Settings) -> ModelChoice:
    provider = settings.resolved_ai_provider
    timeout = settings.ai_request_timeout_seconds
    if provider == "anthropic":
        assert settings.anthropic_api_key is not None
        client = AsyncAnthropic(
            api_key=settings.anthropic_api_key.get_secret_value(),
            base_url=settings.anthropic_base_url,
            max_retries=SDK_RETRIES,
            timeout=timeout,
        )
        model_settings: ModelSettings = AnthropicModelSettings(
            max_tokens=settings.claude_max_tokens,
            anthropic_cache_instructions=True,
            anthropic_cache_tool_definitions=True,
        )
        return ModelChoice(
            AnthropicModel(
                settings.claude_model, provider=AnthropicProvider(anthropic_client=client)
            ),
            settings.claude_model,
            model_settings,
        )
    if provider == "openai":
        name = settings.openai_model or DEFAULT_OPENAI_MODEL
        openai_client = AsyncOpenAI(
            api_key=(
                settings.openai_api_key.get_secret_value()
                if settings.openai_api_key
                else "not-needed"
            ),
            base_url=settings.openai_base_url,
            max_retries=SDK_RETRIES,
            timeout=timeout,
        )
        return ModelChoice(
            OpenAIChatModel(name, provider=OpenAIProvider(openai_client=openai_client)),
            name,
            ModelSettings(max_tokens=settings.claude_max_tokens),
        )
    return ModelChoice(offline_model(), OFFLINE_MODEL, ModelSettings())


def title_model(settings: Settings, choice: ModelChoice) -> ModelChoice:
    """The cheap model for titles and summaries: ``AI_TITLE_MODEL`` of the same provider."""
    if not settings.ai_title_model or choice.name == OFFLINE_MODEL:
        return choice
    if settings.resolved_ai_provider == "anthropic":
        return choose_model(settings.model_copy(update={"claude_model": settings.ai_title_model}))
    return choose_model(settings.model_copy(update={"openai_model": settings.ai_title_model}))


def history(messages: list[tuple[str, str]]) -> list[ModelMessage]:
    """Earlier turns as the model's message history: (role, content), oldest first."""
    result: list[ModelMessage] = []
    for role, content in messages:
        if role == "user":
            result.append(ModelRequest(parts=[UserPromptPart(content=content)]))
        else:
            result.append(ModelResponse(parts=[TextPart(content=content)]))
    return result
