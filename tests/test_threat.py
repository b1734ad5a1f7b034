"""What tests and missiles buy: warhead designs validated by nuclear tests, the CTBT and the test
site, lofted against full-range flights, catch-up after a collapse, layered defences, the additive
allocation and the risk of war. Direction tests are paired: same seed, same draws."""

import numpy as np
import pytest
import yaml

import detente
from detente.inputs.missiles import load_missiles
from detente.inputs.uncertain import Fixed
from detente.model.crisis import CrisisDraws, crisis_rate
from detente.model.designs import arming, validated_from
from detente.model.missiles import NEVER_ARMED, Arming, Classes, Deliveries, Targets, delivery, run_missiles, unlimited

J = {"judgement": True, "basis": "test"}


def fixed(x):
    return Fixed(value=x, **J)


def one_phase(tmp_path, name, measures, **phase):
    data = {"name": name, "title": name, "start": "2027-01", "phases": [{
        "id": "p", "name": "p", "start": {"at": "signature"},
        "duration_months": {"dist": "fixed", "value": 0, **J}, "measures": measures, **phase}]}
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data))
    return str(path)


def with_dynamics(profile, **changes):
    return profile.model_copy(update={"dynamics": profile.dynamics.model_copy(update=changes)})


# -- designs -----------------------------------------------------------------------------------

def test_tests_validate_designs_in_order_by_hand():
    tests = np.zeros((10, 3), dtype=bool)
    tests[[2, 5, 7], 0] = True  # sample 0: tests in months 2, 5, 7
    tests[4, 1] = True  # sample 1: one test, in month 4
    needed = np.array([[1, 1, 0], [0, 2, 1], [2, 0, 0]])  # (D=3, n=3) in the order tests go
    got = validated_from(tests, needed)
    # sample 0: design 0 needs 1 → month 2; design 1 needs none → 0; design 2 needs 1 + 0 + 2 = 3 → month 7
    assert got[:, 0].tolist() == [2, 0, 7]
    # sample 1: design 0 → month 4; design 1 needs 1 + 2 = 3 tests, never; design 2 needs none → 0
    assert got[:, 1].tolist() == [4, NEVER_ARMED, 0]
    # sample 2 has no tests: only the designs needing none (0 and 2) are validated
    assert got[:, 2].tolist() == [0, NEVER_ARMED, 0]
    # design 2 building on design 1: validated no sooner than it (sample 1: never; sample 2: never)
    assert validated_from(tests, needed, ((), (), (1,)))[2].tolist() == [7, NEVER_ARMED, NEVER_ARMED]
    enables = np.array([[True, False], [False, True], [False, True]])  # (D, C)
    armed = arming(got, enables, np.array([[1.0] * 3, [1.0] * 3, [3.0] * 3]))
    assert armed.armed_from[:, 0].tolist() == [2, 0]  # class 1 by design 1 (validated now)
    assert armed.multi_from[1].tolist() == [7, 0, 0]  # the 3-warhead design 2
    assert armed.multi_k[1].tolist() == [3.0, 3.0, 3.0]


def test_freeze_for_freeze_lowers_the_chance_a_design_is_validated():
    r = detente.compare(["freeze-for-freeze"], samples=4096, seed=3, observations=None)
    rows = [x for x in r.records() if x["metric"].startswith("delta:p_design:") and x["date"] == r.months[-1]]
    assert rows and {x["metric"] for x in rows} == {f"delta:p_design:{d}" for d in r.designs}
    # the record keeps its shape; the change's 90 % interval sits in p5 and p95
    assert set(rows[0]) == {"scenario", "metric", "date", "mean", "p5", "p25", "p50", "p75", "p95", "beyond_range"}
    assert any(x["p95"] < 0 for x in rows)  # at least one design: interval below zero
    assert all(x["p95"] <= 1e-12 for x in rows)  # a test halt never speeds a design up


