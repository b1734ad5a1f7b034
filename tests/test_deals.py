"""Agreements: what a deal buys on common random numbers, cheating, sequencing, reversal."""

from pathlib import Path

import numpy as np
import pytest
import yaml

import detente
from detente.inputs.uncertain import Fixed
from detente.inputs.vocabulary import SPACE_LAUNCH_SCOPES
from detente.testing import assert_results_identical, survival_median, without_verification

J = {"judgement": True, "basis": "test"}


def fixed(value):
    return {"dist": "fixed", "value": value, **J}


def scenario_file(tmp_path, name, phases, triggers=(), start="2027-01"):
    data = {"name": name, "title": name, "start": start, "phases": phases, "triggers": list(triggers)}
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    return path


def with_dynamics(profile, **changes):
    update = {k: Fixed(value=v, judgement=True, basis="test") for k, v in changes.items()}
    return profile.model_copy(update={"dynamics": profile.dynamics.model_copy(update=update)})


REFERENCE_CLASS = {  # how long the real deal held, months (agreements.md, chronology.csv)
    "agreed-framework-1994": 98, "missile-moratorium-1999": 66, "joint-statement-2005": 13,
    "six-party-2007": 21, "leap-day-2012": 1.5, "moratoria-2018": 20,
}


@pytest.fixture(scope="module")
def analogues():
    names = ["no-deal", *REFERENCE_CLASS]
    return detente.simulate(names, samples=8192, seed=11, horizon="2046-12", missiles=False)


@pytest.mark.parametrize("scenario", REFERENCE_CLASS)
def test_reference_class_lasts_about_as_long_as_the_real_deals(analogues, scenario):
    """The past deals, with no scenario-specific triggers, last within ×2 of the real ones."""
    assert not detente.load_scenario(scenario).triggers
    held = REFERENCE_CLASS[scenario]
    median = survival_median(analogues, scenario)
    assert held / 2 <= median <= held * 2, median


def test_durability_does_not_depend_on_remembering_triggers(tmp_path):
    """Outside shocks come from the profile: a trigger-less copy of mount-2019 lasts within ×1.5
    of the bundled deal."""
    data = yaml.safe_load(Path(detente.load_scenario("mount-2019").file).read_text())
    data["name"], data["triggers"] = "mount-bare", []
    bare = tmp_path / "mount-bare.yaml"
    bare.write_text(yaml.safe_dump(data, allow_unicode=True))
    r = detente.simulate(["no-deal", "mount-2019", str(bare)], samples=8192, seed=11, horizon="2046-12",
                         missiles=False)
    bundled, without = survival_median(r, "mount-2019"), survival_median(r, "mount-bare")
    assert bundled / 1.5 <= without <= bundled * 1.5


def test_paired_differences_are_tighter_than_unpaired(analogues):
    base = analogues.horizon("warheads_possible").sel(scenario="no-deal").values.astype(float)
    deal = analogues.horizon("warheads_possible").sel(scenario="agreed-framework-1994").values.astype(float)
    paired = deal - base
    unpaired = deal - np.random.default_rng(0).permutation(base)

    def width(x):
        lo, hi = np.quantile(x, [0.05, 0.95])
        return hi - lo

    assert width(paired) < 0.5 * width(unpaired)
    # the streamed histogram of paired differences equals the per-sample differences exactly
    q = analogues.quantiles("delta:warheads_possible").sel(scenario="agreed-framework-1994").isel(date=-1)
    assert np.array_equal(q.values, np.quantile(paired, [0.05, 0.25, 0.5, 0.75, 0.95], method="inverted_cdf"))


def test_baseline_does_not_depend_on_the_other_scenarios(analogues):
    alone = detente.simulate("no-deal", samples=8192, seed=11, horizon="2046-12", missiles=False)
    assert_results_identical(alone, analogues, scenarios=["no-deal"])


def freeze_everything(verification):
    return [{
        "id": "halt", "name": "halt all production", "start": {"at": "signature"},
        "duration_months": fixed(2),
        "measures": [{"kind": "freeze", "all_facilities": True}],
        "incentives": [{"kind": "sanctions-relief", "sanctions": ["coal", "textiles", "labour"]}],
        "verification": [verification],
    }]


