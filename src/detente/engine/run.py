"""Run a compiled plan: split the samples into blocks and hand them to an executor."""

from __future__ import annotations

from ..compile.plan import Plan
from ..options import RunOptions
from .accumulate import Accumulator
from .design import Design
from .executors import Processes, Progress, Serial
from .streams import blocks_of


def execute(plan: Plan, options: RunOptions, progress: Progress | None = None,
            design: Design | None = None) -> Accumulator:
    """Simulate ``options.samples`` samples of ``plan`` (or every sample of ``design``) on
    ``options.executor`` (default: the calling process, or ``options.workers`` forked processes)."""
    executor = options.executor or (Processes(options.workers) if options.workers > 1 else Serial())
    if design is None:
        return executor.run(plan, options.seed, blocks_of(options.samples), progress)
    return executor.run(plan, options.seed, design.blocks(), progress, design)