def test_a_ratified_ctbt_and_a_closed_site_delay_tests_after_a_collapse(tmp_path, profile):
    """Same deal, same draws, the CTBT valued at zero: only the resumption delay differs, so
    a ratified CTBT validates no design sooner than a moratorium, and strictly later on average."""
    quick = with_dynamics(profile, dprk_base_hazard=fixed(0.05), shock_per_year=fixed(0.0))
    quick = quick.model_copy(update={
        "values": quick.values.model_copy(update={"measures": {
            **quick.values.measures, "ctbt": fixed(0.0), "test-site-closure": fixed(0.0)}}),
        "future_tests": quick.future_tests.model_copy(update={"per_year": fixed(1.0)})})
    halt = one_phase(tmp_path, "halt", [{"kind": "test-moratorium"}])
    ctbt = one_phase(tmp_path, "ctbt", [{"kind": "test-moratorium"}, {"kind": "ctbt", "step": "ratify"}])
    site = one_phase(tmp_path, "site", [{"kind": "test-moratorium"}, {"kind": "test-site-closure",
                                                                      "method": "demolish"}])
    r = detente.compare([halt, ctbt, site], profile=quick, samples=4096, seed=4, horizon="2036-12",
                        observations=None)
    change = {s: r.delta_p_design("compact-fission")["change"].sel(scenario=s).values[-1]
              for s in ("halt", "ctbt", "site")}
    assert change["halt"] < 0  # a test moratorium changes design maturity
    assert change["ctbt"] < change["halt"] and change["site"] < change["halt"]  # … a CTBT at least as much
    # paired per sample: under the ratified CTBT the deal path is the same and tests only come later
    collapsed = r.horizon("collapsed")
    flights = r.horizon("flights:icbm")
    for other in ("ctbt", "site"):  # the same deal path: confirmed from afar, the same value
        assert np.array_equal(collapsed.sel(scenario="halt").values, collapsed.sel(scenario=other).values)
        assert np.allclose(flights.sel(scenario="halt").values, flights.sel(scenario=other).values)


def test_what_can_be_confirmed_from_afar(tmp_path, profile):
    """A test-site closure is watched by imagery and a CTBTO visit confirms the test halt, so a
    test-halt phase with them is confirmable; a CTBTO visit does not confirm an unverified freeze."""
    from detente.compile.deal import compile_deal

    def informs(measures):
        path = one_phase(tmp_path, "x", measures)
        return compile_deal(detente.load_scenario(path), profile, profile.start).informs[0]

    assert informs([{"kind": "test-moratorium"}, {"kind": "test-site-closure"}, {"kind": "ctbto-visit"}]) == 1.0
    assert informs([{"kind": "freeze", "all_facilities": True}, {"kind": "ctbto-visit"}]) == 0.0


def test_unvalidated_designs_deliver_nothing(profile):
    """Deliverable warheads count only warheads of a design validated for the class: if the ICBM
    designs can never be validated, nothing reaches Washington (only ICBMs reach it)."""
    never = Fixed(value=50, **J)
    designs = [d.model_copy(update={"tests_needed": never}) if "icbm" in d.classes else d
               for d in profile.designs]
    blocked = profile.model_copy(update={"designs": designs})
    kw = {"samples": 2048, "seed": 5, "horizon": "2034-12", "observations": None}
    none = detente.simulate("no-deal", profile=blocked, **kw)
    free = detente.simulate("no-deal", profile=profile.model_copy(update={"designs": []}), **kw)
    assert float(none.horizon("deliverable:us_east").max()) == 0.0
    assert float(free.horizon("deliverable:us_east").mean()) > 1.0
    assert float(none.horizon("deliverable:rok").mean()) > 0.0  # short-range designs still arm


# -- missiles ----------------------------------------------------------------------------------

def test_lofted_flights_do_not_prove_reentry():
    lofted = delivery(48, 3.0, 0.0, 0.2, 0.05, 0.7, 0.5, 0.5, 0.0)
    full = delivery(48, 3.0, 0.0, 0.2, 0.05, 0.7, 0.5, 0.5, 1.0)
    flight = 1 - (0.05 + 0.15 * (1 + 48 * 0.5 / 3) ** -0.5)
    assert lofted == pytest.approx(flight * 0.7)  # re-entry stays where it was
    assert full == pytest.approx(flight * (1 - 0.3 * (1 + 48 * 0.5) ** -0.5))


