"""The web app through FastAPI's test client: the JSON API, the pages, limits, the token."""

from __future__ import annotations

import html
import io
import json
import re
import time
import warnings
from concurrent.futures import ThreadPoolExecutor

import pytest
import xarray as xr
import yaml

import detente
from detente.inputs.scenario import bundled_scenarios
from detente.web import create_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette prefers httpx2 in its test client
    from fastapi.testclient import TestClient

RUN = {"scenarios": ["mount-2019"], "baseline": "no-deal", "samples": 2000, "seed": 3, "horizon": "2030-12"}

DEAL = """\
name: my-deal
title: Freeze for relief
start: 2027-01
phases:
  - id: freeze
    name: Verified freeze at Yongbyon
    start: {at: signature}
    duration_months: {dist: lognormal, p5: 2, p95: 8, judgement: true, basis: "past deadlines slipped"}
    measures:
      - {kind: freeze, sites: [yongbyon]}
      - {kind: test-moratorium}
    incentives:
      - {kind: sanctions-relief, sanctions: [textiles, seafood]}
    verification:
      - verifier: IAEA
        sites: [yongbyon]
        detect_per_month: {dist: uniform, low: 0.5, high: 0.9, judgement: true, basis: "seals and cameras"}
        dispute_per_month: {dist: uniform, low: 0.0, high: 0.02, judgement: true, basis: "routine"}
        access_lag_months: {dist: fixed, value: 1, judgement: true, basis: "within a month"}
"""


class Inline:
    """Executor that runs each job at once, in the calling thread."""

    def submit(self, fn, *args):
        fn(*args)


class Held:
    """Executor that keeps jobs until told to run them (runs stay queued meanwhile)."""

    def __init__(self):
        self.jobs = []

    def submit(self, fn, *args):
        self.jobs.append((fn, args))

    def run_all(self):
        while self.jobs:
            fn, args = self.jobs.pop(0)
            fn(*args)


def stub_report(results, title):
    return f"<!doctype html><html><body><h1>{title}</h1><figure class='chart'><svg></svg></figure></body></html>"


def make(tmp_path, **options):
    options.setdefault("executor", Inline())
    app = create_app(tmp_path / "data", **options)
    app.state.jobs.renderer = stub_report
    return app


@pytest.fixture
def app(tmp_path):
    app = make(tmp_path)
    yield app
    app.state.jobs.shutdown()


@pytest.fixture
def client(app):
    return TestClient(app)


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """One app with a saved scenario and a finished run, for tests that only read."""
    app = make(tmp_path_factory.mktemp("shared"))
    app.state.jobs.renderer = None  # the real report, when detente.report is installed
    client = TestClient(app)
    assert client.post("/api/scenarios", json={"yaml": DEAL}).status_code == 201
    run = client.post("/api/runs", json=RUN).json()
    assert run["status"] == "done", run
    yield client, run
    app.state.jobs.shutdown()


def wait_for(client, run_id, statuses, timeout=60.0, headers=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = client.get(f"/api/runs/{run_id}", headers=headers).json()
        if run["status"] in statuses:
            return run
        time.sleep(0.05)
    raise AssertionError(f"run {run_id} still {run['status']} after {timeout} s")


def error_of(response, status):
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "field", "file"} and body["error"]
    return body


# -- scenarios ---------------------------------------------------------------------------------
def test_library_lists_bundled_and_saved_scenarios(client):
    listed = client.get("/api/scenarios").json()
    assert {s["name"] for s in listed} == set(bundled_scenarios())
    assert all(s["bundled"] for s in listed)
    assert client.post("/api/scenarios", json={"yaml": DEAL}).status_code == 201
    mine = [s for s in client.get("/api/scenarios").json() if not s["bundled"]]
    assert mine == [{"name": "my-deal", "title": "Freeze for relief", "kind": "agreement", "start": "2027-01",
                     "phases": 1, "bundled": False, "updated_at": mine[0]["updated_at"], "problem": None}]


def test_scenario_in_plain_words(client):
    body = client.get("/api/scenarios/mount-2019").json()
    assert body["bundled"] and body["yaml"].startswith("name: mount-2019")
    plain = body["plain"]
    phases = {p["id"]: p for p in plain["phases"]}
    assert phases["codify"]["when"] == "At signature"
    assert phases["dismantle-elwr"]["when"] == "Once “Disablement of the ELWR” is complete and verified"
    assert "Disable: Yongbyon Experimental Light Water Reactor" in phases["disable-elwr"]["measures"]
    assert "No flight tests of IRBM, ICBM, SLBM missiles" in phases["codify"]["measures"]
    assert any(i.startswith("Sanctions relief: textile exports") for i in phases["codify"]["incentives"]), \
        phases["codify"]["incentives"]
    assert phases["disable-elwr"]["verification"][0].startswith("US technical team and IAEA checks Yongbyon")
    assert "cheating each month: about 70 % (90 % range 52 %–88 %)" in phases["disable-elwr"]["verification"][0]
    assert plain["triggers"] == [] and plain["sources"][0]["id"] == "mount-2018-axios"  # shocks: the profile's
    error_of(client.get("/api/scenarios/nothing-here"), 404)
    error_of(client.get("/api/scenarios/Bad_Name"), 422)


