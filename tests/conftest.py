"""Shared fixtures: the bundled profile, a compiled baseline plan, and a central-parameter run."""

from __future__ import annotations

import numpy as np
import pytest

import detente
from detente.engine import layout
from detente.engine.accumulate import new_tally
from detente.engine.block import central_draws
from detente.model.fissile import run_months
from detente.months import parse_month


@pytest.fixture(scope="session", autouse=True)
def calibration_cache(tmp_path_factory):
    """Calibrated pools are cached in a folder of the test session's own, never the user's."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DETENTE_CACHE", str(tmp_path_factory.mktemp("cache")))
        yield


@pytest.fixture(scope="session")
def profile():
    return detente.load_profile("dprk")


@pytest.fixture(scope="session")
def plan(profile):
    return detente.check("no-deal", profile=profile, horizon="2040-12")


@pytest.fixture(scope="session")
def central_state(plan):
    """State of the central-parameter trajectory at a month: ``central_state("2008-06")``."""
    draws = central_draws(plan)

    def at(month: str) -> dict[str, np.ndarray]:
        stocks = layout.initial_stocks(plan, 1)
        size = plan.grid.size
        stop = plan.grid.index(parse_month(month)) + 1
        sums = {"pu_kg": np.zeros(size), "heu_kg": np.zeros(size)}
        tally = new_tally(plan, paired=False, history=True)
        run_months(0, stop, layout.reactors(plan, draws, 1), layout.enrichment(plan, draws, 1), layout.weapons(draws),
                   layout.tests(plan, draws, 1), stocks, layout.no_controls(plan, 1), layout.no_caps(plan, 1),
                   layout.tallies(plan, tally, sums, np.zeros((5, 1)), 1), layout.pairing(tally, 1))
        return stocks._asdict()

    return at


@pytest.fixture(scope="session")
def small_run():
    """A 10,000-sample baseline run shared by several tests."""
    return detente.simulate(samples=10_000, seed=7, horizon="2040-12")
