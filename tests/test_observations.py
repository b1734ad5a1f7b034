"""Conditioning the history on published estimates: the observations file, history matching,
pairing and reproducibility, and the backtest."""

import json

import numpy as np
import pytest
from test_cli import run_cli

import detente
from detente.engine import condition, posterior
from detente.inputs.observations import load_observations
from detente.inputs.uncertain import Fixed, draw
from detente.months import parse_month
from detente.testing import assert_results_identical

HEADER = "date,metric,low,high,source,publisher,kind,weight,note\n"


@pytest.fixture(scope="module")
def bundled():
    return detente.observations()


def write(tmp_path, body, header=HEADER):
    path = tmp_path / "mine.csv"
    path.write_text(header + body)
    return path


@pytest.mark.parametrize(("body", "field", "reason"), [
    ("2015-01,plutonium,1,2,leapday-2012,x,estimate,1,\n", "line 2, metric", "unknown metric 'plutonium'"),
    ("2015-01,pu_kg,9,2,leapday-2012,x,estimate,1,\n", "line 2, low", "low 9 is above high 2"),
    ("2015-13,pu_kg,1,2,leapday-2012,x,estimate,1,\n", "line 2, date", "is not a month"),
    ("2031-01,pu_kg,1,2,leapday-2012,x,estimate,1,\n", "line 2, date", "outside the history"),
    ("2015-01,pu_kg,1,2,my-notes,x,estimate,1,\n", "line 2, source", "unknown source 'my-notes': give an id"),
    ("2015-01,pu_kg,1,two,leapday-2012,x,estimate,1,\n", "line 2, high", "'two' is not a number"),
    ("2015-01,pu_kg,,,leapday-2012,x,estimate,1,\n", "line 2, low", "give low, high or both"),
    ("2015-01,pu_kg,1,2,leapday-2012,x,rumour,1,\n", "line 2, kind", "unknown kind 'rumour'"),
    ("2015-01,pu_kg,1,2,leapday-2012,x,estimate,0,\n", "line 2, weight", "outside (0, 10]"),
    ("2015-01,pu_kg,1,2,leapday-2012,x,estimate,1,\n2016-01,pu_kg,1e300,,leapday-2012,x,,,\n",
     "line 3, low", "outside 0"),
])
def test_a_bad_observation_names_file_line_and_column(tmp_path, body, field, reason):
    path = write(tmp_path, body)
    with pytest.raises(detente.InputError) as info:
        detente.observations(path)
    assert info.value.file == str(path) and info.value.field == field and reason in info.value.reason


def test_a_bad_header_is_named(tmp_path):
    with pytest.raises(detente.InputError, match="unknown column 'centre'"):
        detente.observations(write(tmp_path, "", header="date,metric,centre\n"))
    with pytest.raises(detente.InputError, match="missing column 'source'"):
        detente.observations(write(tmp_path, "", header="date,metric,low,high\n"))


def test_the_cli_refuses_a_bad_observations_file(tmp_path, monkeypatch, capsys):
    path = write(tmp_path, "2015-01,pu_kg,9,2,leapday-2012,x,estimate,1,\n")
    code, _, err = run_cli(monkeypatch, capsys, "run", "--samples", "100", "--observations", str(path))
    assert code == 2 and "line 2, low" in err and "Traceback" not in err


def test_the_bundled_observations_cite_the_bibliography(bundled):
    profile = detente.load_profile()
    again = load_observations("dprk", profile.start, profile.today)  # source ids resolve, or this raises
    assert len(bundled.rows) == len(again.rows) >= 32
    assert {"isis", "hecker", "heinonen", "kang", "dprk"} <= set(bundled.publishers)
    assert {o.metric for o in bundled.rows} == {"pu_kg", "heu_kg", "warheads_possible"}


def test_implausibility_by_hand():
    # Heinonen's 540–705 kg: centre 622.5; the range's sd 165 / 3.29 = 50.2 is below the 10 % floor
    # (62.25), and the model's own 10 % error adds in quadrature: scale 62.25·√2 = 88.03
    value = condition.implausibility(np.array([705.0, 622.5, 900.0]), 540, 705)
    assert value == pytest.approx([82.5 / 88.03, 0.0, 277.5 / 88.03], rel=1e-3)
    # an upper bound only ("as many as nine"): nothing below it, 10 % + 10 % beyond it
    assert condition.implausibility(np.array([3.0, 9.0, 11.0]), None, 9) == pytest.approx([0, 0, 2 / (0.9 * 2**0.5)])
    # half the weight, √½ of the implausibility
    assert condition.implausibility(np.array([705.0]), 540, 705, 0.5) == pytest.approx(82.5 / 88.03 * 0.5**0.5,
                                                                                         rel=1e-3)


