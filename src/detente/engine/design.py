"""Designed runs: samples whose inputs are set by an experimental design (e.g. Saltelli's
matrices for Sobol' indices) instead of drawn at random.

A design is a stack of matrices of ``rows`` samples each. Row ``r`` of matrix ``m`` takes, for
each column, the quantile ``u[m, r, c]`` of that input's distribution; the column ``HISTORY``
picks the row of the calibrated history's posterior pool. The chance events of the months
(future tests, the deal's monthly draws) are one more input: matrix ``m`` takes them from one
of two independent sets, ``chance[m]`` (0 or 1), sample by sample. So a designed sample is a
pure function of its inputs, and two matrices that share every column and the chance set give
identical outputs — which is what makes an input that cannot affect the outcome score exactly 0.

Blocks of a designed run are numbered matrix by matrix (``blocks_per_matrix`` each), so the
run's per-sample values, concatenated in block order, come matrix-major.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

import numpy as np
from scipy import special

from ..inputs.uncertain import Correlation, _Spec, correlated
from .streams import BLOCK_SIZE

HISTORY = "calibrated history"  # the column choosing the posterior pool's row (no parameter name lacks a dot)
CHANCE_SET = 2**40  # block-id offset of the second set of chance draws


class Design(NamedTuple):
    """Input quantiles for every sample of a designed run."""

    columns: tuple[str, ...]  # parameter names (as in ``Plan.parameter_specs``), or ``HISTORY``
    u: np.ndarray  # (matrices, rows, columns) quantiles in (0, 1)
    chance: tuple[int, ...]  # per matrix: which set of chance draws (0 or 1) its samples use

    @property
    def rows(self) -> int:
        return self.u.shape[1]

    @property
    def blocks_per_matrix(self) -> int:
        return -(-self.rows // BLOCK_SIZE)

    def blocks(self) -> list[tuple[int, int]]:
        """(block id, samples) of the whole run, matrix by matrix."""
        out = []
        for m in range(self.u.shape[0]):
            for b in range(self.blocks_per_matrix):
                out.append((m * self.blocks_per_matrix + b, min(BLOCK_SIZE, self.rows - b * BLOCK_SIZE)))
        return out

    def locate(self, block: int) -> tuple[int, slice, int]:
        """Matrix, rows and chance block id of a designed block."""
        m, b = divmod(block, self.blocks_per_matrix)
        rows = slice(b * BLOCK_SIZE, min((b + 1) * BLOCK_SIZE, self.rows))
        return m, rows, b + self.chance[m] * CHANCE_SET

    def values(self, specs: Mapping[str, _Spec], block: int, correlations: tuple[Correlation, ...] = ()
               ) -> dict[str, np.ndarray]:
        """Each of ``specs`` for the samples of ``block``: its quantile from the design (through the
        rank correlations' Gaussian copula where it has any), or its median if no column sets it."""
        m, rows, _ = self.locate(block)
        n = rows.stop - rows.start
        index = {name: c for c, name in enumerate(self.columns)}
        u = {name: self.u[m, rows, index[name]] for name in specs if name in index}
        linked = [name for name in dict.fromkeys(x for c in correlations for x in (c.a, c.b)) if name in u]
        if len(linked) > 1:
            pairs = [c for c in correlations if c.a in linked and c.b in linked]
            u.update(zip(linked, correlated(linked, pairs, special.ndtri(np.stack([u[n] for n in linked]))),
                         strict=True))
        return {name: spec.ppf(u[name]) if name in u else np.full(n, spec.central())
                for name, spec in specs.items()}

    def pool_rows(self, block: int, pool_size: int) -> np.ndarray:
        """Posterior pool row of each sample of ``block``."""
        m, rows, _ = self.locate(block)
        u = self.u[m, rows, self.columns.index(HISTORY)]
        return np.minimum((u * pool_size).astype(np.int64), pool_size - 1)
