"""The deal vocabulary: caps, sunsets, offsets, declarations that declare, relief tied to a step,
snap-back, missile limits, a space-launch ban and confidence-building steps — each stated as the
direction it must move its output, ceteris paribus, on the same draws."""

import numpy as np
import pytest
import yaml

import detente
from detente.engine import layout
from detente.engine.block import deal_path
from detente.engine.streams import parameter_streams, shared_uniforms
from detente.errors import InputError
from detente.inputs.scenario import bundled_scenarios, load_scenario
from detente.inputs.uncertain import Fixed, draw
from detente.months import NEVER, parse_month

J = {"judgement": True, "basis": "test"}
N = 4096


def fixed(value):
    return {"dist": "fixed", "value": value, **J}


def write(tmp_path, name, phases, start="2027-01"):
    data = {"name": name, "title": name, "start": start, "phases": phases}
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    return str(path)


def phase(measures, incentives=(), verification=(), pid="p", start=None, months=1):
    return {"id": pid, "name": pid, "start": start or {"at": "signature"}, "duration_months": fixed(months),
            "measures": list(measures), "incentives": list(incentives), "verification": list(verification)}


def regime(detect, **where):
    return {"verifier": "IAEA", **where, "detect_per_month": fixed(detect), "dispute_per_month": fixed(0.0),
            "access_lag_months": fixed(0)}


def with_dynamics(**changes):
    profile = detente.load_profile("dprk")
    update = {k: Fixed(value=v, **J) for k, v in changes.items()}
    return profile.model_copy(update={"dynamics": profile.dynamics.model_copy(update=update)})


def steady():
    """The profile with deals that rarely break (for checks on samples still in force)."""
    return with_dynamics(dprk_base_hazard=0.0005, us_base_hazard=0.0005, shock_per_year=0.0, cheat_temptation=0.0)


def run(paths, horizon="2040-12", samples=N, **kw):
    return detente.simulate(paths, samples=samples, seed=3, horizon=horizon, **kw)


def at_horizon(results, metric, scenario):
    return results.horizon(metric).sel(scenario=scenario).values


def deal_paths(path, profile="dprk", n=N, seed=0):
    """One block's deal path of a scenario file (and its plan, phase times and draws)."""
    plan = detente.check([path], profile=profile, horizon="2040-12")
    deal = plan.deals[0]
    draws = draw(plan.parameters, parameter_streams(seed, 0), n, plan.profile.correlations)
    own = draw(deal.parameters, parameter_streams(seed, 0, f"{deal.scenario.name}."), n)
    shared = shared_uniforms(seed, 0, n, plan.grid.size - plan.branch, True)
    dealt, _, _, _, start, done = deal_path(plan, deal, draws, own, n, shared)
    return plan, dealt, start, done, {**draws, **own}


def test_a_warhead_cap_holds_the_arsenal_at_the_cap_while_the_deal_holds(tmp_path):
    """Material for at most 30 warheads while the deal is in force, in every sample and at every
    horizon, once a complete declaration brings every plant into the accounting; without the cap,
    the same deal leaves more than 30 in most samples."""
    declared = {"kind": "declaration", "all_facilities": True, "completeness": fixed(1.0)}
    capped = write(tmp_path, "capped", [phase([{"kind": "cap", "stock": "warheads", "limit": 30}, declared],
                                              months=6)])
    free = write(tmp_path, "free", [phase([declared], months=6)])
    for horizon in ("2028-12", "2034-12", "2040-12"):
        r = run([capped, free], horizon=horizon, missiles=False, profile=steady())
        held = at_horizon(r, "collapsed", "capped") == 0
        assert held.sum() > 1000  # the check bites on many samples still in force
        assert (at_horizon(r, "warheads_possible", "capped")[held] <= 30).all()
        assert (at_horizon(r, "warheads_possible", "free") > 30).mean() > 0.5


def test_undeclared_plants_make_material_beyond_a_cap(tmp_path):
    """Without a declaration the verifier cannot account for what the undeclared halls make, so the
    arsenal passes the cap in the samples where they exist; with a complete one it never does."""
    cap = {"kind": "cap", "stock": "warheads", "limit": 30}
    blind = write(tmp_path, "blind", [phase([cap], months=6)])
    told = write(tmp_path, "told", [phase([cap, {"kind": "declaration", "all_facilities": True,
                                                 "completeness": fixed(1.0)}], months=6)])
    r = run([blind, told], missiles=False, profile=steady())
    held = (at_horizon(r, "collapsed", "blind") == 0) & (at_horizon(r, "collapsed", "told") == 0)
    over = at_horizon(r, "warheads_possible", "blind")[held] > 30
    assert over.mean() > 0.2
    assert (at_horizon(r, "warheads_possible", "told")[held] <= 30).all()


