"""The OpenAPI document tells the truth about errors: each route lists what it can answer.

FastAPI documents a 422 ``HTTPValidationError`` that never comes (validation errors are 400 in
our error body) and none of the errors we do send. ``install`` post-processes the generated
document: every error response is the one ``ErrorBody`` component, and each route gets the
statuses its dependencies and inputs can produce:

- signed-in routes (``CurrentUser``): 401 and 429 (the per-user rate limit);
- routes limited by IP (``IpRateLimit``): 429;
- routes loading someone's row (``OwnedProject``, ``ThreadAccess``, …): 403 and 404;
- inputs that can be wrong (a body, a required or constrained parameter): 400;
- any method with a body: 413 (the body limit applies to each of them).

Anything else a route answers (409, 415, 422, 503, …) it declares itself with
``responses={409: {"description": "…"}}``; the body and headers are filled in here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, get_args

from fastapi import FastAPI, params
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.routing import BaseRoute

from ba_assistant import deps, errors

ERROR_SCHEMA = "ErrorBody"
_REF = {"$ref": f"#/components/schemas/{ERROR_SCHEMA}"}


def _error_codes() -> list[str]:
    """Every ``error`` the server sends: each AppError's, and those of Starlette's own errors."""
    codes = {errors.AppError.code, "method_not_allowed", "http_error"}
    pending: list[type[errors.AppError]] = [errors.AppError]
    while pending:
        cls = pending.pop()
        codes.add(cls.code)
        pending.extend(cls.__subclasses__())
    return sorted(codes)


ERROR_BODY: dict[str, Any] = {
    "title": ERROR_SCHEMA,
    "type": "object",
    "description": "Every error the API answers has this body.",
    "required": ["error", "message", "details", "request_id"],
    "properties": {
        "error": {
            "type": "string",
            "enum": _error_codes(),
            "description": "What went wrong, for programs: one code per HTTP status",
        },
        "message": {"type": "string", "description": "What went wrong, for people"},
        "details": {
            "type": "object",
            "additionalProperties": True,
            "description": "For validation_error, a message per field ({field: message}); "
            "otherwise more about the error, such as max_bytes for payload_too_large",
        },
        "request_id": {"type": "string", "description": "As in the X-Request-ID header"},
        "retry_after": {
            "type": "integer",
            "minimum": 1,
            "description": "With rate_limit_exceeded: seconds to wait, as in Retry-After",
        },
    },
}

_DESCRIPTIONS = {
    400: "The input is not valid (validation_error): `details` names each field",
    401: "Not signed in, or the sign-in has ended (unauthorized)",
    403: "It exists, but it is not yours (forbidden)",
    404: "Not found, or not yours to know of (not_found)",
    409: "It changed meanwhile (conflict)",
    413: "The body is too large (payload_too_large)",
    415: "This kind of body or file is not supported (unsupported_media_type)",
    422: "The content cannot be read or made (unprocessable)",
    429: "Too many requests (rate_limit_exceeded): wait `retry_after` seconds",
    502: "The AI service failed (ai_service_error)",
    503: "Not available right now; try again later (service_unavailable)",
}
_HEADERS: dict[int, dict[str, Any]] = {
    401: {
        "WWW-Authenticate": {
            "description": "Bearer: send an access token",
            "schema": {"type": "string"},
        }
    },
    429: {
        "Retry-After": {
            "description": "Seconds to wait before trying again",
            "schema": {"type": "integer", "minimum": 1},
        }
    },
}


_READINESS = {
    "application/json": {
        "schema": {
            "type": "object",
            "required": ["status", "checks"],
            "properties": {
                "status": {"type": "string", "enum": ["ready", "not_ready"]},
                "checks": {
                    "type": "object",
                    "additionalProperties": {"type": "string"},
                    "description": "database, migrations: ok, or what is wrong",
                },
            },
        }
    }
}
READINESS_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "Ready", "content": _READINESS},
    503: {"description": "Not ready: `checks` says why", "content": _READINESS},
}


STREAM_EVENTS = [
    "start",
    "progress",
    "chunk",
    "tool_call",
    "tool_result",
    "artifact",
    "complete",
    "error",
]
STREAM_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The reply's events, from the start or after Last-Event-ID",
        "content": {
            "text/event-stream": {
                # Before OpenAPI 3.2's itemSchema, `schema` describes each event.
                "schema": {
                    "type": "object",
                    "required": ["id", "event", "data"],
                    "properties": {
                        "id": {"type": "string", "pattern": "^[0-9]+$"},
                        "event": {"type": "string", "enum": STREAM_EVENTS},
                        "data": {
                            "type": "string",
                            "contentMediaType": "application/json",
                            "contentSchema": {"type": "object"},
                        },
                    },
                }
            }
        },
    },
    204: {"description": "Nothing after Last-Event-ID: the reply has ended"},
}


def _access_check(alias: Any) -> Callable[..., Any]:
    """The dependency function behind an ``Annotated[…, Depends(f)]`` alias."""
    marker = get_args(alias)[1]
    assert isinstance(marker, params.Depends) and marker.dependency is not None
    return marker.dependency


_AUTHENTICATED = _access_check(deps.CurrentUser)
_OWNERSHIP = frozenset(
    _access_check(alias)
    for alias in (
        deps.OwnedProject,
        deps.OwnedDocument,
        deps.OwnedThread,
        deps.OwnedArtifact,
        deps.ProjectAccess,
        deps.ThreadAccess,
    )
)
_BY_IP = deps.IpRateLimit.dependency


def _dependencies(dependant: Dependant) -> Iterator[Dependant]:
    for dependency in dependant.dependencies:
        yield dependency
        yield from _dependencies(dependency)


def _can_be_invalid(dependant: Dependant) -> bool:
    """A body, or a parameter that can be missing or fail its type or constraints. A path
    parameter is always there, and free text (``str``) cannot fail."""
    if dependant.body_params:
        return True
    located = [
        *((field, False) for field in dependant.path_params),
        *((field, True) for field in dependant.query_params),
        *((field, True) for field in dependant.header_params),
        *((field, True) for field in dependant.cookie_params),
    ]
    for field, can_be_missing in located:
        info = field.field_info
        if can_be_missing and info.is_required():
            return True
        if info.annotation not in (str, str | None) or info.metadata:
            return True
    return False


def route_errors(route: Any) -> set[int]:
    """The error statuses a route can answer, from its dependencies and inputs."""
    found: set[int] = set()
    dependants = [route.dependant, *_dependencies(route.dependant)]
    for dependant in dependants:
        if dependant.call is _AUTHENTICATED:
            found |= {401, 429}
        elif dependant.call in _OWNERSHIP:
            found |= {403, 404}
        elif dependant.call is _BY_IP:
            found.add(429)
        if _can_be_invalid(dependant):
            found.add(400)
    if route.methods - {"GET", "HEAD", "OPTIONS"}:
        found.add(413)
    return found


def _declared(route: Any) -> dict[int, dict[str, Any]]:
    """The error responses a route declares itself, as written in its decorator."""
    return {
        int(status): dict(answer)
        for status, answer in route.responses.items()
        if str(status).isdigit() and int(status) >= 400
    }


def _error_response(status: int, declared: dict[str, Any]) -> dict[str, Any]:
    response = {
        "description": declared.get("description") or _DESCRIPTIONS.get(status, "An error"),
        "content": {"application/json": {"schema": _REF}},
    }
    if status in _HEADERS:
        response["headers"] = _HEADERS[status]
    return response


def _api_routes(routes: Sequence[BaseRoute]) -> Iterator[Any]:
    """Each API route as the OpenAPI generator sees it: with its router's prefix and settings."""
    for context in iter_route_contexts(routes):
        if isinstance(context.original_route, APIRoute) and context.include_in_schema:
            yield context


