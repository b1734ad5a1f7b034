"""HTML pages (Jinja2): library, scenario, editor, run, results, compare, parameters, sources.

Every page works without JavaScript; the run page alone carries a small inline script that
polls ``/api/runs/{id}`` for live progress (without it, the page refreshes itself)."""

from __future__ import annotations

import functools
import secrets
from pathlib import Path
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from ..errors import Conflict, InputError, NotFound, TooManyRuns
from ..inputs.bibliography import load_bibliography
from ..results import tables
from ..results.results import Results
from .analyses import KINDS, Shown, analyse
from .api import parameter_rows, run_info
from .builder import starter, vocabulary
from .describe import describe, field_line
from .jobs import REPORT_LOCK, Jobs
from .service import ANALYSES, Service
from .store import FINISHED

TEMPLATES = Path(__file__).parent / "templates"

PAGE_CSP = ("default-src 'self'; script-src 'nonce-{nonce}'; style-src 'self'; img-src 'self' data:; "
            "frame-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
            "frame-ancestors 'self'")
REPORT_CSP = ("default-src 'none'; style-src 'unsafe-inline'; script-src 'none'; img-src data:; "
              "font-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'self'")
ANALYSIS_DEFAULTS = {"kind": "sobol", "scenario": "kimball-2018", "baseline": "no-deal",
                     "outcome": "delta:warheads_possible", "by": "family", "samples": "1024", "seed": "0", "set": ""}
RUN_DEFAULTS = {"samples": 10_000, "seed": 0, "horizon": "", "baseline": "no-deal", "threshold": 200}


def templates() -> Jinja2Templates:
    return Jinja2Templates(directory=str(TEMPLATES))


def comparison(results: Results) -> dict:
    """The 'what each deal buys' tables of a finished run (as ``detente compare`` prints them)."""
    dates = tables.compare_dates(results)
    summary = tables.Summary(results, sorted({*dates, results.months[-1]}))
    return {"tables": [{"date": d, "rows": tables.buys(results, [d], summary)} for d in dates],
            "horizon": tables.to_horizon(results, summary), "threshold": results.attrs["threshold"],
            "threat": tables.threat(results, summary), "designs": results.designs,
            "end": results.months[-1], "baseline": results.baseline}


def headline(results: Results) -> list[dict]:
    """Warheads possible, Pu and HEU at the comparison dates, for a run without its report."""
    dates = tables.compare_dates(results)
    summary = tables.Summary(results, dates)
    return [{"scenario": s, "date": d,
             "cells": [tables.interval(summary.get(s, m, d), unit) for m, unit in
                       (("warheads_possible", "warheads"), ("pu_kg", "kg"), ("heu_kg", "kg"))]}
            for s in results.scenarios for d in dates]


@functools.lru_cache(maxsize=8)
def stored_results(path: str, mtime_ns: int) -> Results:
    """A stored run's Results (``mtime_ns`` keys the cache)."""
    return Results.from_netcdf(path)


@functools.lru_cache(maxsize=32)
def stored_tables(path: str, mtime_ns: int) -> dict:
    """The comparison and headline tables of a stored run (``mtime_ns`` keys the cache)."""
    results = stored_results(path, mtime_ns)
    return {"comparison": comparison(results) if results.baseline else None, "headline": headline(results),
            "beyond_range": tables.beyond_range(results)}


def _analysed(results: Results, form: dict) -> Shown:
    with REPORT_LOCK:  # plotting is not thread-safe
        return analyse(results, form["kind"], form["scenario"], form["outcome"], form["when"], form["goal"],
                       form["better"])


