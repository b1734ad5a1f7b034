"""Backtest in the open: the replay of the history against the published estimates.

For each observation, the model's median and 90 % interval at its month against the published
range; coverage (the share of published ranges the 90 % interval meets, and the stricter share
whose centre it holds), sharpness (the share of
metric-months whose interval is no wider than 1.5 × the spread of the published ranges there)
and leave-one-publisher-out coverage (condition on every other publisher, score on the one left
out), so a user sees how the model generalises to estimates it was not conditioned on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..api import simulate
from ..inputs.observations import Observations
from ..inputs.profile import load_profile
from ..months import format_month
from ..results.results import Results

SHARP = 1.5  # an interval is sharp when no wider than this many spreads of the published ranges


@dataclass(frozen=True)
class Backtest:
    """Per-observation rows, per metric-month rows and per-publisher cross-validation."""

    rows: pd.DataFrame  # date, metric, publisher, low, high, p5, p50, p95, covered, centre
    months: pd.DataFrame  # date, metric, spread, width, ratio, sharp
    held_out: pd.DataFrame  # publisher, observations, covered (share), centre (share)
    samples: int
    conditioned_on: str
    calibration: str

    @property
    def coverage(self) -> float:
        return float(self.rows["covered"].mean())

    @property
    def centre_coverage(self) -> float:
        """Share of published ranges whose centre the 90 % interval holds (a stricter coverage)."""
        return float(self.rows["centre"].mean())

    @property
    def sharpness(self) -> float:
        return float(self.months["sharp"].mean())


def _holds_centre(q: np.ndarray, o) -> bool:
    """The 90 % interval holds the range's centre (or, for a one-sided bound, reaches its side)."""
    low, high = o.bounds
    if low is not None and high is not None:
        return q[0] <= 0.5 * (low + high) <= q[-1]
    return q[0] <= high if high is not None else q[-1] >= low


def score(results: Results, observations: Observations) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Score the no-deal history of ``results`` against ``observations``."""
    scenario = results.scenarios[0]
    rows = []
    for o in observations.rows:
        q = results.quantiles(o.metric).sel(scenario=scenario, date=o.date).values.ravel()
        bound_low, bound_high = o.bounds
        low = bound_low if bound_low is not None else -np.inf
        high = bound_high if bound_high is not None else np.inf
        rows.append({"date": o.date, "metric": o.metric, "publisher": o.publisher, "source": o.source,
                     "low": o.low, "high": o.high, "p5": q[0], "p50": q[2], "p95": q[-1],
                     "covered": bool(q[0] <= high and q[-1] >= low), "centre": bool(_holds_centre(q, o))})
    table = pd.DataFrame(rows)
    months = []
    for (date, metric), group in table.groupby(["date", "metric"], sort=True):
        lows, highs = group["low"].dropna(), group["high"].dropna()
        spread = (highs.max() if len(highs) else np.nan) - (lows.min() if len(lows) else 0.0)
        width = group["p95"].iloc[0] - group["p5"].iloc[0]
        ratio = width / spread if spread > 0 else np.inf
        months.append({"date": date, "metric": metric, "spread": spread, "width": width, "ratio": ratio,
                       "sharp": bool(ratio <= SHARP)})
    return table, pd.DataFrame(months)


def backtest(observations: Observations, *, profile: str = "dprk", samples: int = 20_000, seed: int = 0,
             workers: int = 1, prior: bool = False, cross_validate: bool = True) -> Backtest:
    """Replay the no-deal history conditioned on ``observations`` (or not, with ``prior``) and
    score it; with ``cross_validate`` (and not ``prior``), also once per publisher without that one."""
    horizon = format_month(load_profile(profile).today + 3)  # the history and the first months past it
    options = {"samples": samples, "seed": seed, "workers": workers, "missiles": False, "horizon": horizon,
               "profile": profile}
    results = simulate("no-deal", observations=None if prior else observations, **options)
    rows, months = score(results, observations)
    held = []
    for publisher in observations.publishers if cross_validate and not prior else ():
        mine = observations.of(publisher)
        run = simulate("no-deal", observations=observations.without(publisher), **options)
        scored, _ = score(run, mine)
        held.append({"publisher": publisher, "observations": len(mine.rows),
                     "covered": float(scored["covered"].mean()), "centre": float(scored["centre"].mean())})
    return Backtest(rows, months, pd.DataFrame(held), results.attrs["samples"],
                    results.attrs["conditioned_on"] or "nothing (the prior)", results.attrs["calibration"])
