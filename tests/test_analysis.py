"""Which assumptions decide a deal: designed runs, Sobol' and PAWN indices, scenario discovery,
lever sweeps on shared draws and robustness across deals (issue 13)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import yaml
from SALib.analyze import pawn as salib_pawn
from test_cli import run_cli  # detente ARGS as the console script runs it

import detente
from detente.analysis.discover import discover
from detente.analysis.inputs import CHANCE
from detente.analysis.outcome import holds, parse_conditions, parse_outcome, values
from detente.analysis.pawn import critical, pawn, pawn_indices
from detente.analysis.robust import regret, robustness
from detente.analysis.sobol import indices, sobol
from detente.analysis.sweep import split_values, sweep, variants
from detente.engine.design import Design
from detente.engine.run import execute
from detente.options import RunOptions

FAST = {"samples": 4096, "seed": 5, "missiles": False}


# -- the engine: designed runs ------------------------------------------------------------------
def test_a_designed_sample_is_a_function_of_its_inputs_and_its_chance_set():
    """Two matrices with the same quantiles and chance set give identical samples; changing the
    chance set alone changes them; the numbers do not depend on the worker count."""
    plan = detente.check(["no-deal", "kimball-2018"], baseline="no-deal", horizon="2035-12", missiles=False,
                         observations=None)
    columns = tuple(n for n, s in plan.parameter_specs().items() if type(s).__name__ != "Fixed")
    u = np.random.default_rng(0).random((1, 300, len(columns)))
    design = Design(columns, np.concatenate([u, u, u]), (0, 0, 1))
    runs = {}
    for workers in (1, 2):
        total = execute(plan, RunOptions(samples=900, seed=3, workers=workers), design=design)
        runs[workers] = total.per_sample("kimball-2018")["warheads_possible"].reshape(3, 300)
    y = runs[1]
    assert np.array_equal(runs[1], runs[2])
    assert np.array_equal(y[0], y[1])
    assert not np.array_equal(y[0], y[2])


def test_a_designed_input_takes_its_quantile():
    """A designed block's values are each distribution's inverse CDF at the design's quantiles."""
    plan = detente.check(["no-deal"], horizon="2030-12", missiles=False, observations=None)
    specs = plan.parameter_specs()
    name = "deal.dprk_base_hazard"  # uniform 0.003–0.017 in the profile
    u = np.full((1, 10, 1), 0.25)
    got = Design((name,), u, (0,)).values({name: specs[name]}, 0)[name]
    assert got == pytest.approx(np.full(10, 0.003 + 0.25 * (0.017 - 0.003)))


# -- Sobol' -------------------------------------------------------------------------------------
def _ishigami(design: Design) -> np.ndarray:
    x = -math.pi + 2 * math.pi * design.u[..., :3]
    return np.sin(x[..., 0]) + 7 * np.sin(x[..., 1]) ** 2 + 0.1 * x[..., 2] ** 4 * np.sin(x[..., 0])


def test_sobol_recovers_the_ishigami_indices_within_their_intervals():
    """Ishigami (a = 7, b = 0.1): S1 = (0.3139, 0.4424, 0), ST = (0.5576, 0.4424, 0.2437) by
    hand (Ishigami & Homma 1990); each estimate lies within its 95 % interval of the truth, and
    the model's chance, which this function ignores, is not listed."""
    table, runs = indices(["x1", "x2", "x3"], ["x1", "x2", "x3"], _ishigami, 4096, 1)
    assert runs == 4096 * 6  # A, B, one per input and one for chance
    v = 0.5 + 7**2 / 8 + 0.1 * math.pi**4 / 5 + 0.1**2 * math.pi**8 / 18  # 13.845
    v1 = 0.5 * (1 + 0.1 * math.pi**4 / 5) ** 2
    v2 = 7**2 / 8
    v13 = 0.1**2 * math.pi**8 * (1 / 18 - 1 / 50)
    truth = {"x1": (v1 / v, (v1 + v13) / v), "x2": (v2 / v, v2 / v), "x3": (0.0, v13 / v)}
    assert set(table["input"]) == {"x1", "x2", "x3"}
    for row in table.itertuples():
        s1, st = truth[row.input]
        assert abs(row.S1 - s1) <= row.S1_conf, row
        assert abs(row.ST - st) <= row.ST_conf, row


