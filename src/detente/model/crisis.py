"""Risk of war: the expected rate of militarised crises on the peninsula, per sample and month
(vectorised numpy).

``rate = base × (1 − relief · calm) × (1 + after_collapse · A) × (1 + after_test · T) × (1 +
long_range · f)`` crises a year, where ``calm`` (0–1) is the tension reduction a deal has in force,
``A`` marks the months within the window after the deal collapsed, ``T`` the 12 months from a
nuclear test, and ``f`` the share of long-range missile classes free to flight-test.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

TEST_MEMORY_MONTHS = 12  # a nuclear test raises the crisis rate for this long


class CrisisDraws(NamedTuple):
    """The profile's crisis parameters, per sample (n,)."""

    base_per_year: np.ndarray
    tension_relief: np.ndarray
    after_collapse: np.ndarray
    window_months: np.ndarray
    after_test: np.ndarray
    long_range_flights: np.ndarray


def recent(events: np.ndarray, months: int) -> np.ndarray:
    """(M, n) bool: an event in this month or the ``months - 1`` before it."""
    done = np.cumsum(events, axis=0, dtype=np.int32)
    before = np.zeros_like(done)
    before[months:] = done[:-months]
    return done > before


def crisis_rate(first: int, draws: CrisisDraws, calm: np.ndarray, collapse: np.ndarray, tests: np.ndarray,
                long_range: np.ndarray) -> np.ndarray:
    """(M, n) float32 expected crises a year from grid month ``first``: ``calm`` (M, n), ``collapse``
    (n,) grid month of a deal's collapse (beyond the grid if none), ``tests`` (M, n) bool nuclear
    tests, ``long_range`` (M, n) share of long-range classes flight-testing."""
    months = calm.shape[0]
    f32 = np.float32
    t = first + np.arange(months)[:, None]
    after = (t >= collapse) & (t < collapse + np.rint(draws.window_months).astype(np.int64))
    rate = 1.0 - draws.tension_relief.astype(f32) * calm.astype(f32, copy=False)
    rate *= draws.base_per_year.astype(f32)
    rate *= 1.0 + draws.after_collapse.astype(f32) * after
    rate *= 1.0 + draws.after_test.astype(f32) * recent(tests, TEST_MEMORY_MONTHS)
    rate *= 1.0 + draws.long_range_flights.astype(f32) * long_range.astype(f32, copy=False)
    return rate
