"""Background runs: each queued run is simulated on an executor (a thread pool by default),
reports progress to the store after every block of samples, and stops at the next block when
cancelled (the engine aborts when its progress callback raises)."""

from __future__ import annotations

import json
import logging
import math
import threading
import traceback
from concurrent.futures import Executor, ThreadPoolExecutor
from pathlib import Path

from ..api import simulate
from ..errors import Cancelled, DetenteError, InputError
from ..results import tables
from .service import Service
from .store import Store

log = logging.getLogger("detente.web")

REPORT_LOCK = threading.Lock()  # plotting libraries are not thread-safe



class Jobs:
    """Queue runs on ``executor`` (default: a pool of ``max_runs`` threads)."""

    def __init__(self, service: Service, executor: Executor | None = None, max_runs: int = 2):
        self.service = service
        self.store: Store = service.store
        self._own = executor is None
        self._threads = max(1, max_runs)
        self.executor = executor or self._pool()
        self._flags: dict[str, threading.Event] = {}
        self._lock = threading.Lock()
        self._stopping = False
        self.renderer = None  # render_report(results, title=...) -> str; default: detente.report's, if installed

    def _pool(self) -> ThreadPoolExecutor:
        return ThreadPoolExecutor(self._threads, thread_name_prefix="detente-run")

    def start(self) -> None:
        """(Re)open for work, e.g. when the server starts after a :meth:`shutdown`."""
        if self._stopping and self._own:
            self.executor = self._pool()
        self._stopping = False

    def submit(self, run_id: str) -> None:
        with self._lock:
            self._flags[run_id] = threading.Event()
        try:
            self.executor.submit(self.execute, run_id)
        except RuntimeError as exc:  # executor shut down
            self.store.finish(run_id, "failed", error=f"could not start: {exc}")

    def cancel(self, run_id: str) -> None:
        """Ask a run to stop: a queued run is cancelled at once, a running one at its next block."""
        with self._lock:
            flag = self._flags.get(run_id)
        if flag is not None:
            flag.set()
        self.store.finish(run_id, "cancelled", error="cancelled by the user", expect=("queued",))
        if flag is None:  # not ours (e.g. left over): nothing will stop it but us
            self.store.finish(run_id, "cancelled", error="cancelled by the user", expect=("running",))

    def shutdown(self) -> None:
        """Stop every run of this server: they are marked failed (interrupted), as after a restart."""
        self._stopping = True
        with self._lock:
            flags = list(self._flags.values())
        for flag in flags:
            flag.set()
        if self._own:
            self.executor.shutdown(wait=True, cancel_futures=True)
        with self._lock:
            left = list(self._flags)
        for run_id in left:
            self.store.finish(run_id, "failed", error="interrupted: the server stopped before the run finished")

    # -- the job -------------------------------------------------------------------------
    def execute(self, run_id: str) -> None:
        try:
            self._execute(run_id)
        finally:
            with self._lock:
                self._flags.pop(run_id, None)

    def _execute(self, run_id: str) -> None:
        with self._lock:
            flag = self._flags.setdefault(run_id, threading.Event())
        if flag.is_set() or self._stopping or not self.store.start(run_id):
            return
        run = self.store.run(run_id)
        folder = self.store.run_dir(run_id)
        done = 0

        def progress(n: int) -> None:
            nonlocal done
            done += n
            if flag.is_set() or not self.store.progress(run_id, done):
                raise Cancelled

        try:
            spec = self.store.analysis(run_id)
            if spec is None:
                note = self._write(run, self._simulate(run, progress), folder)
            else:
                note = self._write_analysis(run, spec, self._analyse(run, spec, progress), folder)
        except Cancelled:
            _clean(folder)
            if self._stopping:
                self.store.finish(run_id, "failed", error="interrupted: the server stopped before the run finished")
            else:
                self.store.finish(run_id, "cancelled", error="cancelled by the user", expect=("running",))
            return
        except InputError as exc:
            _clean(folder)
            self.store.finish(run_id, "failed", error=f"bad input: {exc}")
            return
        except Exception as exc:  # noqa: BLE001 - a run's failure must not take the server down
            _clean(folder)
            log.error("run %s failed:\n%s", run_id, traceback.format_exc())
            kind = "" if isinstance(exc, DetenteError) else f"{type(exc).__name__}: "
            self.store.finish(run_id, "failed", error=f"{kind}{exc}")
            return
        if flag.is_set():  # cancelled while the results were being written
            _clean(folder)
            self.store.finish(run_id, "cancelled", error="cancelled by the user", expect=("running",))
            return
        if not self.store.finish(run_id, "done", note=note, expect=("running",)):
            _clean(folder)  # lost the run meanwhile (cancelled, or marked failed by a restart)

    def _simulate(self, run: dict, progress):
        scenarios = self.service.run_scenarios(run)
        return simulate(scenarios, profile=self.service.profile, samples=run["samples"], seed=run["seed"],
                        horizon=run["horizon"], workers=1, baseline=run["baseline"],
                        threshold=run["threshold"], progress=progress)

    def _analyse(self, run: dict, spec: dict, progress):
        """Compute a run's analysis: Sobol' indices or a lever sweep."""
        from ..analysis.sobol import sobol
        from ..analysis.sweep import sweep

        scenarios = self.service.run_scenarios(run)
        base = scenarios[0] if run["baseline"] else None
        evidence = {"profile": self.service.profile, "missile_evidence": self.service.missiles}
        if spec["kind"] == "sobol":
            return sobol(scenarios[-1], spec["outcome"], baseline=base, by=spec["by"], base=spec["base"],
                         seed=run["seed"], progress=progress, **evidence)
        name = run["scenarios"][-1]
        snapshot = self.store.run_dir(run["id"]) / "inputs" / f"{name}.yaml"
        return sweep(str(snapshot) if snapshot.is_file() else name, spec["path"], spec["values"], spec["outcome"],
                     baseline=base, samples=run["samples"], seed=run["seed"], progress=progress, **evidence)

    def _write_analysis(self, run: dict, spec: dict, analysis, folder: Path) -> None:
        """Write analysis.json and analysis.html (the chart inline)."""
        from ..report.analysis import as_json, render_analysis

        command = _command(run, spec)
        _atomic(folder / "analysis.json", lambda p: p.write_text(json.dumps(
            {"run": run["id"], "analysis": spec, "command": command, **as_json(analysis)}, default=float)))
        with REPORT_LOCK:
            html = render_analysis(analysis, command)
        _atomic(folder / "analysis.html", lambda p: p.write_text(html, encoding="utf-8"))

    def _write(self, run: dict, results, folder: Path) -> str | None:
        """Write summary.json, results.csv, results.nc and (if the report module is there) report.html."""
        dates = tables.report_dates(results)
        frame = results.summary_table(dates)  # what Results.records and Results.to_csv write, computed once
        records = [{k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in row.items()}
                   for row in frame.to_dict(orient="records")]
        summary = {
            "run": run["id"],
            "scenarios": results.scenarios,
            "baseline": results.baseline,
            "attrs": results.attrs,
            "dates": dates,
            "compare_dates": tables.compare_dates(results),
            "records": records,
        }
        _atomic(folder / "summary.json", lambda p: p.write_text(json.dumps(summary, allow_nan=False)))
        _atomic(folder / "results.csv", lambda p: frame.to_csv(p, index=False, float_format="%.6g"))
        _atomic(folder / "results.nc", results.to_netcdf)
        render_report = self.renderer
        if render_report is None:
            try:
                from ..report import render_report
            except ImportError:
                return "the HTML report is not available in this installation (detente.report is missing)"
        title = _title(run)
        try:
            with REPORT_LOCK:
                html = render_report(results, title=title)
        except Exception as exc:  # noqa: BLE001 - results stand without their report
            log.error("report of run %s failed:\n%s", run["id"], traceback.format_exc())
            return f"the HTML report could not be rendered: {type(exc).__name__}: {exc}"
        _atomic(folder / "report.html", lambda p: p.write_text(html, encoding="utf-8"))
        return None