def undeclared_regime(detect, access=True):
    return {"verifier": "IAEA", "sites": ["yongbyon"], "undeclared_access": access, "detect_per_month": fixed(detect),
            "dispute_per_month": fixed(0.0), "access_lag_months": fixed(1)}


def averted_at(results, scenario, date):
    return -(results.quantiles("delta:warheads_possible", [0.5]).sel(scenario=scenario, date=date).item())


def test_verification_deters_covert_production(tmp_path):
    """Raising detection at undeclared sites from 0.05 to 0.8 a month (nothing else changed, same
    seed) lowers the chance of covert production and raises what the deal buys at 10 years."""
    low = scenario_file(tmp_path, "watch-low", freeze_everything(undeclared_regime(0.05)))
    high = scenario_file(tmp_path, "watch-high", freeze_everything(undeclared_regime(0.8)))
    r = detente.simulate(["no-deal", str(low), str(high)], samples=8192, seed=5, horizon="2041-12")
    cheated = r.probability("cheated").sel(date="2037-01")
    assert cheated.sel(scenario="watch-high") < 0.5 * cheated.sel(scenario="watch-low")
    assert averted_at(r, "watch-high", "2037-01") > averted_at(r, "watch-low", "2037-01")


def test_without_anyone_looking_covert_production_follows_the_temptation(tmp_path, profile):
    prof = with_dynamics(profile, cheat_temptation=1.0, ntm_detection_per_month=0.0, dprk_base_hazard=0.0,
                         us_base_hazard=0.0, shock_per_year=0.0)
    phases = freeze_everything(undeclared_regime(0.3, access=False))
    phases[0]["measures"] = [{"kind": "freeze", "facilities": ["kangson", "yongbyon-new-hall"]}]
    path = scenario_file(tmp_path, "halt-blind", phases)
    r = detente.simulate(["no-deal", str(path)], profile=prof, samples=4096, seed=5, horizon="2041-12",
                         observations=None)  # the prior's chances that the plants exist
    kangson, hall = profile.facility("kangson").exists.p, profile.facility("yongbyon-new-hall").exists.p
    some_plant = 1 - (1 - kangson) * (1 - hall)  # covert production needs a plant that exists
    assert r.probability("cheated").values[1, -1] == pytest.approx(some_plant, abs=0.03)
    assert r.probability("detected").values[1, -1] == 0.0  # nobody looks at Kangson


def test_access_to_undeclared_sites_deters_what_it_would_detect(tmp_path, profile):
    prof = with_dynamics(profile, ntm_detection_per_month=0.0)
    shares = {}
    for access in (False, True):
        path = scenario_file(tmp_path, f"halt-{int(access)}", freeze_everything(undeclared_regime(0.3, access)))
        r = detente.simulate(["no-deal", str(path)], profile=prof, samples=4096, seed=5, horizon="2041-12")
        shares[access] = r.probability("cheated").values[1, -1]
    assert shares[True] < 0.2 * shares[False]


@pytest.mark.parametrize("name", ["kimball-2018", "hanoi-2019", "stanford-roadmap", "jcpoa-style", "mount-2019",
                                  "all-first"])
def test_adding_verification_never_lowers_expected_warheads_averted(tmp_path, name):
    """Each bundled deal against its own copy without any verification, on the same draws."""
    bare = without_verification(name, tmp_path)
    r = detente.simulate(["no-deal", name, str(bare)], samples=8192, seed=8, horizon="2041-12", missiles=False)
    warheads = r.horizon("warheads_possible")
    gain = (warheads.sel(scenario=f"{name}-unverified") - warheads.sel(scenario=name)).values.astype(float)
    standard_error = gain.std() / np.sqrt(gain.size)  # per sample: what verification adds to what is averted
    cheating = r.probability("cheated").sel(scenario=f"{name}-unverified", date="2037-01").item()
    if cheating > 0.01:  # cheating is possible: verification deters and informs more than its disputes cost
        assert gain.mean() >= -2 * standard_error, (gain.mean(), standard_error)
    else:  # a deal that restricts no plant that could run in secret: verification can only confirm
        assert r.probability("cheated").sel(date="2037-01").max().item() <= 0.01


