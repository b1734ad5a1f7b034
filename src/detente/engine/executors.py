"""Executors: where a run's blocks are simulated. Each takes the same small interface —
``run(plan, seed, blocks, progress) -> Accumulator`` — so another back-end is one new class.

Blocks are pure functions of (plan, seed, block id), so the numbers never depend on the
executor or on how it spreads the blocks.
"""

from __future__ import annotations

import multiprocessing as mp
import queue as queues
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Protocol

from ..compile.plan import Plan
from ..errors import RunError
from .accumulate import Accumulator
from .block import simulate_block
from .design import Design

Progress = Callable[[int], None]  # called with the number of samples just finished
Blocks = list[tuple[int, int]]  # (block id, samples)


class Executor(Protocol):
    def run(self, plan: Plan, seed: int, blocks: Blocks, progress: Progress | None = None,
            design: Design | None = None) -> Accumulator:
        """Simulate ``blocks`` (of ``design``, if given) and return their sum."""


def run_blocks(plan: Plan, seed: int, blocks: Blocks, tick: Callable[[int], None] | None = None,
               design: Design | None = None) -> Accumulator:
    """Simulate blocks one after another into one accumulator."""
    total = Accumulator.empty(plan)
    for block, n in blocks:
        total.add(block, simulate_block(plan, seed, block, n, total.tallies, design))
        if tick is not None:
            tick(n)
    return total


def _run_share(plan: Plan, seed: int, blocks: Blocks, done_queue, design: Design | None) -> Accumulator:
    return run_blocks(plan, seed, blocks, done_queue.put, design)


class Serial:
    """Every block in this process, in order."""

    def run(self, plan: Plan, seed: int, blocks: Blocks, progress: Progress | None = None,
            design: Design | None = None) -> Accumulator:
        return run_blocks(plan, seed, blocks, progress, design)


class Processes:
    """Blocks spread over ``workers`` local processes (forked where the platform allows, so
    workers start in milliseconds with the compiled kernels loaded)."""

    def __init__(self, workers: int):
        self.workers = workers

    def run(self, plan: Plan, seed: int, blocks: Blocks, progress: Progress | None = None,
            design: Design | None = None) -> Accumulator:
        workers = min(self.workers, len(blocks))
        if workers <= 1:
            return run_blocks(plan, seed, blocks, progress, design)
        shares = [blocks[i::workers] for i in range(workers)]
        method = "fork" if "fork" in mp.get_all_start_methods() else "spawn"
        context = mp.get_context(method)
        samples = sum(n for _, n in blocks)
        with context.Manager() as manager, ProcessPoolExecutor(workers, mp_context=context) as pool:
            done_queue = manager.Queue()
            futures = [pool.submit(_run_share, plan, seed, share, done_queue, design) for share in shares]
            done = 0
            while done < samples:
                if any(f.done() and f.exception() for f in futures):
                    break
                try:
                    n = done_queue.get(timeout=0.2)
                except queues.Empty:
                    continue
                done += n
                if progress:
                    progress(n)
            total = Accumulator.empty(plan)
            for future in futures:
                try:
                    total.update(future.result())
                except Exception as exc:  # a worker died: report it, do not hang
                    raise RunError(f"a worker process failed: {exc}") from exc
        return total