def _title(run: dict) -> str:
    names = run["scenarios"]
    base = run["baseline"]
    others = [n for n in names if n != base]
    what = f"{', '.join(others)} vs {base}" if base and others else ", ".join(names)
    return f"{what} — {run['samples']:,} samples, seed {run['seed']}"


def _command(run: dict, spec: dict) -> str:
    """The command line that computes the same analysis."""
    name = run["scenarios"][-1]
    base = f" --baseline {run['baseline']}" if run["baseline"] else ""
    if spec["kind"] == "sobol":
        return (f"detente analyze sensitivity {name} --outcome {spec['outcome']} --by {spec['by']} "
                f"--samples {spec['base']} --seed {run['seed']}{base}")
    return (f"detente sweep {name} --set '{spec['path']}={','.join(spec['values'])}' --outcome {spec['outcome']} "
            f"--samples {run['samples']} --seed {run['seed']}{base}")


def _atomic(path: Path, write) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    write(tmp)
    tmp.replace(path)


def _clean(folder: Path) -> None:
    """Remove partial results (the inputs snapshot stays)."""
    for name in ("summary.json", "results.csv", "results.nc", "report.html", "analysis.json", "analysis.html"):
        for path in (folder / name, folder / f".{name}.tmp"):
            path.unlink(missing_ok=True)
