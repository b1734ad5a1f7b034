"""PAWN indices from a finished run's samples (given data, no extra runs): for each input, the
median over slices of its range of the Kolmogorov–Smirnov distance between the outcome's
distribution in the slice and overall (Pianosi & Wagener 2015). Computed for all inputs at once
from one ranking of the outcome — the same statistic as SALib's ``pawn.analyze`` (a test checks
it), about twenty times faster because no p-values are computed; an input with at most
``SLICES`` distinct values (e.g. whether a plant exists) is sliced by value, not by quantile.

An input is listed only when its index is above what chance alone gives: the two-sample KS
critical value at 1 % for a slice against the whole (the median of ten slices exceeds it by
chance far less than once in a thousand), and only inputs the outcome can depend on are tried
(see :func:`~detente.analysis.inputs.relevant`)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..errors import InputError
from ..results.results import Results
from .inputs import family, relevant
from .outcome import Outcome, values
from .sobol import Sensitivity

SLICES = 10
ALPHA = 0.01


def headline(results: Results, scenario: str) -> Outcome:
    """What a deal buys (its paired change in warheads possible), or the level without a baseline."""
    paired = results.baseline is not None and scenario != results.baseline
    return Outcome("warheads_possible", paired, None)


def critical(n: int, slices: int = SLICES, alpha: float = ALPHA) -> float:
    """KS distance a slice of ``n / slices`` samples exceeds by chance with probability ``alpha``."""
    small = n / slices
    return math.sqrt(-math.log(alpha / 2) / 2 * (small + n) / (small * n))


def pawn_indices(x: np.ndarray, y: np.ndarray, slices: int = SLICES) -> np.ndarray:
    """(inputs,) median over slices of each column of ``x`` (samples, inputs) of the KS distance
    between ``y`` in the slice and ``y`` overall."""
    levels, rank = np.unique(y, return_inverse=True)
    overall = np.cumsum(np.bincount(rank, minlength=levels.size)) / y.size
    out = np.empty(x.shape[1])
    for d, column in enumerate(x.T):
        distinct, by_value = np.unique(column, return_inverse=True)
        if distinct.size <= slices:
            part, count = by_value, distinct.size
        else:
            order = np.argsort(np.argsort(column, kind="stable"))
            part, count = np.minimum(order * slices // y.size, slices - 1), slices
        counts = np.bincount(part * levels.size + rank, minlength=count * levels.size).reshape(count, levels.size)
        ecdf = np.cumsum(counts, axis=1) / counts.sum(axis=1, keepdims=True)
        out[d] = np.median(np.abs(ecdf - overall).max(axis=1))
    return out


def pawn(results: Results, scenario: str, outcome: Outcome | None = None) -> Sensitivity:
    """PAWN indices of ``outcome`` (default: :func:`headline`) over the run's kept samples."""
    outcome = outcome or headline(results, scenario)
    y = values(results, scenario, outcome)
    draws = results.draws
    if not draws:
        raise InputError("the run kept no parameter draws", field="results")
    scenarios = tuple(results.scenarios)
    names = [n for n in relevant(results.specs, scenario, results.baseline if outcome.delta else None, scenarios,
                                 outcome.missiles) if n in draws and np.ptp(draws[n]) > 0]
    kept = len(draws[names[0]]) if names else 0
    y = y[:kept]
    finite = np.isfinite(y)
    if not names or not finite.any() or np.ptp(y[finite]) == 0:
        table = pd.DataFrame({"input": [], "family": [], "PAWN": [], "threshold": []})
        return Sensitivity(outcome.describe(results.baseline), "PAWN", table, 0, "the outcome does not vary")
    x = np.column_stack([draws[n][:kept] for n in names])[finite].astype(np.float64)
    limit = critical(int(finite.sum()))
    table = pd.DataFrame({"input": names, "family": [family(n, scenarios) for n in names],
                          "PAWN": pawn_indices(x, y[finite]), "threshold": limit})
    table = table[table["PAWN"] > limit].sort_values("PAWN", ascending=False, ignore_index=True)
    return Sensitivity(outcome.describe(results.baseline), "PAWN", table, 0,
                       f"{int(finite.sum()):,} samples; listed above the 1 % chance level {limit:.3f}")
