"""What each deal buys, in numbers a brief can quote: warheads averted (the paired difference
baseline − deal on the same draws) over time and at a named date, the chance the deal is still in
force, the delay to a reliable ICBM, and the chance a deal averts at least N warheads.

``results`` is a :class:`~detente.results.results.Results` (not imported: the Results import the
charts that draw these numbers)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..metrics import metric
from ..months import format_month, parse_month

AVERTED = "delta:warheads_possible"  # averted = −(scenario − baseline)


def deals(results) -> list[str]:
    """Scenarios with a paired difference against the baseline (every scenario but it)."""
    return [s for s in results.scenarios if results.baseline and s != results.baseline]


def headline_date(results) -> str:
    """The date the one-line answers name: ten years after the earliest deal start if the run
    reaches it, else the horizon."""
    starts = [parse_month(results.start(s)) for s in deals(results)] or [parse_month(results.months[0])]
    ten = format_month(min(starts) + 120)
    return ten if ten in results.months else results.months[-1]


def averted(results, scenario: str) -> pd.DataFrame:
    """Per month from the scenario start: quantiles p5 … p95 and the mean of warheads averted."""
    q = results.quantiles(AVERTED).sel(scenario=scenario)
    mean = results.mean(AVERTED).sel(scenario=scenario).values
    start = results.months.index(results.start(scenario))
    values = 0.0 - q.values[:, ::-1]  # the p-quantile of −x is −(the (1−p)-quantile of x); QUANTILES are symmetric
    frame = pd.DataFrame(values, columns=["p5", "p25", "p50", "p75", "p95"])
    frame.insert(0, "date", results.months)
    frame["mean"] = -mean
    return frame.iloc[start:].reset_index(drop=True)


def exceedance(results, scenario: str, date: str) -> pd.DataFrame:
    """``warheads`` N and ``chance`` P(the deal averts at least N warheads) at ``date``, for N from
    0 to the largest value any sample reaches (exact: warhead differences are whole numbers)."""
    m = metric(AVERTED)
    counts = results.counts(AVERTED).sel(scenario=scenario).isel(date=results.months.index(date))
    index = counts[counts.dims[-1]].values
    values = -m.bins.centres()[index]  # warheads averted in each occupied bin
    order = np.argsort(values)
    values, n = values[order], counts.values[order].astype(float)
    total = n.sum()
    top = int(max(values.max(), 0))
    grid = np.arange(0, top + 1)
    at_least = np.array([n[values >= k].sum() for k in grid]) / total  # P(averted ≥ k)
    return pd.DataFrame({"warheads": grid, "chance": at_least})


@dataclass(frozen=True)
class Answer:
    """What one deal buys at ``date``: warheads averted (median, 5 % and 95 %), the chance it
    averts at least one, P(in force) and the month a reliable ICBM becomes more likely than not,
    with and without it (``None``: not by the horizon)."""

    scenario: str
    title: str
    baseline: str
    date: str
    median: float
    low: float
    high: float
    at_least_one: float
    in_force: float
    reliable: str | None
    reliable_baseline: str | None
    horizon: str

    @property
    def delay_months(self) -> int | None:
        """Months the deal delays a reliable ICBM (``None`` if the baseline never gets one; to
        the horizon if the deal never does)."""
        if self.reliable_baseline is None:
            return None
        end = self.reliable or self.horizon
        return parse_month(end) - parse_month(self.reliable_baseline)

    def sentence(self) -> str:
        """The answer in one sentence, as a brief would quote it."""
        text = (f"By {self.date}, {self.scenario} averts a median of {_warheads(self.median)} against "
                f"{self.baseline} (90 % of modelled futures: {_signed(self.low)} to {_signed(self.high)}; "
                f"at least one in {_percent(self.at_least_one)}); it is still in force in "
                f"{_percent(self.in_force)} of futures; ")
        delay = self.delay_months
        if delay is None:
            text += f"neither makes a reliable ICBM more likely than not by {self.horizon}."
        elif self.reliable is None:
            text += (f"a reliable ICBM, more likely than not from {self.reliable_baseline} without the deal, is "
                     f"not so by {self.horizon} with it.")
        elif delay == 0:
            text += f"it does not delay the month a reliable ICBM becomes more likely than not ({self.reliable})."
        else:
            text += (f"a reliable ICBM becomes more likely than not {_duration(delay)} "
                     f"{'later' if delay > 0 else 'earlier'} ({self.reliable} instead of {self.reliable_baseline}).")
        return text


def answers(results, date: str | None = None) -> list[Answer]:
    """One :class:`Answer` per deal (empty without a baseline)."""
    date = date or headline_date(results)
    i = results.months.index(date)
    reliable = results.reliable_icbm_month() if "icbm_reliability" in results.metrics else {}
    found = []
    for scenario in deals(results):
        q = results.quantiles(AVERTED, (0.05, 0.5, 0.95)).sel(scenario=scenario).values[i]
        p = results.probability("in_force").sel(scenario=scenario).values[i]
        curve = exceedance(results, scenario, date)
        one = float(curve["chance"].iloc[1]) if len(curve) > 1 else 0.0
        found.append(Answer(scenario, results.title(scenario), results.baseline, date, 0.0 - q[1], 0.0 - q[2],
                            0.0 - q[0], one, 0.0 if not np.isfinite(p) else float(p), reliable.get(scenario),
                            reliable.get(results.baseline), results.months[-1]))
    return found


def _percent(share: float) -> str:
    """A share as a whole percentage; "under 1 %" and "over 99 %" rather than 0 or 100 when not exact."""
    if 0 < share < 0.005:
        return "under 1 %"
    if 0.995 < share < 1:
        return "over 99 %"
    return f"{round(100 * share)} %"


def _warheads(x: float) -> str:
    return f"{_signed(x)} {'warhead' if abs(round(x)) == 1 else 'warheads'}' worth of material"


def _signed(x: float) -> str:
    return f"{round(x):,}".replace("-", "−")


def _duration(months: int) -> str:
    """A delay as a reader would say it: months under two years, else years to the nearest half."""
    months = abs(months)
    if months < 24:
        return f"{months} month{'s' if months != 1 else ''}"
    years = round(months / 6) / 2
    return f"about {years:g} years"
