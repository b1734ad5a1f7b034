"""The FastAPI application: pages, the JSON API under ``/api``, limits and the optional token.

``create_app(data_dir)`` builds it; ``serve()`` runs it with uvicorn (``detente serve``)."""

from __future__ import annotations

import hmac
import logging
import os
from concurrent.futures import Executor
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from .._version import __version__
from ..errors import Conflict, InputError, NotFound, TooManyRuns
from .api import api_router, schema_router
from .jobs import Jobs
from .pages import page_router, templates
from .service import Limits, Service
from .store import Store

log = logging.getLogger("detente.web")

COOKIE = "detente_token"
STATIC = Path(__file__).parent / "static"
BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def create_app(data_dir: Path, *, token: str | None = None, max_samples: int = 200_000, max_body: int = 200_000,
               max_runs: int = 2, executor: Executor | None = None, allowed_hosts: tuple[str, ...] = ()) -> FastAPI:
    """The Détente web app over ``data_dir`` (created if missing).

    ``token``: when set, every request must carry it (``Authorization: Bearer``, the
    ``X-Detente-Token`` header, or the cookie the login page sets). ``max_samples`` per run,
    ``max_body`` bytes per request, ``max_runs`` queued or running at once. ``executor`` runs
    the jobs (default: a pool of ``max_runs`` threads); tests inject their own.
    """
    if max_samples < 1 or max_body < 1024 or max_runs < 1:
        raise ValueError("limits must be positive (max_body at least 1024 bytes)")
    store = Store(Path(data_dir))
    interrupted = store.recover()
    if interrupted:
        log.warning("%d run(s) interrupted by the last shutdown are marked failed", interrupted)
    limits = Limits(max_samples=max_samples, max_body=max_body, max_runs=max_runs)
    service = Service(store, limits)
    jobs = Jobs(service, executor, max_runs)
    tpl = templates()

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
        return error(request, exc.status_code, str(exc.detail), headers=getattr(exc, "headers", None))

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
        if not _same(given, token):
            return _login(tpl, request, target, True, "That is not the token of this server.", 401)
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(COOKIE, _digest(given), httponly=True, samesite="strict", path="/")
        return response

    @app.post("/logout", include_in_schema=False)
    def logout():
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(COOKIE, path="/")
        return response

    app.include_router(api_router(service, jobs))
    app.include_router(schema_router())
    app.include_router(page_router(service, jobs, tpl))
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    app.add_middleware(Guard, token=token, max_body=max_body, tpl=tpl, allowed=allowed_hosts)
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


def _digest(token: str) -> str:
    """What the login cookie carries: the token's SHA-256, hex (cookie-safe whatever the token)."""
    import hashlib

    return hashlib.sha256(token.encode()).hexdigest()


def _login(tpl, request: Request, target: str, required: bool, problem: str | None = None, status: int = 200):
    body = tpl.get_template("login.html").render(request=request, title="Token required", next=_local(target),
                                                 required=required, problem=problem, nonce="", page="login")
    return HTMLResponse(body, status_code=status)


class Guard:
    """ASGI middleware, outermost: the token, same-origin form posts, the body limit, headers."""

    def __init__(self, app, *, token: str | None, max_body: int, tpl, allowed: tuple[str, ...] = ()):
        self.app = app
        self.allowed = set(allowed)  # public names of a reverse proxy in front (DETENTE_ALLOWED_HOSTS)
        self.token = token
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

        if method in BODY_METHODS:  # browsers name the page a request comes from; refuse other sites
            origin = (headers.get("origin") or "").split("://", 1)[-1]
            if origin and origin != headers.get("host", "") and origin.split(":")[0] not in self.allowed:
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
            if key == COOKIE and _same(value, _digest(self.token)):
                return True  # the login cookie holds the token's digest (any token text works)
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
    ``DETENTE_MAX_SAMPLES`` (200,000), ``DETENTE_MAX_BODY`` (200,000 bytes) and ``DETENTE_MAX_RUNS`` (2).
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
# any machine's cores): samples per run, request body (bytes), concurrent runs
ENV_LIMITS = {"DETENTE_MAX_SAMPLES": (1, 10**8), "DETENTE_MAX_BODY": (1_024, 10**8), "DETENTE_MAX_RUNS": (1, 64)}


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