def page_router(service: Service, jobs: Jobs, tpl: Jinja2Templates) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    store = service.store

    def render(request: Request, template: str, status: int = 200, /, **context) -> HTMLResponse:
        nonce = secrets.token_urlsafe(12)
        response = tpl.TemplateResponse(request, template, {"nonce": nonce, "page": template.removesuffix(".html"),
                                                            **context}, status_code=status)
        response.headers["Content-Security-Policy"] = PAGE_CSP.format(nonce=nonce)
        return response

    def missing(request: Request, what: str) -> HTMLResponse:
        return render(request, "error.html", 404, title="Not found", message=what)

    def tables_of(run: dict) -> dict | None:
        """A finished run's tables, from its Results read back from NetCDF (kept per file)."""
        path = store.run_dir(run["id"]) / "results.nc"
        if run["status"] != "done" or not path.is_file():
            return None
        return stored_tables(str(path), path.stat().st_mtime_ns)

    # -- library and scenarios -----------------------------------------------------------
    @router.get("/", response_class=HTMLResponse)
    def library(request: Request):
        return render(request, "library.html", title="Scenario library", scenarios=service.library(),
                      runs=store.runs(5))

    @router.get("/scenarios/{name}", response_class=HTMLResponse)
    def scenario_page(request: Request, name: str):
        try:
            text, bundled = service.text(name)
        except NotFound:
            return missing(request, f"There is no scenario named “{name}”.")
        try:
            plain = describe(service.load(name), service.profile)
            problem = None
        except InputError as exc:
            plain, problem = None, str(exc)
        return render(request, "scenario.html", title=plain["title"] if plain else name, name=name,
                      plain=plain, problem=problem, text=text, bundled=bundled)

    # -- editor --------------------------------------------------------------------------
    def editor(request: Request, *, text: str, original: str = "", status: int = 200, error: InputError | None = None,
               message: str | None = None):
        problem = None
        if error is not None:
            line = field_line(text, error.field)
            lines = text.splitlines()
            snippet = []
            if line is not None:
                snippet = [(i + 1, lines[i], i + 1 == line) for i in range(max(0, line - 3), min(len(lines), line + 2))]
            problem = {"reason": error.reason, "field": error.field, "file": error.file, "line": line,
                       "snippet": snippet}
        return render(request, "editor.html", status, title="Scenario editor", text=text, original=original,
                      problem=problem, message=message, vocabulary=vocabulary(service.profile))

    @router.get("/editor", response_class=HTMLResponse)
    def editor_page(request: Request, name: str | None = None, copy: str | None = None):
        if name:
            row = store.scenario(name)
            if row is None:
                return missing(request, f"There is no saved scenario named “{name}”.")
            return editor(request, text=row["yaml"], original=name)
        if copy:
            try:
                text, _ = service.text(copy)
            except NotFound:
                return missing(request, f"There is no scenario named “{copy}”.")
            return editor(request, text=text.replace(f"name: {copy}", f"name: my-{copy}", 1),
                          message=f"A copy of {copy}: give it a name of your own, then save it.")
        return editor(request, text=starter(),
                      message="A new deal of one phase: change it in the form or in the YAML, then save it.")

    @router.post("/editor", response_class=HTMLResponse)
    async def editor_submit(request: Request):
        return await run_in_threadpool(editor_submitted, request, await request.form())

    def editor_submitted(request: Request, form):
        text = str(form.get("yaml") or "")
        original = str(form.get("original") or "")
        action = form.get("action")
        try:
            if action == "save":
                scenario = service.check(text)
                if scenario.name != original and store.scenario(scenario.name) is not None:
                    raise Conflict(f"a saved scenario is already named {scenario.name!r}: change the name, or "
                                   "open that scenario in the editor")
                service.save(text, create=False)
                return RedirectResponse(f"/scenarios/{scenario.name}?saved=1", status_code=303)
            scenario = service.check(text)
        except InputError as exc:
            return editor(request, text=text, original=original, status=422, error=exc)
        except Conflict as exc:
            return editor(request, text=text, original=original, status=409,
                          error=InputError(str(exc), field="name"))
        return editor(request, text=text, original=original,
                      message=f"Valid: {scenario.name} — {len(scenario.phases)} phase(s), checked against the "
                              "profile. Save it to run it.")

    # -- runs ----------------------------------------------------------------------------
    def run_form(request: Request, status: int = 200, error: str | None = None, field: str | None = None,
                 values: dict | None = None, page: str = "run_form.html", **extra):
        names = [s["name"] for s in service.library()]
        return render(request, page, status, title="Run" if page == "run_form.html" else "Compare",
                      names=names, values=values or {**RUN_DEFAULTS, "scenarios": ["no-deal"]},
                      error=error, field=field, max_samples=service.limits.max_samples, **extra)

    @router.get("/run", response_class=HTMLResponse)
    def run_page(request: Request, scenario: str = "no-deal"):
        return run_form(request, values={**RUN_DEFAULTS, "scenarios": [scenario]})

    @router.post("/runs", response_class=HTMLResponse)
    async def start_run(request: Request):
        return await run_in_threadpool(run_started, request, await request.form())

    def run_started(request: Request, form):
        values = {
            "scenarios": [str(v) for v in form.getlist("scenarios") if str(v)],
            "baseline": str(form.get("baseline") or ""),
            "samples": str(form.get("samples") or "").replace(",", "").replace("_", "").strip(),
            "seed": str(form.get("seed") or "0").strip(),
            "horizon": str(form.get("horizon") or "").strip(),
            "threshold": str(form.get("threshold") or "200").strip(),
        }
        page = "compare.html" if form.get("from") == "compare" else "run_form.html"
        extra = {"finished": _comparable(store)} if page == "compare.html" else {}
        try:
            numbers = {}
            for key in ("samples", "seed", "threshold"):
                try:
                    numbers[key] = int(float(values[key])) if "e" in values[key].lower() else int(values[key])
                except (ValueError, OverflowError):
                    raise InputError(f"{values[key]!r} is not a whole number", field=key) from None
            run = service.create_run(scenarios=values["scenarios"], baseline=values["baseline"] or None,
                                     samples=numbers["samples"], seed=numbers["seed"],
                                     horizon=values["horizon"] or None, threshold=numbers["threshold"])
        except InputError as exc:
            return run_form(request, 422, error=exc.reason, field=exc.field, values=values, page=page, **extra)
        except TooManyRuns as exc:
            return run_form(request, 429, error=str(exc), values=values, page=page, **extra)
        jobs.submit(run["id"])
        return RedirectResponse(f"/runs/{run['id']}", status_code=303)

    @router.get("/runs", response_class=HTMLResponse)
    def runs_page(request: Request):
        return render(request, "runs.html", title="Runs", runs=store.runs(500))

    @router.get("/runs/{run_id}", response_class=HTMLResponse)
    def run_result(request: Request, run_id: str):
        run = store.run(run_id)
        if run is None:
            return missing(request, f"There is no run {run_id}.")
        stored = tables_of(run)
        has_report = stored is not None and (store.run_dir(run_id) / "report.html").is_file()
        rows = stored["headline"] if stored is not None and not has_report else None
        compare_link = None
        if run["status"] == "done":
            if run["baseline"]:
                compare_link = ("/compare?run=" + run_id, f"Compare with {run['baseline']}")
            else:
                query = urlencode({"scenarios": run["scenarios"], "baseline": "no-deal", "samples": run["samples"],
                                   "seed": run["seed"], "horizon": run["horizon"] or ""}, doseq=True)
                compare_link = ("/compare?" + query, "Compare with no-deal")
        spec = store.analysis(run_id)
        if spec is not None:
            compare_link, rows = None, None
        return render(request, "run.html", title=f"Run {run_id}", run=run_info(run), finished=FINISHED,
                      has_report=has_report, headline=rows, compare_link=compare_link, analysis=spec,
                      beyond_range=stored["beyond_range"] if stored is not None else [],
                      has_analysis=(store.run_dir(run_id) / "analysis.html").is_file())

    @router.post("/runs/{run_id}/cancel")
    def cancel(request: Request, run_id: str):
        run = store.run(run_id)
        if run is None:
            return missing(request, f"There is no run {run_id}.")
        if run["status"] not in FINISHED:
            jobs.cancel(run_id)
        return RedirectResponse(f"/runs/{run_id}", status_code=303)

    # -- analyses that need new runs: Sobol' indices and lever sweeps ------------------------
    def analysis_form(request: Request, status: int = 200, values: dict | None = None,
                      error: InputError | None = None):
        names = [s["name"] for s in service.library()]
        return render(request, "analyses.html", status, title="Analyse", names=names, kinds=ANALYSES,
                      values=values or dict(ANALYSIS_DEFAULTS), error=error, max_samples=service.limits.max_samples)

    @router.get("/analyses", response_class=HTMLResponse)
    def analyses_page(request: Request, scenario: str = "kimball-2018"):
        return analysis_form(request, values={**ANALYSIS_DEFAULTS, "scenario": scenario})

    @router.post("/analyses", response_class=HTMLResponse)
    async def start_analysis(request: Request):
        return await run_in_threadpool(analysis_started, request, await request.form())

    def analysis_started(request: Request, form):
        values = {key: str(form.get(key) or default).strip() for key, default in ANALYSIS_DEFAULTS.items()}
        try:
            numbers = {}
            for key in ("samples", "seed"):
                try:
                    numbers[key] = int(values[key].replace(",", "").replace("_", ""))
                except ValueError:
                    raise InputError(f"{values[key]!r} is not a whole number", field=key) from None
            run = service.create_analysis(kind=values["kind"], scenario=values["scenario"],
                                          baseline=values["baseline"] or None, outcome=values["outcome"],
                                          samples=numbers["samples"], seed=numbers["seed"], by=values["by"],
                                          setting=values["set"])
        except InputError as exc:
            return analysis_form(request, 422, values, exc)
        except TooManyRuns as exc:
            return analysis_form(request, 429, values, InputError(str(exc)))
        jobs.submit(run["id"])
        return RedirectResponse(f"/runs/{run['id']}", status_code=303)

    def own_page(request: Request, run_id: str, name: str, what: str):
        """A finished run's self-contained page (its report or analysis), under the report's CSP."""
        run = store.run(run_id)
        path = store.run_dir(run_id) / name if run else None
        if run is None or run["status"] != "done" or not path.is_file():
            return missing(request, f"Run {run_id} has no {what}.")
        response = FileResponse(path, media_type="text/html; charset=utf-8")
        response.headers["Content-Security-Policy"] = REPORT_CSP
        return response

    @router.get("/runs/{run_id}/analysis")
    def analysis_page(request: Request, run_id: str):
        return own_page(request, run_id, "analysis.html", "analysis")

    @router.get("/runs/{run_id}/analyze", response_class=HTMLResponse)
    async def analyze_page(request: Request, run_id: str, kind: str | None = None, scenario: str | None = None,
                           outcome: str = "", when: str = "", goal: str = "", better: str = "lower"):
        run = store.run(run_id)
        path = store.run_dir(run_id) / "results.nc" if run else None
        if run is None or run["status"] != "done" or not path.is_file():
            return missing(request, f"Run {run_id} has no finished results to analyse.")
        results = await run_in_threadpool(stored_results, str(path), path.stat().st_mtime_ns)
        deals = [s for s in results.scenarios if results.has_deal(s)]
        form = {"kind": kind or "drivers", "scenario": scenario or (deals or results.scenarios)[-1],
                "outcome": outcome, "when": when, "goal": goal, "better": better}
        shown = error = None
        status = 200
        if kind is not None:
            try:
                shown = await run_in_threadpool(_analysed, results, form)
            except InputError as exc:
                error, status = exc, 422
        return render(request, "analyze.html", status, title=f"Analyse run {run_id}", run=run_info(run),
                      kinds=KINDS, scenarios=results.scenarios, form=form, shown=shown, error=error,
                      kept=len(next(iter(results.draws.values()), [])), horizon=results.months[-1])

    @router.get("/runs/{run_id}/report")
    def report(request: Request, run_id: str):
        return own_page(request, run_id, "report.html", "report")

    # -- compare -------------------------------------------------------------------------
    @router.get("/compare", response_class=HTMLResponse)
    def compare_page(request: Request, run: str | None = None):
        if run:
            found = store.run(run)
            if found is None:
                return missing(request, f"There is no run {run}.")
            stored = tables_of(found)
            has_report = stored is not None and (store.run_dir(run) / "report.html").is_file()
            return render(request, "compare_run.html", title="Compare", run=run_info(found),
                          table=stored["comparison"] if stored is not None else None, has_report=has_report)
        params = request.query_params
        values = {**RUN_DEFAULTS, "scenarios": params.getlist("scenarios") or ["mount-2019"]}
        for key in ("baseline", "samples", "seed", "horizon", "threshold"):
            if key in params:
                values[key] = params[key]
        return run_form(request, values=values, page="compare.html", finished=_comparable(store))

    # -- evidence ------------------------------------------------------------------------
    @router.get("/parameters", response_class=HTMLResponse)
    def parameters_page(request: Request, scenario: str | None = None):
        chosen = [scenario] if scenario else []
        try:
            rows = parameter_rows(service, chosen)
        except NotFound:
            return missing(request, f"There is no scenario named “{scenario}”.")
        except InputError as exc:
            return render(request, "error.html", 422, title="Scenario does not validate", message=str(exc))
        return render(request, "parameters.html", title="Parameters", rows=rows, scenario=scenario,
                      names=[s["name"] for s in service.library() if s["phases"]])

    @router.get("/sources", response_class=HTMLResponse)
    def sources_page(request: Request):

        return render(request, "sources.html", title="Sources", sources=load_bibliography().sources)

    return router


def _comparable(store) -> list[dict]:
    return [run_info(r) for r in store.runs(50, "done") if r["baseline"]]
