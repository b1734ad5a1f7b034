"""Run blocks of samples, locally or in worker processes, and merge them into Results.

Block ``b`` of a run seeded ``s`` always has the same size (``BLOCK_SIZE``, the last one
shorter) and the same random streams, whichever process runs it; histogram counts add exactly
and float sums are added in block order, so a run's numbers do not depend on ``workers``.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing as mp
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from .errors import InputError, RunError
from .plan import MAX_SAMPLES, Plan
from .simulator import HISTORY, Tally, new_tally, simulate_block

BLOCK_SIZE = 4096
KEEP_DRAWS = 20_000  # per-sample inputs kept for sensitivity analysis (the first samples)

Progress = Callable[[int], None]  # called with the number of samples just finished


@dataclass
class Merged:
    """Accumulated output of many blocks."""

    tallies: dict[str, Tally]  # scenario (and HISTORY) → metric → counts
    block_sums: dict[int, dict[str, dict[str, np.ndarray]]] = field(default_factory=dict)
    horizon: dict[int, dict[str, dict[str, np.ndarray]]] = field(default_factory=dict)
    draws: dict[int, dict[str, np.ndarray]] = field(default_factory=dict)

    @classmethod
    def empty(cls, plan: Plan) -> Merged:
        tallies = {HISTORY: new_tally(plan.grid.size)}
        for k, scenario in enumerate(plan.scenarios):
            paired = plan.baseline is not None and k != plan.baseline
            tallies[scenario.name] = new_tally(plan.grid.size, deltas=paired,
                                               regions=len(plan.missiles.regions) if plan.reach else 0)
        return cls(tallies)

    def add(self, plan: Plan, seed: int, block: int, n: int) -> None:
        out = simulate_block(plan, seed, block, n, self.tallies)
        self.block_sums[block] = out.sums
        self.horizon[block] = out.horizon
        if block * BLOCK_SIZE < KEEP_DRAWS:
            self.draws[block] = out.draws

    def update(self, other: Merged) -> None:
        for name, tally in other.tallies.items():
            for metric, counts in tally.items():
                self.tallies[name][metric] += counts
        self.block_sums.update(other.block_sums)
        self.horizon.update(other.horizon)
        self.draws.update(other.draws)

    def counts(self, scenario: str) -> Tally:
        """A scenario's counts over the whole grid (shared history + its own future)."""
        history = self.tallies[HISTORY]
        return {m: history[m] + c if m in history else c for m, c in self.tallies[scenario].items()}


def blocks_of(samples: int) -> list[tuple[int, int]]:
    """(block id, samples in it) for a run of ``samples``."""
    full, rest = divmod(samples, BLOCK_SIZE)
    return [(b, BLOCK_SIZE) for b in range(full)] + ([(full, rest)] if rest else [])


def _run_blocks(plan: Plan, seed: int, blocks: list[tuple[int, int]], queue=None) -> Merged:
    merged = Merged.empty(plan)
    for block, n in blocks:
        merged.add(plan, seed, block, n)
        if queue is not None:
            queue.put(n)
    return merged


def check_run(samples: int, seed: int, workers: int) -> None:
    """Reject impossible run sizes with a clear reason."""
    if not isinstance(samples, int) or samples < 1:
        raise InputError("must be a whole number ≥ 1", field="samples")
    if samples > MAX_SAMPLES:
        raise InputError(
            f"{samples:,} samples is more than the limit of {MAX_SAMPLES:,}", field="samples"
        )
    if not isinstance(seed, int) or not 0 <= seed < 2**63:
        raise InputError("must be a whole number between 0 and 2^63 - 1", field="seed")
    if not isinstance(workers, int) or not 1 <= workers <= 256:
        raise InputError("must be between 1 and 256", field="workers")


def execute(
    plan: Plan, samples: int, seed: int, workers: int = 1, progress: Progress | None = None
) -> Merged:
    """Simulate ``samples`` samples in blocks, on ``workers`` processes."""
    check_run(samples, seed, workers)
    blocks = blocks_of(samples)
    workers = min(workers, len(blocks))
    if workers == 1:
        merged = Merged.empty(plan)
        for block, n in blocks:
            merged.add(plan, seed, block, n)
            if progress:
                progress(n)
        return merged
    shares = [blocks[i::workers] for i in range(workers)]
    # fork starts workers in milliseconds with the compiled kernel already loaded
    method = "fork" if "fork" in mp.get_all_start_methods() else "spawn"
    context = mp.get_context(method)
    with context.Manager() as manager, ProcessPoolExecutor(workers, mp_context=context) as pool:
        queue = manager.Queue()
        futures = [pool.submit(_run_blocks, plan, seed, share, queue) for share in shares]
        done = 0
        while done < samples:
            if any(f.done() and f.exception() for f in futures):
                break
            try:
                n = queue.get(timeout=0.2)
            except Exception:  # queue.Empty: poll the futures again
                continue
            done += n
            if progress:
                progress(n)
        merged = Merged.empty(plan)
        for future in futures:
            try:
                merged.update(future.result())
            except Exception as exc:  # a worker died: report it, do not hang
                raise RunError(f"a worker process failed: {exc}") from exc
    return merged


def input_hash(plan: Plan) -> str:
    """SHA-256 of the profile and scenarios as validated (what the numbers depend on)."""
    payload = {
        "profile": plan.profile.model_dump(mode="json"),
        "scenarios": [s.model_dump(mode="json") for s in plan.scenarios],
        "grid": [plan.grid.start, plan.grid.end],
    }
    text = json.dumps(payload, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def block_sums_in_order(merged: Merged, scenario: str, metric: str) -> np.ndarray:
    """Per-month sums added in block order (bit-identical whatever the worker count)."""
    total = None
    for block in sorted(merged.block_sums):
        value = merged.block_sums[block][scenario][metric]
        total = value.copy() if total is None else total + value
    return total