def test_an_additive_function_of_engine_inputs_has_its_analytic_indices():
    """y = 2·u₁ + u₂ on uniform quantiles: S1 = ST = (0.8, 0.2) (variances 4/12 and 1/12)."""
    table, _ = indices(["a", "b"], ["a", "b"], lambda d: 2 * d.u[..., 0] + d.u[..., 1], 2048, 3)
    got = {r.input: r for r in table.itertuples()}
    for name, share in (("a", 0.8), ("b", 0.2)):
        assert abs(got[name].S1 - share) <= got[name].S1_conf
        assert abs(got[name].ST - share) <= got[name].ST_conf


def test_sobol_lists_only_inputs_that_can_move_the_outcome():
    """A deal's paired change through the engine: no other scenario's terms, no missile input
    (the outcome does not need the missile model), no value of a measure the deal does not use
    — inputs that cannot affect it score exactly 0 and are left out — while its own terms,
    the behaviour and chance are there."""
    found = sobol("kimball-2018", "delta:warheads_possible@2033", by="parameter", base=32, seed=2)
    listed = set(found.table["input"])
    assert not any(n.startswith(("stanford-roadmap.", "mount-2019.", "missile")) for n in listed)
    assert not listed & {"value.missile-elimination", "value.space-launch-ban", "value.ship-out",
                         "value.light-water-reactor", "sanction.caatsa-title-iii-kimsa"}
    assert CHANCE in listed and "deal.cheat_temptation" in listed
    assert any(n.startswith("kimball-2018.") for n in listed)


def test_sobol_by_family_attributes_a_baseline_level_to_no_deal_behaviour():
    """Without a deal the behavioural judgements cannot matter: the no-deal level's families are
    the facilities, weapons, the calibrated history and chance — never behaviour or deal terms."""
    found = sobol("no-deal", "warheads_possible@2033", by="family", base=64, seed=1)
    listed = set(found.table["input"])
    assert "behaviour" not in listed and "the deal's own terms" not in listed
    assert "calibrated history" in listed
    assert (found.table["ST"] >= found.table["S1"] - found.table["ST_conf"] - found.table["S1_conf"]).all()


# -- PAWN -----------------------------------------------------------------------------------------
def test_pawn_equals_salibs_statistic_on_continuous_inputs():
    rng = np.random.default_rng(1)
    x = rng.random((5000, 4))
    y = np.round(10 * x[:, 0] + 3 * x[:, 1] ** 2 + rng.normal(size=5000))
    problem = {"num_vars": 4, "names": list("abcd"), "bounds": [[0, 1]] * 4}
    # SALib's slices are half-open at the top, so it leaves out the largest sample: a 1e-4 difference
    assert pawn_indices(x, y) == pytest.approx(salib_pawn.analyze(problem, x, y, S=10)["median"], abs=2e-4)


def test_pawn_slices_a_yes_no_input_by_value():
    """Whether a plant exists: the KS distance between the outcome given 'no' (and 'yes') and
    overall — here y = x exactly, so each slice's distance is that of a point mass from the mix."""
    x = np.r_[np.zeros(700), np.ones(300)][:, None]
    got = pawn_indices(x, x[:, 0].copy())[0]
    assert got == pytest.approx(np.median([0.3, 0.7]))


def test_pawn_never_lists_an_input_that_cannot_affect_the_scenario():
    """The report's drivers: another scenario's terms never appear (mount-2019 used to list a
    stanford-roadmap input), nor the missile evidence for a material outcome, nor behaviour
    for the no-deal baseline; what is listed is above the 1 % chance level."""
    r = detente.compare(["kimball-2018", "mount-2019", "stanford-roadmap"], **FAST)
    for scenario in ("mount-2019", "kimball-2018"):
        listed = set(pawn(r, scenario).table["input"])
        others = {"kimball-2018", "mount-2019", "stanford-roadmap"} - {scenario}
        assert not any(n.split(".")[0] in others or n.startswith("missile") for n in listed), listed
    base = pawn(r, "no-deal")
    assert not any(n.startswith(("deal.", "value.", "sanction.", "goodwill.")) for n in base.table["input"])
    assert (base.table["PAWN"] > critical(4096)).all()
    assert "kangson.exists" in set(base.table["input"])  # a plant that may not exist drives the level