def test_the_history_in_steps_ends_where_the_history_in_one_run_does(bundled):
    plan = detente.check("no-deal", missiles=False, horizon="2030-12")
    from detente.engine.streams import block_rng
    from detente.inputs.uncertain import draw

    draws = draw(plan.parameters, block_rng(3, 0, 0), 512, plan.profile.correlations)
    months = condition.observed_months(bundled, plan)
    stepped = condition.history_values(plan, draws, months, 512)
    once = condition.history_values(plan, draws, [months[-1]], 512)
    assert np.array_equal(stepped[-1], once[0])


@pytest.fixture(scope="module")
def prior_and_posterior():
    options = {"samples": 8192, "seed": 4, "horizon": "2040-12", "missiles": False}
    return (detente.simulate("no-deal", observations=None, **options),
            detente.simulate("no-deal", **options))


def test_conditioning_moves_the_replay_onto_the_published_ranges(prior_and_posterior):
    prior, posterior = prior_and_posterior
    assert prior.attrs["samples"] == posterior.attrs["samples"] == 8192
    assert posterior.attrs["conditioned_on"] and not prior.attrs["conditioned_on"]

    def median(r, metric, date):
        return r.quantiles(metric).sel(scenario="no-deal", date=date, quantile=0.5).item()

    # HEU in 2021: the prior's median is above both published ranges (540–705, 650–800 kg)
    assert median(prior, "heu_kg", "2021-01") > 800
    assert 540 <= median(posterior, "heu_kg", "2021-01") <= 800
    # separated Pu in 1994 moves up towards Albright's 6–13 kg
    assert median(posterior, "pu_kg", "1994-01") > median(prior, "pu_kg", "1994-01")
    # and the 90 % interval narrows where estimates exist
    for metric, date in (("heu_kg", "2021-01"), ("warheads_possible", "2024-01")):
        def width(r, m=metric, d=date):
            q = r.quantiles(m).sel(scenario="no-deal", date=d).values.ravel()
            return q[-1] - q[0]
        assert width(posterior) < 0.6 * width(prior)


def test_the_sampler_agrees_with_importance_sampling_on_one_observation(tmp_path):
    """An independent check of the sequential Monte Carlo pool: with one observation (Hecker's
    650–800 kg of HEU in 2021) the prior-weighted estimate from 40,000 plain prior draws is
    accurate, and the pool's median and quartiles of that HEU must match it."""
    path = write(tmp_path, "2021-01,heu_kg,650,800,leapday-2012,hecker,estimate,1,\n")
    plan = detente.check("no-deal", missiles=False, horizon="2030-12", observations=str(path))
    pool = posterior.calibrate(plan, plan.observations)
    model = posterior._Model(plan, plan.observations, len(pool.values))
    draws = dict(model.base)
    draws.update({name: pool.values[:, j] for j, name in enumerate(pool.names)})
    month = [plan.grid.index(parse_month("2021-01"))]
    from_pool = condition.history_values(plan, draws, month, len(pool.values))[0, 1]

    n = 40_000
    prior = draw(plan.parameters, np.random.default_rng(12), n, plan.profile.correlations)
    heu = condition.history_values(plan, prior, month, n)[0, 1]
    weight = np.exp(-0.5 * condition.implausibility(heu, 650, 800) ** 2)
    order = np.argsort(heu)
    cdf = np.cumsum(weight[order]) / weight.sum()
    assert 1 / np.sum((weight / weight.sum()) ** 2) > 2_000  # the weighted estimate is reliable
    for q in (0.25, 0.5, 0.75):
        expected = heu[order][np.searchsorted(cdf, q)]
        assert np.quantile(from_pool, q) == pytest.approx(expected, rel=0.05), q


def test_calibration_is_a_function_of_the_inputs(bundled):
    plan = detente.check("no-deal", missiles=False, horizon="2030-12")
    first = posterior.calibrate(plan, bundled)
    again = posterior.posterior(plan, bundled)  # from the cache (or computed afresh), never different
    assert np.array_equal(first.values, again.values) and first.names == again.names
    assert first.ancestors > 100 and first.acceptance > 0.1 and not first.conflicts
    assert "weapons.lag_months" not in first.names  # nothing observed depends on it: it keeps its prior


@pytest.mark.parametrize("observations", ["profile", None])
def test_conditioned_and_prior_runs_do_not_depend_on_workers(observations):
    options = {"samples": 9000, "seed": 2, "horizon": "2036-12", "missiles": False, "observations": observations}
    one = detente.compare(["kimball-2018"], workers=1, **options)
    two = detente.compare(["kimball-2018"], workers=2, **options)
    assert_results_identical(one, two)