def test_validate_names_file_field_and_reason(client):
    ok = client.post("/api/scenarios/validate", json={"yaml": DEAL})
    assert ok.status_code == 200 and ok.json() == {"valid": True, "name": "my-deal", "title": "Freeze for relief",
                                                   "start": "2027-01", "phases": 1, "warnings": []}
    by_site = DEAL.replace("sites: [yongbyon]}", "sites: [kangson]}")
    warned = client.post("/api/scenarios/validate", json={"yaml": by_site})
    assert warned.status_code == 200 and len(warned.json()["warnings"]) == 1
    assert warned.json()["warnings"][0].startswith("my-deal.yaml: phases[freeze].measures[0].sites: site 'kangson'")
    bad = error_of(client.post("/api/scenarios/validate", json={"yaml": DEAL.replace("sites: [yongbyon]}",
                                                                                      "facilities: [atlantis]}")}), 422)
    assert bad == {"error": bad["error"], "field": "phases[freeze].measures[0].facilities", "file": "my-deal.yaml"}
    assert "unknown facility 'atlantis'" in bad["error"]
    negative = error_of(client.post("/api/scenarios/validate",
                                    json={"yaml": DEAL.replace("low: 0.0, high: 0.02", "low: -0.1, high: 0.02")}), 422)
    assert negative["field"] == "phases[freeze].verification[0].dispute_per_month"
    assert "values must be ≥ 0; this distribution reaches -0.1" in negative["error"]
    sanction = error_of(client.post("/api/scenarios/validate", json={"yaml": DEAL.replace("textiles", "caviar")}), 422)
    assert "caviar" in sanction["error"] and sanction["field"].startswith("phases[freeze].incentives[0]")
    early = error_of(client.post("/api/scenarios/validate", json={"yaml": DEAL.replace("2027-01", "2026-01")}), 422)
    assert early["field"] == "start" and "before the profile's data date" in early["error"]
    syntax = error_of(client.post("/api/scenarios/validate", json={"yaml": "name: x\nphases: [\n"}), 422)
    assert syntax["field"].startswith("line ") and syntax["error"].startswith("not valid YAML")


def test_yaml_is_loaded_safely(client, tmp_path):
    canary = tmp_path / "canary"
    attack = f"!!python/object/apply:os.system ['touch {canary}']\n"
    body = error_of(client.post("/api/scenarios/validate", json={"yaml": attack}), 422)
    assert "not valid YAML" in body["error"] and not canary.exists()
    laughs = "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: [*b, *b, *b, *b]\n"
    body = error_of(client.post("/api/scenarios/validate", json={"yaml": laughs}), 422)
    assert "aliases" in body["error"] and body["field"] == "line 2"
    for text in ("", "- just\n- a list\n", "42\n"):
        body = error_of(client.post("/api/scenarios/validate", json={"yaml": text}), 422)
        assert body["file"] == "scenario.yaml"


def test_create_replace_delete_user_scenarios(client, app):
    created = client.post("/api/scenarios", json={"yaml": DEAL})
    assert created.status_code == 201 and created.headers["location"] == "/api/scenarios/my-deal"
    assert (app.state.store.dir / "scenarios" / "my-deal.yaml").read_text() == DEAL
    assert "already named" in error_of(client.post("/api/scenarios", json={"yaml": DEAL}), 409)["error"]
    bundled = DEAL.replace("name: my-deal", "name: mount-2019")
    assert "bundled" in error_of(client.post("/api/scenarios", json={"yaml": bundled}), 409)["error"]
    assert error_of(client.put("/api/scenarios/mount-2019", json={"yaml": bundled}), 409)
    mismatch = error_of(client.put("/api/scenarios/other-name", json={"yaml": DEAL}), 422)
    assert mismatch["field"] == "name"
    changed = DEAL.replace("Freeze for relief", "Freeze for more relief")
    assert client.put("/api/scenarios/my-deal", json={"yaml": changed}).status_code == 200
    assert client.get("/api/scenarios/my-deal").json()["title"] == "Freeze for more relief"
    second = DEAL.replace("name: my-deal", "name: second-deal")
    assert client.put("/api/scenarios/second-deal", json={"yaml": second}).status_code == 201
    assert client.delete("/api/scenarios/second-deal").status_code == 204
    error_of(client.delete("/api/scenarios/second-deal"), 404)
    error_of(client.delete("/api/scenarios/no-deal"), 409)
    error_of(client.post("/api/scenarios", json={"yaml": DEAL, "extra": 1}), 422)
    error_of(client.post("/api/scenarios", json={}), 422)


