"""Missiles and reach: posteriors, distances, moratoria, deliverable warheads by hand."""

import numpy as np
import pytest
import yaml

import detente
from detente.inputs.missiles import load_missiles
from detente.model.missiles import (
    Arming,
    Classes,
    Deliveries,
    Targets,
    delivery,
    delivery_table,
    run_missiles,
    unlimited,
)

J = {"judgement": True, "basis": "test"}


@pytest.fixture(scope="module")
def force():
    return load_missiles("dprk")


def test_posterior_means_follow_the_beta_binomial_formula(force):
    by_id = {t.id: t for t in force.types}
    # a 3-success, 0-failure type with a Jeffreys prior: (3 + 0.5) / (3 + 0 + 1) = 0.875
    assert by_id["hwasong-15"].record.successes == 3 and by_id["hwasong-15"].record.failures == 0
    assert by_id["hwasong-15"].posterior_mean(0.5, 0.5) == pytest.approx(0.875)
    for t in force.types:
        s, f = t.record.successes, t.record.failures
        assert t.posterior_mean(0.5, 0.5) == pytest.approx((s + 0.5) / (s + f + 1))
        worst = (s + 0.5) / (s + f + t.record.unknown + 1)
        assert t.posterior_mean(0.5, 0.5, unknown_as_failure=True) == pytest.approx(worst)
    # the class's current reliability is the lead type's posterior under the class prior
    icbm = force.missile_class("icbm")
    spec = force.parameters()["missiles.icbm.reliability_now"]
    lead = force.lead(icbm)
    assert spec.a / (spec.a + spec.b) == pytest.approx(lead.posterior_mean(icbm.prior_a, icbm.prior_b))


@pytest.mark.parametrize(("region", "published"), [("guam", 3430), ("hawaii", 7400), ("us_east", 11024)])
def test_geodesic_distances_match_published_ones(force, region, published):
    target = next(r for r in force.regions if r.id == region)
    assert force.distance_km(target) == pytest.approx(published, rel=0.02)
    assert target.published_km == pytest.approx(published, rel=0.01)


def kernel_case(defended: bool):
    """One class, one region: 10 warheads, 4 launchers, each missile delivers with p = 0.5."""
    n, months = 1, 1
    half, one = np.full((1, n), 0.5), np.ones((1, n))
    out_e, out_a = np.zeros((1, 1, n), np.float32), np.zeros((1, 1, n), np.float32)
    # q_now = q_inf = 0.5 and perfect re-entry: each missile delivers with p = 0.5
    classes = Classes(k_now=one, kf_now=one * 0, q_now=half, q_inf=half, rv_now=one, growth=one,
                      rate=np.zeros((1, n)), full_share=one, catch_up=one * 0, catch_months=24,
                      deploy_k=np.zeros((1, n)), effect=one, launchers0=np.full((1, n), 4.0),
                      launcher_step=one, reach_km=np.full((1, n), 10_000.0), flight_row=np.array([0]),
                      extra_class=np.zeros(0, np.int64), extra_k_now=np.zeros((0, n)), extra_kf_now=np.zeros((0, n)),
                      extra_q_now=np.zeros((0, n)), extra_reach=np.zeros((0, n)), icbm=-1,
                      icbm_table=np.zeros((months + 1, n), np.float32))
    layers = 1 if defended else 0  # one layer over the region, engaging the class
    targets = Targets(distance_km=np.array([5_000.0]), covers=np.array([[0 if defended else -1]]),
                      signature=np.zeros(1, np.int64),
                      engages=np.ones((layers, 1), bool), since=np.zeros(layers, np.int64),
                      kill=np.full((layers, n), 1 - 0.5**4), coverage=np.ones((layers, n)),
                      interceptors=np.full((layers, n), 8.0),
                      shots=np.full(layers, 4, np.int64))
    out = Deliveries(reliability=np.zeros((1, 11), np.int32), evaluate=np.array([0]), expected=out_e,
                     arrive=out_a, allocated=np.zeros_like(out_e), final_reliability=np.zeros(n),
                     flights=np.zeros((1, n)), mated=np.zeros((1, n)))
    armed = Arming(armed_from=np.zeros((1, n), np.int64), multi_from=np.zeros((1, n), np.int64),
                   multi_k=np.ones((1, n)))
    run_missiles(0, 1, 0, classes, armed, unlimited(1, n), targets,
                 np.ones((1, 1, n), np.uint8), np.full((1, n), 10.0, np.float32),
                 out)
    return float(out_e[0, 0, 0]), float(out_a[0, 0, 0])