def test_every_scenario_shares_the_calibrated_history():
    """The pool is the history's: a deal's paired differences stay paired, and the baseline does
    not depend on the deals beside it."""
    options = {"samples": 4096, "seed": 6, "horizon": "2036-12", "missiles": False}
    r = detente.compare(["kimball-2018", "mount-2019"], **options)
    alone = detente.simulate("no-deal", **options)
    assert_results_identical(alone, r, scenarios=["no-deal"])
    history = r.quantiles("heu_kg").sel(date="2021-01").values
    assert np.array_equal(history[0], history[1]) and np.array_equal(history[0], history[2])


def test_an_observation_the_model_cannot_reach_is_named(tmp_path):
    path = write(tmp_path, "2021-01,heu_kg,1,2,leapday-2012,x,estimate,1,\n")  # 1–2 kg of HEU in 2021
    conflict = r"line 2: heu_kg 2021-01: fewer than 0.1 % of the prior's histories come within 3"
    with pytest.warns(UserWarning, match=conflict), pytest.raises(detente.RunError, match="collapsed"):
        detente.simulate("no-deal", samples=500, horizon="2030-12", missiles=False, observations=str(path))


def test_backtest_prints_coverage_sharpness_and_held_out_publishers(monkeypatch, capsys):
    code, out, _ = run_cli(monkeypatch, capsys, "backtest", "--samples", "4096", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["coverage"] >= 0.95 and data["sharpness"] >= 0.8  # the evidence issue's targets
    assert {h["publisher"] for h in data["held_out"]} == {"isis", "hecker", "heinonen", "kang", "dprk"}
    assert len(data["observations"]) >= 32 and data["samples"] == 4096


def test_the_report_shows_the_history_against_published_estimates():
    from detente.report import render_report

    r = detente.simulate("no-deal", samples=2048, seed=1, horizon="2030-12", missiles=False)
    page = render_report(r)
    assert 'id="history"' in page and "The history against published estimates" in page
    for metric in ("pu_kg", "heu_kg", "warheads_possible"):
        assert f'data-metric="backtest:{metric}"' in page
    assert "meets" in page and "holds the centre" in page and "Conditioned on what is known" in page


def test_a_degenerate_calibration_is_refused(monkeypatch):
    monkeypatch.setattr(detente.api, "MIN_ANCESTORS", 10**6)  # more distinct prior draws than any pool has
    with pytest.raises(detente.RunError, match="collapsed .* the observations and the profile disagree"):
        detente.simulate("no-deal", samples=100, horizon="2030-12", missiles=False)


def test_your_own_estimate_may_cite_an_address(tmp_path):
    path = write(tmp_path, "2024-01,warheads_possible,50,90,https://example.org/yearbook-2024,sipri,estimate,,\n")
    mine = detente.observations(path)
    assert mine.rows[0].source.startswith("https://") and mine.rows[0].weight == 1.0
    assert mine.publishers == ("sipri",)


def test_a_header_without_rows_is_an_error(tmp_path):
    with pytest.raises(detente.InputError, match="no observations"):
        detente.observations(write(tmp_path, ""))


def test_the_pool_cache_is_keyed_by_every_history_input_and_survives_damage(bundled, tmp_path, monkeypatch):
    plan = detente.check("no-deal", missiles=False, horizon="2030-12")
    profile = plan.profile
    fuel = profile.fuel_cycle.model_copy(update={"uranium_feed_t_per_year": Fixed(value=10, judgement=True,
                                                                                    basis="test")})
    other = detente.check("no-deal", missiles=False, horizon="2030-12",
                          profile=profile.model_copy(update={"fuel_cycle": fuel}))
    assert posterior.cache_key(plan, bundled) != posterior.cache_key(other, bundled)
    calm = profile.model_copy(update={"dynamics": profile.dynamics.model_copy(
        update={"shock_per_year": Fixed(value=0, judgement=True, basis="test")})})
    same = detente.check("no-deal", missiles=False, horizon="2030-12", profile=calm)
    assert posterior.cache_key(plan, bundled) == posterior.cache_key(same, bundled)  # deals do not shape history
    monkeypatch.setenv("DETENTE_CACHE", str(tmp_path))
    monkeypatch.setattr(posterior, "_MEMORY", {})
    first = posterior.posterior(plan, bundled)
    cached = next((tmp_path / "posterior").glob("*.npz"))
    cached.write_bytes(cached.read_bytes()[:100])  # a truncated file
    monkeypatch.setattr(posterior, "_MEMORY", {})
    again = posterior.posterior(plan, bundled)
    assert np.array_equal(first.values, again.values)
