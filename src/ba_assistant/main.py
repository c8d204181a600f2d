"""create_app(): the one FastAPI application, API at /api, web app at /."""

from __future__ import annotations

import gc
import hmac
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import structlog
from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from fastapi.routing import APIRoute
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.convertors import Convertor, register_url_convertor
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.staticfiles import StaticFiles

from ba_assistant import migrations, openapi
from ba_assistant.agent.agent import model_name
from ba_assistant.agent.catalog import replacement, retirement
from ba_assistant.agent.hub import MemoryHub
from ba_assistant.agent.pricing import prices_for
from ba_assistant.agent.runs import RunManager
from ba_assistant.agent.turns import recover_interrupted
from ba_assistant.artifacts.endpoints import router as artifacts_router
from ba_assistant.artifacts.rendering import RENDERER
from ba_assistant.auth.endpoints import router as auth_router
from ba_assistant.auth.providers import ProviderClient
from ba_assistant.config import Settings, load_settings
from ba_assistant.db import Database
from ba_assistant.documents.endpoints import router as documents_router
from ba_assistant.documents.extraction import EXTRACTION
from ba_assistant.errors import (
    AppError,
    Unauthorized,
    app_error_handler,
    http_error_handler,
    validation_error_handler,
)
from ba_assistant.middleware import BodyLimit, BodyLimitMiddleware, RequestContextMiddleware
from ba_assistant.observability import Metrics, PoolCollector, configure_logging
from ba_assistant.projects.endpoints import router as projects_router
from ba_assistant.ratelimit import RateLimiter
from ba_assistant.threads.endpoints import router as threads_router

WEB_DIST = Path(__file__).resolve().parents[2] / "web" / "dist"
_UPLOAD_PATH = re.compile(r"^/api/projects/[^/]+/documents/?$")
_JSON_BODY_LIMIT = 1024 * 1024
_MULTIPART_OVERHEAD = 64 * 1024


log = structlog.get_logger(__name__)


def _operation_id(route: APIRoute) -> str:
    tag = route.tags[0] if route.tags else "default"
    return f"{tag}-{route.name}"


def body_limit(settings: Settings) -> Callable[[str, str, str], BodyLimit]:
    document = settings.max_document_bytes

    def limit_for(method: str, path: str, content_type: str) -> BodyLimit:
        if method == "POST" and _UPLOAD_PATH.match(path):
            if content_type.startswith("multipart/"):
                return BodyLimit(document + _MULTIPART_OVERHEAD, stated=document)
            # JSON escapes (\n, \uXXXX) can make the body up to ~2x the text it carries.
            return BodyLimit(2 * document + _MULTIPART_OVERHEAD, stated=document)
        return BodyLimit(_JSON_BODY_LIMIT)

    return limit_for


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or load_settings()
    configure_logging(settings.log_level)
    database = Database(settings)
    metrics = Metrics()
    metrics.add_collector(PoolCollector(database.engine.pool))

    hub = MemoryHub()
    runs = RunManager(settings, database, hub, metrics)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        _warn_about_the_model(settings)
        await _recover_replies(database)
        # Everything loaded at start-up lives as long as the process: keep it out of the
        # collector's full passes, which otherwise pause every stream for a few hundred ms.
        gc.collect()
        gc.freeze()
        yield
        await runs.shutdown()
        await hub.close()
        database.dispose()
        RENDERER.shutdown()  # worker processes must not outlive the server
        EXTRACTION.shutdown()

    middleware = [
        Middleware(RequestContextMiddleware, metrics=metrics, host_names=settings.host_names),
        # Level 1 (nginx's default): a 100 KB page of messages costs ~1.5 ms instead of ~28 ms
        # at Starlette's default of 9, for output only ~25% larger.
        Middleware(GZipMiddleware, minimum_size=1024, compresslevel=1),
        Middleware(
            BodyLimitMiddleware,
            limit_for=body_limit(settings),
            read_timeout=settings.body_read_timeout_seconds,
        ),
    ]
    if settings.cors_origins:
        middleware.insert(
            1,
            Middleware(
                CORSMiddleware,
                allow_origins=settings.cors_origins,
                allow_credentials=True,
                allow_methods=["GET", "POST", "PATCH", "DELETE", "OPTIONS"],
                allow_headers=[
                    "Authorization",
                    "Content-Type",
                    "X-Request-ID",
                    "Last-Event-ID",
                    "X-Token-Delivery",
                ],
                expose_headers=["X-Request-ID", "Retry-After", "Content-Disposition"],
                max_age=600,
            ),
        )

    app = FastAPI(
        title="BA Assistant API",
        version="0.1.0",
        summary="Projects, documents, search and AI-assisted discovery threads for analysts.",
        docs_url=None,  # served by _mount_api_docs, without a CDN
        redoc_url=None,
        openapi_url="/api/openapi.json",
        generate_unique_id_function=_operation_id,
        middleware=middleware,
        lifespan=lifespan,
        debug=False,  # never render tracebacks to clients, whatever DEBUG says
    )
    app.state.settings = settings
    app.state.db = database
    app.state.metrics = metrics
    app.state.rate_limiter = RateLimiter(settings)
    app.state.provider_client = ProviderClient()
    app.state.hub = hub
    app.state.runs = runs
    app.state.renderer = RENDERER

    app.add_exception_handler(AppError, app_error_handler)
    app.add_exception_handler(StarletteHTTPException, http_error_handler)
    app.add_exception_handler(RequestValidationError, validation_error_handler)

    for router in (
        auth_router,
        projects_router,
        documents_router,
        threads_router,
        artifacts_router,
    ):
        app.include_router(router)
    app.include_router(_operations_router())
    if settings.api_docs_enabled:
        _mount_api_docs(app)
    _mount_web(app)
    openapi.install(app)
    return app


