"""Distribution specs reproduce their stated percentiles and moments within sampling error."""

import numpy as np
import pytest
from pydantic import TypeAdapter, ValidationError
from scipy import stats

from detente.inputs.uncertain import Correlation, Spec, draw

N = 200_000
spec = TypeAdapter(Spec)


def make(**fields):
    return spec.validate_python({"judgement": True, "basis": "test", **fields})


def sample(s, n=N, seed=1):
    return s.sample(np.random.default_rng(seed), n)


def test_lognormal_hits_its_90_percent_interval():
    x = sample(make(dist="lognormal", p5=5, p95=9))
    assert np.quantile(x, 0.05) == pytest.approx(5, rel=0.01)
    assert np.quantile(x, 0.95) == pytest.approx(9, rel=0.01)
    assert np.median(x) == pytest.approx(np.sqrt(45), rel=0.01)  # geometric mean of 5 and 9


def test_pert_mean_is_the_textbook_formula():
    x = sample(make(dist="pert", low=2, mode=4, high=7))
    assert x.mean() == pytest.approx((2 + 4 * 4 + 7) / 6, rel=0.005)
    assert x.min() >= 2 and x.max() <= 7


def test_triangular_percentiles_by_hand():
    # CDF F(x) = (x-a)^2 / ((b-a)(c-a)) for x ≤ c: the 10th percentile of (0, 3, 10)
    x = sample(make(dist="triangular", low=0, mode=3, high=10))
    p10 = np.sqrt(0.10 * 10 * 3)
    assert np.quantile(x, 0.10) == pytest.approx(p10, rel=0.02)
    assert x.mean() == pytest.approx(13 / 3, rel=0.01)


def test_uniform_and_ppf_agree():
    s = make(dist="uniform", low=6, high=30)
    assert s.quantile(0.25) == pytest.approx(12)
    assert np.quantile(sample(s), 0.25) == pytest.approx(12, rel=0.01)


def test_truncated_normal_stays_in_bounds_with_scipy_median():
    s = make(dist="normal", mean=27, sd=2.5, low=22, high=32)
    x = sample(s)
    assert x.min() >= 22 and x.max() <= 32
    assert np.median(x) == pytest.approx(27, abs=0.05)


def test_beta_bernoulli_discrete():
    b = sample(make(dist="beta", a=2, b=5))
    assert b.mean() == pytest.approx(2 / 7, rel=0.01)
    assert sample(make(dist="bernoulli", p=0.3)).mean() == pytest.approx(0.3, abs=0.005)
    d = sample(make(dist="discrete", values=[1, 2, 5], weights=[1, 1, 2]))
    assert np.mean(d == 5) == pytest.approx(0.5, abs=0.005)


def test_sample_and_ppf_describe_the_same_distribution():
    s = make(dist="pert", low=0.5, mode=0.73, high=0.9)
    direct = sample(s)
    via_ppf = s.ppf(np.random.default_rng(2).random(N))
    assert stats.ks_2samp(direct, via_ppf).pvalue > 0.001


def test_rank_correlation_is_imposed():
    specs = {
        "a": make(dist="pert", low=2, mode=4, high=7),
        "b": make(dist="lognormal", p5=12, p95=25),
        "c": make(dist="uniform", low=0, high=1),
    }
    pair = Correlation(a="a", b="b", rho=0.6, basis="test")
    x = draw(specs, np.random.default_rng(3), N, [pair])
    assert stats.spearmanr(x["a"], x["b"]).statistic == pytest.approx(0.6, abs=0.01)
    assert abs(stats.spearmanr(x["a"], x["c"]).statistic) < 0.01
    assert np.quantile(x["b"], 0.95) == pytest.approx(25, rel=0.02)  # marginal kept


def test_impossible_correlations_are_refused():
    specs = {k: make(dist="uniform", low=0, high=1) for k in "abc"}
    pairs = [Correlation(a="a", b="b", rho=0.9, basis="t"), Correlation(a="a", b="c", rho=0.9, basis="t"),
             Correlation(a="b", b="c", rho=-0.9, basis="t")]
    with pytest.raises(ValueError, match="not jointly possible"):
        draw(specs, np.random.default_rng(0), 10, pairs)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"dist": "lognormal", "p5": 9, "p95": 5}, "p95"),
        ({"dist": "triangular", "low": 3, "mode": 1, "high": 5}, "low ≤ mode ≤ high"),
        ({"dist": "uniform", "low": 2, "high": 1}, "must exceed"),
    ],
)
def test_bad_specs_say_why(fields, message):
    with pytest.raises(ValidationError, match=message):
        make(**fields)


def test_provenance_is_required():
    with pytest.raises(ValidationError, match="source"):
        spec.validate_python({"dist": "fixed", "value": 1})
    with pytest.raises(ValidationError, match="basis"):
        spec.validate_python({"dist": "fixed", "value": 1, "judgement": True})


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_non_finite_numbers_are_refused(value):
    with pytest.raises(ValidationError, match="finite|NaN"):
        make(dist="fixed", value=value)
    with pytest.raises(ValidationError, match="finite|NaN"):
        make(dist="uniform", low=0, high=value)
