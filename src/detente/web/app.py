"""The FastAPI application: pages, the JSON API under ``/api``, limits and the optional token.

``create_app(data_dir)`` builds it; ``serve()`` runs it with uvicorn (``detente serve``)."""

from __future__ import annotations

import hmac
import logging
import math
import os
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Executor
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlsplit

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Mount

from .._version import __version__
from ..errors import Conflict, InputError, NotFound, TooManyRuns
from .api import api_router, schema_router
from .jobs import Jobs
from .pages import page_router, templates
from .service import Limits, Service
from .store import Store

log = logging.getLogger("detente.web")

COOKIE = "detente_session"
STATIC = Path(__file__).parent / "static"
BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def create_app(data_dir: Path, *, token: str | None = None, max_samples: int = 200_000, max_body: int = 200_000,
               max_runs: int = 2, executor: Executor | None = None, allowed_hosts: tuple[str, ...] = (),
               session_hours: int = 12) -> FastAPI:
    """The Détente web app over ``data_dir`` (created if missing).

    ``token``: when set, every request must carry it (``Authorization: Bearer``, the
    ``X-Detente-Token`` header, or the session cookie the login page sets, valid for
    ``session_hours`` or until logout). ``max_samples`` per run, ``max_body`` bytes per request,
    ``max_runs`` queued or running at once. ``executor`` runs the jobs (default: a pool of
    ``max_runs`` threads); tests inject their own.
    """
    if max_samples < 1 or max_body < 1024 or max_runs < 1 or session_hours < 1:
        raise ValueError("limits must be positive (max_body at least 1024 bytes)")
    store = Store(Path(data_dir))
    interrupted = store.recover()
    if interrupted:
        log.warning("%d run(s) interrupted by the last shutdown are marked failed", interrupted)
    limits = Limits(max_samples=max_samples, max_body=max_body, max_runs=max_runs)
    service = Service(store, limits)
    jobs = Jobs(service, executor, max_runs)
    tpl = templates()
    sessions = Sessions(session_hours * 3600)
    logins = Throttle()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        jobs.start()
        yield
        jobs.shutdown()

    app = FastAPI(
        title="Détente",
        version=__version__,
        description="What does a deal with North Korea buy? Scenarios, background Monte Carlo runs and their "
                    "results. Errors are JSON `{error, field, file}`.",
        openapi_url="/api/openapi.json",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.store = store
    app.state.service = service
    app.state.jobs = jobs
    app.state.limits = limits
    app.state.sessions = sessions
    app.state.logins = logins

    def wants_json(request: Request) -> bool:
        return request.url.path.startswith(("/api", "/schema/"))

    def error(request: Request, status: int, reason: str, field: str | None = None, file: str | None = None,
              headers: dict | None = None):
        if wants_json(request):
            return JSONResponse({"error": reason, "field": field, "file": file}, status_code=status, headers=headers)
        body = tpl.get_template("error.html").render(request=request, title=_TITLES.get(status, "Error"),
                                                     message=reason, field=field, nonce="", page="error")
        return HTMLResponse(body, status_code=status, headers=headers)

    @app.exception_handler(InputError)
    async def input_error(request: Request, exc: InputError):
        return error(request, 422, exc.reason, exc.field, exc.file)

    @app.exception_handler(RequestValidationError)
    async def request_error(request: Request, exc: RequestValidationError):
        problems = exc.errors()
        first = problems[0] if problems else {"loc": (), "msg": "invalid request"}
        loc = [str(p) for p in first.get("loc", ())]
        if loc and loc[0] in ("body", "query", "path", "header", "cookie"):
            loc = loc[1:]
        reason = str(first.get("msg", "invalid request")).removeprefix("Value error, ")
        if first.get("type") == "json_invalid":
            loc, reason = [], f"the body is not valid JSON ({first.get('ctx', {}).get('error', 'decode error')})"
        if len(problems) > 1:
            reason += f" (and {len(problems) - 1} more problem{'s' if len(problems) > 2 else ''})"
        return error(request, 422, reason, ".".join(loc) or None)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        headers = getattr(exc, "headers", None)
        if exc.status_code == 405:  # RFC 9110 §15.5.6: name every method the path takes, on any of its routes
            headers = {**(headers or {}), "Allow": ", ".join(_methods(app, request.scope))}
        return error(request, exc.status_code, str(exc.detail), headers=headers)

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound):
        return error(request, 404, str(exc))

    @app.exception_handler(Conflict)
    async def conflict(request: Request, exc: Conflict):
        return error(request, 409, str(exc))

    @app.exception_handler(TooManyRuns)
    async def too_many(request: Request, exc: TooManyRuns):
        return error(request, 429, str(exc), headers={"Retry-After": "10"})

    @app.exception_handler(Exception)
    async def crash(request: Request, exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error(request, 500, "internal error; the server log has the details")

    # -- the token: login page and cookie --------------------------------------------------
    @app.get("/login", response_class=HTMLResponse, include_in_schema=False)
    def login_page(request: Request, next: str = "/"):
        return _login(tpl, request, next, token is not None)

    @app.post("/login", include_in_schema=False)
    async def login(request: Request):
        form = await request.form()
        target = _local(str(form.get("next") or "/"))
        given = str(form.get("token") or "")
        if token is None:
            return RedirectResponse(target, status_code=303)
        client = request.client.host if request.client else "unknown"
        wait = logins.wait(client)
        if wait:
            return _login(tpl, request, target, True, f"Too many wrong tokens from your address: try again in "
                          f"{wait} s.", 429, {"Retry-After": str(wait)})
        if not _same(given, token):
            logins.fail(client)
            return _login(tpl, request, target, True, "That is not the token of this server.", 401)
        logins.forget(client)
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(COOKIE, sessions.open(), max_age=session_hours * 3600, httponly=True,
                            samesite="strict", path="/", secure=request.url.scheme == "https")
        return response

    @app.post("/logout", include_in_schema=False)
    def logout(request: Request):
        sessions.close(request.cookies.get(COOKIE, ""))
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(COOKIE, path="/")
        return response

    app.include_router(api_router(service, jobs))
    app.include_router(schema_router())
    app.include_router(page_router(service, jobs, tpl))
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    app.add_middleware(Guard, token=token, sessions=sessions, max_body=max_body, tpl=tpl, allowed=allowed_hosts)
    return app


_TITLES = {400: "Bad request", 401: "Token required", 404: "Not found", 405: "Method not allowed",
           409: "Conflict", 413: "Request too large", 422: "Invalid input", 429: "Too many runs",
           500: "Internal error"}


def _same(given: str, token: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8", "surrogateescape"), token.encode("utf-8", "surrogateescape"))


def _local(target: str) -> str:
    """Only redirect within this site (no scheme, no host, no whitespace or control characters)."""
    if (not target.startswith("/") or target.startswith("//") or "\\" in target
            or any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in target)):
        return "/"
    return target


def _methods(app: FastAPI, scope: dict) -> list[str]:
    """The methods some route of ``app`` takes on the path of ``scope``, asking each route (FastAPI
    nests included routers) about each method; the static files' mount takes GET and HEAD."""
    root = scope.get("app_root_path", scope.get("root_path", ""))  # a mount changes root_path, not this
    probe = {"type": "http", "path": scope["path"], "root_path": root, "headers": []}
    methods: set[str] = set()
    for route in app.router.routes:
        for method in ("DELETE", "GET", "HEAD", "PATCH", "POST", "PUT"):
            match = route.matches({**probe, "method": method})[0]
            if match == Match.FULL and (not isinstance(route, Mount) or method in ("GET", "HEAD")):
                methods.add(method)
    return sorted(methods)


def _login(tpl, request: Request, target: str, required: bool, problem: str | None = None, status: int = 200,
           headers: dict[str, str] | None = None) -> HTMLResponse:
    body = tpl.get_template("login.html").render(request=request, title="Token required", next=_local(target),
                                                 required=required, problem=problem, nonce="", page="login")
    return HTMLResponse(body, status_code=status, headers=headers)


def _origin(url: str) -> tuple[str, str, int] | None:
    """The origin of a URL as (scheme, host, port), the port spelled out; None if it names none
    (``null``, a relative or malformed URL)."""
    try:
        parts = urlsplit(url)
        port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    except ValueError:
        return None
    return (parts.scheme, parts.hostname, port) if parts.hostname and port else None


class Sessions:
    """Login sessions, in memory: a random id per login, valid for ``lifetime`` seconds or until
    logout (a restart forgets them all). ``clock`` is replaceable for tests."""

    def __init__(self, lifetime: float, clock: Callable[[], float] = time.monotonic):
        self.lifetime = lifetime
        self.clock = clock
        self._expiry: dict[str, float] = {}
        self._lock = threading.Lock()

    def open(self) -> str:
        """A new session's id (expired ones are dropped meanwhile)."""
        now = self.clock()
        sid = secrets.token_urlsafe(32)
        with self._lock:
            self._expiry = {k: t for k, t in self._expiry.items() if t > now}
            self._expiry[sid] = now + self.lifetime
        return sid

    def valid(self, sid: str) -> bool:
        """Whether ``sid`` is a session opened here, neither expired nor closed."""
        return self._expiry.get(sid, -math.inf) > self.clock()

    def close(self, sid: str) -> None:
        """End a session (logout); an unknown id is ignored."""
        with self._lock:
            self._expiry.pop(sid, None)


class Throttle:
    """Failed logins per client address: after ``limit`` within ``window`` seconds, the address waits
    until the oldest of them is ``window`` old. ``clock`` is replaceable for tests."""

    def __init__(self, limit: int = 10, window: float = 60.0, clock: Callable[[], float] = time.monotonic):
        self.limit = limit
        self.window = window
        self.clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def wait(self, client: str) -> int:
        """Whole seconds until ``client`` may try again (0: now)."""
        now = self.clock()
        with self._lock:
            recent = self._failures.get(client, deque())
            while recent and recent[0] <= now - self.window:
                recent.popleft()
            return math.ceil(recent[0] + self.window - now) if len(recent) >= self.limit else 0

    def fail(self, client: str) -> None:
        """Count a wrong token from ``client``."""
        now = self.clock()
        with self._lock:
            if len(self._failures) > 10_000:  # many addresses: forget those with no failure in the window
                self._failures = {c: f for c, f in self._failures.items() if f and f[-1] > now - self.window}
            self._failures.setdefault(client, deque()).append(now)

    def forget(self, client: str) -> None:
        """Clear ``client``'s failures (it gave the right token)."""
        with self._lock:
            self._failures.pop(client, None)


class Guard:
    """ASGI middleware, outermost: the token, same-origin form posts, the body limit, headers."""

    def __init__(self, app, *, token: str | None, sessions: Sessions, max_body: int, tpl,
                 allowed: tuple[str, ...] = ()):
        self.app = app
        self.allowed = {h.lower() for h in allowed}  # public names of a reverse proxy (DETENTE_ALLOWED_HOSTS)
        self.token = token
        self.sessions = sessions
        self.max_body = max_body
        self.tpl = tpl

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path = scope.get("path", "")
        method = scope.get("method", "GET")
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        api = path.startswith("/api")

        exempt = path == "/login" and method in ("GET", "POST")
        if self.token is not None and not exempt and not self._authorised(headers):
            if api or "text/html" not in headers.get("accept", ""):
                return await _send(send, 401, _json("a token is required: send it as 'Authorization: Bearer "
                                                    "<token>' (see DETENTE_TOKEN)"),
                                   "application/json", [(b"www-authenticate", b"Bearer")])
            target = path + (("?" + scope["query_string"].decode("latin-1")) if scope.get("query_string") else "")
            page = self.tpl.get_template("login.html").render(
                title="Token required", next=_local(target), required=True, problem=None, nonce="", page="login")
            return await _send(send, 401, page.encode(), "text/html; charset=utf-8")

        if method in BODY_METHODS and self._cross_site(scope, headers):
            return await _send(send, 403, _json("cross-site requests are refused"), "application/json")

        if method in BODY_METHODS or "content-length" in headers or "transfer-encoding" in headers:
            length = headers.get("content-length")
            if length is not None:
                if not length.isdigit():
                    return await _send(send, 400, _json("bad Content-Length"), "application/json")
                if int(length) > self.max_body:
                    return await _send(send, 413, _json(self._too_big()), "application/json")
            body = bytearray()
            more = True
            while more:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return None
                body += message.get("body", b"")
                more = message.get("more_body", False)
                if len(body) > self.max_body:
                    return await _send(send, 413, _json(self._too_big()), "application/json")
            replayed = False

            async def replay():
                nonlocal replayed
                if not replayed:
                    replayed = True
                    return {"type": "http.request", "body": bytes(body), "more_body": False}
                return await receive()

            receive = replay

        async def with_headers(message):
            if message["type"] == "http.response.start":
                extra = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"same-origin")]
                names = {k.lower() for k, _ in message.get("headers", [])}
                if b"x-frame-options" not in names:
                    extra.append((b"x-frame-options", b"SAMEORIGIN"))
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        return await self.app(scope, receive, with_headers)

    def _cross_site(self, scope: dict, headers: dict[str, str]) -> bool:
        """Whether a browser sent this request from another site. Browsers name the page a request
        comes from: by ``Origin``; without it by ``Sec-Fetch-Site`` (``cross-site`` or an unknown value
        is refused; ``same-origin`` and ``none``, the user's own navigation, pass; ``same-site``, a
        sibling host that may be someone else's, needs a ``Referer`` of this origin); else by
        ``Referer``. A request with none of them is no browser's (curl, scripts) and passes."""
        if "origin" in headers:
            return not self._trusted(headers["origin"], scope, headers)
        fetch = headers.get("sec-fetch-site")
        if fetch in ("same-origin", "none"):
            return False
        if fetch not in (None, "same-site"):
            return True
        if "referer" in headers:
            return not self._trusted(headers["referer"], scope, headers)
        return fetch == "same-site"

    def _trusted(self, url: str, scope: dict, headers: dict[str, str]) -> bool:
        """``url`` is of this server's own origin (scheme, host and port as served), or of a proxy
        named in ``allowed`` (any port; over HTTPS, or the scheme this server is served on)."""
        theirs = _origin(url)
        scheme = scope.get("scheme", "http")
        return theirs is not None and (theirs == _origin(f"{scheme}://{headers.get('host', '')}")
                                       or (theirs[1] in self.allowed and theirs[0] in ("https", scheme)))

    def _too_big(self) -> str:
        return f"request body is larger than this server's limit of {self.max_body:,} bytes"

    def _authorised(self, headers: dict) -> bool:
        given = []
        auth = headers.get("authorization", "")
        if auth[:7].lower() == "bearer ":
            given.append(auth[7:].strip())
        if "x-detente-token" in headers:
            given.append(headers["x-detente-token"])
        for part in headers.get("cookie", "").split(";"):
            key, _, value = part.strip().partition("=")
            if key == COOKIE and self.sessions.valid(value):
                return True
        return any(_same(g, self.token) for g in given)