MEASURES = [
    {"kind": "dismantle", "all_facilities": True},
    {"kind": "declaration"},
    {"kind": "ship-out", "pu_share": fixed(1.0), "heu_share": fixed(1.0)},
]
INCENTIVES = [
    {"kind": "sanctions-relief", "sanctions": ["coal", "textiles", "seafood", "iron", "labour"]},
    {"kind": "normalisation"},
    {"kind": "end-of-war"},
]


def test_all_first_collapses_far_more_often_than_the_phased_deal(tmp_path):
    all_first = scenario_file(tmp_path, "everything-first", [
        {"id": "disarm", "name": "disarm", "start": {"at": "signature"}, "duration_months": fixed(36),
         "measures": MEASURES},
        {"id": "reward", "name": "reward", "start": {"after": "disarm"}, "duration_months": fixed(6),
         "incentives": INCENTIVES},
    ])
    phased = scenario_file(tmp_path, "step-by-step", [
        {"id": f"step{i}", "name": f"step {i}",
         "start": {"at": "signature"} if i == 0 else {"after": f"step{i - 1}"},
         "duration_months": fixed(14), "measures": [m], "incentives": [g]}
        for i, (m, g) in enumerate(zip(MEASURES, INCENTIVES, strict=True))
    ])
    r = detente.simulate(["no-deal", str(all_first), str(phased)], samples=4096, seed=3, horizon="2034-12")
    by_2031 = r.probability("in_force").sel(date="2031-01").values
    collapse_first, collapse_phased = 1 - by_2031[1], 1 - by_2031[2]
    assert collapse_first > 1.5 * collapse_phased
    assert survival_median(r, "everything-first") < survival_median(r, "step-by-step")


def forced_collapse(tmp_path, kind):
    return scenario_file(tmp_path, f"collapse-{kind}", [{
        "id": "p", "name": "p", "start": {"at": "signature"}, "duration_months": fixed(0),
        "measures": [{"kind": kind, "facilities": ["yongbyon-5mwe"]}],
    }], triggers=[{"id": "t", "event": "certain breach", "rate_per_year": fixed(1000), "p_breach": fixed(1)}])


def test_restart_is_slower_the_deeper_the_restriction(tmp_path, profile):
    prof = with_dynamics(profile, dprk_base_hazard=0.0, us_base_hazard=0.0)
    paths = [str(forced_collapse(tmp_path, k)) for k in ("freeze", "disable", "dismantle")]
    r = detente.simulate(["no-deal", *paths], profile=prof, samples=4096, seed=2, horizon="2041-12")
    halted = r.horizon("facility_months_halted:yongbyon-5mwe").values[1:].mean(axis=1)
    d = profile.dynamics.restart_months
    expect_freeze = (d.freeze.low + d.freeze.high) / 2
    assert halted[0] == pytest.approx(expect_freeze, abs=0.6)  # uniform 1–6 months, mean 3.5
    assert halted[0] < halted[1] < halted[2]


def test_a_deal_that_holds_never_adds_material(tmp_path, profile):
    prof = with_dynamics(profile, dprk_base_hazard=0.0, us_base_hazard=0.0, shock_per_year=0.0, cheat_temptation=0.0)
    path = scenario_file(tmp_path, "freeze-5mwe", [{
        "id": "p", "name": "p", "start": {"at": "signature"}, "duration_months": fixed(0),
        "measures": [{"kind": "freeze", "facilities": ["yongbyon-5mwe", "yongbyon-rcl"]}],
        "incentives": [{"kind": "energy-aid"}],
    }])
    r = detente.simulate(["no-deal", str(path)], profile=prof, samples=2048, seed=4, horizon="2041-12")
    assert np.all(r.probability("in_force").sel(scenario="freeze-5mwe", date=slice("2027-01", None)) == 1.0)
    delta = r.horizon("pu_kg").diff("scenario").values
    assert np.all(delta <= 1e-3) and delta.mean() < -10  # the reactor's output forgone
    heu = r.horizon("heu_kg").diff("scenario").values
    assert np.all(heu == 0)  # enrichment untouched


