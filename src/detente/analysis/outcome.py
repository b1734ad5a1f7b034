"""Per-sample outcomes and conditions on them, as analysts write them:
``delta:warheads_possible@2037`` (what a deal changes, paired, at the end of 2037) or
``icbm_reliability@2035-06 < 0.8 and delta:warheads_possible@2035-06 <= -40``."""

from __future__ import annotations

import operator
import re
from typing import NamedTuple

import numpy as np

from ..errors import InputError
from ..metrics import METRICS, metric
from ..months import format_month, parse_month

PAIRED = "delta:"
PER_SAMPLE = tuple(m for m, info in METRICS.items()  # metrics Results keeps per sample at the horizon
                   if not info.paired and info.kind in ("binned", "sum", "per-sample"))
OPERATORS = {"<=": operator.le, ">=": operator.ge, "<": operator.lt, ">": operator.gt}


class Outcome(NamedTuple):
    """One per-sample value: ``metric`` at ``month`` (``YYYY-MM``; None: the run's horizon),
    as a paired change against the baseline if ``delta``."""

    metric: str
    delta: bool
    month: str | None

    @property
    def missiles(self) -> bool:
        """Whether computing it needs the missile model."""
        return metric(self.metric).missiles

    def describe(self, baseline: str | None = None) -> str:
        label = metric(self.metric).label
        per = self.metric.partition(":")[2]
        what = f"{label}{f' ({per})' if per else ''}"
        when = f" at {self.month}" if self.month else ""
        if self.delta:
            return f"change in {_lower(what)} vs {baseline or 'the baseline'}{when} (paired)"
        return f"{what}{when}"

    def __str__(self) -> str:
        return f"{PAIRED if self.delta else ''}{self.metric}{f'@{self.month}' if self.month else ''}"


def _lower(label: str) -> str:
    """A label inside a sentence: 'Warheads possible' → 'warheads possible', 'ICBM …' kept."""
    return label if label[1:2].isupper() else f"{label[0].lower()}{label[1:]}"


def _month(text: str, field: str) -> str:
    """``YYYY`` (the end of that year) or ``YYYY-MM``."""
    text = text.strip()
    if re.fullmatch(r"\d{4}", text):
        text = f"{text}-12"
    try:
        return format_month(parse_month(text))
    except (ValueError, InputError):
        raise InputError(f"{text!r} is not a month: write YYYY or YYYY-MM", field=field) from None


def parse_outcome(text: str, field: str = "outcome") -> Outcome:
    """``[delta:]METRIC[@DATE]``; raises InputError naming ``field`` for an unknown metric."""
    name, _, when = text.strip().partition("@")
    delta = name.startswith(PAIRED)
    name = name.removeprefix(PAIRED)
    try:
        info = metric(name)
    except KeyError:
        info = None
    if info is None or info.name not in PER_SAMPLE or (info.per and ":" not in name):
        raise InputError(f"{name!r} is not a per-sample metric; known: {', '.join(PER_SAMPLE)} "
                         "(those marked per region, facility, class or design take ':<id>', e.g. deliverable:guam)",
                         field=field)
    return Outcome(name, delta, _month(when, field) if when else None)


class Condition(NamedTuple):
    outcome: Outcome
    op: str
    value: float

    def __str__(self) -> str:
        return f"{self.outcome} {self.op} {self.value:g}"

    def words(self, baseline: str | None = None) -> str:
        """The condition in plain words ("the deal cuts warheads possible by less than 20 by 2037-12")."""
        info = metric(self.outcome.metric)
        per = self.outcome.metric.partition(":")[2]
        what = f"{_lower(info.label)}{f' ({per})' if per else ''}"
        unit = f" {info.unit}" if info.unit not in ("1", "warheads") else ""
        when = f" by {self.outcome.month}" if self.outcome.month else ""
        more = self.op in (">", ">=")
        if self.outcome.delta:
            cut = self.value <= 0
            size = f"{abs(self.value):g}{unit}"
            if cut:
                return f"the deal cuts {what} by {'less' if more else 'more'} than {size}{when}"
            return f"the deal adds {'more' if more else 'less'} than {size} to {what}{when}"
        return f"{what} is {'above' if more else 'below'} {self.value:g}{unit}{when}"


def parse_conditions(text: str, field: str = "when") -> list[Condition]:
    """``OUTCOME OP NUMBER [and OUTCOME OP NUMBER …]`` with OP one of < <= > >=."""
    out = []
    for part in re.split(r"\s+and\s+", text.strip()):
        match = re.fullmatch(r"\s*(\S+?)\s*(<=|>=|<|>)\s*([-+0-9.eE]+)\s*", part)
        if match is None:
            raise InputError(f"{part!r}: write a condition as METRIC[@DATE] OP NUMBER, e.g. "
                             "'delta:warheads_possible@2037 > -20' (OP one of < <= > >=; join with 'and')", field=field)
        try:
            value = float(match[3])
        except ValueError:
            raise InputError(f"{match[3]!r} is not a number", field=field) from None
        out.append(Condition(parse_outcome(match[1], field), match[2], value))
    return out


def one_month(outcomes: list[Outcome], field: str) -> str | None:
    """The single month the outcomes are read at (None: the horizon); a run reads per-sample
    values at its horizon only, so different months are an error."""
    months = {o.month for o in outcomes if o.month is not None}
    if len(months) > 1:
        raise InputError(f"every outcome must be read at one month (the run's horizon); got "
                         f"{', '.join(sorted(months))}", field=field)
    return months.pop() if months else None


def values(results, scenario: str, outcome: Outcome) -> np.ndarray:
    """(samples,) float64 values of ``outcome`` for ``scenario`` in ``results`` (read at its horizon)."""
    if outcome.month is not None and outcome.month != results.months[-1]:
        raise InputError(f"{outcome} is read at {outcome.month} but the run ends {results.months[-1]}: "
                         f"run with horizon {outcome.month}", field="outcome")
    own = results.horizon(outcome.metric).sel(scenario=scenario).values.astype(np.float64)
    if not outcome.delta:
        return own
    if results.baseline is None or scenario == results.baseline:
        raise InputError(f"{outcome} is a paired change: it needs a deal run against a baseline", field="outcome")
    return own - results.horizon(outcome.metric).sel(scenario=results.baseline).values.astype(np.float64)


def holds(results, scenario: str, conditions: list[Condition]) -> np.ndarray:
    """(samples,) bool: every condition holds."""
    out = np.ones(results.dataset.sizes["sample"], dtype=bool)
    for c in conditions:
        out &= OPERATORS[c.op](values(results, scenario, c.outcome), c.value)
    return out