def document_errors(schema: dict[str, Any], routes: Sequence[BaseRoute]) -> None:
    """Rewrites the generated document in place (see the module's docstring)."""
    for route in _api_routes(routes):
        declared = _declared(route)
        for method in route.methods:
            operation = schema["paths"].get(route.path_format, {}).get(method.lower())
            if operation is None:
                continue
            generated: dict[str, Any] = operation["responses"]
            # Successes as generated; FastAPI's 422 goes; errors in the one body, except those
            # a route documents in full itself (a page, another body).
            responses = {code: answer for code, answer in generated.items() if int(code) < 400}
            for status in sorted(route_errors(route) | set(declared)):
                own = declared.get(status, {})
                responses[str(status)] = (
                    generated[str(status)]
                    if "content" in own or "model" in own
                    else _error_response(status, own)
                )
            operation["responses"] = dict(sorted(responses.items()))
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    components[ERROR_SCHEMA] = ERROR_BODY


def install(app: FastAPI) -> None:
    """``app.openapi()`` (and /api/openapi.json) from now on documents the real errors."""
    generate = app.openapi
    rewritten: list[dict[str, Any]] = []

    def openapi() -> dict[str, Any]:
        schema = generate()  # FastAPI's, generated afresh only when the routes change
        if not rewritten or rewritten[0] is not schema:
            document_errors(schema, app.routes)
            rewritten[:] = [schema]
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