def _json(reason: str) -> bytes:
    import json

    return json.dumps({"error": reason, "field": None, "file": None}).encode()


async def _send(send, status: int, body: bytes, media: str, headers: list | None = None) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", media.encode()), (b"content-length", str(len(body)).encode()),
                            (b"x-content-type-options", b"nosniff"), *(headers or [])]})
    await send({"type": "http.response.body", "body": body})


def serve(host: str = "127.0.0.1", port: int = 8000, data_dir: Path | None = None, *, token: str | None = None,
          max_samples: int | None = None, max_body: int | None = None, max_runs: int | None = None) -> None:
    """Run the web app with uvicorn until interrupted (``detente serve``).

    Defaults: data in ``~/.detente``; the token from ``DETENTE_TOKEN``; limits from
    ``DETENTE_MAX_SAMPLES`` (200,000), ``DETENTE_MAX_BODY`` (200,000 bytes) and ``DETENTE_MAX_RUNS`` (2);
    login sessions last ``DETENTE_SESSION_HOURS`` (12).
    """
    import uvicorn

    folder = Path(data_dir).expanduser() if data_dir else Path.home() / ".detente"
    token = token if token is not None else (os.environ.get("DETENTE_TOKEN") or None)
    proxied = tuple(h.strip() for h in os.environ.get("DETENTE_ALLOWED_HOSTS", "").split(",") if h.strip())
    app = create_app(
        folder,
        token=token,
        max_samples=max_samples or _env_int("DETENTE_MAX_SAMPLES", 200_000),
        max_body=max_body or _env_int("DETENTE_MAX_BODY", 200_000),
        max_runs=max_runs or _env_int("DETENTE_MAX_RUNS", 2),
        allowed_hosts=proxied,
        session_hours=_env_int("DETENTE_SESSION_HOURS", 12),
    )
    if host in ("127.0.0.1", "localhost"):
        # only this machine's names: a web page cannot reach the app by rebinding its own domain to 127.0.0.1
        from starlette.middleware.trustedhost import TrustedHostMiddleware

        app.add_middleware(TrustedHostMiddleware, allowed_hosts=["127.0.0.1", "localhost", *proxied])
    elif token is None:
        log.warning("serving on %s without a token: anyone who can reach it can use it (set DETENTE_TOKEN)", host)
    print(f"Détente on http://{host}:{port}/ — data in {folder}" + (" — token required" if token else ""))
    uvicorn.run(app, host=host, port=port, log_level="info")


# the environment's limits and the range each may take (judgement: 10⁸ samples is about 10 GiB of
# per-sample values at the horizon; a body under 1 KiB cannot hold a scenario; 64 runs is beyond
# any machine's cores; a login lasts at most 30 days): samples per run, request body (bytes),
# concurrent runs, hours a login session lasts
ENV_LIMITS = {"DETENTE_MAX_SAMPLES": (1, 10**8), "DETENTE_MAX_BODY": (1_024, 10**8), "DETENTE_MAX_RUNS": (1, 64),
              "DETENTE_SESSION_HOURS": (1, 720)}


def _env_int(name: str, default: int) -> int:
    """A whole-number setting from the environment (``_`` or ``,`` as thousands separators allowed),
    within :data:`ENV_LIMITS`; a bad value is an input error naming the setting."""
    value = os.environ.get(name)
    if not value:
        return default
    low, high = ENV_LIMITS[name]
    try:
        number = int(value.strip().replace("_", "").replace(",", ""))
    except ValueError:
        raise InputError(f"{value!r} is not a whole number", field=name) from None
    if not low <= number <= high:
        raise InputError(f"{number:,} is outside {low:,} to {high:,}", field=name)
    return number

