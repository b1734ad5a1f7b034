"""Run a compiled plan: split the samples into blocks and hand them to an executor."""

from __future__ import annotations

from ..compile.plan import Plan
from ..options import RunOptions
from .accumulate import Accumulator
from .executors import Processes, Progress, Serial
from .streams import blocks_of


def execute(plan: Plan, options: RunOptions, progress: Progress | None = None) -> Accumulator:
    """Simulate ``options.samples`` samples of ``plan`` on ``options.executor`` (default: the
    calling process, or ``options.workers`` forked processes)."""
    executor = options.executor or (Processes(options.workers) if options.workers > 1 else Serial())
    return executor.run(plan, options.seed, blocks_of(options.samples), progress)