def test_lofted_only_icbm_flights_make_the_reliable_month_later(profile):
    force = load_missiles("dprk")

    def share(x):
        classes = [c.model_copy(update={"full_range_share": fixed(x)}) if c.id == "icbm" else c
                   for c in force.classes]
        return force.model_copy(update={"classes": classes})

    kw = {"samples": 4096, "seed": 6, "horizon": "2045-12", "observations": None, "profile": profile}
    lofted = detente.simulate("no-deal", missile_evidence=share(0.0), **kw)
    full = detente.simulate("no-deal", missile_evidence=share(1.0), **kw)
    a, b = lofted.reliable_icbm_month()["no-deal"], full.reliable_icbm_month()["no-deal"]
    assert b is not None and (a is None or a > b)
    assert float(lofted.horizon("icbm_reliability").mean()) < float(full.horizon("icbm_reliability").mean())
    assert np.allclose(lofted.horizon("flights:icbm").values, full.horizon("flights:icbm").values)


def no_extras(n):  # no catch-up types
    return {"extra_class": np.zeros(0, np.int64), "extra_k_now": np.zeros((0, n)), "extra_kf_now": np.zeros((0, n)),
            "extra_q_now": np.zeros((0, n)), "extra_reach": np.zeros((0, n))}


def one_class(n=1, rate=1.0, catch=0.0, launchers=4.0, p=0.5, reach=10_000.0):
    half, one = np.full((1, n), p), np.ones((1, n))
    return Classes(k_now=one, kf_now=one * 0, q_now=1 - half, q_inf=1 - half, rv_now=one, growth=one,
                   rate=np.full((1, n), rate), full_share=one, catch_up=np.full((1, n), catch), catch_months=24,
                   deploy_k=np.zeros((1, n)), effect=one, launchers0=np.full((1, n), launchers),
                   launcher_step=one, reach_km=np.full((1, n), reach), flight_row=np.array([0]),
                   **no_extras(n), icbm=-1, icbm_table=np.zeros((200, n), np.float32))


def no_layers(j=1, c=1, n=1, distance=(5_000.0,)):
    return Targets(distance_km=np.array(distance), covers=np.full((j, 1), -1, np.int64),
                   signature=np.zeros(j, np.int64), engages=np.zeros((0, c), bool),
                   since=np.zeros(0, np.int64), kill=np.zeros((0, n)), coverage=np.zeros((0, n)),
                   interceptors=np.zeros((0, n)),
                   shots=np.zeros(0, np.int64))


def outputs(months, j=1, c=1, n=1, evaluate=None):
    evaluate = np.full(months, -1) if evaluate is None else evaluate
    rows = max(int(evaluate.max()) + 1, 1)
    return Deliveries(reliability=np.zeros((months, 11), np.int32), evaluate=evaluate,
                      expected=np.zeros((j, rows, n), np.float32), arrive=np.zeros((j, rows, n), np.float32),
                      allocated=np.zeros((j, rows, n), np.float32), final_reliability=np.zeros(n),
                      flights=np.zeros((c, n)), mated=np.zeros((c, n)))


def armed_now(c=1, n=1, k=1.0):
    return Arming(armed_from=np.zeros((c, n), np.int64), multi_from=np.zeros((c, n), np.int64),
                  multi_k=np.full((c, n), k))


def test_a_collapse_brings_more_flights_than_the_no_deal_rate():
    """12 months of flights, a 36-month moratorium, then 24 months after it collapses: with a
    catch-up share of 0.5 the class makes up 18 of the 36 forgone months within those 24."""
    running = np.ones((1, 72, 1), np.uint8)
    running[0, 12:48] = 0
    flights = {}
    for catch in (0.0, 0.5):
        for end in (48, 72):
            out = outputs(end)
            run_missiles(0, end, 0, one_class(catch=catch), armed_now(), unlimited(1, 1), no_layers(), running[:, :end],
                         np.zeros((end, 1), np.float32), out)
            flights[catch, end] = float(out.flights[0, 0])
    after = {catch: flights[catch, 72] - flights[catch, 48] for catch in (0.0, 0.5)}
    assert after[0.0] == pytest.approx(24.0)  # the no-deal rate, one a month
    assert after[0.5] == pytest.approx(24.0 + 0.5 * 36)
    assert flights[0.5, 48] == pytest.approx(12.0)  # nothing flies during the halt