# -- outcomes and conditions ---------------------------------------------------------------------
def test_outcomes_and_conditions_parse_and_refuse_with_the_field_named():
    o = parse_outcome("delta:deliverable:washington@2035")
    assert (o.metric, o.delta, o.month, o.missiles) == ("deliverable:washington", True, "2035-12", True)
    c = parse_conditions("delta:warheads_possible@2037 > -20 and icbm_reliability@2037 < 0.8")
    assert [(x.op, x.value) for x in c] == [(">", -20.0), ("<", 0.8)]
    assert c[0].words() == "the deal cuts warheads possible (material on hand) by less than 20 by 2037-12"
    for bad, field in (("warheads@2037", "outcome"), ("deliverable@2037", "outcome"),
                       ("warheads_possible@2037-13", "outcome")):
        with pytest.raises(detente.InputError, match=field):
            parse_outcome(bad)
    with pytest.raises(detente.InputError, match="when"):
        parse_conditions("warheads_possible@2037 == 3")


def test_holds_is_the_conjunction_of_its_conditions():
    r = detente.compare(["kimball-2018"], horizon="2033-12", **FAST)
    a = values(r, "kimball-2018", parse_outcome("delta:warheads_possible"))
    b = values(r, "kimball-2018", parse_outcome("collapsed"))
    got = holds(r, "kimball-2018", parse_conditions("delta:warheads_possible < -30 and collapsed < 0.5"))
    assert np.array_equal(got, (a < -30) & (b < 0.5))
    with pytest.raises(detente.InputError, match="2040-12"):
        values(r, "kimball-2018", parse_outcome("warheads_possible@2040-12"))


# -- scenario discovery ----------------------------------------------------------------------------
def test_discover_finds_the_plants_behind_large_averted_arsenals():
    """A deal averts most where there is most to avert: PRIM's box for 'averts more than 100'
    restricts the inputs that make the no-deal arsenal large, and is denser than the whole."""
    r = detente.compare(["kimball-2018"], horizon="2037-12", samples=12_000, seed=0, missiles=False)
    found = discover(r, "kimball-2018", parse_conditions("delta:warheads_possible@2037 < -100"))
    assert found.boxes, "no box"
    box = found.boxes[0]
    assert box.density > 1.25 * found.share and box.coverage >= 0.5 and 0 < box.mass < 1
    assert "yongbyon-elwr.weapons_use" in box.limits
    assert box.limits["yongbyon-elwr.weapons_use"][0] > 0  # the ELWR making weapons material: yes
    inside = np.ones(found.samples, dtype=bool)
    draws = r.draws
    for name, (low, high, _) in box.limits.items():
        inside &= (draws[name] >= low) & (draws[name] <= high)
    y = holds(r, "kimball-2018", parse_conditions("delta:warheads_possible@2037 < -100"))[:found.samples]
    assert y[inside].mean() == pytest.approx(box.density, abs=0.01)
    assert y[inside].sum() / y.sum() == pytest.approx(box.coverage, abs=0.01)


def test_discover_cli_prints_a_box_with_coverage_and_density(monkeypatch, capsys):
    code, out, err = run_cli(monkeypatch, capsys, "analyze", "discover", "kimball-2018", "--when",
                             "delta:warheads_possible@2037 < -100", "--samples", "20000", "-q")
    assert code == 0, err
    assert "coverage" in out and "density" in out and "When " in out


# -- sweeps and families ------------------------------------------------------------------------------
def test_sweep_values_split_outside_braces():
    assert split_values("0.1, 0.5,{low: 5, high: 9},[a, b]") == ["0.1", "0.5", "{low: 5, high: 9}", "[a, b]"]


def test_variants_share_every_draw_but_the_lever():
    """A one-change variant of a bundled scenario draws exactly as the original for every other
    input (inputs are keyed by their path within the scenario, not its name)."""
    (_, variant), = variants("kimball-2018", "halt.verification0.detect_per_month", ["0.3"])
    r = detente.compare(["kimball-2018", variant], samples=2048, seed=4, horizon="2035-12", missiles=False)
    draws = r.draws
    own = [n.removeprefix("kimball-2018.") for n in draws if n.startswith("kimball-2018.")]
    assert len(own) > 5
    for path in own:
        a, b = draws[f"kimball-2018.{path}"], draws[f"{variant.name}.{path}"]
        if path == "halt.verification0.detect_per_month":
            assert np.all(b == 0.3) and not np.all(a == 0.3)
        else:
            assert np.array_equal(a, b), path


def test_a_sweep_refuses_a_path_the_scenario_does_not_have():
    for path, reason in (("halt.verification7.detect_per_month", "items"), ("nowhere.duration_months", "nowhere"),
                         ("phases.nope.duration_months", "nope")):
        with pytest.raises(detente.InputError, match=reason):
            variants("kimball-2018", path, ["0.3"])
    with pytest.raises(detente.InputError, match="detect_per_month"):
        variants("kimball-2018", "halt.verification0.detect_per_month", ["{dist: uniform, low: 0.9, high: 0.1}"])