# -- runs --------------------------------------------------------------------------------------
def test_run_start_poll_and_results(shared):
    client, run = shared
    assert run["scenarios"] == ["no-deal", "mount-2019"] and run["baseline"] == "no-deal"
    run = wait_for(client, run["id"], {"done"})
    assert run["done"] == 2000 and run["progress"] == 1.0 and run["error"] is None
    assert run["started_at"] and run["finished_at"]
    assert run["id"] in [r["id"] for r in client.get("/api/runs", params={"status": "done"}).json()]
    assert client.get("/api/runs", params={"status": "failed"}).json() == []

    summary = client.get(run["links"]["results"]).json()
    assert summary["attrs"]["samples"] == 2000 and summary["attrs"]["seed"] == 3
    assert summary["baseline"] == "no-deal" and summary["compare_dates"] == ["2030-12"]
    got = {(r["scenario"], r["metric"], r["date"]): r for r in summary["records"]}
    # the same numbers as the Python API on the same seed (runs are reproducible)
    direct = detente.compare(["mount-2019"], baseline="no-deal", samples=2000, seed=3, horizon="2030-12")
    for want in direct.records(["2030-12"]):
        assert got[(want["scenario"], want["metric"], want["date"])] == want
    assert ("mount-2019", "delta:warheads_possible", "2030-12") in got

    csv = client.get(run["links"]["csv"])
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert csv.text.splitlines()[0] == "scenario,metric,date,mean,p5,p25,p50,p75,p95,beyond_range"
    nc = client.get(run["links"]["netcdf"])
    assert nc.status_code == 200 and nc.content[:4] == b"\x89HDF"
    with xr.open_dataset(io.BytesIO(nc.content), engine="h5netcdf") as ds:
        assert list(ds["warheads_possible"].coords["scenario"].values) == ["no-deal", "mount-2019"]
        assert ds.attrs["samples"] == 2000
    folder = client.app.state.store.dir / "runs" / run["id"]
    assert {p.name for p in folder.iterdir()} >= {"summary.json", "results.csv", "results.nc", "inputs"}
    started = TestClient(make(client.app.state.store.dir.parent / "fresh", executor=Held())).post("/api/runs",
                                                                                                 json=RUN)
    assert started.status_code == 202 and started.headers["location"] == f"/api/runs/{started.json()['id']}"


def test_a_run_of_a_user_scenario_keeps_its_inputs(client, app):
    assert client.post("/api/scenarios", json={"yaml": DEAL}).status_code == 201
    run = client.post("/api/runs", json={**RUN, "scenarios": ["my-deal"]}).json()
    assert wait_for(client, run["id"], {"done", "failed"})["status"] == "done"
    client.put("/api/scenarios/my-deal", json={"yaml": DEAL.replace("Freeze for relief", "Changed later")})
    snapshot = app.state.store.dir / "runs" / run["id"] / "inputs" / "my-deal.yaml"
    assert snapshot.read_text() == DEAL
    client.delete("/api/scenarios/my-deal")
    assert client.get(f"/api/runs/{run['id']}/results").status_code == 200


def test_bad_run_requests_are_4xx_with_the_field(client):
    cases = [
        ({"scenarios": ["atlantis"]}, "scenarios", "no scenario named 'atlantis'"),
        ({"scenarios": []}, "scenarios", None),
        ({"scenarios": ["mount-2019"], "baseline": "atlantis"}, "baseline", "no scenario named 'atlantis'"),
        ({"scenarios": ["mount-2019"], "horizon": "2030-13"}, "horizon", "month 13"),
        ({"scenarios": ["mount-2019"], "horizon": "Dec 2030"}, "horizon", None),
        ({"scenarios": ["mount-2019"], "horizon": "2026-12"}, "horizon", "before the scenario start"),
        ({"scenarios": ["mount-2019"], "horizon": "2200-01"}, "horizon", "too far"),
        ({"scenarios": ["mount-2019"], "samples": 0}, "samples", None),
        ({"scenarios": ["mount-2019"], "seed": -1}, "seed", None),
        ({"scenarios": ["mount-2019"], "threshold": 5000}, "threshold", None),
        ({"scenarios": ["mount-2019"], "workers": 4}, "workers", None),
        ({"scenarios": "mount-2019"}, "scenarios", None),
    ]
    for body, field, words in cases:
        problem = error_of(client.post("/api/runs", json=body), 422)
        assert problem["field"] == field, (body, problem)
        if words:
            assert words in problem["error"], (body, problem)
    problem = error_of(client.post("/api/runs", content=b"{not json", headers={"content-type": "application/json"}),
                       422)
    assert "not valid JSON" in problem["error"]
    assert client.get("/api/runs").json() == []


