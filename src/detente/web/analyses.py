"""Analyses of a finished run, from its stored samples (no new simulation): what drives an
outcome (PAWN), where a condition holds (PRIM scenario discovery) and which deal holds up
(regret and satisficing) — as the CLI's ``detente analyze … --results FILE.nc`` gives them."""

from __future__ import annotations

from dataclasses import dataclass

from ..analysis.discover import discover
from ..analysis.outcome import one_month, parse_conditions, parse_outcome
from ..analysis.pawn import pawn
from ..analysis.robust import robustness_of
from ..errors import InputError
from ..report.analysis import Presented, chart, present
from ..results import charts
from ..results.results import Results

KINDS = {"drivers": "What drives an outcome (PAWN)", "discover": "Where a condition holds (scenario discovery)",
         "robustness": "Which deal holds up (regret and satisficing)"}
MAX_TEXT = 300  # characters of an outcome, condition or goal


@dataclass(frozen=True)
class Shown:
    presented: Presented
    svg: str


def _text(value: str, field: str) -> str:
    if len(value) > MAX_TEXT:
        raise InputError(f"at most {MAX_TEXT} characters", field=field)
    return value.strip()


def analyse(results: Results, kind: str, scenario: str | None, outcome: str, when: str, goal: str,
            better: str) -> Shown:
    """Run one analysis on ``results`` (raises InputError naming the form field)."""
    if kind not in KINDS:
        raise InputError(f"choose one of: {', '.join(KINDS)}", field="kind")
    deals = [s for s in results.scenarios if results.has_deal(s)]
    if kind == "robustness":
        wanted = parse_outcome(_text(outcome, "outcome") or "delta:warheads_possible", "outcome")
        conditions = parse_conditions(_text(goal, "goal"), "goal") if goal.strip() else []
        one_month([wanted, *(c.outcome for c in conditions)], "goal")
        found = robustness_of(results, deals, wanted, conditions, better)
    else:
        if scenario not in results.scenarios:
            raise InputError(f"choose one of the run's scenarios: {', '.join(results.scenarios)}", field="scenario")
        if kind == "drivers":
            text = _text(outcome, "outcome")
            wanted = parse_outcome(text, "outcome") if text else None
            found = pawn(results, scenario, wanted)
        else:
            if not when.strip():
                raise InputError("write the condition, e.g. delta:warheads_possible < -100", field="when")
            found = discover(results, scenario, parse_conditions(_text(when, "when"), "when"))
    ax = chart(found)
    return Shown(present(found), charts.svg(ax) if ax is not None else "")
