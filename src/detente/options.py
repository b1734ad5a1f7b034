"""Run options: how many samples, which seed, how far, where to run — one small config object
instead of long signatures. Checked when built, with errors that name the option."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .errors import InputError

MAX_SAMPLES = 100_000_000


@dataclass(frozen=True)
class RunOptions:
    """``samples`` Monte Carlo samples from ``seed``; ``horizon`` the last month (``"YYYY-MM"``;
    default 15 years after the latest scenario start); ``threshold`` the warhead count whose
    arrival month is reported; ``missiles`` runs the missile and reach model; ``workers`` local
    processes, or an ``executor`` (see :mod:`detente.engine.executors`). The numbers depend on
    neither ``workers`` nor ``executor``."""

    samples: int = 10_000
    seed: int = 0
    horizon: str | None = None
    threshold: int = 200
    missiles: bool = True
    workers: int = 1
    executor: Any = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if isinstance(self.samples, bool) or not isinstance(self.samples, int) or self.samples < 1:
            raise InputError("must be a whole number ≥ 1", field="samples")
        if self.samples > MAX_SAMPLES:
            raise InputError(f"{self.samples:,} samples is more than the limit of {MAX_SAMPLES:,}",
                             field="samples")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or not 0 <= self.seed < 2**63:
            raise InputError("must be a whole number between 0 and 2^63 - 1", field="seed")
        if isinstance(self.workers, bool) or not isinstance(self.workers, int) or not 1 <= self.workers <= 256:
            raise InputError("must be between 1 and 256", field="workers")
        if isinstance(self.threshold, bool) or not isinstance(self.threshold, int) or not 1 <= self.threshold <= 2000:
            raise InputError("must be between 1 and 2,000 warheads", field="threshold")
        if self.horizon is not None and not isinstance(self.horizon, str):
            raise InputError("write the horizon as 'YYYY-MM'", field="horizon")