def test_limits_samples_body_and_concurrent_runs(tmp_path):
    held = Held()
    app = make(tmp_path, executor=held, max_samples=5000, max_body=4096, max_runs=2)
    client = TestClient(app)
    problem = error_of(client.post("/api/runs", json={**RUN, "samples": 5001}), 422)
    assert problem["field"] == "samples" and "5000" in problem["error"]
    problem = error_of(client.post("/api/scenarios/validate", json={"yaml": "#" * 5000}), 413)
    assert "4,096 bytes" in problem["error"]
    chunks = (b"x" * 1000 for _ in range(6))  # no Content-Length: counted while it streams
    assert client.post("/api/scenarios/validate", content=chunks,
                       headers={"content-type": "application/json"}).status_code == 413
    first = client.post("/api/runs", json=RUN).json()
    client.post("/api/runs", json=RUN)
    busy = client.post("/api/runs", json=RUN)
    assert "2 runs are already queued or running" in error_of(busy, 429)["error"]
    assert busy.headers["retry-after"]
    assert client.post(f"/api/runs/{first['id']}/cancel").json()["status"] == "cancelled"
    assert client.post("/api/runs", json=RUN).status_code == 202
    statuses = sorted(r["status"] for r in client.get("/api/runs").json())
    assert statuses == ["cancelled", "queued", "queued"]
    error_of(client.post(f"/api/runs/{first['id']}/cancel"), 409)
    with pytest.raises(ValueError):
        create_app(tmp_path / "other", max_runs=0)


def test_results_wait_until_the_run_is_done(tmp_path):
    app = make(tmp_path, executor=Held())
    client = TestClient(app)
    run = client.post("/api/runs", json=RUN).json()
    assert run["status"] == "queued" and run["links"].keys() == {"self", "page", "cancel"}
    for suffix in ("results", "results.csv", "results.nc"):
        assert "queued" in error_of(client.get(f"/api/runs/{run['id']}/{suffix}"), 409)["error"]
    error_of(client.get("/api/runs/0123456789abcdef"), 404)
    error_of(client.get("/api/runs/0123456789abcdef/results"), 404)
    error_of(client.post("/api/runs/0123456789abcdef/cancel"), 404)
    error_of(client.get("/api/runs/..%2F..%2Fetc"), 404)
    error_of(client.get("/api/runs/not-a-run-id"), 422)


def test_cancel_a_running_run(tmp_path):
    app = make(tmp_path, executor=None, max_samples=200_000)  # background threads, as deployed
    client = TestClient(app)
    try:
        run = client.post("/api/runs", json={"scenarios": ["no-deal"], "baseline": None, "samples": 200_000,
                                             "horizon": "2030-12"}).json()
        deadline = time.monotonic() + 30
        while (state := client.get(f"/api/runs/{run['id']}").json())["done"] == 0:
            assert time.monotonic() < deadline and state["status"] in ("queued", "running")
            time.sleep(0.02)
        assert state["status"] == "running" and 0 < state["progress"] < 1
        assert client.post(f"/api/runs/{run['id']}/cancel").status_code == 202
        final = wait_for(client, run["id"], {"cancelled", "done", "failed"})
        assert final["status"] == "cancelled" and final["done"] < 200_000
        assert final["error"] == "cancelled by the user"
        error_of(client.get(f"/api/runs/{run['id']}/results"), 409)
        assert not (app.state.store.dir / "runs" / run["id"] / "results.nc").exists()
    finally:
        app.state.jobs.shutdown()


def test_report_is_optional(tmp_path, monkeypatch):
    app = make(tmp_path)
    client = TestClient(app)

    def broken(results, title):
        raise RuntimeError("no fonts")

    app.state.jobs.renderer = broken
    run = client.post("/api/runs", json=RUN).json()
    assert run["status"] == "done" and "could not be rendered: RuntimeError: no fonts" in run["note"]
    page = client.get(f"/runs/{run['id']}").text
    assert 'id="headline"' in page and "<iframe" not in page
    assert client.get(f"/runs/{run['id']}/report").status_code == 404

    app.state.jobs.renderer = None
    monkeypatch.setitem(__import__("sys").modules, "detente.report", None)  # as if not installed
    run = client.post("/api/runs", json=RUN).json()
    assert run["status"] == "done" and "not available" in run["note"]
    assert client.get(f"/api/runs/{run['id']}/results").status_code == 200