def test_the_catch_up_tests_the_type_flown_least():
    """The same halt with a catch-up type (flown once, like the Hwasong-19): the lead keeps the
    baseline rate, the 18 months' worth of catch-up flights go to the other type, and once that
    type is deployed and better it carries the class's deliveries."""
    running = np.ones((1, 72, 1), np.uint8)
    running[0, 12:48] = 0
    base = one_class(catch=0.5)
    classes = base._replace(q_now=np.full((1, 1), 0.9), q_inf=np.full((1, 1), 0.05),
                            extra_class=np.array([0]), extra_k_now=np.ones((1, 1)), extra_kf_now=np.zeros((1, 1)),
                            extra_q_now=np.full((1, 1), 0.1), extra_reach=np.full((1, 1), 10_000.0))
    evaluate = np.full(72, -1)
    evaluate[-1] = 0
    out = outputs(72, evaluate=evaluate)
    run_missiles(0, 72, 0, classes, armed_now(), unlimited(1, 1), no_layers(),
                 running, np.full((72, 1), 10.0, np.float32), out)
    assert float(out.flights[0, 0]) == pytest.approx(36 + 18)  # every flight counted for the class
    lead = delivery(36, 1.0, 0.0, 0.9, 0.05, 1.0, 1.0, 1.0, 1.0)
    other = delivery(18, 1.0, 0.0, 0.1, 0.05, 1.0, 1.0, 1.0, 1.0)
    assert other > lead  # by hand: 1 − (0.05 + 0.05/19) against 1 − (0.05 + 0.85/37)
    assert float(out.expected[0, 0, 0]) == pytest.approx(4 * other)


def test_multiple_warheads_fill_the_launchers():
    out = outputs(1, evaluate=np.array([0]))
    run_missiles(0, 1, 0, one_class(), armed_now(k=3.0), unlimited(1, 1), no_layers(), np.ones((1, 1, 1), np.uint8),
                 np.full((1, 1), 10.0, np.float32), out)
    assert float(out.expected[0, 0, 0]) == pytest.approx(10 * 0.5)  # 4 launchers × 3 ≥ 10 warheads
    out = outputs(1, evaluate=np.array([0]))
    unarmed = Arming(np.full((1, 1), NEVER_ARMED), np.full((1, 1), NEVER_ARMED), np.ones((1, 1)))
    run_missiles(0, 1, 0, one_class(), unarmed, unlimited(1, 1), no_layers(), np.ones((1, 1, 1), np.uint8),
                 np.full((1, 1), 10.0, np.float32), out)
    assert float(out.expected[0, 0, 0]) == 0.0


def test_layered_defences_by_hand():
    """Two classes (p = 0.5 each, 4 launchers) at one region with two layers acting in turn:
    layer A (8 interceptors, 2 shots, pk 0.5) engages both classes, layer B (2 interceptors, 1
    shot, pk 1) only class 0, on what got past A; B enters service in month 1."""
    n, c = 1, 2
    base = one_class()
    classes = base._replace(**{f: np.repeat(getattr(base, f), 2, axis=0) for f in (
        "k_now", "kf_now", "q_now", "q_inf", "rv_now", "growth", "rate", "full_share", "catch_up", "deploy_k",
        "effect", "launchers0", "launcher_step", "reach_km")}, flight_row=np.array([0, 0]))
    targets = Targets(distance_km=np.array([5_000.0]), covers=np.array([[0, 1]]), signature=np.zeros(1, np.int64),
                      engages=np.array([[True, True], [True, False]]), since=np.array([0, 1]),
                      kill=1 - (1 - np.array([[0.5], [1.0]])) ** np.array([[2], [1]]), coverage=np.ones((2, 1)),
                      interceptors=np.array([[8.0], [2.0]]), shots=np.array([2, 1]))
    out = outputs(2, c=c, evaluate=np.array([0, 1]))
    run_missiles(0, 2, 0, classes, armed_now(c), unlimited(c, n), targets, np.ones((1, 2, n), np.uint8),
                 np.full((2, n), 8.0, np.float32), out)
    eff_a = min(1, 8 / 2 / 8) * (1 - 0.5**2)  # 8 warheads at layer A: it engages half
    assert float(out.expected[0, 0, 0]) == pytest.approx(8 * 0.5 * (1 - eff_a))
    # month 1: B, inner, faces class 0's leakers of A only: 4 × (1 − eff_a) warheads
    eff_b = min(1, 2 / 1 / (4 * (1 - eff_a))) * 1.0
    by_hand = 4 * 0.5 * (1 - eff_a) * (1 - eff_b) + 4 * 0.5 * (1 - eff_a)
    assert float(out.expected[0, 1, 0]) == pytest.approx(by_hand)


