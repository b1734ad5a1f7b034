"""The JSON API under ``/api`` (OpenAPI schema at ``/api/openapi.json``)."""

import json
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..api import parameters
from ..errors import Conflict, NotFound
from ..inputs.bibliography import load_bibliography
from ..months import format_month
from ..results import tables
from ..schema import Kind
from ..schema import path as schema_path
from .builder import draft
from .describe import describe
from .jobs import Jobs
from .service import Service
from .store import FINISHED

Name = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$", min_length=1, max_length=64,
                            examples=["mount-2019"])]
RunId = Annotated[str, Path(pattern=r"^[0-9a-f]{16}$", description="16 hex digits")]
ScenarioName = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=64)]


class Error(BaseModel):
    """Every 4xx answer: what is wrong, and where."""

    error: str
    field: str | None = None
    file: str | None = None


class ScenarioSummary(BaseModel):
    name: str
    title: str
    kind: str
    start: str | None
    phases: int
    bundled: bool
    updated_at: str | None = None
    problem: str | None = None


class ScenarioDetail(ScenarioSummary):
    yaml: str
    plain: dict = Field(description="the scenario in plain words (phases, measures, incentives, verification)")


class Validation(BaseModel):
    valid: Literal[True] = True
    name: str
    title: str
    start: str
    phases: int
    warnings: list[str] = Field(default_factory=list,
                                description="what validates but probably does not say what was meant")


class Problem(BaseModel):
    field: str | None = Field(description="the field path, e.g. phases[phase-2].duration_months.low")
    reason: str
    line: int | None = Field(None, description="the YAML line the field is on")


class DraftCheck(BaseModel):
    yaml: str = Field(description="the draft as YAML")
    document: dict | None = Field(description="the draft as a document (null when the YAML does not parse)")
    valid: bool
    problems: list[Problem] = Field(description="every problem found, each with its field")
    name: str | None = None
    phases: int | None = None


class RunInfo(BaseModel):
    id: str
    scenarios: list[str]
    baseline: str | None
    samples: int
    seed: int
    horizon: str | None
    threshold: int
    status: Literal["queued", "running", "done", "failed", "cancelled"]
    done: int = Field(description="samples simulated so far")
    progress: float = Field(description="share of samples simulated, 0–1")
    error: str | None
    note: str | None
    created_at: str
    started_at: str | None
    finished_at: str | None
    links: dict[str, str]


def run_info(run: dict) -> dict:
    rid = run["id"]
    links = {"self": f"/api/runs/{rid}", "page": f"/runs/{rid}", "cancel": f"/api/runs/{rid}/cancel"}
    if run["status"] == "done":
        links.update(results=f"/api/runs/{rid}/results", csv=f"/api/runs/{rid}/results.csv",
                     netcdf=f"/api/runs/{rid}/results.nc", report=f"/runs/{rid}/report")
    return {**run, "progress": min(1.0, run["done"] / run["samples"]) if run["samples"] else 0.0, "links": links}


ERRORS = {
    400: {"model": Error, "description": "the request cannot be read: a bad Content-Length, or a body that is "
                                         "not UTF-8"},
    401: {"model": Error, "description": "token missing or wrong (when the server has one)"},
    403: {"model": Error, "description": "a browser request from another site (by Origin, Sec-Fetch-Site or "
                                         "Referer)"},
    413: {"model": Error, "description": "request body over the limit"},
    422: {"model": Error, "description": "bad input: the reason, the field and the file"},
}


