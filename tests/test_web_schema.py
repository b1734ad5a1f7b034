"""Schemathesis against the web API's OpenAPI schema (in-process over ASGI): no input gets a 5xx.

The app runs as deployed (background threads, at most 2 runs at once) with a limit of 2,000 samples
per run, so generated run requests stay small; further ones get 429 while two are in progress."""

from __future__ import annotations

import atexit
import shutil
import tempfile
import warnings
from pathlib import Path

import pytest
import schemathesis

from detente.web import create_app

warnings.filterwarnings("ignore", message=".*httpx.*")

DATA = Path(tempfile.mkdtemp(prefix="detente-schemathesis-"))
atexit.register(shutil.rmtree, DATA, True)  # also when these tests are deselected
APP = create_app(DATA, max_samples=2000, max_runs=2)
APP.state.jobs.renderer = lambda results, title: f"<!doctype html><title>{title}</title>"
CONFIG = schemathesis.Config.from_dict({"generation": {"max-examples": 15, "deterministic": True, "database": "none"}})
schema = schemathesis.openapi.from_asgi("/api/openapi.json", APP, config=CONFIG)


@pytest.fixture(scope="module", autouse=True)
def _data_dir():
    yield
    APP.state.jobs.shutdown()
    runs = APP.state.store.runs(1000)
    shutil.rmtree(DATA, ignore_errors=True)
    crashed = [r for r in runs if r["status"] == "failed"
               and not r["error"].startswith(("bad input", "interrupted"))]
    assert not crashed, f"runs that crashed in the background: {crashed}"


@schema.parametrize()
def test_api_never_answers_5xx(case):
    response = case.call()
    assert response.status_code < 500, f"{case.method} {case.formatted_path} → {response.status_code}: {response.text}"
    if response.status_code >= 400:
        body = response.json()
        assert body["error"] and set(body) >= {"error", "field", "file"}
