"""Accumulation: per-scenario histograms that blocks only ever add to, and per-block sums.

Histogram counts add exactly, whichever worker ran a block; float sums and per-sample values
are kept per block and combined in block order, so the totals are bit-identical for any worker
count or executor.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from ..compile.plan import Plan
from ..metrics import DEAL_EVENTS, binned
from .streams import BLOCK_SIZE, KEEP_DRAWS

HISTORY = "(history)"  # the shared months before the branch

Tally = dict[str, np.ndarray]  # histogram name → counts (months, bins), or (regions, months, bins)


def new_tally(plan: Plan, paired: bool, history: bool = False) -> Tally:
    """Zeroed histograms of one scenario (or of the shared history) and its per-month deal counts."""
    size = plan.grid.size
    regions = len(plan.missiles.regions) if plan.with_missiles and not history else 0
    tally = {}
    for metric in binned(plan.with_missiles and not history, paired and not history,
                         plan.profile.crisis is not None and not history):
        shape = (regions, size, metric.bins.size) if metric.per_region else (size, metric.bins.size)
        tally[metric.name] = np.zeros(shape, dtype=np.int32)
    if not history:
        tally.update({f"deal:{m}": np.zeros(size, dtype=np.int64) for m in DEAL_EVENTS})
        for d in plan.profile.designs:  # samples with the design validated; paired: gained, lost
            tally[f"design:{d.id}"] = np.zeros(size, dtype=np.int64)
            if paired:
                tally[f"design_gained:{d.id}"] = np.zeros(size, dtype=np.int64)
                tally[f"design_lost:{d.id}"] = np.zeros(size, dtype=np.int64)
    return tally


class BlockOutput(NamedTuple):
    """What one block returns besides the counts it added into the tallies it was given."""

    sums: dict[str, dict[str, np.ndarray]]  # scenario → summed metric → (months,) or (regions, months)
    horizon: dict[str, dict[str, np.ndarray]]  # scenario → metric → (n,) float32
    draws: dict[str, np.ndarray]  # parameter → (n,)


@dataclass
class Accumulator:
    """The sum of many blocks."""

    tallies: dict[str, Tally]
    sums: dict[int, dict[str, dict[str, np.ndarray]]] = field(default_factory=dict)
    horizon: dict[int, dict[str, dict[str, np.ndarray]]] = field(default_factory=dict)
    draws: dict[int, dict[str, np.ndarray]] = field(default_factory=dict)

    @classmethod
    def empty(cls, plan: Plan) -> Accumulator:
        tallies = {HISTORY: new_tally(plan, paired=False, history=True)}
        for k, scenario in enumerate(plan.scenarios):
            tallies[scenario.name] = new_tally(plan, paired=plan.baseline is not None and k != plan.baseline)
        return cls(tallies)

    def add(self, block: int, output: BlockOutput) -> None:
        """Keep one block's sums and per-sample values (its counts are already in ``tallies``)."""
        self.sums[block] = output.sums
        self.horizon[block] = output.horizon
        if block * BLOCK_SIZE < KEEP_DRAWS:
            self.draws[block] = output.draws

    def update(self, other: Accumulator) -> None:
        """Add another accumulator (e.g. a worker's)."""
        for name, tally in other.tallies.items():
            for metric, counts in tally.items():
                self.tallies[name][metric] += counts
        self.sums.update(other.sums)
        self.horizon.update(other.horizon)
        self.draws.update(other.draws)

    def counts(self, scenario: str) -> Tally:
        """A scenario's counts over the whole grid (shared history + its own future)."""
        history = self.tallies[HISTORY]
        return {m: history[m] + c if m in history else c for m, c in self.tallies[scenario].items()}

    def summed(self, scenario: str, metric: str) -> np.ndarray:
        """Per-month sums added in block order (bit-identical whatever the worker count)."""
        total = None
        for block in sorted(self.sums):
            value = self.sums[block][scenario][metric]
            total = value.copy() if total is None else total + value
        return total

    def per_sample(self, scenario: str) -> dict[str, np.ndarray]:
        """Per-sample values at the horizon, blocks in order."""
        order = sorted(self.horizon)
        names = self.horizon[order[0]][scenario]
        return {m: np.concatenate([self.horizon[b][scenario][m] for b in order]) for m in names}

    def kept_draws(self, names) -> dict[str, np.ndarray]:
        """Parameter draws of the first samples (``KEEP_DRAWS``), blocks in order."""
        kept = sorted(self.draws)
        return {p: np.concatenate([self.draws[b][p] for b in kept]) for p in names} if kept else {}