def _warn_about_the_model(settings: Settings) -> None:
    provider = settings.resolved_ai_provider
    if provider == "offline":
        log.info("ai_offline", hint="set ANTHROPIC_API_KEY to talk to Claude")
        return
    models = {"CLAUDE_MODEL" if provider == "anthropic" else "OPENAI_MODEL": model_name(settings)}
    if settings.resolved_title_model:
        models["AI_TITLE_MODEL"] = settings.resolved_title_model
    for setting, model in models.items():
        found = retirement(model) if provider == "anthropic" else None
        if found is not None:  # a retired one refused to start: this one retires later
            log.warning(
                "ai_model_retiring",
                setting=setting,
                model=model,
                retires_on=found.on.isoformat(),
                hint=f"set {setting} to a current model, such as {replacement(setting)}",
            )
        if prices_for(settings, model) is None:
            log.warning(
                "ai_model_unpriced",
                setting=setting,
                model=model,
                hint="its cost shows as unknown; add its prices to AI_PRICES, e.g. AI_PRICES='{\""
                + model
                + "\": [3.0, 15.0, 0.3, 3.75]}' (USD per million tokens: input, output, "
                "cache read, cache write)",
            )


async def _recover_replies(database: Database) -> None:
    """Replies left ``streaming`` by a crash become ``interrupted``, keeping their text."""
    try:
        recovered = await database.write(recover_interrupted)
    except Exception as exc:  # not migrated yet: readyz reports it, nothing to recover
        log.warning("reply_recovery_skipped", error=type(exc).__name__)
        return
    if recovered:
        log.warning("replies_interrupted", count=recovered)


def _operations_router() -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/healthz", summary="The process is up")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get(
        "/readyz",
        summary="The database is reachable and migrated",
        responses=openapi.READINESS_RESPONSES,
    )
    def readyz(request: Request) -> JSONResponse:
        database: Database = request.app.state.db
        checks: dict[str, str] = {}
        try:
            database.ping()
            checks["database"] = "ok"
            at_head = migrations.is_at_head(database.engine)
            checks["migrations"] = "ok" if at_head else "pending: run `ba-assistant migrate`"
        except Exception as exc:  # any failure means "not ready", with the reason
            checks.setdefault("database", f"unreachable: {type(exc).__name__}")
            checks.setdefault("migrations", "unknown")
        ready = all(value == "ok" for value in checks.values())
        return JSONResponse(
            {"status": "ready" if ready else "not_ready", "checks": checks},
            status_code=200 if ready else 503,
        )

    @router.get("/metrics", summary="Prometheus metrics", include_in_schema=False)
    def metrics(request: Request) -> Response:
        _check_metrics_token(request)
        registry = request.app.state.metrics.registry
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return router