def test_embedded_report_has_the_charts(shared):
    client, run = shared
    page = client.get(f"/runs/{run['id']}").text
    pytest.importorskip("detente.report")
    assert f'<iframe class="report" id="report" src="/runs/{run["id"]}/report"' in page
    report = client.get(f"/runs/{run['id']}/report")
    assert report.status_code == 200 and report.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in report.headers["content-security-policy"]
    assert re.search(r'class="chart"', report.text) and "<svg" in report.text


# -- the token ---------------------------------------------------------------------------------
def test_token_is_required_on_every_request(tmp_path):
    app = make(tmp_path, token="s3cret-token", executor=Held())
    client = TestClient(app)
    for path in ("/api/scenarios", "/api/openapi.json", "/api/runs/0123456789abcdef", "/static/style.css"):
        denied = client.get(path)
        assert denied.status_code == 401 and denied.headers["www-authenticate"] == "Bearer", path
        assert "token" in denied.json()["error"]
    assert client.post("/api/runs", json=RUN).status_code == 401
    assert client.get("/api/scenarios", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/api/scenarios", headers={"Authorization": "Bearer s3cret-token"}).status_code == 200
    assert client.get("/api/scenarios", headers={"X-Detente-Token": "s3cret-token"}).status_code == 200
    started = client.post("/api/runs", json=RUN, headers={"Authorization": "Bearer s3cret-token"})
    assert started.status_code == 202
    page = client.get("/runs", headers={"Accept": "text/html"})
    assert page.status_code == 401 and 'name="token"' in page.text and 'value="/runs"' in page.text
    wrong = client.post("/login", data={"token": "guess", "next": "/runs"}, follow_redirects=False)
    assert wrong.status_code == 401 and "not the token" in wrong.text
    right = client.post("/login", data={"token": "s3cret-token", "next": "//evil.example/"}, follow_redirects=False)
    assert right.status_code == 303 and right.headers["location"] == "/"
    cookie = right.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    assert client.get("/runs").status_code == 200  # the cookie now carries the token
    assert client.get(f"/api/runs/{started.json()['id']}").status_code == 200
    client.post("/logout")
    assert client.get("/api/scenarios").status_code == 401


def test_no_token_means_open_on_localhost(client):
    assert client.get("/login").status_code == 200
    assert client.get("/api/scenarios").status_code == 200


# -- pages -------------------------------------------------------------------------------------
def test_pages_render_without_javascript_or_external_resources(shared):
    client, run = shared
    for path in ("/", "/scenarios/mount-2019", "/scenarios/no-deal", "/editor", "/editor?copy=kimball-2018",
                 "/run?scenario=mount-2019", "/runs", f"/runs/{run['id']}", "/compare", f"/compare?run={run['id']}",
                 "/parameters", "/parameters?scenario=mount-2019", "/sources", "/login"):
        page = client.get(path)
        assert page.status_code == 200, path
        assert page.headers["content-type"].startswith("text/html")
        scripts = re.findall(r"<script[^>]*>", page.text)
        if path.startswith("/editor"):  # the builder, over a YAML form that works without it
            assert scripts == ['<script type="application/json" id="vocabulary">',
                               f'<script nonce="{page.headers["content-security-policy"].split("nonce-")[1][:16]}" '
                               'src="/static/builder.js">'], path
            assert '<form method="post" action="/editor"' in page.text and 'id="yaml"' in page.text
        else:
            assert not scripts, path  # only an unfinished run's page polls
        assert not re.search(r'<(link|script|img|iframe)[^>]+(src|href)="(https?:)?//', page.text), path
        assert "'nonce-" in page.headers.get("content-security-policy", "'nonce-") and page.headers[
            "x-content-type-options"] == "nosniff"


def test_library_and_scenario_pages(shared):
    client, _ = shared
    library = client.get("/").text
    for name in bundled_scenarios():
        assert f'href="/scenarios/{name}"' in library
    page = client.get("/scenarios/mount-2019").text
    for words in ("Disablement of the ELWR", "At signature", "Once “Disablement of the ELWR” is complete and verified",
                  "Disable: Yongbyon Experimental Light Water Reactor", "In return", "Verification",
                  'href="/run?scenario=mount-2019"'):
        assert words in page, words
    assert "Outside events that may end it" in client.get("/scenarios/hanoi-2019").text
    missing = client.get("/scenarios/atlantis")
    assert missing.status_code == 404 and "atlantis" in missing.text


def test_editor_shows_errors_inline_and_saves(client):
    bad = DEAL.replace("sites: [yongbyon]}", "facilities: [atlantis]}")
    page = client.post("/editor", data={"yaml": bad, "action": "validate"})
    assert page.status_code == 422
    assert "my-deal.yaml: phases[freeze].measures[0].facilities" in page.text
    assert "(line 10)" in page.text and 'class="hit"' in page.text and "unknown facility" in page.text
    assert "atlantis" in page.text and 'aria-invalid="true"' in page.text
    ok = client.post("/editor", data={"yaml": DEAL, "action": "validate"})
    assert ok.status_code == 200 and "Valid: my-deal" in ok.text
    saved = client.post("/editor", data={"yaml": DEAL, "action": "save"}, follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"] == "/scenarios/my-deal?saved=1"
    assert "Saved." in client.get(saved.headers["location"]).text
    assert "yours" in client.get("/").text
    clash = client.post("/editor", data={"yaml": DEAL, "action": "save", "original": ""})
    assert clash.status_code == 409 and "already named" in clash.text
    edited = DEAL.replace("Freeze for relief", "Edited")
    again = client.post("/editor", data={"yaml": edited, "action": "save", "original": "my-deal"},
                        follow_redirects=False)
    assert again.status_code == 303 and client.get("/api/scenarios/my-deal").json()["title"] == "Edited"
    assert "name: my-deal" in client.get("/editor?name=my-deal").text


def test_draft_check_goes_both_ways_and_lists_every_problem(client):
    from detente.inputs.vocabulary import INCENTIVE_KINDS, MEASURE_KINDS
    from detente.web.builder import starter

    page = client.get("/editor").text
    words = json.loads(html.unescape(re.search(r'<script type="application/json" id="vocabulary">(.*?)</script>',
                                               page, re.S)[1]))
    assert [k for k, _ in words["measures"]] == list(MEASURE_KINDS)  # every kind offered, each with a label
    assert [k for k, _ in words["incentives"]] == list(INCENTIVE_KINDS)
    assert all(label and label != kind for kind, label in words["measures"] + words["incentives"])

    first = client.post("/api/scenarios/draft", json={"yaml": starter()}).json()
    assert first["valid"] and first["name"] == "my-deal" and first["problems"] == []
    doc = first["document"]
    assert doc["phases"][0]["measures"][0]["kind"] == "freeze"
    doc["phases"][0]["duration_months"]["low"] = "abc"  # three mistakes: all come back at once
    doc["phases"][0]["verification"][0]["detect_per_month"]["high"] = 90
    doc["phases"].append({"id": "Bad", "name": "x", "start": {"at": "signature"},
                          "duration_months": {"dist": "fixed", "value": 3, "judgement": True, "basis": "test"}})
    back = client.post("/api/scenarios/draft", json={"document": doc}).json()
    assert yaml.safe_load(back["yaml"]) == doc and not back["valid"]
    fields = {p["field"]: p for p in back["problems"]}
    assert set(fields) == {"phases[phase-1].duration_months", "phases[phase-1].verification[0].detect_per_month",
                           "phases[Bad].id"}
    assert "fraction from 0 to 1 (50 % is 0.5)" in fields["phases[phase-1].verification[0].detect_per_month"]["reason"]
    assert "lower-case letters" in fields["phases[Bad].id"]["reason"]
    assert back["yaml"].splitlines()[fields["phases[Bad].id"]["line"] - 1].strip() == "- id: Bad"

    broken = client.post("/api/scenarios/draft", json={"yaml": "name: x\nphases: [\n"}).json()
    assert broken["document"] is None and broken["problems"][0]["reason"].startswith("not valid YAML")
    deep: dict = {}
    node = deep
    for _ in range(45):
        node["x"] = {}
        node = node["x"]
    too_deep = client.post("/api/scenarios/draft", json={"document": deep}).json()
    assert "nests more than 40 levels" in too_deep["problems"][0]["reason"]
    assert client.post("/api/scenarios/draft", json={"yaml": "a: 1", "document": {}}).status_code == 422


def test_run_form_and_results_pages(client):
    started = client.post("/runs", data={"scenarios": "mount-2019", "baseline": "no-deal", "samples": "2,000",
                                         "seed": "3", "horizon": "2030-12"}, follow_redirects=False)
    assert started.status_code == 303
    run_page = started.headers["location"]
    run_id = run_page.rsplit("/", 1)[1]
    page = client.get(run_page).text
    assert "<strong id=\"status\">done</strong>" in page and f'src="/runs/{run_id}/report"' in page
    assert f'href="/compare?run={run_id}"' in page and "Compare with no-deal" in page
    compare = client.get(f"/compare?run={run_id}").text
    assert "warheads averted" in compare and '<th scope="row">mount-2019</th>' in compare
    assert '<th scope="row">no-deal</th>' in compare and 'id="compare-horizon"' in compare
    bad = client.post("/runs", data={"scenarios": "mount-2019", "samples": "lots"})
    assert bad.status_code == 422 and "samples" in bad.text and "not a whole number" in bad.text
    too_many = client.post("/runs", data={"scenarios": "mount-2019", "samples": "999999"})
    assert too_many.status_code == 422 and "200,000" in too_many.text
    listing = client.get("/runs").text
    assert run_id in listing


def test_compare_form_starts_a_run_of_several_deals(tmp_path):
    client = TestClient(make(tmp_path, executor=Held()))
    form = client.get("/compare?scenarios=kimball-2018&baseline=no-deal&samples=5000").text
    assert 'value="kimball-2018" checked' in form and 'value="5000"' in form
    several = client.post("/runs", data={"from": "compare", "scenarios": ["mount-2019", "hanoi-2019"],
                                         "baseline": "no-deal", "samples": "1e3", "horizon": "2030-12"},
                          follow_redirects=False)
    assert several.status_code == 303
    run = client.get("/api/runs/" + several.headers["location"].rsplit("/", 1)[1]).json()
    assert run["scenarios"] == ["no-deal", "mount-2019", "hanoi-2019"] and run["samples"] == 1000
    none = client.post("/runs", data={"from": "compare", "baseline": "no-deal", "samples": "1000"})
    assert none.status_code == 422 and "at least one scenario" in none.text and "Deals to compare" in none.text


def test_unfinished_run_page_polls_and_can_cancel(tmp_path):
    held = Held()
    client = TestClient(make(tmp_path, executor=held))
    run = client.post("/api/runs", json=RUN).json()
    page = client.get(f"/runs/{run['id']}")
    nonce = re.search(r"'nonce-([^']+)'", page.headers["content-security-policy"])[1]
    assert f'<script nonce="{nonce}">' in page.text and f'fetch("/api/runs/{run["id"]}"' in page.text
    assert '<meta http-equiv="refresh"' in page.text  # without JavaScript the page refreshes itself
    cancelled = client.post(f"/runs/{run['id']}/cancel", follow_redirects=False)
    assert cancelled.status_code == 303
    assert client.get(f"/api/runs/{run['id']}").json()["status"] == "cancelled"
    held.run_all()
    assert client.get(f"/api/runs/{run['id']}").json()["status"] == "cancelled"


def test_parameters_and_sources_pages(shared):
    client, _ = shared
    params = client.get("/parameters?scenario=mount-2019").text
    rows = client.get("/api/parameters", params={"scenario": "mount-2019"}).json()
    assert any(r["parameter"].startswith("mount-2019.") for r in rows)
    for row in rows[:5] + rows[-5:]:
        assert f"<code>{row['parameter']}</code>" in params
    assert client.get("/api/parameters", params={"scenario": "atlantis"}).status_code == 404
    sources = client.get("/sources").text
    ids = [s["id"] for s in client.get("/api/sources").json()]
    assert ids and all(f'id="{i}"' in sources for i in ids)


def test_cross_site_requests_are_refused(client):
    denied = client.post("/runs", data={"scenarios": "mount-2019"},
                         headers={"Origin": "https://evil.example", "Host": "testserver"})
    assert denied.status_code == 403
    assert error_of(client.post("/api/runs", json=RUN, headers={"Origin": "https://evil.example"}), 403)
    plain_text = client.post("/api/runs", content=json.dumps(RUN), headers={"content-type": "text/plain"})
    assert plain_text.status_code == 422  # a 'simple' cross-site request cannot smuggle JSON in
    assert client.get("/api/runs").json() == []
    same_site = client.post("/api/scenarios/validate", json={"yaml": DEAL}, headers={"Origin": "http://testserver"})
    assert same_site.status_code == 200


def test_default_executor_is_a_thread_pool(tmp_path):
    app = create_app(tmp_path / "data")
    try:
        assert isinstance(app.state.jobs.executor, ThreadPoolExecutor)
    finally:
        app.state.jobs.shutdown()


def test_login_cookie_works_for_tokens_with_cookie_special_characters(tmp_path):
    from fastapi.testclient import TestClient

    from detente.web import create_app

    token = 'my "secret", token; really'
    client = TestClient(create_app(tmp_path / "data", token=token), base_url="http://127.0.0.1")
    assert client.get("/api/scenarios").status_code == 401
    answer = client.post("/login", data={"token": token, "next": "/"}, follow_redirects=False)
    assert answer.status_code == 303
    assert client.get("/api/scenarios").status_code == 200


def test_login_redirects_only_within_the_site(tmp_path):
    from fastapi.testclient import TestClient

    from detente.web import create_app

    client = TestClient(create_app(tmp_path / "data", token="t"), base_url="http://127.0.0.1")
    answer = client.post("/login", data={"token": "t", "next": "/\t/evil.example"}, follow_redirects=False)
    assert answer.headers["location"] == "/"


# -- analyses of a stored run -------------------------------------------------------------------
def test_a_finished_run_can_be_analysed_in_the_browser(tmp_path):
    """Drivers, scenario discovery and robustness from a finished run's stored samples, each with
    its chart and table; a bad condition comes back on the form, naming its field."""
    client = TestClient(make(tmp_path))
    run = client.post("/api/runs", json={"scenarios": ["kimball-2018", "mount-2019", "all-first"],
                                         "baseline": "no-deal", "samples": 6000, "seed": 1,
                                         "horizon": "2036-12"}).json()
    assert run["status"] == "done", run
    page = client.get(f"/runs/{run['id']}")
    assert f'href="/runs/{run["id"]}/analyze"' in page.text
    form = client.get(f"/runs/{run['id']}/analyze")
    assert form.status_code == 200 and 'name="kind"' in form.text and 'id="analysis"' not in form.text
    drivers = client.get(f"/runs/{run['id']}/analyze", params={"kind": "drivers", "scenario": "kimball-2018"})
    assert drivers.status_code == 200 and "PAWN" in drivers.text and "<svg" in drivers.text
    assert "mount-2019." not in drivers.text.split('id="analysis"')[1]  # never another deal's inputs
    found = client.get(f"/runs/{run['id']}/analyze", params={
        "kind": "discover", "scenario": "kimball-2018", "when": "delta:warheads_possible < -100"})
    assert found.status_code == 200 and "coverage" in found.text and "density" in found.text
    robust = client.get(f"/runs/{run['id']}/analyze", params={
        "kind": "robustness", "goal": "delta:warheads_possible <= -40"})
    assert robust.status_code == 200 and "meets the goal" in robust.text and "all-first" in robust.text
    bad = client.get(f"/runs/{run['id']}/analyze", params={"kind": "discover", "scenario": "kimball-2018",
                                                           "when": "warheads == 3"})
    assert bad.status_code == 422 and 'id="when-error"' in bad.text and "METRIC" in bad.text
    late = client.get(f"/runs/{run['id']}/analyze", params={"kind": "drivers", "scenario": "kimball-2018",
                                                            "outcome": "warheads_possible@2040"})
    assert late.status_code == 422 and "run ends 2036-12" in late.text
    assert client.get("/runs/0123456789abcdef/analyze").status_code == 404


def test_sobol_and_sweep_run_as_background_analyses(tmp_path):
    """Sobol' indices and a lever sweep start from the form or the API, run as background runs with
    progress, and end with their page (chart and table) and JSON; bad input comes back naming the
    field."""
    client = TestClient(make(tmp_path))
    sobol = client.post("/api/analyses", json={"kind": "sobol", "scenario": "kimball-2018",
                                               "outcome": "delta:warheads_possible@2031", "samples": 16})
    assert sobol.status_code == 202, sobol.text
    run = sobol.json()
    assert run["status"] == "done", run
    assert run["samples"] == run["done"] and run["samples"] % 16 == 0  # model runs: 16 × (families + 3)
    found = client.get(f"/api/runs/{run['id']}/analysis").json()
    assert found["analysis"]["kind"] == "sobol" and "chance" in {r["input"] for r in found["table"]}
    assert found["command"].startswith("detente analyze sensitivity kimball-2018")
    page = client.get(f"/runs/{run['id']}")
    assert 'id="analysis-frame"' in page.text and "model runs" in page.text and "compare-link" not in page.text
    html = client.get(f"/runs/{run['id']}/analysis")
    assert html.status_code == 200 and "<svg" in html.text and "Sobol" in html.text
    started = client.post("/analyses", data={"kind": "sweep", "scenario": "jcpoa-style", "baseline": "no-deal",
                                             "outcome": "delta:warheads_possible@2031", "samples": "3000",
                                             "seed": "1", "by": "family",
                                             "set": "adoption.verification1.detect_per_month=0.01,0.5"},
                          follow_redirects=False)
    assert started.status_code == 303, started.text
    sweep_id = started.headers["location"].rsplit("/", 1)[1]
    rows = client.get(f"/api/runs/{sweep_id}/analysis").json()["table"]
    assert [r["value"] for r in rows] == ["0.01", "0.5"] and rows[1]["change"] <= 0
    bad = client.post("/analyses", data={"kind": "sweep", "scenario": "kimball-2018", "samples": "1000",
                                         "seed": "0", "set": "halt.verification9.detect_per_month=0.1"})
    assert bad.status_code == 422 and "verification" in bad.text and 'id="analysis-error"' in bad.text
    odd = client.post("/api/analyses", json={"kind": "sobol", "scenario": "kimball-2018", "samples": 100})
    assert error_of(odd, 422)["field"] == "samples"
    assert "Analyse" in client.get("/analyses").text
