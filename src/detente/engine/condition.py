"""What an observation says about a history: the measurement model of published estimates, and
the replay of the no-deal history at the observed months.

Each published range is read as its publisher's 90 % interval: a measurement centred on the range
with standard deviation (high − low) / 3.29, never below 10 % of the centre (analysts round); a
one-sided bound counts only beyond it, with 10 % of the bound. A history's **implausibility** at an
observation is its distance from the centre over the combined standard deviation of the
measurement and of the model's own structural error (``DISCREPANCY``, 10 % of the observation's
centre, judgement), times the square root of the observation's weight (Craig et al. 1997; Vernon et al.
2010). :mod:`detente.engine.posterior` turns it into a likelihood.
"""

from __future__ import annotations

import numpy as np

from ..compile.plan import Plan
from ..inputs.observations import Observations
from ..model.fissile import run_months
from . import layout
from .accumulate import new_tally

NINETY = 2 * 1.6448536269514722  # a 90 % range spans this many standard deviations
REL_FLOOR = 0.1  # smallest standard deviation of a published figure, as a share of it
DISCREPANCY = 0.1  # the model's structural error, as a share of the observation's centre (judgement)
CONFLICT = 3.0  # standard deviations: a history further than this from an observation does not reach it
ROW = {"pu_kg": 0, "heu_kg": 1, "warheads_possible": 2}  # rows of the material kernel's ``final``


def history_values(plan: Plan, draws: dict[str, np.ndarray], months: list[int], n: int) -> np.ndarray:
    """(len(months), 3, n) Pu, HEU and warheads possible of each sample at the grid ``months``
    (ascending, before the branch) in the no-deal history."""
    reactors, enrichment = layout.reactors(plan, draws, n), layout.enrichment(plan, draws, n)
    weapons, tests = layout.weapons(draws), layout.tests(plan, draws, n)
    stocks, controls, caps = layout.initial_stocks(plan, n), layout.no_controls(plan, n), layout.no_caps(plan, n)
    scratch = new_tally(plan, paired=False, history=True)
    sums = {"pu_kg": np.zeros(plan.grid.size), "heu_kg": np.zeros(plan.grid.size)}
    final = np.zeros((5, n))
    tallies, pairing = layout.tallies(plan, scratch, sums, final, n), layout.pairing(scratch, n)
    out = np.zeros((len(months), 3, n))
    t = 0
    for i, month in enumerate(months):
        run_months(t, month + 1, reactors, enrichment, weapons, tests, stocks, controls, caps, tallies, pairing)
        out[i] = final[:3]
        t = month + 1
    return out


def implausibility(values: np.ndarray, low: float | None, high: float | None, weight: float = 1.0) -> np.ndarray:
    """Standardised distance of the true ``values`` from a published range."""
    if low is not None and high is not None:
        centre = 0.5 * (low + high)
        spread = max((high - low) / NINETY, REL_FLOOR * centre)
        distance = np.abs(values - centre)
    else:
        centre = high if high is not None else low
        spread = REL_FLOOR * centre
        distance = np.maximum(values - centre if high is not None else centre - values, 0.0)
    scale = max(np.hypot(spread, DISCREPANCY * centre), 1e-9)
    return distance / scale * np.sqrt(weight)


def observed_months(observations: Observations, plan: Plan) -> list[int]:
    return sorted({plan.grid.index(o.month) for o in observations.rows})