def test_declared_excess_comes_back_when_the_deal_collapses(tmp_path):
    """A stock cap whose excess is stored under seal leaves the material in the country: after a
    collapse the arsenal is what it would have been without the cap; removed excess stays gone."""
    kept = write(tmp_path, "kept", [phase([{"kind": "cap", "stock": "pu", "limit": 5, "excess": "declared"}])])
    gone = write(tmp_path, "gone", [phase([{"kind": "cap", "stock": "pu", "limit": 5, "excess": "removed"}])])
    r = run([kept, gone], missiles=False)
    broke = at_horizon(r, "collapsed", "kept") > 0
    assert broke.sum() > 100
    pu_kept, pu_gone = at_horizon(r, "pu_kg", "kept")[broke], at_horizon(r, "pu_kg", "gone")[broke]
    assert (pu_kept >= pu_gone - 1e-6).all() and pu_kept.mean() > pu_gone.mean() + 5


def test_an_output_cap_lies_between_a_freeze_and_no_deal(tmp_path):
    """Half the capacity of every enrichment plant: less HEU than no limit, more than a freeze."""
    plants = ["yongbyon-uep", "kangson", "yongbyon-new-hall"]
    half = write(tmp_path, "half", [phase([{"kind": "cap", "facilities": plants, "share": 0.5}])])
    frozen = write(tmp_path, "frozen", [phase([{"kind": "freeze", "facilities": plants}])])
    r = detente.compare([half, frozen], samples=N, seed=3, horizon="2040-12", missiles=False)
    heu = {s: at_horizon(r, "heu_kg", s).mean() for s in ("no-deal", "half", "frozen")}
    assert heu["frozen"] < heu["half"] < heu["no-deal"]


def test_a_launcher_cap_lowers_deliverable_warheads(tmp_path):
    """Two ICBM launchers at most: fewer warheads deliverable to Washington than the same deal
    without the cap, never more in any sample (hazards made independent of what the cap is worth,
    so both deals hold for the same months)."""
    base = [{"kind": "test-moratorium", "id": "halt"}]
    seen = [regime(0.0, sites=["yongbyon"])]  # both confirmed alike (a cap is not seen from afar)
    capped = write(tmp_path, "capped", [phase([*base, {"kind": "cap", "launchers": ["icbm"], "limit": 2}],
                                              verification=seen)])
    plain = write(tmp_path, "plain", [phase(base, verification=seen)])
    profile = with_dynamics(dprk_base_hazard=0.0005, us_base_hazard=0.0005, reciprocity_sensitivity=0.0,
                            commitment_scale_musd_per_year=1e9)
    r = run([capped, plain], profile=profile)
    with_cap = at_horizon(r, "deliverable:us_east", "capped")
    without = at_horizon(r, "deliverable:us_east", "plain")
    months = {k: np.nan_to_num(at_horizon(r, "deal_months", k), posinf=-1) for k in ("capped", "plain")}
    assert (months["capped"] == months["plain"]).all()
    assert (with_cap <= without + 1e-4).all()
    assert with_cap.mean() < 0.8 * without.mean()


def test_a_production_halt_and_an_elimination_cut_the_reach_in_order(tmp_path):
    """Eliminating the ICBM class cuts deliverable warheads to Washington more than halting
    launcher production, which cuts them against no limit."""
    make = {k: write(tmp_path, k, [phase([{"kind": k, "classes": ["icbm"]}])])
            for k in ("missile-production-halt", "missile-elimination")}
    plain = write(tmp_path, "plain", [phase([{"kind": "tension-reduction"}])])
    r = run([*make.values(), plain])
    mean = {k: at_horizon(r, "deliverable:us_east", k).mean() for k in [*make, "plain"]}
    assert mean["missile-elimination"] < mean["missile-production-halt"] < mean["plain"]


def test_a_sunset_restores_production_after_its_date(tmp_path):
    """A freeze of every plant until 2030-01: in every sample still in force at the horizon, the
    plants ran again within the freeze's restart delay of the sunset; without the sunset they
    stayed stopped to the horizon."""
    sunset = write(tmp_path, "sunset", [phase([{"kind": "freeze", "all_facilities": True, "until": "2030-01"}])])
    lasting = write(tmp_path, "lasting", [phase([{"kind": "freeze", "all_facilities": True}])])
    r = run([sunset, lasting], missiles=False, profile=steady())
    delay = detente.load_profile("dprk").dynamics.restart_months.freeze.quantile(1.0)
    most = parse_month("2030-01") - parse_month("2027-01") + round(delay) + 1
    held = at_horizon(r, "collapsed", "sunset") == 0
    assert held.sum() > 100
    halted = at_horizon(r, "facility_months_halted:yongbyon-uep", "sunset")[held]
    assert (halted <= most).all()
    stopped = at_horizon(r, "facility_months_halted:yongbyon-uep", "lasting")
    assert (stopped[at_horizon(r, "collapsed", "lasting") == 0] > most).all()
    assert at_horizon(r, "heu_kg", "sunset")[held].mean() > at_horizon(r, "heu_kg", "lasting")[held].mean()


