"""Web hardening (issue 16, item 8): scheme-exact origins, requests without Origin, the login rate
limit, server-side sessions, durable SQLite, and the OpenAPI contract (Allow, 400, the body limit)."""

from __future__ import annotations

import hashlib
import warnings

import pytest

from detente.web import create_app
from detente.web.app import COOKIE
from detente.web.store import Store

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette prefers httpx2 in its test client
    from fastapi.testclient import TestClient

TOKEN = "s3cret-token"
YAML = {"yaml": "name: my-deal\ntitle: My deal\nstart: 2027-01\nphases: []\n"}


class Held:
    """Executor that never runs its jobs (no run is needed here)."""

    def submit(self, fn, *args):
        pass


@pytest.fixture
def make(tmp_path):
    """``make(**options)``: an app over a fresh data directory; shut down after the test."""
    apps = []

    def build(**options):
        options.setdefault("executor", Held())
        apps.append(create_app(tmp_path / "data", **options))
        return apps[-1]

    yield build
    for app in apps:
        app.state.jobs.shutdown()


def validate(client, **headers):
    return client.post("/api/scenarios/validate", json=YAML, headers=headers).status_code


# -- 1. the Origin check is scheme-exact -------------------------------------------------------------
def test_origin_must_match_scheme_host_and_port(make):
    client = TestClient(make())  # served on http://testserver
    assert validate(client, Origin="http://testserver") == 200
    assert validate(client, Origin="http://TestServer:80") == 200  # the same origin, spelled out
    for other in ("https://testserver", "http://testserver:8080", "https://evil.example", "null", ""):
        assert validate(client, Origin=other) == 403, other
    secure = TestClient(make(), base_url="https://testserver")
    assert validate(secure, Origin="https://testserver") == 200
    assert validate(secure, Origin="http://testserver") == 403


def test_a_proxys_public_host_is_accepted_over_https_or_the_servers_scheme(make):
    client = TestClient(make(allowed_hosts=("Detente.example.org",)))
    assert validate(client, Origin="https://detente.example.org") == 200
    assert validate(client, Origin="http://detente.example.org:8443") == 200  # this server is plain HTTP
    assert validate(client, Origin="ftp://detente.example.org") == 403
    assert validate(client, Origin="https://evil.example") == 403
    secure = TestClient(make(allowed_hosts=("detente.example.org",)), base_url="https://testserver")
    assert validate(secure, Origin="http://detente.example.org") == 403


# -- 2. without Origin: Sec-Fetch-Site, then Referer ------------------------------------------------
def test_without_origin_fetch_metadata_and_referer_decide(make):
    client = TestClient(make())
    assert validate(client, **{"Sec-Fetch-Site": "cross-site"}) == 403
    assert validate(client, **{"Sec-Fetch-Site": "something-new"}) == 403
    assert validate(client, **{"Sec-Fetch-Site": "same-origin"}) == 200
    assert validate(client, **{"Sec-Fetch-Site": "none"}) == 200
    assert validate(client, **{"Sec-Fetch-Site": "same-site"}) == 403  # a sibling host, and nothing says which
    assert validate(client, **{"Sec-Fetch-Site": "same-site", "Referer": "http://testserver/editor"}) == 200
    assert validate(client, **{"Sec-Fetch-Site": "same-site", "Referer": "http://other.testserver/"}) == 403
    assert validate(client, Referer="https://evil.example/page") == 403
    assert validate(client, Referer="https://testserver/editor") == 403  # the scheme differs
    assert validate(client, Referer="http://testserver/editor?copy=x") == 200
    assert validate(client) == 200  # curl and scripts send neither
    assert client.get("/api/scenarios", headers={"Sec-Fetch-Site": "cross-site"}).status_code == 200  # reads


def test_scripts_with_the_token_and_no_browser_headers_still_work(make):
    client = TestClient(make(token=TOKEN))
    assert validate(client) == 401
    assert validate(client, Authorization=f"Bearer {TOKEN}") == 200
    assert validate(client, Authorization=f"Bearer {TOKEN}", **{"Sec-Fetch-Site": "cross-site"}) == 403


# -- 3. the login page is rate-limited per address ----------------------------------------------------
def test_the_eleventh_wrong_token_in_a_minute_gets_429(make):
    app = make(token=TOKEN)
    now = [1000.0]
    app.state.logins.clock = lambda: now[0]
    client = TestClient(app)
    for _ in range(10):
        assert client.post("/login", data={"token": "guess"}, follow_redirects=False).status_code == 401
        now[0] += 1
    refused = client.post("/login", data={"token": TOKEN}, follow_redirects=False)  # even the right one
    assert refused.status_code == 429 and refused.headers["retry-after"] == "50"
    assert "Too many wrong tokens" in refused.text and "try again in 50 s" in refused.text
    assert app.state.logins.wait("another-address") == 0  # per address
    now[0] += 50
    assert client.post("/login", data={"token": TOKEN}, follow_redirects=False).status_code == 303
    assert app.state.logins.wait("testclient") == 0  # a login that works forgets the failures