def test_compare_json_records(monkeypatch, capsys):
    import json
    import sys

    from detente import cli

    monkeypatch.setattr(sys, "argv", ["detente", "compare", "leap-day-2012", "--samples", "2048",
                                      "--horizon", "2035-12", "--format", "json"])
    with pytest.raises(SystemExit) as info:
        cli.main()
        raise SystemExit(0)
    assert info.value.code == 0
    records = json.loads(capsys.readouterr().out)
    metrics = {(r["scenario"], r["metric"]) for r in records}
    assert ("leap-day-2012", "delta:warheads_possible") in metrics
    assert ("no-deal", "delta:warheads_possible") not in metrics
    p = [r for r in records if r["metric"] == "p_in_force" and r["scenario"] == "leap-day-2012"]
    assert p and all(0 <= r["mean"] <= 1 and r["p50"] is None for r in p)
    assert any(r["metric"] == "months_to_200_warheads" for r in records)


@pytest.mark.parametrize(
    ("phases", "field", "reason"),
    [
        ([{"id": "a", "name": "a", "start": {"at": "signature"}, "duration_months": fixed(1),
           "measures": [{"kind": "freeze", "facilities": ["yongbyon-50mwe"]}]}],
         "phases[a].measures[0].facilities", "unknown facility 'yongbyon-50mwe'"),
        ([{"id": "a", "name": "a", "start": {"at": "signature"}, "duration_months": fixed(1),
           "incentives": [{"kind": "sanctions-relief", "sanctions": ["caviar"]}]}],
         "phases[a].incentives[0].sanctions", "unknown sanctions measure 'caviar'"),
        ([{"id": "a", "name": "a", "start": {"at": "signature"}, "duration_months": fixed(1),
           "measures": [{"kind": "freeze", "sites": ["taechon"]}]}],
         "phases[a].measures[0].sites", "unknown site 'taechon'"),
    ],
)
def test_scenario_errors_against_the_profile(tmp_path, phases, field, reason):
    path = scenario_file(tmp_path, "bad", phases)
    with pytest.raises(detente.InputError) as info:
        detente.simulate(str(path), samples=10)
    assert info.value.file == str(path) and info.value.field == field and reason in info.value.reason


@pytest.mark.parametrize(
    ("phases", "field", "reason"),
    [
        ([{"id": "a", "name": "a", "start": {"after": "b"}, "duration_months": fixed(1)}],
         "(top level)", "starts after 'b', which is not a phase"),
        ([{"id": "a", "name": "a", "start": {"after": "b"}, "duration_months": fixed(1)},
          {"id": "b", "name": "b", "start": {"after": "a"}, "duration_months": fixed(1)}],
         "(top level)", "cycle"),
        ([{"id": "a", "name": "a", "start": {"at": "signature"},
           "duration_months": {"dist": "uniform", "low": -3, "high": 2, **J}}],
         "phases[a].duration_months", "must be ≥ 0"),
    ],
)
def test_scenario_structure_errors(tmp_path, phases, field, reason):
    path = scenario_file(tmp_path, "bad", phases)
    with pytest.raises(detente.InputError) as info:
        detente.load_scenario(path)
    assert info.value.file == str(path) and info.value.field == field and reason in info.value.reason


def test_a_scenario_does_not_depend_on_its_companions():
    alone = detente.simulate("mount-2019", samples=2048, seed=9, horizon="2036-12")
    together = detente.compare(["mount-2019", "leap-day-2012"], samples=2048, seed=9, horizon="2036-12")
    for metric in ("warheads_possible", "icbm_reliability", "deliverable:guam", "deal_months"):
        assert np.array_equal(alone.horizon(metric).values[0],
                              together.horizon(metric).sel(scenario="mount-2019").values, equal_nan=True), metric


