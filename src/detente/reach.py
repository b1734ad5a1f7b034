"""Lay the missile evidence out as per-block arrays and run the reach model for a scenario."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .accumulate import KgBins, SignedKgBins, UnitBins
from .deal_plan import ACTIVITIES
from .model.missiles import delivery_table, run_missiles
from .plan import Plan

DELIVER_BINS = KgBins(floor=0.01, resolution=0.02, size=700)  # expected warheads, 2 % bins
DELTA_DELIVER_BINS = SignedKgBins(DELIVER_BINS)
RELIABILITY_BINS = UnitBins(1001)


def missile_tallies(months: int, regions: int, deltas: bool) -> dict[str, np.ndarray]:
    """Zeroed missile counts for one scenario."""
    tally = {
        "missiles:deliver": np.zeros((regions, months, DELIVER_BINS.size), dtype=np.int32),
        "icbm_reliability": np.zeros((months, RELIABILITY_BINS.size), dtype=np.int32),
    }
    if deltas:
        tally["delta:missiles:deliver"] = np.zeros((regions, months, DELTA_DELIVER_BINS.size), dtype=np.int32)
    return tally


@dataclass
class MissileArrays:
    """Per-class (C, n) inputs of the missile kernel for one block."""

    k_now: np.ndarray
    q_now: np.ndarray
    q_inf: np.ndarray
    rv_now: np.ndarray
    growth: np.ndarray
    icbm_table: np.ndarray  # (months + 1, n) ICBM flight reliability × re-entry after m months
    rate: np.ndarray
    deploy_k: np.ndarray
    effect: np.ndarray
    launchers0: np.ndarray
    launcher_step: np.ndarray
    reach_km: np.ndarray
    flight_row: np.ndarray
    icbm: int


def missile_arrays(plan: Plan, draws: dict[str, np.ndarray]) -> MissileArrays:
    """Per-class inputs of the missile kernel (the lead type of each class)."""
    force = plan.missiles
    classes = force.classes

    def stack(key: str) -> np.ndarray:
        return np.vstack([draws[f"missiles.{c.id}.{key}"] for c in classes])

    leads = [force.lead(c) for c in classes]
    flown = [t.record.successes + t.record.failures
             + (t.record.unknown if force.unknown_as_failure else 0) for t in leads]
    n = len(draws["weapons.pu_kg"])
    facilities = len(plan.profile.facilities)
    k_now = np.repeat(np.array(flown, dtype=float)[:, None], n, axis=1)
    rate = stack("tests_per_year") / 12.0
    q_now, q_inf = 1.0 - stack("reliability_now"), stack("failure_floor")
    rv_now, growth = stack("reentry"), stack("growth")
    icbm = next((i for i, c in enumerate(classes) if c.id == "icbm"), -1)
    months = plan.grid.size - plan.branch
    if icbm >= 0:
        table = delivery_table(k_now[icbm], q_now[icbm], q_inf[icbm], rv_now[icbm], growth[icbm], rate[icbm], months)
    else:
        table = np.zeros((months + 1, n), dtype=np.float32)
    return MissileArrays(
        k_now=k_now,
        q_now=q_now,
        q_inf=q_inf,
        rv_now=rv_now,
        growth=growth,
        icbm_table=table,
        rate=rate,
        deploy_k=stack("deploy_after_flights"),
        effect=stack("derating") * stack("survival"),
        launchers0=stack("launchers"),
        launcher_step=np.power(1.0 + stack("launcher_growth_per_year"), 1.0 / 12.0),
        reach_km=np.vstack([draws[f"missile.{t.id}.range_km"] for t in leads]),
        flight_row=np.array([facilities + ACTIVITIES.index(f"flights:{c.id}") for c in classes],
                            dtype=np.int64),
        icbm=icbm,
    )


def run_reach(plan: Plan, arrays: MissileArrays, draws: dict[str, np.ndarray], ctl: np.ndarray,
              assembled: np.ndarray, tally: dict, sums: dict, base: np.ndarray | None,
              base_mode: int) -> dict[str, np.ndarray]:
    """Run the missile kernel from the branch month and bin its output (vectorised); return
    per-sample values at the horizon. ``base_mode`` 1 stores expected deliveries in ``base``
    (the baseline), 2 counts paired differences from it."""
    force, size, branch = plan.missiles, plan.grid.size, plan.branch
    n = assembled.shape[1]
    months = size - branch
    regions = len(force.regions)
    rows = evaluation_months(plan)
    evaluate = np.full(months, -1, dtype=np.int64)
    evaluate[rows - branch] = np.arange(len(rows))
    expected = np.zeros((regions, len(rows), n), dtype=np.float32)
    arrive = np.zeros((regions, len(rows), n), dtype=np.float32)
    final_rel = np.full(n, np.nan)
    run_missiles(
        branch, size, plan.grid.index(plan.profile.today), arrays.icbm_table, arrays.q_now,
        arrays.q_inf, arrays.rv_now, arrays.growth, arrays.deploy_k, arrays.k_now, arrays.rate,
        arrays.effect, arrays.launchers0, arrays.launcher_step,
        arrays.reach_km, plan.distances, np.array([r.defended for r in force.regions]),
        draws["defence.pk_per_shot"], draws["defence.interceptors"],
        force.defence.shots_per_warhead, arrays.icbm, ctl, arrays.flight_row, assembled,
        tally["icbm_reliability"], evaluate, expected, arrive, final_rel,
    )
    tally["missiles:deliver"][:, rows] += _histogram(_bin(expected, DELIVER_BINS), DELIVER_BINS.size)
    sums["p_arrive"] = np.zeros((regions, size))
    sums["p_arrive"][:, rows] = arrive.sum(axis=-1, dtype=np.float64)
    if base_mode == 1:
        base[...] = expected
    elif base_mode == 2:
        d = expected - base
        half = DELIVER_BINS.size - 1
        signed = np.where(d >= 0, half + _bin(np.abs(d), DELIVER_BINS), half - _bin(np.abs(d), DELIVER_BINS))
        tally["delta:missiles:deliver"][:, rows] += _histogram(signed, DELTA_DELIVER_BINS.size)
    values = {"icbm_reliability": final_rel.astype(np.float32)}
    for j, region in enumerate(force.regions):
        values[f"deliverable:{region.id}"] = expected[j, -1].copy()  # not a view: blocks add up
        values[f"p_arrive:{region.id}"] = arrive[j, -1].copy()
    return values


def evaluation_months(plan: Plan) -> np.ndarray:
    """Grid months where deliveries are evaluated: every 12 months from the earliest scenario
    start, and the horizon."""
    first = plan.grid.index(min(s.start for s in plan.scenarios))
    rows = np.arange(max(first, plan.branch), plan.grid.size, 12)
    return np.unique(np.r_[rows, plan.grid.size - 1])


def _bin(x: np.ndarray, bins: KgBins) -> np.ndarray:
    """Log-bin indices of non-negative values (vectorised; matches KgBins' edges)."""
    with np.errstate(divide="ignore"):
        i = 1 + np.floor(np.log(np.maximum(x, 0.0) / bins.floor) / bins.log_ratio)
    return np.clip(np.where(x < bins.floor, 0, i), 0, bins.size - 1).astype(np.int64)


def _histogram(index: np.ndarray, size: int) -> np.ndarray:
    """(J, months, n) bin indices → (J, months, size) counts."""
    rows = index.shape[0] * index.shape[1]
    flat = index.reshape(rows, -1) + (np.arange(rows, dtype=np.int64) * size)[:, None]
    counts = np.bincount(flat.ravel(), minlength=rows * size)
    return counts.reshape(index.shape[0], index.shape[1], size).astype(np.int32)