def test_deliverable_warheads_by_hand():
    expected, arrive = kernel_case(defended=False)
    assert expected == pytest.approx(4 * 0.5)  # launchers cap the salvo at 4
    assert arrive == pytest.approx(1 - 0.5**4)
    # defence: 8 interceptors at 4 per warhead engage half of 4 warheads; a salvo kills 1 − 0.5⁴
    leak = 1 - 0.5 * (1 - 0.5**4)
    expected, arrive = kernel_case(defended=True)
    assert expected == pytest.approx(2 * leak)
    assert arrive == pytest.approx(1 - (1 - 0.5 * leak) ** 4)


def test_delivery_grows_with_flights_and_shortfalls_shrink():
    one = np.ones(1)
    # 3 flights so far, none full-range; one flight a month, half of them full-range
    table = delivery_table(one * 3, one * 0, one * 0.2, one * 0.05, one * 0.7, one * 0.5, one * 1.0, one * 0.5, 24)
    assert table[0, 0] == pytest.approx(0.8 * 0.7)
    assert np.all(np.diff(table[:, 0]) > 0)
    r = (1 + 24 / 3) ** -0.5  # after 24 more flights (one a month)
    r_full = (1 + 12) ** -0.5  # … of which 12 full-range, from none
    by_hand = (1 - (0.05 + 0.15 * r)) * (1 - 0.3 * r_full)
    assert table[-1, 0] == pytest.approx(by_hand, rel=1e-6)
    assert delivery(24, 3.0, 0.0, 0.2, 0.05, 0.7, 0.5, 1.0, 0.5) == pytest.approx(by_hand)


def scenario(tmp_path, name, measures):
    data = {"name": name, "title": name, "start": "2027-01", "phases": [{
        "id": "p", "name": "p", "start": {"at": "signature"},
        "duration_months": {"dist": "fixed", "value": 0, **J}, "measures": measures}]}
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data))
    return str(path)


def calm(profile):
    from detente.inputs.uncertain import Fixed

    zero = Fixed(value=0.0, **J)
    return profile.model_copy(update={"dynamics": profile.dynamics.model_copy(
        update={"dprk_base_hazard": zero, "us_base_hazard": zero, "shock_per_year": zero})})


def test_flight_test_moratorium_keeps_icbm_reliability_flat(tmp_path, profile):
    path = scenario(tmp_path, "no-flights", [{"kind": "flight-test-moratorium", "classes": ["icbm", "irbm"]}])
    r = detente.compare([path], profile=calm(profile), samples=4096, seed=1, horizon="2040-12")
    median = r.quantiles("icbm_reliability").sel(quantile=0.5, date=slice("2027-01", None))
    frozen, base = median.sel(scenario="no-flights").values, median.sel(scenario="no-deal").values
    assert np.ptp(frozen) < 1e-9  # flat
    assert base[-1] > base[0] + 0.05  # the baseline keeps testing and learning
    reliable = r.reliable_icbm_month()
    assert reliable["no-deal"] is not None
    assert reliable["no-flights"] is None or reliable["no-flights"] > reliable["no-deal"]
    assert r.horizon("deliverable:us_east").diff("scenario").values.mean() < 0


def test_test_moratorium_saves_material(tmp_path, profile):
    from detente.inputs.uncertain import Fixed

    busy = profile.model_copy(update={"future_tests": profile.future_tests.model_copy(
        update={"per_year": Fixed(value=2.0, **J)})})
    path = scenario(tmp_path, "no-tests", [{"kind": "test-moratorium"}])
    r = detente.compare([path], profile=calm(busy), samples=2048, seed=2, horizon="2036-12")
    pu = r.horizon("pu_kg").diff("scenario").values
    heu = r.horizon("heu_kg").diff("scenario").values
    assert np.all(pu >= -1e-3) and np.all(heu >= -1e-2)
    # about 2 tests a year for 10 years, each using 2–6 kg Pu or 15–25 kg HEU, half and half
    spent = pu.mean() + heu.mean()
    assert 20 * 0.5 * (3.67 + 20) * 0.7 < spent < 20 * 0.5 * (3.67 + 20) * 1.3


def test_bad_missile_input(tmp_path):
    from detente.inputs.bibliography import EVIDENCE

    data = yaml.safe_load((EVIDENCE / "missiles" / "dprk.yaml").read_text())
    data["types"][0]["range_km"] = {"dist": "uniform", "low": -300, "high": 300, **J}
    path = tmp_path / "m.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    with pytest.raises(detente.InputError) as info:
        load_missiles(path=path)
    assert info.value.field == f"types[{data['types'][0]['id']}].range_km"
    assert "must be ≥" in info.value.reason


def test_unknown_class_in_a_moratorium(tmp_path):
    path = scenario(tmp_path, "bad", [{"kind": "flight-test-moratorium", "classes": ["cruise"]}])
    with pytest.raises(detente.InputError) as info:
        detente.load_scenario(path)
    assert info.value.field == "phases[p].measures[0].classes[0]"
    assert "srbm" in info.value.reason