def test_a_flight_test_moratorium_binds_from_its_phase_start(tmp_path, profile):
    """A moratorium in a 24-month phase moves the reliable-ICBM month as much as in a 1-month
    phase: declaratory measures bind when their phase starts, not when it completes."""
    prof = with_dynamics(profile, dprk_base_hazard=0.0, us_base_hazard=0.0, shock_per_year=0.0)
    paths = []
    for months in (1, 24):
        paths.append(str(scenario_file(tmp_path, f"flights-{months}", [{
            "id": "p", "name": "p", "start": {"at": "signature"}, "duration_months": fixed(months),
            "measures": [{"kind": "flight-test-moratorium", "classes": ["icbm"]}],
            "incentives": [{"kind": "exercise-suspension"}]}])))
    r = detente.simulate(["no-deal", *paths], profile=prof, samples=4096, seed=6, horizon="2045-12")
    month = r.reliable_icbm_month()
    assert month["no-deal"] is not None and month["flights-1"] == month["flights-24"]
    assert month["flights-1"] is None or month["flights-1"] > month["no-deal"]
    flights = r.horizon("flights:icbm")
    assert np.array_equal(flights.sel(scenario="flights-1").values, flights.sel(scenario="flights-24").values)
    override = scenario_file(tmp_path, "flights-late", [{
        "id": "p", "name": "p", "start": {"at": "signature"}, "duration_months": fixed(24),
        "measures": [{"kind": "flight-test-moratorium", "classes": ["icbm"], "binds": "complete"}],
        "incentives": [{"kind": "exercise-suspension"}]}])
    late = detente.simulate(["no-deal", str(override)], profile=prof, samples=4096, seed=6, horizon="2045-12")
    flown = late.horizon("flights:icbm").sel(scenario="flights-late").values
    rate = late.draws["missiles.icbm.tests_per_year"][:len(flown)] / 12  # `binds: complete`: 24 months of flights
    from detente.months import format_month

    before = late.months.index("2027-01") - late.months.index(format_month(profile.today)) - 1  # data date → start
    assert np.allclose(flown[:len(rate)], (before + 24) * rate, rtol=1e-5)


def test_breakout_orders_dismantle_disable_freeze_no_deal(tmp_path):
    paths = [str(scenario_file(tmp_path, kind, [{
        "id": "p", "name": "p", "start": {"at": "signature"}, "duration_months": fixed(1),
        "measures": [{"kind": kind, "all_facilities": True}],
        "incentives": [{"kind": "sanctions-relief", "sanctions": ["coal", "textiles", "labour"]}]}]))
        for kind in ("freeze", "disable", "dismantle")]
    r = detente.simulate(["no-deal", *paths], samples=8192, seed=9, horizon="2036-12", missiles=False)
    median = r.quantiles("breakout_months", [0.5]).sel(date="2029-01").values[:, 0]
    no_deal, freeze, disable, dismantle = median
    assert dismantle > disable > freeze > no_deal, median
    assert no_deal < 3  # the HEU path: about a weapon's worth a month or two at today's capacity


def test_validate_warns_when_sites_name_only_undeclared_facilities(tmp_path, monkeypatch, capsys):
    from test_cli import run_cli

    path = scenario_file(tmp_path, "kangson-by-site", [{
        "id": "p", "name": "p", "start": {"at": "signature"}, "duration_months": fixed(1),
        "measures": [{"kind": "freeze", "sites": ["kangson"]}]}])
    code, out, err = run_cli(monkeypatch, capsys, "validate", str(path))
    assert code == 0 and "ok: scenario" in out
    assert "phases[p].measures[0].sites" in err and "only undeclared facilities" in err
    plan = detente.check(str(path))
    assert plan.deals[0].level_done.sum() == 0 and len(plan.warnings) == 1  # it restricts nothing


