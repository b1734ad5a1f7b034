"""Lay the missile evidence out as per-block arrays and run the reach model for a scenario."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .accumulate import KgBins, SignedKgBins, UnitBins
from .deal_plan import ACTIVITIES
from .missiles import REGIONS
from .model.missiles import run_missiles
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
    growth: np.ndarray
    rate: np.ndarray
    deploy_k: np.ndarray
    effect: np.ndarray
    launchers0: np.ndarray
    launcher_step: np.ndarray
    reach_km: np.ndarray
    flight_row: np.ndarray
    icbm: int


def missile_arrays(plan: Plan, draws: dict[str, np.ndarray]) -> MissileArrays:
    force = plan.missiles
    classes = force.classes

    def stack(key: str) -> np.ndarray:
        return np.vstack([draws[f"missiles.{c.id}.{key}"] for c in classes])

    leads = [force.lead(c) for c in classes]
    flown = [t.record.successes + t.record.failures
             + (t.record.unknown if force.unknown_as_failure else 0) for t in leads]
    n = len(draws["weapons.pu_kg"])
    facilities = len(plan.profile.facilities)
    return MissileArrays(
        k_now=np.repeat(np.array(flown, dtype=float)[:, None], n, axis=1),
        q_now=1.0 - stack("reliability_now"),
        q_inf=stack("failure_floor"),
        growth=stack("growth"),
        rate=stack("tests_per_year") / 12.0,
        deploy_k=stack("deploy_after_flights"),
        effect=stack("derating") * stack("reentry") * stack("survival"),
        launchers0=stack("launchers"),
        launcher_step=np.power(1.0 + stack("launcher_growth_per_year"), 1.0 / 12.0),
        reach_km=np.vstack([draws[f"missile.{t.id}.range_km"] for t in leads]),
        flight_row=np.array([facilities + ACTIVITIES.index(f"flights:{c.id}") for c in classes],
                            dtype=np.int64),
        icbm=next((i for i, c in enumerate(classes) if c.id == "icbm"), -1),
    )


def run_reach(plan: Plan, arrays: MissileArrays, draws: dict[str, np.ndarray], ctl: np.ndarray,
              assembled: np.ndarray, tally: dict, sums: dict, base: np.ndarray | None,
              base_mode: int) -> dict[str, np.ndarray]:
    """Run the missile kernel from the branch month; return per-sample values at the horizon."""
    force, size, branch = plan.missiles, plan.grid.size, plan.branch
    n = assembled.shape[1]
    regions = len(force.regions)
    final_deliver = np.zeros((regions, n))
    final_arrive = np.zeros((regions, n))
    final_rel = np.full(n, np.nan)
    sums["p_arrive"] = np.zeros((regions, size))
    delta = tally.get("delta:missiles:deliver", np.zeros((regions, size, 1), dtype=np.int32))
    run_missiles(
        branch, size, plan.grid.index(plan.profile.today), arrays.k_now, arrays.q_now, arrays.q_inf,
        arrays.growth, arrays.rate, arrays.deploy_k, arrays.effect, arrays.launchers0,
        arrays.launcher_step, arrays.reach_km, plan.distances,
        np.array([r.defended for r in force.regions]), draws["defence.pk_per_shot"],
        draws["defence.interceptors"], force.defence.shots_per_warhead, arrays.icbm, ctl,
        arrays.flight_row, assembled, tally["missiles:deliver"], tally["icbm_reliability"],
        sums["p_arrive"], final_deliver, final_arrive, final_rel,
        base if base is not None else np.zeros((regions, 0, n)), base_mode, delta,
        DELIVER_BINS.floor, 1.0 / DELIVER_BINS.log_ratio,
    )
    values = {"icbm_reliability": final_rel.astype(np.float32)}
    for j, region in enumerate(force.regions):
        values[f"deliverable:{region.id}"] = final_deliver[j].astype(np.float32)
        values[f"p_arrive:{region.id}"] = final_arrive[j].astype(np.float32)
    return values


__all__ = ["REGIONS", "missile_arrays", "missile_tallies", "run_reach"]