def api_router(service: Service, jobs: Jobs) -> APIRouter:
    limits = service.limits
    # the longest `yaml` a body within the limit can carry: `{"yaml":"…"}`, one byte per character
    # (escapes and characters beyond ASCII take more, and such a body gets 413)
    longest = limits.max_body - len('{"yaml":""}')
    too_big = {"model": Error, "description": f"request body over this server's limit of {limits.max_body:,} "
                                              "bytes as sent (a `yaml` field's escapes and characters beyond "
                                              "ASCII count by their bytes)"}

    class ScenarioText(BaseModel):
        model_config = ConfigDict(extra="forbid")
        yaml: str = Field(max_length=longest, description="the scenario as YAML (see the README)",
                          examples=["name: my-deal\ntitle: My deal\nstart: 2027-01\nphases: []\n"])

    class Draft(BaseModel):
        model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
            {"yaml": "name: my-deal\ntitle: My deal\nstart: 2027-01\nphases: []\n"},
            {"document": {"name": "my-deal", "title": "My deal", "start": "2027-01", "phases": []}}]})
        yaml: str | None = Field(None, max_length=longest, description="the draft as YAML")
        document: dict | None = Field(None, description="the draft as a document (what the YAML would parse to)")

        @model_validator(mode="after")
        def _one(self):
            if (self.yaml is None) == (self.document is None):
                raise ValueError("send exactly one of `yaml` or `document`")
            return self

    class RunRequest(BaseModel):
        scenarios: list[Name] = Field(min_length=1, max_length=12, description="bundled or saved scenario names")
        baseline: Name | None = Field("no-deal", description="compare against this scenario (null: none)")
        samples: int = Field(10_000, ge=1, le=limits.max_samples)
        seed: int = Field(0, ge=0, le=2**63 - 1)
        horizon: str | None = Field(None, pattern=r"^\d{4}-\d{2}$", description="last month, YYYY-MM")
        threshold: int = Field(200, ge=1, le=2000, description="report months until this many warheads")

        model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
            {"scenarios": ["mount-2019"], "baseline": "no-deal", "samples": 2000, "seed": 1, "horizon": "2030-12"}
        ]})

    class AnalysisRequest(BaseModel):
        kind: Literal["sobol", "sweep"] = Field(description="Sobol' indices, or a lever sweep")
        scenario: Name = Field(description="a bundled or saved scenario")
        baseline: Name | None = Field("no-deal", description="paired changes (delta:) are taken against it")
        outcome: str = Field("delta:warheads_possible", max_length=300,
                             description="[delta:]METRIC[@YYYY or YYYY-MM], read at one month")
        by: Literal["family", "parameter"] = Field("family", description="Sobol': indices by family or parameter")
        samples: int = Field(1024, ge=1, le=limits.max_samples,
                             description="Sobol': base samples (a power of 2); sweep: samples per value")
        seed: int = Field(0, ge=0, le=2**63 - 1)
        set: str = Field("", max_length=2000, description="sweep: PATH=V1,V2,…")

        model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
            {"kind": "sweep", "scenario": "jcpoa-style", "outcome": "delta:warheads_possible@2037",
             "samples": 5000, "set": "adoption.verification1.detect_per_month=0.01,0.15,0.6"}]})

    router = APIRouter(prefix="/api", responses={**ERRORS, 413: too_big})

    def not_found(exc: Exception) -> JSONResponse:
        return JSONResponse({"error": str(exc), "field": None, "file": None}, status_code=404)

    def conflict(exc: Exception) -> JSONResponse:
        return JSONResponse({"error": str(exc), "field": None, "file": None}, status_code=409)

    # -- scenarios -------------------------------------------------------------------------
    @router.get("/scenarios", response_model=list[ScenarioSummary], tags=["scenarios"])
    def list_scenarios():
        """Bundled scenarios and the scenarios users saved."""
        return service.library()

    @router.get("/scenarios/{name}", response_model=ScenarioDetail, tags=["scenarios"],
                responses={404: {"model": Error}})
    def get_scenario(name: ScenarioName):
        """A scenario's YAML and its phases in plain words."""
        try:
            text, bundled = service.text(name)
            scenario = service.load(name)
        except NotFound as exc:
            return not_found(exc)
        row = service.store.scenario(name) if not bundled else None
        plain = describe(scenario, service.profile)
        return {"name": scenario.name, "title": scenario.title, "kind": scenario.kind, "start": plain["start"],
                "phases": len(scenario.phases), "bundled": bundled, "updated_at": row["updated_at"] if row else None,
                "yaml": text, "plain": plain}

    @router.post("/scenarios/validate", response_model=Validation, tags=["scenarios"])
    def validate_scenario(body: ScenarioText):
        """Check scenario YAML against the profile without saving it (422 says what is wrong)."""
        scenario = service.check(body.yaml)
        return _validation(scenario, service.warnings(scenario))

    @router.post("/scenarios/draft", response_model=DraftCheck, tags=["scenarios"])
    def check_draft(body: Draft):
        """A draft as YAML and as a document, with every problem in it (the editor's builder keeps
        its form and its YAML in step through this)."""
        return draft(service.check, text=body.yaml, document=body.document)

    @router.post("/scenarios", response_model=Validation, status_code=201, tags=["scenarios"],
                 responses={409: {"model": Error, "description": "the name is taken"}})
    def create_scenario(body: ScenarioText, response: Response):
        """Save a new user scenario (its name comes from the YAML)."""
        try:
            scenario, _ = service.save(body.yaml, create=True)
        except Conflict as exc:
            return conflict(exc)
        response.headers["Location"] = f"/api/scenarios/{scenario.name}"
        return _validation(scenario)

    @router.put("/scenarios/{name}", response_model=Validation, tags=["scenarios"],
                responses={201: {"model": Validation, "description": "created"},
                           409: {"model": Error, "description": "a bundled scenario"}})
    def put_scenario(name: ScenarioName, body: ScenarioText, response: Response):
        """Create or replace a user scenario; the YAML's name must be ``name``."""
        try:
            scenario, created = service.save(body.yaml, create=False, name=name)
        except Conflict as exc:
            return conflict(exc)
        if created:
            response.status_code = 201
        return _validation(scenario)

    @router.delete("/scenarios/{name}", status_code=204, tags=["scenarios"],
                   responses={404: {"model": Error}, 409: {"model": Error}})
    def delete_scenario(name: ScenarioName):
        """Delete a user scenario (runs that used it keep their own copy)."""
        try:
            service.delete(name)
        except NotFound as exc:
            return not_found(exc)
        except Conflict as exc:
            return conflict(exc)
        return Response(status_code=204)

    # -- runs ------------------------------------------------------------------------------
    @router.get("/runs", response_model=list[RunInfo], tags=["runs"])
    def list_runs(limit: Annotated[int, Query(ge=1, le=1000)] = 100,
                  status: Literal["queued", "running", "done", "failed", "cancelled"] | None = None):
        """Runs, newest first."""
        return [run_info(r) for r in service.store.runs(limit, status)]

    @router.post("/runs", response_model=RunInfo, status_code=202, tags=["runs"],
                 responses={429: {"model": Error, "description": "too many runs queued or running"}})
    def start_run(body: RunRequest, response: Response):
        """Start a background run of the scenarios (against ``baseline``, on common draws).
        Poll ``GET /api/runs/{id}`` for progress."""
        run = service.create_run(scenarios=body.scenarios, baseline=body.baseline, samples=body.samples,
                                 seed=body.seed, horizon=body.horizon, threshold=body.threshold)
        jobs.submit(run["id"])
        response.headers["Location"] = f"/api/runs/{run['id']}"
        return run_info(service.store.run(run["id"]))

    @router.post("/analyses", response_model=RunInfo, status_code=202, tags=["analyses"],
                 responses={429: {"model": Error, "description": "too many runs queued or running"}})
    def start_analysis(body: AnalysisRequest, response: Response):
        """Start Sobol' indices or a lever sweep as a background run (its ``samples`` are then model
        runs for Sobol'); poll ``GET /api/runs/{id}``, then read ``GET /api/runs/{id}/analysis``."""
        run = service.create_analysis(kind=body.kind, scenario=body.scenario, baseline=body.baseline,
                                      outcome=body.outcome, samples=body.samples, seed=body.seed, by=body.by,
                                      setting=body.set)
        jobs.submit(run["id"])
        response.headers["Location"] = f"/api/runs/{run['id']}"
        return run_info(service.store.run(run["id"]))

    @router.get("/runs/{run_id}", response_model=RunInfo, tags=["runs"], responses={404: {"model": Error}})
    def get_run(run_id: RunId):
        """Status and progress of a run."""
        run = service.store.run(run_id)
        if run is None:
            return not_found(f"no run {run_id}")
        return run_info(run)

    @router.post("/runs/{run_id}/cancel", response_model=RunInfo, status_code=202, tags=["runs"],
                 responses={404: {"model": Error}, 409: {"model": Error, "description": "already finished"}})
    def cancel_run(run_id: RunId):
        """Cancel a queued or running run (a running one stops after its current block of samples)."""
        run = service.store.run(run_id)
        if run is None:
            return not_found(f"no run {run_id}")
        if run["status"] in FINISHED:
            return conflict(f"run {run_id} is already {run['status']}")
        jobs.cancel(run_id)
        return run_info(service.store.run(run_id))

    def finished_file(run_id: str, name: str):
        run = service.store.run(run_id)
        if run is None:
            return None, not_found(f"no run {run_id}")
        if run["status"] != "done":
            return None, conflict(f"run {run_id} is {run['status']}; results exist once it is done")
        path = service.store.run_dir(run_id) / name
        if not path.is_file():
            return None, not_found(f"run {run_id} has no {name}")
        return path, None

    def finished_json(run_id: str, name: str):
        """A finished run's JSON file as the response (or the 404/409 why not)."""
        path, problem = finished_file(run_id, name)
        return problem or Response(path.read_bytes(), media_type="application/json")

    @router.get("/runs/{run_id}/results", tags=["results"],
                responses={200: {"description": "records {scenario, metric, date, mean, p5 … p95} and run metadata"},
                           404: {"model": Error}, 409: {"model": Error, "description": "not done"}})
    def results_json(run_id: RunId):
        """The JSON summary: every January, the comparison dates and the horizon."""
        return finished_json(run_id, "summary.json")

    @router.get("/runs/{run_id}/analysis", tags=["analyses"],
                responses={200: {"description": "title, findings in plain words, the table's records, the analysis "
                                                "asked and the command that repeats it"},
                           404: {"model": Error}, 409: {"model": Error, "description": "not done"}})
    def analysis_json(run_id: RunId):
        """The analysis a run computed (Sobol' indices or a sweep)."""
        return finished_json(run_id, "analysis.json")

    @router.get("/runs/{run_id}/results.csv", tags=["results"], response_class=Response,
                responses={200: {"content": {"text/csv": {}}}, 404: {"model": Error}, 409: {"model": Error}})
    def results_csv(run_id: RunId):
        """The summary as CSV."""
        path, problem = finished_file(run_id, "results.csv")
        if problem:
            return problem
        return FileResponse(path, media_type="text/csv", filename=f"detente-{run_id}.csv")

    @router.get("/runs/{run_id}/results.nc", tags=["results"], response_class=Response,
                responses={200: {"content": {"application/x-netcdf": {}}}, 404: {"model": Error},
                           409: {"model": Error}})
    def results_netcdf(run_id: RunId):
        """Every month's quantiles and means, per-sample values at the horizon, run metadata (NetCDF-4)."""
        path, problem = finished_file(run_id, "results.nc")
        if problem:
            return problem
        return FileResponse(path, media_type="application/x-netcdf", filename=f"detente-{run_id}.nc")

    # -- evidence --------------------------------------------------------------------------
    @router.get("/parameters", tags=["evidence"], responses={404: {"model": Error}})
    def parameters(scenario: Annotated[list[str] | None, Query(max_length=12)] = None):
        """Every uncertain input: distribution, 90 % range, sources or judgement basis."""
        try:
            return parameter_rows(service, scenario or [])
        except NotFound as exc:
            return not_found(exc)

    @router.get("/sources", tags=["evidence"])
    def sources():
        """The bundled bibliography."""

        return [s.model_dump() for s in load_bibliography().sources]

    return router


