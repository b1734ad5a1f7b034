"""The reproducibility contract: blocks of samples and the random streams each one draws from.

Block ``b`` of a run seeded ``s`` always holds the same samples (``BLOCK_SIZE`` of them, the last
block shorter) and draws from streams fixed by ``(s, b, stream)`` alone: stream 1 the uniforms common
to every scenario (common random numbers), and one stream per uncertain input, keyed by its stable
path — a profile parameter by its name, a scenario's own input by its phase and field, not by the
scenario's name. So a run's numbers do not depend on how its blocks are spread over processes or
machines, nor on the scenarios beside it; a renamed copy of a scenario draws exactly as the
original, and adding a parameter changes no other's draws.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from ..inputs.vocabulary import MAX_TRIGGERS

BLOCK_SIZE = 4096
KEEP_DRAWS = 20_000  # per-sample inputs kept for sensitivity analysis (the first samples)
DEAL_UNIFORMS = 5 + 2 * MAX_TRIGGERS + 4  # rows of the deal kernel's uniforms (model.deal.U_*, shock_rows)


def blocks_of(samples: int) -> list[tuple[int, int]]:
    """(block id, samples in it) for a run of ``samples``."""
    full, rest = divmod(samples, BLOCK_SIZE)
    return [(b, BLOCK_SIZE) for b in range(full)] + ([(full, rest)] if rest else [])


def block_rng(seed: int, block: int, stream: int) -> np.random.Generator:
    """Random stream ``stream`` of block ``block``: fixed by (seed, block, stream) alone."""
    sequence = np.random.SeedSequence(seed, spawn_key=(block, stream))
    return np.random.Generator(np.random.PCG64(sequence))


PARAMETER_STREAMS = 2**34  # parameter streams start here (beyond the scenario and pool streams)


def parameter_streams(seed: int, block: int, prefix: str = "") -> Callable[[str], np.random.Generator]:
    """Each parameter's own stream, keyed by its stable path (its name without ``prefix``): a
    scenario's inputs are keyed by phase and field, not by the scenario's name, so a renamed copy
    or a one-change variant shares every draw it has in common with the original."""
    def stream(name: str) -> np.random.Generator:
        path = name.removeprefix(prefix)
        return block_rng(seed, block, PARAMETER_STREAMS + zlib.crc32(path.encode()))

    return stream


class Shared(NamedTuple):
    """Uniforms every scenario of a block uses (common random numbers), from stream 1."""

    tests: np.ndarray  # (M, n) float32 future nuclear tests
    deal: np.ndarray | None  # (DEAL_UNIFORMS, M, n) float32 deal dynamics (None: no deal run)
    never: np.ndarray | None  # (n,) whether a dismantled facility is never rebuilt


def shared_uniforms(seed: int, block: int, n: int, months: int, deals: bool) -> Shared:
    """Stream 1 of a block, always drawn in the same order: tests, then (if any scenario has a
    deal) the deal uniforms and one per sample for rebuilding."""
    rng = block_rng(seed, block, 1)
    tests = rng.random((months, n), dtype=np.float32)
    if not deals:
        return Shared(tests, None, None)
    deal = rng.random((DEAL_UNIFORMS, months, n), dtype=np.float32)
    return Shared(tests, deal, rng.random(n))
