"""The FastAPI application: REST API, web pages, background scan worker, request limits and headers."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from typing import Any

import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hegui import __version__
from hegui.platform import api, web, web_casework
from hegui.platform.accounts import user_id_for
from hegui.platform.config import Settings
from hegui.platform.dashboard import ChartCache
from hegui.platform.db import make_engine, session_factory
from hegui.platform.deps import LoginRequired
from hegui.platform.gate import DISCONNECT, CredentialCache, Exchange, Gate, is_upload
from hegui.platform.migrate import upgrade_head
from hegui.platform.workdays import LIBRARY_CALENDAR, load_holidays
from hegui.platform.worker import ScanWorker

log = logging.getLogger("hegui.platform")
NON_UPLOAD_BODY_LIMIT = 1024 * 1024  # forms and JSON bodies
MULTIPART_OVERHEAD = 64 * 1024


class BodyLimit:
    """Refuses request bodies over the limit while they stream in (not after spooling them to disk): 413 when the
    declared length is too large, or as soon as the bytes received pass the limit (multipart uploads included).

    The refusal is sent from inside `receive`, and the app then sees a disconnected client: raising instead would
    reach FastAPI's body parser, which turns any error into 400."""

    def __init__(self, app: ASGIApp, upload_limit: int) -> None:
        self.app, self.upload_limit = app, upload_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = (self.upload_limit + MULTIPART_OVERHEAD if is_upload(scope["path"])
                 else NON_UPLOAD_BODY_LIMIT)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._too_large(limit)(scope, _no_receive, send)
            return
        seen = 0
        exchange = Exchange(send)

        async def counting_receive() -> Message:
            nonlocal seen
            if exchange.answered:
                return DISCONNECT
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    await exchange.answer(self._too_large(limit))
                    return DISCONNECT
            return message

        await self.app(scope, counting_receive, exchange.send)

    @staticmethod
    def _too_large(limit: int) -> JSONResponse:
        return JSONResponse({"detail": f"request body larger than {limit // (1024 * 1024)} MB"}, status_code=413,
                            headers={"connection": "close"})


async def _no_receive() -> Message:
    return DISCONNECT


SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    # Pages use no inline script; the API reference (/docs) is rendered on the server (apidocs.py).
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                               "frame-ancestors 'none'; form-action 'self'",
}


class SecurityHeaders:
    """Adds SECURITY_HEADERS (unless the route set its own) and ``Cache-Control: no-store`` to every answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()
                         if k.lower().encode() not in present]
                if b"cache-control" not in present:
                    extra.append((b"cache-control", b"no-store"))
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, with_headers)


def server_options(settings: Settings) -> dict[str, Any]:
    """uvicorn.run() options of `hegui serve` (and of benchmarks/platform_load.py, so it measures the same server)."""
    # Access logs would show tokens in URLs.
    return {"timeout_keep_alive": settings.keep_alive_s, "access_log": False}


def create_app(settings: Settings, *, migrate: bool = True) -> FastAPI:
    """Build the platform for `settings`; `migrate` runs Alembic "upgrade head" first.

    Raises workdays.HolidayFileError before touching the database when the holidays file is not valid."""
    calendar = load_holidays(settings.holidays_file) if settings.holidays_file else LIBRARY_CALENDAR
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.database_url, pool_size=settings.pool_size)
    if migrate:
        upgrade_head(engine)
    sessions = session_factory(engine)
    credential_cache = CredentialCache(lambda kind, token: user_id_for(sessions, kind, token),
                                       settings.credential_cache_s)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Sync endpoints run on this many threads; the connection pool is sized to match (see make_engine).
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.request_threads
        worker = ScanWorker(settings, sessions)
        if settings.start_worker:
            worker.start()
            app.state.worker_notify = worker.notify
        yield
        worker.stop()
        engine.dispose()

    app = FastAPI(title="hegui platform", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None,
                  description="合规 hegui supervision platform: scans, apps, rectification cases (CONTRACT.md).")
    app.state.settings, app.state.engine, app.state.sessions = settings, engine, sessions
    app.state.calendar = calendar
    app.state.credential_cache = credential_cache
    app.state.chart_cache = ChartCache()
    app.state.worker_notify = lambda: None
    app.include_router(api.router)
    app.include_router(web_casework.router)
    app.include_router(web.router)
    app.mount("/static", StaticFiles(directory=str(resources.files("hegui.platform").joinpath("static"))),
              name="static")

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException):
        if request.url.path.startswith(("/api/", "/openapi.json", "/static/")):
            return await http_exception_handler(request, exc)
        return web.error_page(request, exc.status_code, str(exc.detail), getattr(exc, "refusal", None))

    @app.exception_handler(LoginRequired)
    async def _to_login(request: Request, _exc: LoginRequired) -> RedirectResponse:
        return RedirectResponse("/login", status_code=303)

    # Outermost first: headers on every answer (refusals included), then admission, then the body limit.
    app.add_middleware(SecurityHeaders)
    app.add_middleware(Gate, settings=settings, cache=credential_cache)
    app.add_middleware(BodyLimit, upload_limit=settings.max_upload_bytes)
    return app