# -- 4. the cookie holds a session that expires and that logout revokes --------------------------------
def test_the_cookie_is_a_session_that_logout_revokes(make):
    app = make(token=TOKEN)
    client = TestClient(app)
    answer = client.post("/login", data={"token": TOKEN}, follow_redirects=False)
    cookie = answer.headers["set-cookie"]
    assert "Max-Age=43200" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    session = client.cookies[COOKIE]
    assert TOKEN not in session and session != hashlib.sha256(TOKEN.encode()).hexdigest()
    assert client.get("/api/scenarios").status_code == 200
    assert client.post("/logout", follow_redirects=False).status_code == 303
    client.cookies.clear()
    stale = client.get("/api/scenarios", headers={"Cookie": f"{COOKIE}={session}"})
    assert stale.status_code == 401  # the old cookie no longer works
    page = client.get("/runs", headers={"Cookie": f"{COOKIE}={session}", "Accept": "text/html"})
    assert page.status_code == 401 and 'name="token"' in page.text


def test_a_session_expires_and_a_restart_forgets_it(make):
    app = make(token=TOKEN, session_hours=1)
    now = [0.0]
    app.state.sessions.clock = lambda: now[0]
    client = TestClient(app)
    answer = client.post("/login", data={"token": TOKEN}, follow_redirects=False)
    assert "Max-Age=3600" in answer.headers["set-cookie"]
    now[0] = 3599
    assert client.get("/api/scenarios").status_code == 200
    now[0] = 3600
    assert client.get("/api/scenarios").status_code == 401
    now[0] = 0
    assert client.get("/api/scenarios").status_code == 200
    restarted = TestClient(make(token=TOKEN), cookies=client.cookies)
    assert restarted.get("/api/scenarios").status_code == 401


def test_the_login_cookie_is_secure_over_https(make):
    client = TestClient(make(token=TOKEN), base_url="https://testserver")
    answer = client.post("/login", data={"token": TOKEN}, follow_redirects=False)
    assert "Secure" in answer.headers["set-cookie"]


# -- 5. SQLite is durable on power loss ------------------------------------------------------------
def test_sqlite_commits_are_synced(tmp_path):
    store = Store(tmp_path / "data")
    with store._connect() as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


# -- 6. the OpenAPI contract ------------------------------------------------------------------------
def test_405_names_the_allowed_methods(make):
    client = TestClient(make())
    for method, path, allowed in [("OPTIONS", "/api/runs", "GET, POST"), ("DELETE", "/api/runs", "GET, POST"),
                                  ("OPTIONS", "/api/scenarios/my-deal", "DELETE, GET, PUT"),
                                  ("OPTIONS", "/api/runs/0123456789abcdef/cancel", "POST"),
                                  ("POST", "/static/style.css", "GET, HEAD")]:
        answer = client.request(method, path)
        assert answer.status_code == 405 and answer.headers["allow"] == allowed, (method, path)


def test_an_unreadable_body_gets_a_documented_400(make):
    app = make()
    client = TestClient(app)
    answer = client.post("/api/analyses", content=b"\xff", headers={"Content-Type": "application/json"})
    assert answer.status_code == 400 and answer.json()["error"]
    bad_length = client.post("/api/runs", content=b"{}", headers={"Content-Length": "x"})
    assert bad_length.status_code == 400
    paths = client.get("/api/openapi.json").json()["paths"]
    for path, operations in paths.items():
        for method, operation in operations.items():
            assert "400" in operation["responses"], (method, path)


def test_the_yaml_fields_max_length_fits_the_body_limit(make):
    app = make(max_body=2000)
    client = TestClient(app)
    spec = client.get("/api/openapi.json").json()
    schemas = spec["components"]["schemas"]
    for model in ("ScenarioText", "Draft"):
        yaml = schemas[model]["properties"]["yaml"]
        longest = yaml.get("maxLength") or next(s["maxLength"] for s in yaml["anyOf"] if "maxLength" in s)
        assert longest == 2000 - len('{"yaml":""}'), model
    for path in ("/api/scenarios", "/api/scenarios/validate", "/api/scenarios/draft"):
        assert "2,000 bytes" in spec["paths"][path]["post"]["responses"]["413"]["description"]
    fits = client.post("/api/scenarios/validate", content=b'{"yaml":"' + b"a" * longest + b'"}',
                       headers={"Content-Type": "application/json"})
    assert fits.status_code == 422 and fits.json()["field"] != "yaml"  # read, then found not to be a scenario
    over = client.post("/api/scenarios/validate", content=b'{"yaml":"' + b"a" * (longest + 1) + b'"}',
                       headers={"Content-Type": "application/json"})
    assert over.status_code == 413
