"""Rank-correlation importance: Spearman correlation between each uncertain input's draws and a
per-sample outcome at the horizon (for a deal, what it buys: the paired difference against the
baseline). Uses the first samples of a run, whose inputs Results keeps."""

from __future__ import annotations

import numpy as np
from scipy import stats


def headline(results, scenario: str, metric: str = "warheads_possible") -> tuple[np.ndarray, str]:
    """Per-sample outcome whose drivers are reported, and its description."""
    values = results.horizon(metric).sel(scenario=scenario).values.astype(float)
    base = results.baseline
    if base and scenario != base:
        values = values - results.horizon(metric).sel(scenario=base).values.astype(float)
        return values, f"change in {metric} vs {base} at {results.months[-1]} (paired)"
    return values, f"{metric} at {results.months[-1]}"


def rank_importance(results, scenario: str, metric: str = "warheads_possible",
                    top: int = 12) -> tuple[list[tuple[str, float]], str]:
    """The ``top`` inputs by |Spearman ρ| with the headline outcome of ``scenario``."""
    outcome, what = headline(results, scenario, metric)
    names = [n for n, v in results.draws.items() if np.ptp(v) > 0]
    if not names:
        return [], what
    kept = len(results.draws[names[0]])
    y = stats.rankdata(outcome[:kept])
    if np.ptp(y) == 0:
        return [], what
    x = stats.rankdata(np.column_stack([results.draws[n] for n in names]), axis=0)
    x = (x - x.mean(axis=0)) / x.std(axis=0)
    y = (y - y.mean()) / y.std()
    rho = x.T @ y / kept
    order = np.argsort(-np.abs(rho))[:top]
    return [(names[i], float(rho[i])) for i in order], what
