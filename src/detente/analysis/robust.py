"""Robustness across deals, on shared draws: per-sample regret (how far each deal falls short of
the best deal in that same sample) and satisficing (the share of samples in which a deal meets a
stated goal), the two robustness metrics of decision making under deep uncertainty (Savage
1951; Simon 1956; as in McPhail et al. 2018 and the EMA Workbench)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..api import compare
from ..errors import InputError
from ..inputs.scenario import load_scenario
from ..results.results import Results
from .outcome import Condition, Outcome, holds, one_month, parse_outcome, values


@dataclass(frozen=True)
class Robustness:
    """``table`` per deal: ``median`` outcome, ``mean_regret``, ``p90_regret``, ``best_share``
    (samples in which it is the best deal) and, with a goal, ``satisficing``; best first."""

    outcome: str
    goal: str
    table: pd.DataFrame
    samples: int


def regret(outcomes: np.ndarray, better: str = "lower") -> np.ndarray:
    """(deals, samples) shortfall of each deal against the best deal in the same sample (≥ 0)."""
    if better == "lower":
        return outcomes - outcomes.min(axis=0)
    return outcomes.max(axis=0) - outcomes


def robustness(deals: list[str], outcome: str | Outcome = "delta:warheads_possible", goal: list[Condition] = (),
               *, better: str = "lower", baseline: str = "no-deal", samples: int = 20_000, seed: int = 0,
               workers: int = 1, progress: Callable[[int], None] | None = None) -> Robustness:
    """Rank ``deals`` by regret on ``outcome`` (``better`` lower or higher) and by the share of
    samples meeting every condition of ``goal``."""
    outcome = parse_outcome(outcome) if isinstance(outcome, str) else outcome
    month = one_month([outcome, *(c.outcome for c in goal)], "goal")
    loaded = [load_scenario(d) for d in deals]
    if len(loaded) < 2:
        raise InputError("give at least two deals to compare", field="deals")
    missiles = outcome.missiles or any(c.outcome.missiles for c in goal)
    results = compare(loaded, baseline=baseline, samples=samples, seed=seed, horizon=month, missiles=missiles,
                      workers=workers, progress=progress)
    return robustness_of(results, [s.name for s in loaded], outcome._replace(month=month), goal, better)


def robustness_of(results: Results, deals: list[str], outcome: Outcome, goal: list[Condition] = (),
                  better: str = "lower") -> Robustness:
    """Regret and satisficing of ``deals`` in a finished run (e.g. a stored one)."""
    if better not in ("lower", "higher"):
        raise InputError("must be 'lower' or 'higher'", field="better")
    names = [n for n in deals if n != results.baseline]
    if len(names) < 2:
        raise InputError("the run needs at least two deals besides its baseline", field="deals")
    v = np.stack([values(results, n, outcome) for n in names])
    if not np.isfinite(v).all():
        raise InputError(f"{outcome} is undefined in some samples; choose an outcome every sample has",
                         field="outcome")
    r = regret(v, better)
    best = r == 0
    table = pd.DataFrame({"deal": names, "median": np.median(v, axis=1), "mean_regret": r.mean(axis=1),
                          "p90_regret": np.quantile(r, 0.9, axis=1), "best_share": best.mean(axis=1)})
    if goal:
        table["satisficing"] = [holds(results, n, list(goal)).mean() for n in names]
        table = table.sort_values(["satisficing", "mean_regret"], ascending=[False, True], ignore_index=True)
    else:
        table = table.sort_values("mean_regret", ignore_index=True)
    return Robustness(outcome.describe(results.baseline), " and ".join(c.words(results.baseline) for c in goal), table,
                      v.shape[1])
