"""The notebook-friendly entry point: ``simulate`` a profile and scenarios into Results."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np

from . import __version__
from .engine import block_sums_in_order, execute, input_hash
from .missiles import load_missiles
from .months import format_month
from .plan import compile_plan
from .profile import Profile, load_profile
from .reach import DELIVER_BINS, DELTA_DELIVER_BINS, RELIABILITY_BINS
from .results import Results
from .scenario import Scenario, load_scenario
from .simulator import BINS, DELTA_BINS, METRICS


def simulate(
    scenarios: Sequence[str | Scenario] | str | Scenario = "no-deal",
    *,
    profile: str | Profile = "dprk",
    samples: int = 10_000,
    seed: int = 0,
    horizon: str | None = None,
    workers: int = 1,
    baseline: str | None = None,
    threshold: int = 200,
    missiles: bool = True,
    progress=None,
) -> Results:
    """Simulate scenarios (bundled names, file paths or ``Scenario`` objects) on common draws.

    ``horizon`` is ``"YYYY-MM"`` (default: 15 years after the latest scenario start);
    ``baseline`` names the scenario paired differences are taken against (default: the one of
    kind ``baseline``, e.g. ``no-deal``, when it runs beside others); ``threshold`` is the
    warhead count whose arrival month is reported; ``progress`` is called with the number of
    samples each finished block held; ``missiles=False`` skips the missile and reach model
    (fissile material, warheads and deals only; faster).
    """
    if isinstance(scenarios, str | Scenario):
        scenarios = [scenarios]
    loaded = [s if isinstance(s, Scenario) else load_scenario(s) for s in scenarios]
    prof = profile if isinstance(profile, Profile) else load_profile(profile)
    plan = compile_plan(prof, loaded, load_missiles(prof.name), horizon, baseline, threshold, missiles)
    merged = execute(plan, samples, seed, workers, progress)
    names = [s.name for s in loaded]
    order = sorted(merged.horizon)
    horizon_values = {
        s: {m: np.concatenate([merged.horizon[b][s][m] for b in order]) for m in merged.horizon[order[0]][s]}
        for s in names
    }
    kept = sorted(merged.draws)
    draws = {
        p: np.concatenate([merged.draws[b][p] for b in kept]) for p in plan.parameter_specs()
    } if kept else {}
    sums = {s: {m: block_sums_in_order(merged, s, m) for m in ("pu_kg", "heu_kg")} for s in names}
    regions = [r.id for r in plan.missiles.regions] if plan.reach else []
    counts = {}
    for s in names:
        counts[s] = merged.counts(s)
        if not plan.reach:
            continue
        deliver = counts[s].pop("missiles:deliver")
        paired = counts[s].pop("delta:missiles:deliver", None)
        arrive = block_sums_in_order(merged, s, "p_arrive")
        for j, region in enumerate(regions):
            counts[s][f"deliverable:{region}"] = deliver[j]
            if paired is not None:
                counts[s][f"delta:deliverable:{region}"] = paired[j]
            sums[s][f"p_arrive:{region}"] = arrive[j]
    bins = {m: BINS[m] for m in METRICS}
    bins.update({f"deliverable:{r}": DELIVER_BINS for r in regions})
    if plan.reach:
        bins["icbm_reliability"] = RELIABILITY_BINS
    if plan.baseline is not None:
        bins.update(DELTA_BINS)
        bins.update({f"delta:deliverable:{r}": DELTA_DELIVER_BINS for r in regions})
    attrs = {
        "seed": seed,
        "samples": samples,
        "version": __version__,
        "input_hash": input_hash(plan),
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "profile": prof.name,
        "start": format_month(plan.grid.start),
        "horizon": format_month(plan.grid.end),
        "scenario_starts": ",".join(f"{s.name}={format_month(s.start)}" for s in loaded),
        "baseline": names[plan.baseline] if plan.baseline is not None else "",
        "threshold": threshold,
        "regions": ",".join(regions),
    }
    return Results(
        scenarios=names,
        months=plan.grid.labels(),
        counts=counts,
        sums=sums,
        bins=bins,
        horizon_values=horizon_values,
        draws=draws,
        attrs=attrs,
        specs=plan.parameter_specs(),
    )


def compare(
    scenarios: Sequence[str | Scenario] | str | Scenario,
    *,
    baseline: str | Scenario = "no-deal",
    **options,
) -> Results:
    """What each deal buys: ``simulate`` the baseline and the scenarios on the same draws, with
    paired differences (``delta:<metric>``, scenario minus baseline). ``options`` are those of
    :func:`simulate` (samples, seed, horizon, workers, threshold, profile, progress)."""
    if isinstance(scenarios, str | Scenario):
        scenarios = [scenarios]
    base = baseline if isinstance(baseline, Scenario) else load_scenario(baseline)
    loaded = [s if isinstance(s, Scenario) else load_scenario(s) for s in scenarios]
    others = [s for s in loaded if s.name != base.name]
    return simulate([base, *others], baseline=base.name, **options)
