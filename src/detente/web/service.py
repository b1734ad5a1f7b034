"""What the pages and the JSON API share: finding scenarios (bundled or saved), checking a
scenario's YAML against the profile, and starting runs within the limits."""

from __future__ import annotations

import shutil
import threading
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import yaml

from ..api import check
from ..errors import Conflict, InputError, NotFound
from ..inputs.loading import parse_yaml
from ..inputs.missiles import load_missiles
from ..inputs.profile import load_profile
from ..inputs.scenario import Scenario, bundled_scenarios, load_scenario
from ..months import format_month, parse_month
from .store import NAME, Store

MAX_SCENARIO_MONTHS = 6 * 720  # e.g. six scenarios to 2045, or three to 2105

SCRATCH_NAME = "scenario"
ANALYSES = {"sobol": "Sobol' indices: which assumptions drive an outcome",
            "sweep": "A lever sweep: what each value buys"}


@dataclass(frozen=True)
class Limits:
    max_samples: int = 200_000
    max_body: int = 200_000
    max_runs: int = 2



class Service:
    """Scenario library and run starter over a :class:`Store`."""

    def __init__(self, store: Store, limits: Limits):
        self.store = store
        self.limits = limits
        self._scratch = store.dir / "tmp"
        self._lock = threading.Lock()

    # -- the evidence, loaded once --------------------------------------------------------
    @cached_property
    def profile(self):

        return load_profile("dprk")

    @cached_property
    def missiles(self):

        return load_missiles(self.profile.name)

    @cached_property
    def bundled(self) -> list[str]:
        return bundled_scenarios()

    # -- scenarios -----------------------------------------------------------------------
    def library(self) -> list[dict]:
        """Every scenario: bundled first, then the saved ones."""
        out = []
        for name in self.bundled:
            out.append(_entry(self.load(name), bundled=True))
        for row in self.store.scenarios():
            try:
                sc = self.load(row["name"])
                out.append(_entry(sc, bundled=False, updated_at=row["updated_at"]))
            except InputError as exc:  # saved under an older profile: still listed, flagged
                out.append({"name": row["name"], "title": row["title"], "kind": "agreement", "start": None,
                            "phases": 0, "bundled": False, "updated_at": row["updated_at"], "problem": str(exc)})
        return out

    def exists(self, name: str) -> bool:
        return name in self.bundled or self.store.scenario(name) is not None

    def text(self, name: str) -> tuple[str, bool]:
        """(YAML text, bundled?) of a scenario."""
        if name in self.bundled:
            from ..inputs.bibliography import EVIDENCE

            return Path(str(EVIDENCE / "scenarios" / f"{name}.yaml")).read_text(encoding="utf-8"), True
        row = self.store.scenario(name)
        if row is None:
            raise NotFound(f"no scenario named {name!r}")
        return row["yaml"], False

    @cached_property
    def _bundled_loaded(self) -> dict[str, Scenario]:
        return {name: load_scenario(name) for name in self.bundled}

    def load(self, name: str) -> Scenario:
        if name in self.bundled:
            return self._bundled_loaded[name]
        path = self.store.scenario_file(name)
        if path is None:
            raise NotFound(f"no scenario named {name!r}")
        return load_scenario(path)

    def check(self, text: str) -> Scenario:
        """Validate scenario YAML as the CLI's ``validate`` does; errors name ``<name>.yaml``."""
        data = safe_yaml(text)
        name = data.get("name") if isinstance(data, dict) else None
        label = f"{name}.yaml" if isinstance(name, str) and NAME.match(name) and len(name) <= 64 else "scenario.yaml"
        if not isinstance(data, dict):
            raise InputError("a scenario is a mapping of fields (name, title, start, phases, …)", file=label)
        folder = self._scratch / _token()
        folder.mkdir(parents=True)
        path = folder / label
        try:
            path.write_text(text, encoding="utf-8")
            try:
                scenario = load_scenario(path)
                self.plan([scenario], None, None, 200)  # facilities, sites, sanctions, start, horizon
            except InputError as exc:
                raise _relabel(exc, str(path), label) from None
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        if len(scenario.name) > 64:
            raise InputError("at most 64 characters", file=label, field="name")
        return scenario

    def warnings(self, scenario: Scenario) -> list[str]:
        """What ``detente validate`` warns about a checked scenario, naming ``<name>.yaml``."""
        label = f"{scenario.name}.yaml"
        return [w.replace(scenario.file, label) for w in self.plan([scenario], None, None, 200).warnings]

    def save(self, text: str, *, create: bool, name: str | None = None) -> tuple[Scenario, bool]:
        """Validate and store a user scenario. ``name``: the name it must keep (updates)."""
        scenario = self.check(text)
        if name is not None and scenario.name != name:
            raise InputError(f"the YAML names the scenario {scenario.name!r}, not {name!r}",
                             file=f"{scenario.name}.yaml", field="name")
        if scenario.name in self.bundled:
            raise Conflict(f"{scenario.name!r} is a bundled scenario; save yours under another name")
        created = self.store.save_scenario(scenario.name, scenario.title, text, create=create)
        return scenario, created

    def delete(self, name: str) -> None:
        if name in self.bundled:
            raise Conflict(f"{name!r} is a bundled scenario and cannot be deleted")
        if not self.store.delete_scenario(name):
            raise NotFound(f"no saved scenario named {name!r}")

    # -- runs ----------------------------------------------------------------------------
    def plan(self, scenarios: list[Scenario], horizon: str | None, baseline: str | None, threshold: int):
        """Check a run's inputs as the engine will (raises InputError)."""
        if horizon is not None:
            try:
                end = parse_month(horizon)
            except ValueError as exc:
                raise InputError(str(exc), field="horizon") from None
            latest = max(s.start for s in scenarios)
            if end < latest:
                raise InputError(f"{horizon} is before the scenario start {format_month(latest)}", field="horizon")
        return check(scenarios, profile=self.profile, missile_evidence=self.missiles, baseline=baseline,
                     horizon=horizon, threshold=threshold)

    def create_run(self, *, scenarios: list[str], baseline: str | None, samples: int, seed: int,
                   horizon: str | None, threshold: int = 200) -> dict:
        """Check the request and queue the run (raises InputError, TooManyRuns)."""
        if not scenarios:
            raise InputError("name at least one scenario", field="scenarios")
        if not 1 <= samples <= self.limits.max_samples:
            raise InputError(f"must be between 1 and {self.limits.max_samples:,} (this server's limit)",
                             field="samples")
        if not 0 <= seed < 2**63:
            raise InputError("must be a whole number between 0 and 2^63 - 1", field="seed")
        names = list(dict.fromkeys(scenarios))
        if baseline is not None:
            names = [baseline, *[n for n in names if n != baseline]]
            if len(names) == 1:
                baseline = None  # the baseline alone: a plain run
        loaded, inputs = [], {}
        for i, name in enumerate(names):
            field = "baseline" if baseline is not None and i == 0 else "scenarios"
            if not isinstance(name, str) or not NAME.match(name) or not self.exists(name):
                raise InputError(f"no scenario named {name!r}; see GET /api/scenarios", field=field)
            try:
                loaded.append(self.load(name))
            except InputError as exc:
                raise InputError(f"scenario {name!r} no longer validates: {exc.reason}", file=exc.file,
                                 field=field) from None
            if name not in self.bundled:
                inputs[name] = self.text(name)[0]
        plan = self.plan(loaded, horizon, baseline, threshold)
        # histograms are allocated per scenario and month: bound a run's memory (≈ 0.2 MB per
        # scenario-month with paired differences), whatever the samples
        if len(loaded) * plan.grid.size > MAX_SCENARIO_MONTHS:
            raise InputError(
                f"{len(loaded)} scenarios over {plan.grid.size} months is more than this server runs at once "
                f"(scenarios × months ≤ {MAX_SCENARIO_MONTHS:,}); use fewer scenarios or an earlier horizon",
                field="scenarios")
        return self.store.create_run(scenarios=names, baseline=baseline, samples=samples, seed=seed,
                                     horizon=horizon, threshold=threshold, inputs=inputs,
                                     max_active=self.limits.max_runs)

    def create_analysis(self, *, kind: str, scenario: str, baseline: str | None, outcome: str, samples: int,
                        seed: int, by: str = "family", setting: str = "") -> dict:
        """Check and queue a Sobol' analysis (``samples``: base samples) or a lever sweep (``setting``
        ``PATH=V1,V2,…``; ``samples`` per value) as a background run (raises InputError, TooManyRuns)."""
        from ..analysis.outcome import parse_outcome
        from ..analysis.sobol import setup
        from ..analysis.sweep import split_values, variants

        if kind not in ANALYSES:
            raise InputError(f"choose one of: {', '.join(ANALYSES)}", field="kind")
        if not isinstance(scenario, str) or not NAME.match(scenario) or not self.exists(scenario):
            raise InputError(f"no scenario named {scenario!r}; see GET /api/scenarios", field="scenario")
        if baseline is not None and (not NAME.match(baseline) or not self.exists(baseline)):
            raise InputError(f"no scenario named {baseline!r}; see GET /api/scenarios", field="baseline")
        if not 0 <= seed < 2**63:
            raise InputError("must be a whole number between 0 and 2^63 - 1", field="seed")
        if len(outcome) > 300 or len(setting) > 2000:
            raise InputError("too long", field="outcome" if len(outcome) > 300 else "set")
        wanted = parse_outcome(outcome or "delta:warheads_possible", "outcome")
        base = self.load(baseline) if wanted.delta and baseline is not None else None
        target = self.load(scenario)
        spec: dict = {"kind": kind, "outcome": str(wanted)}
        if kind == "sobol":
            if samples < 8 or samples & (samples - 1):
                raise InputError("base samples: a power of 2 from 8 (runs = base × (inputs + 2))", field="samples")
            design = setup(target, wanted, baseline=base, by=by, profile=self.profile, missile_evidence=self.missiles)
            runs = design.runs(samples)
            if runs > self.limits.max_samples:
                raise InputError(f"{samples:,} base samples make {runs:,} model runs, more than this server's limit "
                                 f"of {self.limits.max_samples:,}", field="samples")
            spec.update(by=by, base=samples)
            total = runs
        else:
            path, eq, values = setting.partition("=")
            if not eq or not path.strip():
                raise InputError("write PATH=V1,V2,… e.g. halt.verification0.detect_per_month=0.1,0.5,0.9",
                                 field="set")
            settings = split_values(values)
            source = scenario if scenario in self.bundled else str(self.store.scenario_file(scenario))
            built = variants(source, path.strip(), settings)
            if not 1 <= samples <= self.limits.max_samples:
                raise InputError(f"must be between 1 and {self.limits.max_samples:,} (this server's limit)",
                                 field="samples")
            self.plan([*([base] if base else []), *(v for _, v in built)], wanted.month,
                      base.name if base else None, 200)
            spec.update(path=path.strip(), values=settings)
            total = samples
        names = [baseline, scenario] if base is not None else [scenario]
        inputs = {n: self.text(n)[0] for n in names if n not in self.bundled}
        return self.store.create_run(scenarios=names, baseline=baseline if base is not None else None, samples=total,
                                     seed=seed, horizon=wanted.month, threshold=200, inputs=inputs,
                                     max_active=self.limits.max_runs, analysis=spec)

    def run_scenarios(self, run: dict) -> list[Scenario]:
        """The scenarios a run was started with (saved ones from the run's own snapshot)."""
        folder = self.store.run_dir(run["id"]) / "inputs"
        out = []
        for name in run["scenarios"]:
            snapshot = folder / f"{name}.yaml"
            out.append(load_scenario(snapshot) if snapshot.is_file() else load_scenario(name))
        return out


def safe_yaml(text: str):
    """Parse YAML with the safe loader, refusing anchors and aliases (no billion laughs)."""
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.AliasEvent):
                mark = event.start_mark
                raise InputError("YAML aliases (*name) are not accepted here; write the value out",
                                 file="scenario.yaml", field=f"line {mark.line + 1}")
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise InputError(f"not valid YAML: {problem}", file="scenario.yaml", field=where) from None
    return parse_yaml(text, "scenario.yaml")  # duplicate keys and nesting bounded too


def _entry(sc: Scenario, *, bundled: bool, updated_at: str | None = None) -> dict:
    return {"name": sc.name, "title": sc.title, "kind": sc.kind, "start": format_month(sc.start),
            "phases": len(sc.phases), "bundled": bundled, "updated_at": updated_at, "problem": None}


def _relabel(exc: InputError, path: str, label: str) -> InputError:
    file = label if exc.file in (None, path) else exc.file
    return InputError(exc.reason.replace(path, label), file=file, field=exc.field,
                      problems=[(f, r.replace(path, label)) for f, r in exc.problems])


def _token() -> str:
    import secrets

    return secrets.token_hex(8)
