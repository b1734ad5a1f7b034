"""Lever sweeps and deal families on shared draws: one scenario with one field set to each of
several values (``halt.verification0.detect_per_month=0.2,0.5,0.8``), or several files that
encode one proposal, run side by side against one baseline. Scenario inputs draw from streams
keyed by their path within the scenario, so the variants share every draw but the lever's, and
the differences between rows are the lever's, not Monte Carlo noise."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..api import compare, simulate
from ..errors import InputError
from ..inputs.bibliography import load_bibliography
from ..inputs.loading import parse_yaml, read_yaml, validate
from ..inputs.scenario import Scenario, load_scenario
from .outcome import Outcome, parse_outcome, values

MAX_VALUES = 50
LEVEL = 0.9  # the interval shown


@dataclass(frozen=True)
class Sweep:
    """What each value of a lever (or each reading of a proposal) buys: ``table`` has ``value``,
    ``median``, ``low``, ``high`` (the 90 % interval over samples), ``mean``, ``mean_se`` (its
    Monte Carlo standard error), ``change`` and ``change_se`` (the paired change of the mean from
    the first row) and ``p_in_force`` at the horizon."""

    lever: str
    outcome: str
    table: pd.DataFrame
    samples: int

    def plot(self, ax=None):
        from ..results.charts import sweep_chart
        return sweep_chart(self, ax)


def split_values(text: str) -> list[str]:
    """``V1,V2,…`` split at commas outside braces and brackets (``{low: 5, high: 9}`` is one value)."""
    out, depth, current = [], 0, ""
    for ch in text:
        depth += 1 if ch in "{[" else -1 if ch in "}]" else 0
        if ch == "," and depth == 0:
            out.append(current.strip())
            current = ""
        else:
            current += ch
    out.append(current.strip())
    return [v for v in out if v]


def _locate(data: dict, path: str) -> tuple[Any, Any]:
    """The container and key that ``path`` names in a scenario's YAML data: dotted keys; list
    items by position (``verification.0``, or ``verification0`` as parameter names write it) or
    by ``id``; a path may start at a phase id (``halt.duration_months``)."""
    segments = path.split(".")
    if segments[0] not in data and any(p.get("id") == segments[0] for p in data.get("phases", [])):
        segments.insert(0, "phases")
    node: Any = data
    for i, seg in enumerate(segments):
        last = i == len(segments) - 1
        if isinstance(node, list):
            key = int(seg) if seg.isdigit() else next((j for j, x in enumerate(node)
                                                       if isinstance(x, dict) and x.get("id") == seg), None)
            if key is None or key >= len(node):
                raise InputError(f"{'.'.join(segments[:i + 1])!r} is not an item of the scenario", field="set")
        elif isinstance(node, dict):
            match = re.fullmatch(r"(.+?)(\d+)", seg)
            if seg not in node and match and isinstance(node.get(match[1]), list):
                node, key = node[match[1]], int(match[2])
                if key >= len(node):
                    raise InputError(f"{path!r}: {match[1]} has {len(node)} items", field="set")
            elif seg in node or last:
                key = seg
            else:
                raise InputError(f"{path!r}: the scenario has no {'.'.join(segments[:i + 1])!r}", field="set")
        else:
            raise InputError(f"{path!r}: {'.'.join(segments[:i])!r} is a value, not a section", field="set")
        if last:
            return node, key
        node = node[key]
    raise InputError("give a field path", field="set")


def variants(scenario: str, path: str, settings: list[str]) -> list[tuple[str, Scenario]]:
    """The scenario with ``path`` set to each of ``settings`` (YAML values; a bare number where a
    distribution stood fixes it at that number), validated as a file would be; each variant is
    named ``<name>--<i>``."""
    if not 1 <= len(settings) <= MAX_VALUES:
        raise InputError(f"give 1 to {MAX_VALUES} values", field="set")
    base = load_scenario(scenario)
    data = read_yaml(base.file)
    sources = set(load_bibliography().by_id())
    out = []
    for i, text in enumerate(settings):
        changed = copy.deepcopy(data)
        node, key = _locate(changed, path)
        value = parse_yaml(text, f"--set {path}")
        current = node[key] if isinstance(node, list) or key in node else None
        if isinstance(current, dict) and "dist" in current and isinstance(value, int | float) \
                and not isinstance(value, bool):  # a number where a distribution stood: that value, fixed
            value = {"dist": "fixed", "value": value, "judgement": True, "basis": f"swept: {path} = {text}",
                     **({"unit": current["unit"]} if "unit" in current else {})}
        node[key] = value
        changed["name"] = f"{base.name}--{i}"
        out.append((text, validate(Scenario, changed, f"{base.file} with {path}={text}", context={"sources": sources})))
    return out


def _table(results, rows: list[tuple[str, str]], outcome: Outcome) -> pd.DataFrame:
    """One row per (label, scenario): the outcome's median, 90 % interval, mean and its standard
    error, the paired change of the mean from the first row with its standard error (the shared
    draws make it far smaller than the levels'), and P(in force) at the horizon."""
    tail = (1 - LEVEL) / 2
    first = values(results, rows[0][1], outcome)
    out = []
    for label, name in rows:
        v = values(results, name, outcome)
        both = np.isfinite(v) & np.isfinite(first)
        change = v[both] - first[both]
        v = v[np.isfinite(v)]
        in_force = results.probability("in_force").sel(scenario=name).values[-1] if results.has_deal(name) else np.nan
        out.append({"value": label, "median": float(np.median(v)), "low": float(np.quantile(v, tail)),
                    "high": float(np.quantile(v, 1 - tail)), "mean": float(v.mean()),
                    "mean_se": float(v.std(ddof=1) / np.sqrt(v.size)), "change": float(change.mean()),
                    "change_se": float(change.std(ddof=1) / np.sqrt(change.size)), "p_in_force": float(in_force)})
    return pd.DataFrame(out)


def _run(scenarios: list[Scenario], outcome: Outcome, baseline: str | Scenario | None, samples: int, seed: int,
         workers: int, progress: Callable[[int], None] | None, evidence: dict):
    options = {"samples": samples, "seed": seed, "horizon": outcome.month, "missiles": outcome.missiles,
               "workers": workers, "progress": progress, **evidence}
    if outcome.delta:
        if baseline is None:
            raise InputError(f"{outcome} is a paired change: give a baseline", field="baseline")
        return compare(scenarios, baseline=baseline, **options)
    return simulate(scenarios, **options)


def sweep(scenario: str, path: str, settings: list[str], outcome: str | Outcome = "delta:warheads_possible", *,
          baseline: str | Scenario | None = "no-deal", samples: int = 20_000, seed: int = 0, workers: int = 1,
          progress: Callable[[int], None] | None = None, **evidence) -> Sweep:
    """Run ``scenario`` (a bundled name or a file) with ``path`` set to each of ``settings`` on
    shared draws; ``evidence`` (``profile``, ``missile_evidence``) goes to the run."""
    outcome = parse_outcome(outcome) if isinstance(outcome, str) else outcome
    runs = variants(scenario, path, settings)
    results = _run([s for _, s in runs], outcome, baseline, samples, seed, workers, progress, evidence)
    table = _table(results, [(text, s.name) for text, s in runs], outcome)
    return Sweep(f"{runs[0][1].name.rsplit('--', 1)[0]}: {path}", outcome.describe(results.baseline), table,
                 samples)


def family(scenarios: list[str], outcome: str | Outcome = "delta:warheads_possible", *,
           baseline: str | Scenario | None = "no-deal", samples: int = 20_000, seed: int = 0, workers: int = 1,
           progress: Callable[[int], None] | None = None, **evidence) -> Sweep:
    """Several readings of one proposal on shared draws: the spread of their medians is the
    interpretation uncertainty, beside each one's sampling interval."""
    outcome = parse_outcome(outcome) if isinstance(outcome, str) else outcome
    loaded = [load_scenario(s) for s in scenarios]
    names = [s.name for s in loaded]
    if len(set(names)) != len(names):
        raise InputError("two of the files have the same scenario name", field="scenarios")
    results = _run(loaded, outcome, baseline, samples, seed, workers, progress, evidence)
    table = _table(results, [(s.name, s.name) for s in loaded], outcome)
    return Sweep("readings of one proposal", outcome.describe(results.baseline), table, samples)