def test_additive_allocation_splits_one_arsenal():
    """A short-range class (reach 1,000 km) and a long one (12,000 km), regions at 500 and
    10,000 km: each region goes to the shortest-range class reaching it, so the arsenal is counted
    once — the allocations add up to the warheads sent, unlike the 'all aimed here' figures."""
    base = one_class(launchers=6.0)
    classes = base._replace(**{f: np.repeat(getattr(base, f), 2, axis=0) for f in (
        "k_now", "kf_now", "q_now", "q_inf", "rv_now", "growth", "rate", "full_share", "catch_up", "deploy_k",
        "effect", "launchers0", "launcher_step")}, reach_km=np.array([[1_000.0], [12_000.0]]),
        flight_row=np.array([0, 0]))
    out = outputs(1, j=2, c=2, evaluate=np.array([0]))
    run_missiles(0, 1, 0, classes, armed_now(2), unlimited(2, 1), no_layers(j=2, c=2, distance=(500.0, 10_000.0)),
                 np.ones((1, 1, 1), np.uint8), np.full((1, 1), 8.0, np.float32), out)
    aimed = out.expected[:, 0, 0]
    assert aimed.tolist() == pytest.approx([8 * 0.5, 6 * 0.5])  # all 8 at the near region; 6 launchers reach far
    allocated = out.allocated[:, 0, 0]
    sent = out.mated[:, 0]
    assert sent.sum() == pytest.approx(8.0)  # 6 on the first class in order, 2 on the other
    assert allocated.sum() == pytest.approx(8 * 0.5)
    assert allocated.sum() < aimed.sum()


def test_allocation_aims_at_every_region_and_shares_interceptors():
    """A small arsenal that all goes to the most effective class, the long-range one: the near
    region is then aimed at by it too (not left empty because a short-range class, given no
    warheads, reaches it). One layer over both regions (4 interceptors, 1 shot, kill 1, half its
    footprint) shares its interceptors between them under the allocation."""
    base = one_class(launchers=10.0)
    classes = base._replace(**{f: np.repeat(getattr(base, f), 2, axis=0) for f in (
        "k_now", "kf_now", "rv_now", "growth", "rate", "full_share", "catch_up", "deploy_k",
        "effect", "launchers0", "launcher_step")}, q_now=np.array([[0.5], [0.1]]), q_inf=np.array([[0.5], [0.1]]),
        reach_km=np.array([[1_000.0], [12_000.0]]), flight_row=np.array([0, 0]))
    targets = Targets(distance_km=np.array([500.0, 10_000.0]), covers=np.array([[0], [0]]),
                      signature=np.zeros(2, np.int64), engages=np.ones((1, 2), bool), since=np.zeros(1, np.int64),
                      kill=np.ones((1, 1)), coverage=np.full((1, 1), 0.5), interceptors=np.full((1, 1), 4.0),
                      shots=np.ones(1, np.int64))
    out = outputs(1, j=2, c=2, evaluate=np.array([0]))
    run_missiles(0, 1, 0, classes, armed_now(2), unlimited(2, 1), targets, np.ones((1, 1, 1), np.uint8),
                 np.full((1, 1), 8.0, np.float32), out)
    assert out.mated[:, 0].tolist() == [0.0, 8.0]  # all on the more reliable long-range class
    # all 8 aimed at one region: half fly in the footprint (4), all 4 engaged: 4 of 8 get through
    assert out.expected[:, 0, 0].tolist() == pytest.approx([8 * 0.9 * 0.5] * 2)
    # allocated: 4 per region, 2 in the footprint, 2 interceptors each: 2 of 4 get through
    assert out.allocated[:, 0, 0].tolist() == pytest.approx([4 * 0.9 * 0.5] * 2)