def _check_metrics_token(request: Request) -> None:
    """Outside development /metrics needs ``Authorization: Bearer $METRICS_TOKEN``; in
    development too when the token is set."""
    settings: Settings = request.app.state.settings
    expected = settings.metrics_token.get_secret_value() if settings.metrics_token else ""
    if not expected and settings.is_development:
        return
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if not expected:
        raise Unauthorized(
            "Metrics are closed: set METRICS_TOKEN on the server and send it as a Bearer token"
        )
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.encode(), expected.encode()):
        raise Unauthorized("Metrics need the METRICS_TOKEN as a Bearer token")


# Swagger UI, pinned by uv.lock, from the fastapi-offline package; started by a script of our
# own so that the page runs under the app's CSP (no inline script, nothing from elsewhere).
_DOCS_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>BA Assistant API</title><link rel="stylesheet" href="/api/docs/assets/swagger-ui.css">
<link rel="icon" href="/api/docs/assets/favicon.png"></head><body><div id="swagger-ui"></div>
<script src="/api/docs/assets/swagger-ui-bundle.js"></script>
<script src="/api/docs/start.js"></script></body></html>"""
_DOCS_SCRIPT = """window.ui = SwaggerUIBundle({
  url: "/api/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
  layout: "BaseLayout",
});
"""


def _mount_api_docs(app: FastAPI) -> None:
    """``/api/docs`` (``API_DOCS``, on in development)."""
    import fastapi_offline

    assets = Path(fastapi_offline.__file__).parent / "static"
    app.mount("/api/docs/assets", StaticFiles(directory=assets), name="api-docs-assets")

    @app.get("/api/docs", include_in_schema=False)
    def api_docs() -> HTMLResponse:
        return HTMLResponse(_DOCS_PAGE, headers={"Cache-Control": "no-cache"})

    @app.get("/api/docs/start.js", include_in_schema=False)
    def api_docs_script() -> Response:
        return Response(_DOCS_SCRIPT, media_type="text/javascript")


_API_ONLY_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>BA Assistant</title></head><body style="font-family:system-ui;margin:3rem">
<h1>BA Assistant</h1><p>The API is running. The web app has not been built in this
checkout; the API and its documentation are at <a href="/api/docs">/api/docs</a>.</p>
</body></html>"""


def _mount_web(app: FastAPI) -> None:
    """Serve the built web app at / with client-side routes falling back to index.html."""
    index = WEB_DIST / "index.html"
    if not index.is_file():

        @app.get("/", include_in_schema=False)
        def api_only_page() -> HTMLResponse:
            return HTMLResponse(_API_ONLY_PAGE)

        return

    app.mount("/assets", _HashedAssets(directory=WEB_DIST / "assets", check_dir=False))

    @app.get("/{path:web_path}", include_in_schema=False)
    def web(path: str) -> FileResponse:
        candidate = (WEB_DIST / path).resolve()
        if path and candidate.is_file() and candidate.is_relative_to(WEB_DIST):
            # Files with fixed names (the service worker, its manifest, icons) are revalidated
            # so that a new release reaches installed apps.
            return FileResponse(candidate, headers={"Cache-Control": "no-cache"})
        return FileResponse(index, headers={"Cache-Control": "no-cache"})


class _WebPath(Convertor[str]):
    """Any path outside /api/: API routes added after this one (or unknown ones) are never
    answered with the web app's page."""

    regex = "(?!api/).*"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("web_path", _WebPath())


class _HashedAssets(StaticFiles):
    """The build's assets carry a content hash in their names: cache them for good."""

    def file_response(self, *args: Any, **kwargs: Any) -> Response:
        response = super().file_response(*args, **kwargs)
        if response.status_code == 200:
            response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response
