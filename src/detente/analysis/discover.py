"""Scenario discovery: the boxes of input ranges in which a condition on a deal's outcome holds,
found by PRIM (Friedman & Fisher 1999; the implementation of the EMA Workbench, Kwakkel 2017)
over a run's kept samples, and said in plain words. PRIM searches the ``SEARCHED`` inputs whose
PAWN index for the condition is largest (feature scoring first, as the workbench's guides do),
which keeps boxes to inputs that matter and the search to seconds.

Each box comes with its *coverage* (the share of all samples where the condition holds that
fall in the box), *density* (the share of the box's samples where it holds) and *mass* (the
share of all samples in the box). PRIM peels the input space step by step, trading coverage
for density; the box reported is the step with the largest coverage × density among boxes that
restrict at most ``MAX_RESTRICTED`` inputs (a box an analyst can read), the densest step that keeps
at least ``MIN_COVERAGE`` of the cases; it is reported if its density is at least the asked
threshold (by default 1.25 × the condition's overall share: a box must raise its chance by a
quarter). Later boxes are searched among the samples outside the earlier ones, and their
statistics are of those samples.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import InputError
from ..results.results import Results
from .inputs import relevant
from .outcome import Condition, holds
from .pawn import pawn_indices

MAX_RESTRICTED = 3
SEARCHED = 15  # inputs PRIM searches: those with the largest PAWN index for the condition
MIN_COVERAGE = 0.5
LIFT = 1.25  # default least density, as a multiple of the overall share
MIN_CASES = 10  # samples where the condition holds (and fails) below which there is nothing to discover


@dataclass(frozen=True)
class Box:
    """One PRIM box: ``limits`` input → (low, high, unit) restricted, and its statistics."""

    limits: dict[str, tuple[float, float, str]]
    bounds: dict[str, tuple[float, float]]  # each restricted input's whole sampled range
    coverage: float
    density: float
    mass: float
    later: bool = False  # searched among the samples outside earlier boxes

    def ranges(self) -> dict[str, str]:
        """Each restricted input's range in words ("is above 0.0044", "is 1 (yes)")."""
        out = {}
        for name, (low, high, unit) in self.limits.items():
            lo, hi = self.bounds[name]
            u = f" {unit}" if unit and unit != "1" else ""
            if (lo, hi) == (0.0, 1.0) and (low > 0.0) != (high < 1.0):  # a yes/no input
                out[name] = "is 1 (yes)" if low > 0 else "is 0 (no)"
            elif low > lo and high < hi:
                out[name] = f"is between {low:.3g} and {high:.3g}{u}"
            elif low > lo:
                out[name] = f"is above {low:.3g}{u}"
            else:
                out[name] = f"is below {high:.3g}{u}"
        return out

    def describe(self, condition: str) -> str:
        """The box in plain words."""
        when = " and ".join(f"{n} {r}" for n, r in self.ranges().items()) or "in every sample"
        among = "Among the samples outside the earlier boxes, when" if self.later else "When"
        pool = "those samples" if self.later else "all samples"
        return (f"{among} {when}, {condition} in {self.density:.0%} of cases (density); this box holds "
                f"{self.coverage:.0%} of the cases where that happens (coverage) and {self.mass:.0%} of {pool}.")


@dataclass(frozen=True)
class Discovery:
    condition: str
    share: float  # of all samples, the share where the condition holds
    samples: int
    boxes: list[Box]
    tradeoff: pd.DataFrame  # the first box's peeling trajectory: coverage, density, mass, res_dim


def _prim():
    with warnings.catch_warnings():  # the workbench warns of optional evaluators it does not need here
        warnings.simplefilter("ignore")
        from ema_workbench.analysis import prim
        from ema_workbench.analysis import scenario_discovery_util as sdutil
    logging.getLogger("EMA").setLevel(logging.WARNING)
    return prim, sdutil


def discover(results: Results, scenario: str, conditions: list[Condition], boxes: int = 2,
             threshold: float | None = None) -> Discovery:
    """PRIM boxes in which every one of ``conditions`` holds for ``scenario``, over the run's kept
    samples (at most ``boxes`` boxes, each with a density of at least ``threshold``, by default
    ``LIFT`` × the overall share)."""
    draws = results.draws
    scenarios = tuple(results.scenarios)
    paired = any(c.outcome.delta for c in conditions)
    names = [n for n in relevant(results.specs, scenario, results.baseline if paired else None, scenarios,
                                 any(c.outcome.missiles for c in conditions)) if n in draws and np.ptp(draws[n]) > 0]
    if not names:
        raise InputError("the run kept no parameter draws to search", field="results")
    kept = len(draws[names[0]])
    y = holds(results, scenario, conditions)[:kept]
    text = " and ".join(c.words(results.baseline) for c in conditions)
    if min(y.sum(), (~y).sum()) < MIN_CASES:
        raise InputError(f"'{text}' holds in {y.sum():,} of {kept:,} samples: too few cases either way to "
                         "discover where it holds; loosen or tighten the condition", field="when")
    scores = pawn_indices(np.column_stack([draws[n][:kept] for n in names]), y.astype(np.float64))
    names = [names[i] for i in np.argsort(-scores, kind="stable")[:SEARCHED]]
    x = pd.DataFrame({n: draws[n][:kept].astype(np.float64) for n in names})
    threshold = min(LIFT * float(y.mean()), 0.95) if threshold is None else threshold
    prim, sdutil = _prim()
    with warnings.catch_warnings():  # the workbench's pandas idioms warn under pandas 3
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", FutureWarning)
        search = prim.Prim(x, y, threshold=threshold, peel_alpha=0.05)
    units = {n: results.specs[n].unit or "" for n in names}
    found: list[Box] = []
    tradeoff = pd.DataFrame()
    for _ in range(boxes):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.simplefilter("ignore", FutureWarning)
            box = search.find_box()
        if box is None:
            break
        trajectory = box.peeling_trajectory
        readable = trajectory[(trajectory["res_dim"] <= MAX_RESTRICTED) & (trajectory["res_dim"] > 0)
                              & (trajectory["coverage"] >= MIN_COVERAGE)]
        if not found and tradeoff.empty:
            tradeoff = trajectory[["coverage", "density", "mass", "res_dim"]].copy()
        if readable.empty:
            break
        i = int(readable["density"].idxmax())
        if trajectory.loc[i, "density"] < threshold:
            break
        box.select(i)  # the rest of the search starts from the samples outside this box
        lims = box.box_lims[i]
        restricted = sdutil._determine_restricted_dims(lims, search.box_init)
        found.append(Box({n: (float(lims.loc[0, n]), float(lims.loc[1, n]), units[n]) for n in restricted},
                         {n: (float(x[n].min()), float(x[n].max())) for n in restricted},
                         float(trajectory.loc[i, "coverage"]), float(trajectory.loc[i, "density"]),
                         float(trajectory.loc[i, "mass"]), later=bool(found)))
    return Discovery(text, float(y.mean()), kept, found, tradeoff)
