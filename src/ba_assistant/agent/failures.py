"""What a failed reply tells the analyst, and which failures are worth another attempt.

A failure the analyst cannot fix by trying again (a retired or misspelt model, a key without
access to it) names the setting an administrator must change; a passing one (busy, overloaded,
a dropped connection) says to try again.
"""

from __future__ import annotations

from pydantic_ai.exceptions import (
    ModelAPIError,
    ModelAuthenticationError,
    ModelHTTPError,
    ModelNotFoundError,
    ModelRequestTimeout,
    UnexpectedModelBehavior,
    UsageLimitExceeded,
)

from ba_assistant.agent.catalog import replacement

_KEYS = {"CLAUDE_MODEL": "ANTHROPIC_API_KEY", "OPENAI_MODEL": "OPENAI_API_KEY"}


def retry_in_app(exc: BaseException) -> bool:
    """Failures the SDK does not retry but a fresh attempt may cure, when nothing has been
    shown yet: an error event inside the stream (Anthropic's ``overloaded_error`` as its first
    event), a connection dropped after the headers. HTTP errors (429, 5xx, 529) and timeouts
    were already retried by the SDK with backoff: retrying them again would make nine."""
    if isinstance(exc, UsageLimitExceeded | UnexpectedModelBehavior):
        return False
    if getattr(exc, "in_stream", False):
        return getattr(exc, "status_code", None) not in (400, 401, 403, 404, 413)
    if isinstance(exc, ModelRequestTimeout | TimeoutError) or "Timeout" in type(exc).__name__:
        return False
    if isinstance(getattr(exc, "status_code", None), int):
        return False
    return (
        isinstance(exc, ModelAPIError)
        or "Protocol" in type(exc).__name__
        or ("ReadError" in type(exc).__name__)
    )


def model_refused(exc: BaseException, *, model: str, setting: str) -> str | None:
    """The message for a model the provider does not serve (404) or will not let this key use
    (403), naming the setting to change; None for any other failure."""
    status = getattr(exc, "status_code", None)
    current = replacement(setting) if setting in ("CLAUDE_MODEL", "AI_TITLE_MODEL") else None
    suggestion = f", such as {current}" if current else ""
    if isinstance(exc, ModelNotFoundError) or status == 404:
        return (
            f"The AI service does not know the model “{model}”: it may be retired or misspelt. "
            f"Ask the administrator to set {setting} to a current model{suggestion}, and "
            "restart the server."
        )
    if status == 403:
        key = _KEYS.get(setting, "the API key")
        return (
            f"The AI service does not let this API key use the model “{model}”. Ask the "
            f"administrator to set {setting} to a model the key may use{suggestion}, or to "
            f"give {key} access to it."
        )
    return None


def friendly_error(exc: BaseException, *, model: str, setting: str) -> str:
    """What the analyst reads when the AI service fails: what happened, what to do."""
    refused = model_refused(exc, model=model, setting=setting)
    if refused is not None:
        return refused
    status = getattr(exc, "status_code", None)
    if isinstance(exc, ModelHTTPError) or isinstance(status, int):
        if status == 429:
            return "The AI service is busy right now (rate limited). Try again in a minute."
        if status in (529, 503):
            return "The AI service is overloaded right now. Try again in a few moments."
        if status == 401 or isinstance(exc, ModelAuthenticationError):
            key = _KEYS.get(setting, "the API key")
            return f"The AI service refused our credentials. Ask the administrator to check {key}."
        if status == 400:
            return "The AI service could not process this message. Try rephrasing it."
        return "The AI service failed to answer. Try again."
    if isinstance(exc, ModelRequestTimeout | TimeoutError) or "Timeout" in type(exc).__name__:
        return "The AI service did not answer in time. Try again."
    if isinstance(exc, LookupError):
        return "This thread was deleted while the reply was being written."
    if isinstance(exc, UsageLimitExceeded):
        return "This reply took too many steps. Try a narrower question."
    if isinstance(exc, UnexpectedModelBehavior):
        return (
            "The AI kept calling a tool with input it could not use, even after being told what "
            "was wrong, so this reply stopped. Try again, or rephrase the request."
        )
    return "The connection to the AI service failed while writing this reply. Try again."