def test_snapback_returns_relief_to_zero_after_a_detection(tmp_path):
    """Relief given with `snapback: true` is gone in every sample whose breach was detected while
    the deal went on (all but those detected in the last month, whose relief that month was
    already paid); without snap-back the same samples keep their relief."""
    def deal(snap):
        relief = {"kind": "sanctions-relief", "sanctions": ["coal"], "snapback": snap}
        freeze = [{"kind": "freeze", "facilities": ["yongbyon-uep"]}]
        checks = [regime(0.05, facilities=["yongbyon-uep"])]
        return write(tmp_path, f"snap-{str(snap).lower()}", [phase(freeze, [relief], checks)])
    profile = with_dynamics(dprk_base_hazard=0.0005, us_base_hazard=0.0005, shock_per_year=0.0, cheat_temptation=0.05,
                            walk_on_detection=0.0, suspend_on_detection=0.0)
    out = {}
    for snap in (True, False):
        _, dealt, *_ = deal_paths(deal(snap), profile=profile)
        out[snap] = dealt
    caught = out[True].detected & (out[True].collapse == NEVER)
    assert caught.sum() > 20
    last_month = out[True].detected_by[-1] - out[True].detected_by[-2]
    assert (out[True].relief[-1, caught] > 0).sum() <= last_month
    both = caught & (out[False].collapse == NEVER)  # (without snap-back the US may walk from a lopsided deal)
    assert both.sum() > 20 and (out[False].relief[-1, both] > 0).all()
    clean = ~out[True].detected & (out[True].collapse == NEVER)
    assert (out[True].relief[-1, clean] > 0).all()


def test_relief_tied_to_a_measure_arrives_when_that_measure_binds(tmp_path):
    """Relief `for_measure` a disablement arrives in full once the phase is complete, not as it
    progresses; relief of the phase arrives as it progresses."""
    measures = [{"kind": "disable", "facilities": ["yongbyon-5mwe"], "id": "disable-reactor"}]
    tied = write(tmp_path, "tied", [phase(measures, [{"kind": "energy-aid", "for_measure": "disable-reactor"}],
                                          months=12)])
    plan, dealt, start, done, draws = deal_paths(tied)
    b = plan.branch
    held = dealt.collapse == NEVER
    before = done[0] - 1 - b
    s = np.flatnonzero(held & (before > start[0] - b))[:50]
    assert len(s) > 10
    assert (dealt.relief[before[s], s] == 0).all()
    assert np.allclose(dealt.relief[done[0, s] - b, s], draws["value.energy-aid"][s], rtol=1e-5)


def test_a_phase_after_another_waits_its_offset(tmp_path):
    """`offset_months: 12` starts the second phase 12 months later than without the offset."""
    first = phase([{"kind": "test-moratorium"}], pid="a", months=6)
    second = {"after": "a"}
    plain = write(tmp_path, "plain", [first, phase([{"kind": "ctbt"}], pid="b", start=second)])
    later = write(tmp_path, "later", [first, phase([{"kind": "ctbt"}], pid="b",
                                                   start={**second, "offset_months": fixed(12)})])
    starts = {}
    for name, path in (("plain", plain), ("later", later)):
        plan = detente.check([path], horizon="2040-12")
        deal = plan.deals[0]
        own = draw(deal.parameters, parameter_streams(0, 0, f"{name}."), 64)
        start, _ = layout.phase_times(deal, own, 64, plan.grid.index(deal.scenario.start), np.full(64, 2.0))
        starts[name] = start[1]
    assert (starts["later"] - starts["plain"] == 12).all()


