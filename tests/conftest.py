"""Shared fixtures: the bundled profile, a compiled baseline plan, a central-parameter run, and for the
browser tests the web app under uvicorn and headless system Chromium."""

from __future__ import annotations

import json
import shutil
import socket
import threading
import time
import urllib.request

import numpy as np
import pytest

import detente
from detente.engine import layout
from detente.engine.accumulate import new_tally
from detente.engine.block import central_draws
from detente.model.fissile import run_months
from detente.months import parse_month

SHARED_SERVER = ("test_web_browser", "test_web_builder", "test_web_mobile")  # files that share `server`


def pytest_collection_modifyitems(config, items):
    """Under pytest-xdist (``make test`` runs two workers, ``--dist loadgroup``) each test file runs on
    one worker, so its module fixtures are made once, and the browser files that share the session's
    server and finished run go to the same one."""
    for item in items:
        name = item.path.stem
        item.add_marker(pytest.mark.xdist_group("shared-server" if name in SHARED_SERVER else name))


@pytest.fixture(scope="session", autouse=True)
def calibration_cache(tmp_path_factory):
    """Calibrated pools are cached in a folder of the test session's own, never the user's."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DETENTE_CACHE", str(tmp_path_factory.mktemp("cache")))
        yield


@pytest.fixture(scope="session")
def profile():
    return detente.load_profile("dprk")


@pytest.fixture(scope="session")
def plan(profile):
    return detente.check("no-deal", profile=profile, horizon="2040-12")


@pytest.fixture(scope="session")
def central_state(plan):
    """State of the central-parameter trajectory at a month: ``central_state("2008-06")``."""
    draws = central_draws(plan)

    def at(month: str) -> dict[str, np.ndarray]:
        stocks = layout.initial_stocks(plan, 1)
        size = plan.grid.size
        stop = plan.grid.index(parse_month(month)) + 1
        sums = {"pu_kg": np.zeros(size), "heu_kg": np.zeros(size)}
        tally = new_tally(plan, paired=False, history=True)
        run_months(0, stop, layout.reactors(plan, draws, 1), layout.enrichment(plan, draws, 1), layout.weapons(draws),
                   layout.tests(plan, draws, 1), stocks, layout.no_controls(plan, 1), layout.no_caps(plan, 1),
                   layout.tallies(plan, tally, sums, np.zeros((5, 1)), 1), layout.pairing(tally, 1))
        return stocks._asdict()

    return at


@pytest.fixture(scope="session")
def small_run():
    """A 10,000-sample baseline run shared by several tests."""
    return detente.simulate(samples=10_000, seed=7, horizon="2040-12")


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """The app under uvicorn on a free localhost port, in a background thread: ``(base_url, app)``, one for
    the session, so that the browser tests share its finished runs."""
    import uvicorn

    from detente.web import create_app

    app = create_app(tmp_path_factory.mktemp("web") / "data")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}", app
    server.should_exit = True
    thread.join(timeout=30)
    assert not thread.is_alive()


@pytest.fixture(scope="session")
def finished_run(server):
    """A finished run on ``server`` against a baseline, with its report: ``(base_url, app, run_id)``, for
    pages that need a run to show, not for its numbers. It is the run an earlier browser test left there
    (a run and its report take a minute on two cores), or else a small one: kimball-2018 against
    no-deal, 200 samples, to 2030-12."""
    base, app = server
    store = app.state.store
    for run in store.runs(100, "done"):
        if run["baseline"] and (store.run_dir(run["id"]) / "report.html").is_file() and not store.analysis(run["id"]):
            return base, app, run["id"]
    body = json.dumps({"scenarios": ["kimball-2018"], "baseline": "no-deal", "samples": 200, "seed": 3,
                       "horizon": "2030-12"}).encode()
    request = urllib.request.Request(base + "/api/runs", data=body, method="POST",
                                     headers={"Content-Type": "application/json", "Accept": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        run_id = json.load(response)["id"]
    deadline = time.monotonic() + 120
    while (run := store.run(run_id))["status"] not in ("done", "failed", "cancelled"):
        assert time.monotonic() < deadline, run
        time.sleep(0.1)
    assert run["status"] == "done", run
    return base, app, run_id


@pytest.fixture
def chromium():
    """Headless system Chromium under Playwright (skips without either), closed after the test."""
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not shutil.which(CHROMIUM):
        pytest.skip("no system chromium")
    with playwright_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
