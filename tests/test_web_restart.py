"""Restarting the server loses no stored scenario or finished run; a run it interrupts is marked failed."""

from __future__ import annotations

import hashlib
import os
import signal
import socket
import subprocess
import sys
import time
import warnings

import httpx

from detente.web import create_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette prefers httpx2 in its test client
    from fastapi.testclient import TestClient

RUN = {"baseline": "no-deal", "samples": 2000, "seed": 5, "horizon": "2030-12"}
LONG = {"scenarios": ["no-deal"], "baseline": None, "samples": 200_000, "horizon": "2030-12"}


def deal(name: str, title: str) -> str:
    return f"""\
name: {name}
title: {title}
start: 2027-01
phases:
  - id: freeze
    name: Freeze at Yongbyon
    start: {{at: signature}}
    duration_months: {{dist: uniform, low: 1, high: 4, judgement: true, basis: "test"}}
    measures:
      - {{kind: freeze, sites: [yongbyon]}}
    incentives:
      - {{kind: energy-aid}}
"""


def stub_report(results, title):
    return f"<!doctype html><title>{title}</title><figure class='chart'><svg></svg></figure>"


def digest(client, run_id: str) -> dict:
    """What a finished run serves: its record and the bytes of every result file."""
    files = {suffix: hashlib.sha256(client.get(f"/api/runs/{run_id}/{suffix}").content).hexdigest()
             for suffix in ("results", "results.csv", "results.nc")}
    files["report"] = hashlib.sha256(client.get(f"/runs/{run_id}/report").content).hexdigest()
    return {"run": client.get(f"/api/runs/{run_id}").json(), "files": files}


def wait_running(client, run_id: str, timeout: float = 30.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = client.get(f"/api/runs/{run_id}").json()
        if run["status"] == "running" and run["done"] > 0:
            return run
        assert run["status"] in ("queued", "running"), run
        time.sleep(0.02)
    raise AssertionError("the run did not start")


def test_restart_mid_run_keeps_every_scenario_and_finished_run(tmp_path):
    data = tmp_path / "data"
    first = create_app(data)  # background threads, as deployed
    first.state.jobs.renderer = stub_report
    one = TestClient(first)
    try:
        texts = {name: deal(name, f"Deal {name}") for name in ("deal-a", "deal-b")}
        for text in texts.values():
            assert one.post("/api/scenarios", json={"yaml": text}).status_code == 201
        finished = []
        for scenarios in (["deal-a"], ["mount-2019", "deal-b"]):
            run = one.post("/api/runs", json={**RUN, "scenarios": scenarios}).json()
            deadline = time.monotonic() + 60
            while (run := one.get(f"/api/runs/{run['id']}").json())["status"] != "done":
                assert run["status"] in ("queued", "running") and time.monotonic() < deadline, run
                time.sleep(0.05)
            finished.append(run["id"])
        before = {rid: digest(one, rid) for rid in finished}
        library = one.get("/api/scenarios").json()

        interrupted = one.post("/api/runs", json=LONG).json()["id"]
        wait_running(one, interrupted)

        # the restart: a new server on the same data directory while the old one is still mid-run
        second = create_app(data)
        two = TestClient(second)
        assert two.get("/api/scenarios").json() == library
        for name, text in texts.items():
            assert two.get(f"/api/scenarios/{name}").json()["yaml"] == text
        for rid in finished:
            assert digest(two, rid) == before[rid]
        lost = two.get(f"/api/runs/{interrupted}").json()
        assert lost["status"] == "failed" and lost["error"].startswith("interrupted")
        assert lost["done"] < 200_000

        first.state.jobs.shutdown()  # the old server's job finds its run gone and stops
        assert two.get(f"/api/runs/{interrupted}").json() == lost
        assert not (data / "runs" / interrupted / "results.nc").exists()
        assert {r["id"] for r in two.get("/api/runs").json()} == {*finished, interrupted}

        accepted = two.post("/api/runs", json={**RUN, "scenarios": ["deal-a"]})
        assert accepted.status_code == 202  # the restarted server takes new work
        second.state.jobs.shutdown()
    finally:
        first.state.jobs.shutdown()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(data, port: int, log) -> subprocess.Popen:
    """``detente.web.serve`` in its own process, as ``detente serve`` runs it."""
    code = f"from detente.web import serve; serve(port={port}, data_dir={str(data)!r})"
    env = {k: v for k, v in os.environ.items() if k != "DETENTE_TOKEN"}
    return subprocess.Popen([sys.executable, "-c", code], stdout=log, stderr=subprocess.STDOUT, env=env)


def wait_ready(http: httpx.Client, proc: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the server exited"
        try:
            if http.get("/api/scenarios").status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError("the server did not come up")


def test_server_killed_mid_run_loses_nothing_stored(tmp_path):
    data = tmp_path / "data"
    port = free_port()
    with open(tmp_path / "server.log", "wb") as log:
        crash_and_restart(data, port, log)


def crash_and_restart(data, port: int, log) -> None:
    proc = start_server(data, port, log)
    http = httpx.Client(base_url=f"http://127.0.0.1:{port}", trust_env=False, timeout=30)
    try:
        wait_ready(http, proc)
        assert http.get("/api/scenarios", headers={"Host": "rebound.example"}).status_code == 400  # DNS rebinding
        text = deal("kept-deal", "Kept across a crash")
        assert http.post("/api/scenarios", json={"yaml": text}).status_code == 201
        run = http.post("/api/runs", json=LONG).json()
        deadline = time.monotonic() + 30
        while (state := http.get(f"/api/runs/{run['id']}").json())["done"] == 0:
            assert state["status"] in ("queued", "running") and time.monotonic() < deadline, state
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)  # no shutdown handlers: as a crash or a power cut
        proc.wait(timeout=10)

        proc = start_server(data, port, log)
        wait_ready(http, proc)
        assert http.get("/api/scenarios/kept-deal").json()["yaml"] == text
        lost = http.get(f"/api/runs/{run['id']}").json()
        assert lost["status"] == "failed" and lost["error"].startswith("interrupted")
        assert http.get(f"/api/runs/{run['id']}/results").status_code == 409
    finally:
        http.close()
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)  # uvicorn's graceful stop
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