def test_a_declaration_naming_kangson_brings_it_under_verification(tmp_path):
    """Verification of `sites: [kangson]` covers the undeclared Kangson hall once a complete
    declaration names it, and a freeze of that site then stops it; an incomplete one does not."""
    def deal(name, completeness):
        measures = [{"kind": "freeze", "sites": ["kangson"]}]
        if completeness is not None:
            measures.append({"kind": "declaration", "facilities": ["kangson"], "completeness": fixed(completeness)})
        return write(tmp_path, name, [phase(measures, verification=[regime(0.9, sites=["kangson"])])])
    named, empty, none = deal("named", 1.0), deal("empty", 0.0), deal("none", None)
    plan = detente.check([named], horizon="2040-12")
    row = plan.control_row("kangson")
    mask, once_declared, *_ = plan.deals[0].covers[0][0]
    assert not mask[row] and once_declared[row]
    assert plan.deals[0].pending_done[0, row] == 1 and not plan.warnings
    _, dealt, start, done, _ = deal_paths(named)
    s = dealt.collapse == NEVER
    assert (dealt.running[row, -1, s] == 0).all()  # frozen at the end wherever the deal held
    r = run([named, empty, none], missiles=False)
    halted = {k: at_horizon(r, "facility_months_halted:kangson", k) for k in ("named", "empty", "none")}
    assert (halted["none"] == 0).all() and (halted["empty"] == 0).all()
    assert (halted["named"] > 0).mean() > 0.5
    assert len(detente.check([none], horizon="2040-12").warnings) == 2  # sites: [kangson] covers nothing


def test_a_space_launch_ban_settles_a_disputed_moratorium(tmp_path):
    """A moratorium whose scope for satellite launches is disputed lasts at least as long, sample
    by sample, once a space-launch ban settles it."""
    moratorium = {"kind": "flight-test-moratorium", "classes": ["icbm"], "space_launches": "disputed"}
    food = [{"kind": "food-aid"}]
    disputed = write(tmp_path, "disputed", [phase([moratorium], food)])
    settled = write(tmp_path, "settled", [phase([moratorium, {"kind": "space-launch-ban"}], food)])
    profile = with_dynamics(reciprocity_sensitivity=0.0, commitment_scale_musd_per_year=1e9)
    r = run([disputed, settled], profile=profile, missiles=False)
    a, b = at_horizon(r, "deal_months", "disputed"), at_horizon(r, "deal_months", "settled")
    a, b = np.nan_to_num(a, nan=-1), np.nan_to_num(b, nan=-1)
    assert (b >= a).all() and (b > a).mean() > 0.05


def test_a_confidence_building_step_lowers_the_other_sides_hazard(tmp_path):
    """The DPRK's release of detainees: with goodwill in the profile the deal lasts at least as
    long in every sample as with goodwill set to zero, and longer in some."""
    path = write(tmp_path, "goodwill", [phase([{"kind": "test-moratorium"},
                                               {"kind": "confidence-building", "action": "detainee-release"}])])
    months = {}
    for share in (0.0, 0.3):
        r = run([path], profile=with_dynamics(goodwill_relief=share), missiles=False)
        months[share] = np.nan_to_num(at_horizon(r, "deal_months", "goodwill"), posinf=1e9)
    assert (months[0.3] >= months[0.0]).all() and (months[0.3] > months[0.0]).mean() > 0.05


@pytest.mark.parametrize("measure, words", [
    ({"kind": "dismantle", "facilities": ["yongbyon-5mwe"], "until": "2030-01"}, "does not lapse"),
    ({"kind": "cap", "stock": "pu", "launchers": ["icbm"], "limit": 2}, "exactly one of"),
    ({"kind": "cap", "stock": "heu"}, "gives `limit`"),
    ({"kind": "cap", "facilities": ["kangson"], "limit": 3}, "gives `share`"),
    ({"kind": "missile-elimination"}, "names the missile `classes`"),
    ({"kind": "space-launch-ban", "classes": ["icbm"]}, "names no `classes`"),
    ({"kind": "confidence-building", "action": "us-liaison-office"}, "not a confidence-building step of the DPRK"),
    ({"kind": "freeze", "all_facilities": True, "until": "2026-01"}, "after the scenario's start"),
])
def test_vocabulary_errors_name_the_field(tmp_path, measure, words):
    path = write(tmp_path, "bad", [phase([measure])])
    with pytest.raises(InputError, match=words) as caught:
        detente.check([path], horizon="2040-12")
    assert "bad.yaml" in str(caught.value)


def test_an_incentive_tied_to_an_unknown_measure_is_refused(tmp_path):
    path = write(tmp_path, "bad", [phase([{"kind": "test-moratorium"}], [{"kind": "food-aid", "for_measure": "x"}])])
    with pytest.raises(InputError, match="no measure names as its `id`"):
        load_scenario(path)


def test_every_bundled_scenario_still_validates_and_compiles():
    plan = detente.check(bundled_scenarios(), horizon="2040-12")
    assert len(plan.scenarios) == len(bundled_scenarios())
