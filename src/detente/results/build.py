"""Build the Results dataset from what the engine accumulated (see ``docs/results.md``)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import xarray as xr

from .._version import __version__
from ..compile.plan import Plan
from ..engine.accumulate import Accumulator
from ..histograms import trim
from ..metrics import DEAL_EVENTS, METRICS, SUMMED, binned
from ..months import format_month
from ..options import RunOptions
from ..parameters import describe

SCHEMA = "detente-results/1"


def months_coordinate(months: list[str]) -> np.ndarray:
    """``"YYYY-MM"`` labels → ``datetime64[ns]`` month starts."""
    return np.array(months, dtype="datetime64[M]").astype("datetime64[ns]")


def var(name: str) -> str:
    """Dataset variable name of a metric (``delta:pu_kg`` → ``delta_pu_kg``)."""
    return name.replace(":", "_")


def bin_coordinates(m, dim: str, index: np.ndarray) -> dict[str, tuple]:
    """A histogram's bin dimension: the bin numbers it holds of the metric's bins, and their edges."""
    return {dim: (dim, index, {"long_name": f"bin number among the {m.bins.size} {m.binning} bins", "units": "1"}),
            f"{dim}_lower": (dim, m.bins.lower_edges()[index], {"long_name": "lower bin edge", "units": m.unit}),
            f"{dim}_upper": (dim, m.bins.upper_edges()[index], {"long_name": "upper bin edge", "units": m.unit})}


def build_dataset(plan: Plan, total: Accumulator, options: RunOptions) -> xr.Dataset:
    """Histograms, exact sums, deal counts, per-sample values at the horizon and the kept
    parameter draws of a finished run, with coordinates and units."""
    names = [s.name for s in plan.scenarios]
    paired = plan.baseline is not None
    metrics = binned(plan.with_missiles, paired, plan.profile.crisis is not None)
    regions = [r.id for r in plan.missiles.regions] if plan.with_missiles else []
    specs = plan.parameter_specs()
    counts = {s: total.counts(s) for s in names}
    data: dict[str, tuple] = {}
    bin_coords: dict[str, tuple] = {}
    for m in metrics:
        shape = counts[names[0]].get(m.name, counts[names[-1]].get(m.name)).shape
        stacked = np.zeros((len(names), *shape), dtype=np.int32)
        for i, s in enumerate(names):
            if m.name in counts[s]:
                stacked[i] = counts[s].pop(m.name)
        stacked, index = trim(stacked)  # only the bins that hold any sample
        dim = f"{var(m.name)}_bin"
        bin_coords.update(bin_coordinates(m, dim, index))
        dims = ("scenario", "region", "date", dim) if m.per_region else ("scenario", "date", dim)
        data[f"counts_{var(m.name)}"] = (dims, stacked, {
            "units": "samples", "metric": m.name, "metric_units": m.unit, "long_name": f"histogram of {m.label}"})
    for metric in SUMMED:
        data[f"sum_{metric}"] = (("scenario", "date"), np.stack([total.summed(s, metric) for s in names]), {
            "units": f"{METRICS[metric].unit} summed over samples", "long_name": f"sum of {METRICS[metric].label}"})
    if regions:
        data["sum_p_arrive"] = (("scenario", "region", "date"), np.stack([total.summed(s, "p_arrive") for s in names]),
                                {"units": "1 summed over samples", "long_name": "sum of P(at least one arrives); "
                                 "evaluated each January from the start and at the horizon, 0 elsewhere"})
    for event in DEAL_EVENTS:
        data[f"deal_{event}"] = (("scenario", "date"), np.stack([counts[s][f"deal:{event}"] for s in names]), {
            "units": "samples", "long_name": f"samples with the deal {event.replace('_', ' ')} in each month"})
    designs = [d.id for d in plan.profile.designs]
    for key, what in (("design", "with the design validated"),
                      ("design_gained", "with the design validated and the baseline's not"),
                      ("design_lost", "with the baseline's design validated and the scenario's not")):
        if designs and (key == "design" or paired):
            zeros = np.zeros(plan.grid.size, dtype=np.int64)
            data[f"{key}_validated" if key == "design" else key] = (("scenario", "design", "date"), np.stack([
                np.stack([counts[s].get(f"{key}:{d}", zeros) for d in designs]) for s in names]), {
                "units": "samples", "long_name": f"samples {what} in each month (from the data date)"})
    per_sample = {s: total.per_sample(s) for s in names}
    n = options.samples
    known = list(dict.fromkeys(m for s in names for m in per_sample[s]))
    plain = [m for m in known if ":" not in m]
    for metric in plain:
        values = np.stack([per_sample[s].get(metric, np.full(n, np.nan, np.float32)) for s in names])
        info = METRICS[metric]
        data[f"horizon_{metric}"] = (("scenario", "sample"), values, {
            "units": info.unit, "long_name": f"{info.label}, per sample at the horizon"})
    labels = {"region": regions, "facility": [f.id for f in plan.profile.facilities], "design": designs,
              "missile_class": [c.id for c in plan.missiles.classes]}
    for metric in dict.fromkeys(m.split(":")[0] for m in known if ":" in m):
        info = METRICS[metric]
        empty = np.full(n, np.nan, np.float32)
        values = np.stack([np.stack([per_sample[s].get(f"{metric}:{x}", empty) for x in labels[info.per]])
                           for s in names])
        data[f"horizon_{metric}"] = (("scenario", info.per, "sample"), values, {
            "units": info.unit, "long_name": f"{info.label}, per sample at the horizon"})
    created = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    draws = total.kept_draws(specs)
    kept = len(next(iter(draws.values()))) if draws else 0
    data["draws"] = (("parameter", "kept_sample"), np.stack([draws[p] for p in specs]) if draws
                     else np.zeros((len(specs), 0)), {"long_name": "parameter draws of the first samples",
                                          "units": "each parameter's own (coordinate parameter_unit)"})
    coords = {
        "scenario": ("scenario", names, {"long_name": "scenario name"}),
        "date": ("date", months_coordinate(plan.grid.labels()), {"long_name": "month (its first day)"}),
        "scenario_title": ("scenario", [s.title for s in plan.scenarios], {"long_name": "scenario title"}),
        "start": ("scenario", months_coordinate([format_month(s.start) for s in plan.scenarios]),
                  {"long_name": "scenario start"}),
        "has_deal": ("scenario", np.array([d is not None for d in plan.deals]),
                     {"long_name": "the scenario has phases (a deal)"}),
        "sample": ("sample", np.arange(n), {"long_name": "sample number", "units": "1"}),
        "kept_sample": ("kept_sample", np.arange(kept), {"long_name": "sample number (the first samples)",
                                                          "units": "1"}),
        "parameter": ("parameter", list(specs), {"long_name": "parameter name"}),
        "parameter_unit": ("parameter", [describe(p, None, spec.unit).unit for p, spec in specs.items()],
                           {"long_name": "unit of the parameter's draws"}),
        "parameter_spec": ("parameter", [json.dumps(spec.model_dump(mode="json"))
                                         for spec in specs.values()], {"long_name": "distribution and sources (JSON)"}),
        **bin_coords,
    }
    coords["facility"] = ("facility", labels["facility"], {"long_name": "facility id"})
    if designs:
        coords["design"] = ("design", designs, {"long_name": "warhead design id"})
        coords["design_name"] = ("design", [d.name for d in plan.profile.designs], {"long_name": "warhead design"})
    if regions:
        coords["missile_class"] = ("missile_class", labels["missile_class"], {"long_name": "missile class"})
    coords["facility_name"] = ("facility", [f.name for f in plan.profile.facilities], {"long_name": "facility"})
    if regions:
        coords["region"] = ("region", regions, {"long_name": "target region id"})
        coords["region_name"] = ("region", [r.name for r in plan.missiles.regions], {"long_name": "target region"})
    attrs = {
        "Conventions": "CF-1.10",
        "title": "Détente: " + ", ".join(names),
        "source": f"Détente {__version__} Monte Carlo simulation",
        "history": f"detente {__version__}: seed {options.seed}, {n} samples",
        "schema": SCHEMA,
        "seed": options.seed,
        "samples": n,
        "conditioned_on": plan.observations.describe() if plan.observations is not None else "",
        "observations_file": plan.observations.file if plan.observations is not None
        and Path(plan.observations.file).is_file() else "",
        "calibration": plan.pool.describe() if plan.pool is not None else "",
        "version": __version__,
        "input_hash": plan.input_hash(),
        "created_at": created,
        "profile": plan.profile.name,
        "data_date": format_month(plan.profile.today),
        "start": format_month(plan.grid.start),
        "horizon": format_month(plan.grid.end),
        "baseline": names[plan.baseline] if paired else "",
        "threshold": plan.threshold,
        "missiles": int(plan.with_missiles),
    }
    return xr.Dataset(data, coords=coords, attrs=attrs)
