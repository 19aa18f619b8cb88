"""Admission of requests, before any body is read (pure ASGI, outside FastAPI).

Order of checks, each answered without reading the request body:
1. Credentials (``Authorization: Bearer`` on /api/, the session cookie on pages) are looked up from the headers,
   in a thread, with a short cache. Wrong or missing credentials on a route that needs them answer 401 (API) or a
   redirect to /login (pages) at once, while the client may still be sending: a made-up token never makes the
   server read, let alone spool, a 300 MB upload.
2. At most `per_client_requests` requests of one client are in flight (429 beyond): an account when the request
   is authenticated, the client address otherwise.
3. Authenticated requests share `request_threads` slots (every in-flight request may hold a database connection
   while it waits for a thread; more requests than pooled connections would deadlock). Anonymous requests (the
   login form, static files) share a small separate pool and give up after `anonymous_wait_s` (503), so
   anonymous clients can never hold the slots authenticated work needs. Uploads, which may stream for minutes,
   first take one of `upload_requests` upload slots (503 after the same wait), so they never hold every slot.
4. Body clocks: a body that sends nothing for `body_idle_s`, or averages less than `body_min_rate` bytes/s once it
   has been sending `body_grace_s`, answers 408. A client trickling a body holds its slot only that long.

Refusals carry ``Connection: close`` so the server closes the connection rather than draining the unread body.
"""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import anyio
import anyio.to_thread
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hegui.platform.config import Settings
from hegui.platform.deps import SESSION_COOKIE
from hegui.platform.security import token_digest

PUBLIC_PATHS = frozenset({"/login", "/openapi.json", "/docs", "/favicon.ico", "/robots.txt"})
PUBLIC_PREFIXES = ("/lang/", "/static/")
UPLOAD_PATHS = ("/api/v1/scans", "/upload", "/api/v1/campaigns", "/campaigns")
# A developer's answer to a case carries the fixed build (cases.answer_case).
UPLOAD_PATTERN = re.compile(r"/(?:api/v1/)?cases/\d+/answers")


def is_upload(path: str) -> bool:
    """Whether `path` takes an uploaded package (its body may reach the upload limit, and needs an upload slot)."""
    return path in UPLOAD_PATHS or UPLOAD_PATTERN.fullmatch(path) is not None
DISCONNECT: Message = {"type": "http.disconnect"}
CACHE_ENTRIES = 10_000  # bounded: made-up tokens must not grow it without limit
LOOKUP_THREADS = 4      # credential lookups run here, never on the request threads authenticated work needs

# (kind, token) -> user id or None (unknown, revoked, expired, disabled)
Lookup = Callable[[str, str], "int | None"]


def is_public(path: str) -> bool:
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


def credentials(scope: Scope) -> tuple[str, str] | None:
    """("api", bearer token) on /api/, ("web", session cookie) elsewhere, or None when the headers carry none."""
    headers = dict(scope.get("headers") or [])
    if scope["path"].startswith("/api/"):
        scheme, _, token = headers.get(b"authorization", b"").decode("latin-1").partition(" ")
        return ("api", token.strip()) if scheme.lower() == "bearer" and token.strip() else None
    for part in headers.get(b"cookie", b"").decode("latin-1").split(";"):
        name, _, value = part.strip().partition("=")
        if name == SESSION_COOKIE and value:
            return "web", value.strip('"')
    return None


class CredentialCache:
    """Who a token or session cookie belongs to, remembered for `ttl` seconds (also "nobody").

    `forget()` drops every entry: called when a token is revoked, a user disabled or a session closed in this
    process. The routes check the database again themselves, so the cache only ever decides whether a request may
    start, never what it may do."""

    def __init__(self, lookup: Lookup, ttl: float) -> None:
        self._lookup, self._ttl = lookup, ttl
        self._entries: dict[tuple[str, str], tuple[int | None, float]] = {}
        self._lock = threading.Lock()
        self._limiter: anyio.CapacityLimiter | None = None

    async def user_id(self, kind: str, token: str, *, fresh: bool = False) -> int | None:
        """`fresh`: ask the database even if the cache knows (before an upload body, which the routes only
        authenticate once it has been read)."""
        key = (kind, token_digest(token))
        now = time.monotonic()
        with self._lock:
            hit = self._entries.get(key)
        if hit is not None and hit[1] > now and not fresh:
            return hit[0]
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(LOOKUP_THREADS)
        found = await anyio.to_thread.run_sync(self._lookup, kind, token, limiter=self._limiter)
        with self._lock:
            if len(self._entries) >= CACHE_ENTRIES:
                self._entries.clear()
            self._entries[key] = (found, time.monotonic() + self._ttl)
        return found

    def forget(self) -> None:
        with self._lock:
            self._entries.clear()


class Exchange:
    """The `send` side of one request: once a middleware has answered (413, 408), the app's own answer is dropped."""

    def __init__(self, send: Send) -> None:
        self._send = send
        self.started = False
        self.answered = False

    async def send(self, message: Message) -> None:
        if self.answered:
            return
        if message["type"] == "http.response.start":
            self.started = True
        await self._send(message)

    async def answer(self, response: Response) -> None:
        """Answer now unless the app already began its answer; either way the app's answer is dropped after."""
        if not self.started and not self.answered:
            response.headers["connection"] = "close"
            await response({"type": "http"}, _no_receive, self._send)
        self.answered = True