def test_never_is_infinite_and_absent_plants_are_not_halted(tmp_path):
    """A dismantled plant that is never rebuilt gives an infinite breakout (not a sentinel number),
    and a plant that does not exist in a sample is never counted as halted there."""
    path = scenario_file(tmp_path, "dismantle-all", [{
        "id": "p", "name": "p", "start": {"at": "signature"}, "duration_months": fixed(1),
        "measures": [{"kind": "dismantle", "all_facilities": True}],
        "incentives": [{"kind": "sanctions-relief", "sanctions": ["coal", "textiles", "labour"]}]}])
    r = detente.simulate(["no-deal", str(path)], samples=4096, seed=3, horizon="2036-12", missiles=False)
    at_horizon = r.horizon("breakout_months").sel(scenario="dismantle-all").values
    assert np.isinf(at_horizon).any() and at_horizon[np.isfinite(at_horizon)].max() < 2000
    assert np.isinf(r.mean("breakout_months").sel(scenario="dismantle-all").values[-1])
    halted = r.horizon("facility_months_halted:kangson").sel(scenario="dismantle-all").values
    absent = r.draws["kangson.exists"] < 0.5
    assert absent.any() and (halted[:len(absent)][absent] == 0).all()
    assert (halted[:len(absent)][~absent] > 0).any()


def launch_halt(scope):
    return [{"id": "halt", "name": "halt", "start": {"at": "signature"}, "duration_months": fixed(1),
             "measures": [{"kind": "flight-test-moratorium", "classes": ["icbm"], "space_launches": scope}],
             "incentives": [{"kind": "food-aid"}]}]


def test_a_moratorium_of_disputed_scope_breaks_on_satellite_launches(tmp_path):
    """Leaving open whether satellite launches count (Leap Day 2012) only ever ends a deal sooner,
    sample by sample, by as much as the profile's launch rate and breach chance say."""
    paths = [str(scenario_file(tmp_path, scope, launch_halt(scope))) for scope in SPACE_LAUNCH_SCOPES]
    r = detente.simulate(paths, samples=8192, seed=3, horizon="2040-12", missiles=False)
    months = {s: r.horizon("deal_months").sel(scenario=s).values for s in SPACE_LAUNCH_SCOPES}
    ended = {s: r.horizon("collapsed").sel(scenario=s).values > 0 for s in SPACE_LAUNCH_SCOPES}
    lasted = {s: np.where(ended[s], months[s], np.inf) for s in SPACE_LAUNCH_SCOPES}
    assert np.array_equal(lasted["covered"], lasted["excluded"])  # the DPRK refrains, or the launch is accepted
    assert (lasted["disputed"] <= lasted["covered"]).all()
    # by hand: a ruled launch in none of 12 months, E over λ ~ U(2, 4)/yr and breach b ~ U(0.8, 1.0)
    dynamics = detente.load_profile().dynamics
    assert (dynamics.disputed_launch_per_year.low, dynamics.disputed_launch_per_year.high) == (2, 4)
    assert (dynamics.disputed_launch_breach.low, dynamics.disputed_launch_breach.high) == (0.8, 1.0)
    rate, breach = np.meshgrid(np.linspace(2, 4, 201), np.linspace(0.8, 1.0, 201))
    spared = np.mean((1 - (1 - np.exp(-rate / 12)) * breach) ** 12)
    alive = {s: np.mean(lasted[s] >= 12) for s in SPACE_LAUNCH_SCOPES}
    assert alive["disputed"] == pytest.approx(alive["covered"] * spared, abs=0.02)


def test_a_renamed_copy_draws_exactly_as_the_original(tmp_path):
    """Scenario inputs are keyed by phase and field, not by the scenario's name: a renamed copy is
    the same deal sample by sample, and a one-change variant differs only through that change."""
    data = yaml.safe_load(Path(detente.load_scenario("kimball-2018").file).read_text())
    data["name"] = "kimball-copy"
    copy = tmp_path / "kimball-copy.yaml"
    copy.write_text(yaml.safe_dump(data, allow_unicode=True))
    r = detente.compare(["kimball-2018", str(copy)], samples=4096, seed=3, horizon="2040-12", missiles=False)
    for metric in ("warheads_possible", "deal_months", "breakout_months", "cheated"):
        values = r.horizon(metric)
        assert np.array_equal(values.sel(scenario="kimball-2018").values, values.sel(scenario="kimball-copy").values,
                              equal_nan=True), metric
