"""The missile-reach map: the distances, ranges and arrival chances it draws, and that it renders."""

from __future__ import annotations

import io

import numpy as np
import pytest
from matplotlib.figure import Figure

import detente
from detente.errors import InputError
from detente.inputs.missiles import load_missiles
from detente.results.reach_map import class_ranges, reach_map, reach_table

SCENARIOS = ["no-deal", "kimball-2018"]


@pytest.fixture(scope="module")
def run():
    return detente.simulate(SCENARIOS, samples=2000, seed=1, horizon="2040-12", baseline="no-deal")


@pytest.fixture(scope="module")
def table(run):
    return reach_table(run)


def _regions(table, scenario=SCENARIOS[0]):
    return table[(table["kind"] == "region") & (table["scenario"] == scenario)].set_index("id")


def test_defaults_are_the_baseline_and_a_deal_at_the_last_evaluated_month(run, table):
    assert list(dict.fromkeys(table["scenario"])) == SCENARIOS
    assert set(table["date"]) == {"2040-12"}  # the horizon is evaluated
    assert len(table[table["kind"] == "region"]) == len(SCENARIOS) * len(run.regions)


@pytest.mark.parametrize("region", ["guam", "hawaii", "us_east"])
def test_distances_agree_with_the_published_ones(table, region):
    published = next(r.published_km for r in load_missiles("dprk").regions if r.id == region)
    assert published is not None
    assert _regions(table).loc[region, "distance_km"] == pytest.approx(published, rel=0.02)


def test_the_icbm_ring_is_the_longest_icbm_types_median(run, table):
    force, specs = load_missiles("dprk"), run.specs
    medians = [specs[f"missile.{t.id}.range_km"].quantile(0.5) for t in force.types if t.missile_class == "icbm"]
    rows = table[(table["kind"] == "class") & (table["id"] == "icbm")]
    assert len(rows) == len(SCENARIOS)
    assert np.allclose(rows["range_p50_km"], max(medians))
    assert (rows["range_p5_km"] < rows["range_p50_km"]).all() and (rows["range_p50_km"] < rows["range_p95_km"]).all()
    assert rows["type"].iloc[0] == "Hwasong-18"  # ties at the longest median go to the class's lead type


def test_p_arrive_is_the_results_at_the_date(run):
    date = "2035-01"
    table = reach_table(run, date=date)
    for scenario in SCENARIOS:
        mine = _regions(table, scenario)
        for region in run.regions:
            expected = float(run.p_arrive(region).sel(scenario=scenario, date=np.datetime64(date, "M")))
            assert np.isfinite(expected)
            assert mine.loc[region, "p_arrive"] == pytest.approx(expected, abs=1e-12)


def test_the_deal_changes_arrival_not_reach(table):
    classes = table[table["kind"] == "class"]
    assert (classes.groupby("id")[["range_p5_km", "range_p50_km", "range_p95_km"]].nunique() == 1).all().all()
    base, deal = _regions(table, SCENARIOS[0]), _regions(table, SCENARIOS[1])
    assert (deal["p_arrive"] <= base["p_arrive"] + 1e-9).all()


def test_farther_regions_are_not_likelier_to_be_reached(run, table):
    top = class_ranges(run)["range_p95_km"].max()
    for scenario in SCENARIOS:
        regions = _regions(table, scenario)
        beyond = regions[regions["distance_km"] > top]
        if len(beyond):  # out of every class's reach: nothing arrives
            assert (beyond["p_arrive"] == 0).all()
        else:
            ordered = regions.sort_values("distance_km")
            assert ordered["p_arrive"].iloc[-1] <= ordered["p_arrive"].iloc[0]


def test_the_figure_has_a_panel_per_scenario_and_a_colour_bar(run):
    fig = reach_map(run)
    assert isinstance(fig, Figure)
    assert len(fig.axes) == len(SCENARIOS) + 1
    titles = [ax.get_title(loc="left") for ax in fig.axes[:-1]]
    assert titles == [f"{s} · 2040-12" for s in SCENARIOS]
    assert fig.axes[-1].get_xlabel().replace("\n", " ") == "P(at least one warhead arrives), 2040-12"
    assert "Ranges are the same in every panel" in fig.get_suptitle()


def test_the_figure_renders_to_svg(run):
    buffer = io.StringIO()
    reach_map(run, date="2030-01", scenarios=["kimball-2018"]).savefig(buffer, format="svg")
    assert "<svg" in buffer.getvalue() and "kimball-2018 · 2030-01" in buffer.getvalue()


def test_results_plot_draws_the_map_with_the_credit(run):
    fig = run.plot("map", date="2040-01")
    assert isinstance(fig, Figure) and any(t.get_gid() == "credit" for t in fig.texts)


def test_bad_requests_say_what_is_wrong(run):
    with pytest.raises(InputError, match="unknown scenario"):
        reach_table(run, scenarios=["nope"])
    with pytest.raises(InputError):
        reach_table(run, date="2090-01")
    with pytest.raises(TypeError, match="Figure"):
        reach_map(run, fig=Figure().add_subplot())