SCHEMA_MEDIA = "application/schema+json"


def schema_router() -> APIRouter:
    """The JSON Schemas of scenario and profile files at the stable paths their ``$id`` names (for
    editors: completion and inline errors while writing a scenario)."""
    router = APIRouter(tags=["schema"], responses={400: ERRORS[400], 401: ERRORS[401]})
    answer = {200: {"content": {SCHEMA_MEDIA: {}}, "description": "a JSON Schema (draft 2020-12)"}}

    def shipped(kind: Kind) -> Response:
        return Response(schema_path(kind).read_bytes(), media_type=SCHEMA_MEDIA)

    @router.get("/schema/scenario.json", response_class=Response, responses=answer)
    def scenario_schema():
        """The JSON Schema of scenario files."""
        return shipped("scenario")

    @router.get("/schema/profile.json", response_class=Response, responses=answer)
    def profile_schema():
        """The JSON Schema of profile files."""
        return shipped("profile")

    return router


def parameter_rows(service: Service, scenarios: list[str]) -> list[dict]:
    """The parameter table of the profile and the named scenarios (bundled or saved)."""
    for name in scenarios:
        if not isinstance(name, str) or not service.exists(name):
            raise NotFound(f"no scenario named {name!r}")
    specs = parameters([service.load(name) for name in scenarios], profile=service.profile)
    return json.loads(json.dumps(tables.parameter_rows(specs)))


def _validation(scenario, warnings: list[str] = ()) -> dict:
    return {"valid": True, "name": scenario.name, "title": scenario.title, "start": format_month(scenario.start),
            "phases": len(scenario.phases), "warnings": list(warnings)}

