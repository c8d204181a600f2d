"""The one error hierarchy, and the handlers that render DESIGN.md's error body."""

from __future__ import annotations

import http
from typing import Any

import structlog
from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ba_assistant.observability import current_request_id

log = structlog.get_logger(__name__)


class AppError(Exception):
    status_code = 500
    code = "internal_error"
    default_message = "An unexpected error occurred"

    def __init__(
        self,
        message: str | None = None,
        *,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.message = message or self.default_message
        self.details = details or {}
        self.headers = headers or {}
        super().__init__(self.message)

    def body(self) -> dict[str, Any]:
        return {"error": self.code, "message": self.message, "details": self.details}


class ValidationFailed(AppError):
    status_code = 400
    code = "validation_error"
    default_message = "Invalid input"


class Unauthorized(AppError):
    status_code = 401
    code = "unauthorized"
    default_message = "Authentication required"

    def __init__(self, message: str | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.headers.setdefault("WWW-Authenticate", "Bearer")


class Forbidden(AppError):
    status_code = 403
    code = "forbidden"
    default_message = "Access denied"


class NotFound(AppError):
    status_code = 404
    code = "not_found"
    default_message = "Not found"


class RequestTimeout(AppError):
    status_code = 408
    code = "request_timeout"
    default_message = "The request took too long to arrive"


class Conflict(AppError):
    status_code = 409
    code = "conflict"
    default_message = "Conflict"


class PayloadTooLarge(AppError):
    status_code = 413
    code = "payload_too_large"
    default_message = "The request body is too large"


class UnsupportedMediaType(AppError):
    status_code = 415
    code = "unsupported_media_type"
    default_message = "Unsupported file type"


class Unprocessable(AppError):
    status_code = 422
    code = "unprocessable"
    default_message = "The file could not be read"


class RateLimited(AppError):
    status_code = 429
    code = "rate_limit_exceeded"
    default_message = "Too many requests, please wait"

    def __init__(self, retry_after: int, message: str | None = None) -> None:
        super().__init__(message, headers={"Retry-After": str(retry_after)})
        self.retry_after = retry_after

    def body(self) -> dict[str, Any]:
        return {**super().body(), "retry_after": self.retry_after}


class AIServiceError(AppError):
    status_code = 502
    code = "ai_service_error"
    default_message = "Unable to process message, please try again"


class ServiceUnavailable(AppError):
    status_code = 503
    code = "service_unavailable"
    default_message = "The service is not ready"


_STATUS_CODES: dict[int, type[AppError]] = {
    cls.status_code: cls
    for cls in (
        ValidationFailed,
        Unauthorized,
        Forbidden,
        NotFound,
        RequestTimeout,
        Conflict,
        PayloadTooLarge,
        UnsupportedMediaType,
        Unprocessable,
        AIServiceError,
        ServiceUnavailable,
    )
}


def render(error: AppError) -> JSONResponse:
    body = {**error.body(), "request_id": current_request_id()}
    return JSONResponse(body, status_code=error.status_code, headers=error.headers)


async def app_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    if exc.status_code in (401, 403):
        log.warning("access_denied", status=exc.status_code, reason=exc.message)
    return render(exc)


async def http_error_handler(request: Request, exc: Exception) -> JSONResponse:
    """Starlette's own errors (unknown route, wrong method, body too large…)."""
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 405:
        error: AppError = AppError("Method not allowed")
        error.status_code, error.code = 405, "method_not_allowed"
    elif exc.status_code in _STATUS_CODES:
        cls = _STATUS_CODES[exc.status_code]
        # Starlette's default detail is the bare status phrase; ours reads better.
        default = http.HTTPStatus(exc.status_code).phrase
        error = cls(None if exc.detail in (None, default) else str(exc.detail))
    else:
        error = AppError(str(exc.detail))
        error.status_code = exc.status_code
        error.code = "http_error"
    error.headers.update(exc.headers or {})
    stated = getattr(getattr(exc, "limit", None), "stated", None)
    if exc.status_code == 413 and stated:
        error.details = {"max_bytes": stated}
    return render(error)


async def validation_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return render(ValidationFailed("Please check your input", details=field_errors(exc)))


def _readable(item: dict[str, Any]) -> str:
    message = str(item.get("msg", "Invalid value"))
    if item.get("type") == "missing":
        return "This field is required"
    if item.get("type") == "json_invalid":
        return "The body is not valid JSON"
    return message.removeprefix("Value error, ")


def internal_error() -> JSONResponse:
    return render(AppError())


def field_errors(exc: Any) -> dict[str, str]:
    """``{field: message}`` from a pydantic or FastAPI validation error."""
    details: dict[str, str] = {}
    for item in exc.errors():
        location = [str(part) for part in item.get("loc", ()) if part not in ("body", "query")]
        details.setdefault(".".join(location) or "body", _readable(item))
    return details