async def _no_receive() -> Message:
    return DISCONNECT


def refusal(status: int, detail: str, *, api: bool, headers: dict[str, str] | None = None) -> Response:
    if api:
        response: Response = JSONResponse({"detail": detail}, status_code=status, headers=headers)
    else:
        response = PlainTextResponse(detail, status_code=status, headers=headers)
    response.headers["connection"] = "close"
    return response


@dataclass
class _BodyClock:
    idle_s: float
    min_rate: float
    grace_s: float
    started: float
    last: float
    seen: int = 0

    def deadline(self) -> float:
        """When the next chunk must have arrived: the idle limit, or when the average rate falls too low."""
        by_rate = max(self.started + self.grace_s, self.started + self.seen / self.min_rate)
        return min(self.last + self.idle_s, by_rate)


class Gate:
    def __init__(self, app: ASGIApp, settings: Settings, cache: CredentialCache) -> None:
        self.app, self.settings, self.cache = app, settings, cache
        self._in_flight: dict[str, int] = {}
        self._slots: asyncio.Semaphore | None = None
        self._anonymous: asyncio.Semaphore | None = None
        self._uploads: asyncio.Semaphore | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.settings.request_threads)
            self._anonymous = asyncio.Semaphore(self.settings.anonymous_requests)
            self._uploads = asyncio.Semaphore(max(1, min(self.settings.upload_requests,
                                                         self.settings.request_threads - 1)))
        path = scope["path"]
        api = path.startswith("/api/") or path == "/openapi.json"
        found = credentials(scope)
        # FastAPI reads a request's body before its dependencies authenticate it: an upload is checked against
        # the database itself, so a token revoked a moment ago cannot spool one more upload from the cache.
        upload = scope["method"] == "POST" and is_upload(path)
        user_id = await self.cache.user_id(*found, fresh=upload) if found else None
        if user_id is None and not is_public(path):
            await self._refuse_anonymous(scope, send, api)
            return
        client = scope.get("client")
        key = f"user:{user_id}" if user_id is not None else f"addr:{client[0] if client else '?'}"
        if self._in_flight.get(key, 0) >= self.settings.per_client_requests:
            await refusal(429, "too many requests at once from this client", api=api,
                          headers={"Retry-After": "1"})(scope, _no_receive, send)
            return
        self._in_flight[key] = self._in_flight.get(key, 0) + 1
        try:
            if user_id is not None and upload:
                assert self._uploads is not None
                if not await self._take(self._uploads, scope, send, api):
                    return
                try:
                    async with self._slots:
                        await self._run(scope, receive, send, api)
                finally:
                    self._uploads.release()
                return
            if user_id is not None:
                async with self._slots:
                    await self._run(scope, receive, send, api)
                return
            assert self._anonymous is not None
            if not await self._take(self._anonymous, scope, send, api):
                return
            try:
                await self._run(scope, receive, send, api)
            finally:
                self._anonymous.release()
        finally:
            left = self._in_flight[key] - 1
            if left:
                self._in_flight[key] = left
            else:
                del self._in_flight[key]

    async def _take(self, pool: asyncio.Semaphore, scope: Scope, send: Send, api: bool) -> bool:
        """A slot of `pool` within `anonymous_wait_s`, else answer 503 and return False."""
        try:
            await asyncio.wait_for(pool.acquire(), self.settings.anonymous_wait_s)
            return True
        except TimeoutError:
            await refusal(503, "server busy, try again", api=api, headers={"Retry-After": "5"})(scope, _no_receive, send)
            return False

    async def _refuse_anonymous(self, scope: Scope, send: Send, api: bool) -> None:
        if api:
            response: Response = JSONResponse({"detail": "missing or invalid bearer token"}, status_code=401,
                                              headers={"WWW-Authenticate": "Bearer", "connection": "close"})
        else:
            response = RedirectResponse("/login", status_code=303, headers={"connection": "close"})
        await response(scope, _no_receive, send)

    async def _run(self, scope: Scope, receive: Receive, send: Send, api: bool) -> None:
        """The app, with the body clocks on `receive` (until the body is complete)."""
        loop = asyncio.get_running_loop()
        now = loop.time()
        s = self.settings
        clock = _BodyClock(s.body_idle_s, float(s.body_min_rate), s.body_grace_s, started=now, last=now)
        exchange = Exchange(send)
        body_done = False

        async def timed_receive() -> Message:
            nonlocal body_done
            if body_done or exchange.answered:
                return await receive() if not exchange.answered else DISCONNECT
            try:
                message = await asyncio.wait_for(receive(), max(0.0, clock.deadline() - loop.time()))
            except TimeoutError:
                await exchange.answer(refusal(408, "request body too slow", api=api))
                return DISCONNECT
            if message["type"] == "http.request":
                clock.seen += len(message.get("body", b""))
                clock.last = loop.time()
                body_done = not message.get("more_body", False)
                elapsed = clock.last - clock.started
                if not body_done and elapsed > clock.grace_s and clock.seen < clock.min_rate * elapsed:
                    await exchange.answer(refusal(408, "request body too slow", api=api))
                    return DISCONNECT
            return message

        await self.app(scope, timed_receive, exchange.send)
