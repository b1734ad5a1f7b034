"""Shared fixtures: the bundled profile, a compiled baseline plan, and a central-parameter run."""

from __future__ import annotations

import numpy as np
import pytest

import detente
from detente.missiles import load_missiles
from detente.months import parse_month
from detente.plan import compile_plan
from detente.simulator import STATE, Block, central_draws, new_tally


@pytest.fixture(scope="session")
def profile():
    return detente.load_profile("dprk")


@pytest.fixture(scope="session")
def plan(profile):
    return compile_plan(profile, [detente.load_scenario("no-deal")], load_missiles("dprk"), "2040-12")


@pytest.fixture(scope="session")
def central_state(plan):
    """State of the central-parameter trajectory at a month: ``central_state("2008-06")``."""
    block = Block(plan, central_draws(plan), 1)

    def at(month: str) -> dict[str, np.ndarray]:
        state = block.initial_state()
        size = plan.grid.size
        stop = plan.grid.index(parse_month(month)) + 1
        sums = {"pu_kg": np.zeros(size), "heu_kg": np.zeros(size)}
        block.run(state, 0, stop, new_tally(size), sums, np.zeros((4, 1)))
        return dict(zip(STATE, state, strict=True))

    return at


@pytest.fixture(scope="session")
def small_run():
    """A 10,000-sample baseline run shared by several tests."""
    return detente.simulate(samples=10_000, seed=7, horizon="2040-12")
