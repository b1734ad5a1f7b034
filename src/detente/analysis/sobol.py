"""Sobol' indices of a scenario's outcome: a Saltelli design run through the engine, indices
and bootstrap intervals from SALib (Saltelli et al. 2010 estimators, as SALib implements them).

The model is stochastic, so its month-by-month chance events are one more input ("chance"):
every designed sample is then a function of its inputs alone, first-order and total indices
sum as they should, and an input that cannot affect the outcome gives exactly the same value in
the matrix that changes it as in the one that does not — so it scores exactly 0 and is not
listed. Inputs are analysed one by one or by family; rank-correlated inputs always move
together (as one input), since Sobol' indices assume independent inputs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import NamedTuple

import numpy as np
import pandas as pd
from SALib.analyze import sobol as salib_sobol
from scipy.stats import qmc

from ..api import calibrated, check
from ..compile.plan import Plan
from ..engine.design import HISTORY, Design
from ..engine.run import execute
from ..errors import InputError
from ..inputs.profile import Profile
from ..inputs.scenario import Scenario
from ..options import RunOptions
from .inputs import CHANCE, family, relevant
from .outcome import Outcome, parse_outcome

MAX_BASE = 2**20  # base samples of a design


@dataclass(frozen=True)
class Sensitivity:
    """Indices of each input (or family) for one outcome: ``table`` has ``input``, ``family``,
    ``S1``, ``S1_conf``, ``ST``, ``ST_conf`` (Sobol') or ``PAWN`` and ``threshold`` (PAWN),
    largest first; ``runs`` is the number of model runs it took."""

    outcome: str
    method: str
    table: pd.DataFrame
    runs: int
    note: str = ""

    def plot(self, ax=None):
        """Horizontal bars of the indices with their intervals (matplotlib Axes)."""
        from ..results.charts import sensitivity_chart
        return sensitivity_chart(self, ax)


def saltelli(groups: list[str], base: int, seed: int) -> tuple[np.ndarray, list[str], tuple[int, ...]]:
    """The Saltelli matrices for first-order and total indices: A, one A-with-B's-columns per
    group, then B — ``(groups + 2, base, columns)`` quantiles — the group names in order, and the
    chance set of each matrix (chance is the last group, so its matrix takes B's chance)."""
    names = list(dict.fromkeys(groups))
    sequence = qmc.Sobol(2 * len(groups), scramble=True, seed=seed).random(base)
    sequence = np.clip(sequence, 1e-9, 1 - 1e-9)
    a, b = sequence[:, :len(groups)], sequence[:, len(groups):]
    member = np.array(groups)
    mats = [a]
    for g in names:
        ab = a.copy()
        ab[:, member == g] = b[:, member == g]
        mats.append(ab)
    mats.append(b)
    chance = (0, *(1 if g == CHANCE else 0 for g in names), 1)
    return np.stack(mats), names, chance


def indices(columns: list[str], groups: list[str], evaluate: Callable[[Design], np.ndarray], base: int,
            seed: int) -> tuple[pd.DataFrame, int]:
    """Sobol' first-order and total indices of each group of ``columns`` (plus ``chance``) for
    the outcome ``evaluate(design) -> (matrices, base)``; groups the outcome never changes with are
    left out. Returns the table (largest total index first) and the number of runs."""
    if base & (base - 1) or not 8 <= base <= MAX_BASE:
        raise InputError(f"{base} base samples: use a power of 2 from 8 to {MAX_BASE:,} (Sobol' sequences)",
                         field="samples")
    groups = [*groups, CHANCE]
    u, names, chance = saltelli(groups, base, seed)
    y = np.asarray(evaluate(Design((*columns, CHANCE), u, chance)), dtype=np.float64)
    if not np.isfinite(y).all():
        raise InputError(f"the outcome is undefined (NaN or infinite) in {np.sum(~np.isfinite(y)):,} of "
                         f"{y.size:,} runs, e.g. a threshold never reached by the horizon; choose an outcome "
                         "every sample has", field="outcome")
    if np.ptp(y) == 0:
        raise InputError("the outcome is the same in every run: nothing to attribute", field="outcome")
    problem = {"num_vars": len(groups), "names": [*columns, CHANCE], "bounds": [[0.0, 1.0]] * len(groups),
               "groups": groups}
    found = salib_sobol.analyze(problem, y.T.ravel(), calc_second_order=False, num_resamples=200, seed=seed)
    moves = [bool(np.any(y[1 + k] != y[0])) for k in range(len(names))]
    table = pd.DataFrame({"input": names, "S1": found["S1"], "S1_conf": found["S1_conf"], "ST": found["ST"],
                          "ST_conf": found["ST_conf"]})[moves]
    return table.sort_values("ST", ascending=False, ignore_index=True), int(y.size)


def _groups(columns: list[str], by: str, scenarios: tuple[str, ...], correlated: list[tuple[str, ...]]) -> list[str]:
    if by == "family":
        return [family(c, scenarios) for c in columns]
    joined = {name: " + ".join(linked) for linked in correlated for name in linked}
    return [joined.get(c, c) for c in columns]


class Setup(NamedTuple):
    """What a Sobol' design runs: the compiled plan (calibrated), the outcome, the scenario
    names (baseline first), the design's columns and their groups."""

    plan: Plan
    outcome: Outcome
    titles: tuple[str, ...]
    columns: list[str]
    groups: list[str]
    correlated: list[tuple[str, ...]]

    def runs(self, base: int) -> int:
        """Model runs of a design with ``base`` base samples: A, B and one matrix per group and chance."""
        return base * (len(set(self.groups)) + 3)


def setup(scenario: str | Scenario, outcome: str | Outcome, *, baseline: str | Scenario | None = "no-deal",
          by: str = "family", profile: str | Profile = "dprk", observations="profile",
          missile_evidence=None) -> Setup:
    """Check the inputs of a Sobol' analysis and compile (and calibrate) its plan."""
    if by not in ("family", "parameter"):
        raise InputError("must be 'family' or 'parameter'", field="by")
    outcome = parse_outcome(outcome) if isinstance(outcome, str) else outcome
    name = scenario.name if isinstance(scenario, Scenario) else scenario
    base_name = baseline.name if isinstance(baseline, Scenario) else baseline
    if outcome.delta and base_name in (None, name):
        raise InputError(f"{outcome} is a paired change: give a baseline other than the scenario", field="baseline")
    names = [baseline, scenario] if outcome.delta else [scenario]
    plan = check(names, profile=profile, baseline=base_name if outcome.delta else None, observations=observations,
                 horizon=outcome.month, missiles=outcome.missiles, missile_evidence=missile_evidence)
    if plan.observations is not None:
        plan = replace(plan, pool=calibrated(plan))
    titles = tuple(s.name for s in plan.scenarios)
    columns = relevant(plan.parameter_specs(), titles[-1], titles[0] if plan.baseline is not None else None, titles,
                       outcome.missiles)
    if plan.pool is not None:
        columns = [c for c in columns if c not in plan.pool.names] + [HISTORY]
    correlated = [tuple(c for c in (p.a, p.b) if c in columns) for p in plan.profile.correlations]
    correlated = [c for c in correlated if len(c) > 1]
    return Setup(plan, outcome, titles, columns, _groups(columns, by, titles, correlated), correlated)


def sobol(scenario: str | Scenario, outcome: str | Outcome, *, baseline: str | Scenario | None = "no-deal",
          by: str = "family", base: int = 1024, seed: int = 0, workers: int = 1, profile: str | Profile = "dprk",
          observations="profile", missile_evidence=None, progress: Callable[[int], None] | None = None,
          runs: Callable[[int], None] | None = None) -> Sensitivity:
    """Sobol' indices of ``outcome`` (an :class:`~detente.analysis.outcome.Outcome` or its text,
    e.g. ``delta:warheads_possible@2037``) for ``scenario``, by input ``family`` or ``parameter``,
    from ``base`` × (groups + 2) model runs (``base`` a power of 2); ``runs`` is told their number
    before they start, ``progress`` each block's samples as it finishes."""
    plan, outcome, titles, columns, groups, correlated = setup(
        scenario, outcome, baseline=baseline, by=by, profile=profile, observations=observations,
        missile_evidence=missile_evidence)
    target = titles[-1]

    def evaluate(design: Design) -> np.ndarray:
        if runs is not None:
            runs(design.u.shape[0] * design.rows)
        total = execute(plan, RunOptions(samples=design.u.shape[0] * design.rows, seed=seed, workers=workers),
                        progress, design)
        own = total.per_sample(target)[outcome.metric].astype(np.float64)
        if outcome.delta:
            own = own - total.per_sample(titles[0])[outcome.metric]
        return own.reshape(design.u.shape[0], design.rows)

    table, count = indices(columns, groups, evaluate, base, seed)
    if by == "family":
        table.insert(1, "family", table["input"])
    else:
        table.insert(1, "family", [family(i.split(" + ")[0], titles) for i in table["input"]])
    return Sensitivity(outcome.describe(titles[0] if plan.baseline is not None else None), "Sobol'", table, count,
                       "rank-correlated inputs move together" if by == "parameter" and correlated else "")