def test_the_older_defence_block_still_validates_and_runs(tmp_path):
    from detente.inputs.bibliography import EVIDENCE

    data = yaml.safe_load((EVIDENCE / "missiles" / "dprk.yaml").read_text())
    data.pop("defences")
    data["defence"] = {"pk_per_shot": {"dist": "beta", "a": 11.5, "b": 8.5, **J}, "shots_per_warhead": 4,
                       "interceptors": {"dist": "fixed", "value": 44, **J}}
    for region in data["regions"]:
        region["defended"] = region["id"] in ("alaska", "hawaii", "us_west", "us_east")
    for c in data["classes"]:  # a file from before trajectories and catch-up were recorded
        c.pop("full_range_share")
        c.pop("catch_up_share")
    path = tmp_path / "old.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    old = load_missiles(path=path)
    assert [stem for stem, _ in old.layers()] == ["defence"]
    assert "defence.pk_per_shot" in old.parameters()
    r = detente.simulate("no-deal", missile_evidence=old, samples=512, seed=1, horizon="2030-12", observations=None)
    assert float(r.horizon("deliverable:rok").mean()) > 0


# -- risk of war -------------------------------------------------------------------------------

def crisis_draws(n=1, **kw):
    values = {"base_per_year": 0.3, "tension_relief": 0.4, "after_collapse": 1.0, "window_months": 24,
              "after_test": 2.0, "long_range_flights": 0.5, **kw}
    return CrisisDraws(**{k: np.full(n, float(v)) for k, v in values.items()})


def test_crisis_rate_by_hand():
    months = 60
    calm = np.zeros((months, 1))
    calm[:20] = 1.0
    tests = np.zeros((months, 1), bool)
    tests[40] = True
    flying = np.zeros((months, 1))
    flying[20:] = 1.0
    rate = crisis_rate(0, crisis_draws(), calm, np.array([20]), tests, flying)[:, 0]
    assert rate[0] == pytest.approx(0.3 * (1 - 0.4))  # calm, before the collapse
    assert rate[25] == pytest.approx(0.3 * 2.0 * 1.5)  # after the collapse: window and flights
    assert rate[41] == pytest.approx(0.3 * 2.0 * 3.0 * 1.5)  # … and within a year of a test
    assert rate[55] == pytest.approx(0.3 * 1.5)  # window and test memory over
    assert rate[25] > rate[0]  # higher after a collapse than before


def test_tension_reduction_lowers_the_crisis_rate(tmp_path):
    measures = [{"kind": "test-moratorium"}, {"kind": "flight-test-moratorium", "classes": ["icbm", "irbm"]}]
    calm = one_phase(tmp_path, "calm", [*measures, {"kind": "tension-reduction"}])
    plain = one_phase(tmp_path, "plain", measures)
    r = detente.compare([calm, plain], samples=4096, seed=7, horizon="2034-12", observations=None)
    crises = r.horizon("crises")
    assert float(crises.sel(scenario="calm").mean()) < float(crises.sel(scenario="plain").mean())
    rows = {(x["scenario"], x["metric"]): x for x in r.records() if x["date"] == r.months[-1]}
    assert rows["calm", "delta:crises"]["mean"] < rows["plain", "delta:crises"]["mean"]
    rate = r.mean("crisis_per_year").sel(date=np.datetime64("2030-01-01"))
    assert float(rate.sel(scenario="calm")) < float(rate.sel(scenario="plain"))


def test_a_collapse_raises_the_crisis_rate(tmp_path, profile):
    """A deal that always collapses in its first months: the crisis rate in the window after the
    collapse is above the no-deal rate on the same draws."""
    doomed = with_dynamics(profile, dprk_base_hazard=fixed(0.5), us_base_hazard=fixed(0.0), shock_per_year=fixed(0.0))
    deal = one_phase(tmp_path, "doomed", [{"kind": "test-moratorium"}])
    r = detente.compare([deal], profile=doomed, samples=2048, seed=8, horizon="2030-12", observations=None)
    rate = r.mean("crisis_per_year").sel(date=np.datetime64("2028-01-01"))
    assert float(rate.sel(scenario="doomed")) > float(rate.sel(scenario="no-deal"))