def test_more_access_to_undeclared_sites_buys_more():
    """Deterrence: the chance of catching covert enrichment at undeclared sites deters it, so a
    higher chance averts at least as many warheads and keeps the deal in force at least as often
    (paired, on shared draws; the change from the lowest value is many standard errors)."""
    found = sweep("jcpoa-style", "adoption.verification1.detect_per_month", ["0.01", "0.1", "0.5"],
                  "delta:warheads_possible@2035", samples=8192, seed=0)
    t = found.table
    assert list(t["value"]) == ["0.01", "0.1", "0.5"]
    assert np.all(np.diff(t["mean"]) <= 0)
    assert np.all(np.diff(t["p_in_force"]) >= 0)
    assert -t["change"].iloc[-1] > 4 * t["change_se"].iloc[-1]
    assert t["change_se"].iloc[-1] < t["mean_se"].iloc[-1] / 2  # the point of shared draws


def test_a_deal_family_runs_side_by_side(tmp_path, monkeypatch, capsys):
    data = yaml.safe_load(Path(detente.load_scenario("kimball-2018").file).read_text(encoding="utf-8"))
    data["name"] = "kimball-slow"
    data["phases"][0]["duration_months"] = {"dist": "uniform", "low": 12, "high": 24, "judgement": True,
                                            "basis": "a slower reading of the first phase"}
    slow = tmp_path / "kimball-slow.yaml"
    slow.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    code, out, err = run_cli(monkeypatch, capsys, "sweep", "kimball-2018", str(slow), "--samples", "4096", "-q",
                             "--outcome", "delta:warheads_possible@2034", "--format", "json")
    assert code == 0, err
    rows = json.loads(out)["table"]
    assert [r["value"] for r in rows] == ["kimball-2018", "kimball-slow"]
    assert rows[1]["change"] > 0  # a slower first phase averts less by 2034


# -- robustness -------------------------------------------------------------------------------------
def test_regret_by_hand():
    outcomes = np.array([[-10.0, -50.0, 0.0], [-30.0, -20.0, 0.0]])
    assert regret(outcomes).tolist() == [[20.0, 0.0, 0.0], [0.0, 30.0, 0.0]]
    assert regret(-outcomes, "higher").tolist() == [[20.0, 0.0, 0.0], [0.0, 30.0, 0.0]]


def test_robustness_ranks_deals_by_the_share_meeting_a_goal():
    goal = parse_conditions("delta:warheads_possible@2034 <= -40")
    found = robustness(["kimball-2018", "all-first", "mount-2019"], "delta:warheads_possible@2034", goal,
                       samples=4096, seed=1)
    t = found.table
    assert list(t["satisficing"]) == sorted(t["satisficing"], reverse=True)
    assert (t["mean_regret"] >= 0).all() and t["best_share"].sum() >= 1
    r = detente.compare(["kimball-2018", "all-first", "mount-2019"], samples=4096, seed=1, horizon="2034-12",
                        missiles=False)
    for row in t.itertuples():
        v = values(r, row.deal, parse_outcome("delta:warheads_possible"))
        assert row.satisficing == pytest.approx(np.mean(v <= -40))


def test_analyses_run_on_a_stored_run(tmp_path, monkeypatch, capsys):
    """PAWN and discovery read a run written to NetCDF (its kept draws and per-sample values)."""
    r = detente.compare(["kimball-2018"], horizon="2036-12", samples=8000, seed=2, missiles=False)
    path = r.to_netcdf(tmp_path / "run.nc")
    code, out, err = run_cli(monkeypatch, capsys, "analyze", "sensitivity", "kimball-2018", "--method", "pawn",
                             "--results", str(path), "--format", "json")
    assert code == 0, err
    listed = [row["input"] for row in json.loads(out)["table"]]
    assert listed == list(pawn(detente.Results.from_netcdf(path), "kimball-2018").table["input"]) and listed
    code, _, err = run_cli(monkeypatch, capsys, "analyze", "discover", "kimball-2018", "--results", str(path),
                           "--when", "delta:warheads_possible@2040 < -100")
    assert code == 2 and "run ends 2036-12" in err
    code, _, err = run_cli(monkeypatch, capsys, "analyze", "sensitivity", "all-first", "--method", "pawn",
                           "--results", str(path))
    assert code == 2 and "holds no scenario" in err
    code, _, err = run_cli(monkeypatch, capsys, "analyze", "sensitivity", "kimball-2018", "--samples", "1000")
    assert code == 2 and "power of 2" in err and "samples" in err
