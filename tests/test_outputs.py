"""Outputs that never mislead: counts beyond a histogram's range are reported as unknown, not as
the top bin (issue 16, defect 2)."""

import json

import numpy as np
import pytest
import xarray as xr
from test_cli import run_cli

import detente
from detente.histograms import CountBins, SignedCountBins, beyond, mean_from_counts, quantiles
from detente.metrics import COUNT_BINS
from detente.results.summary import QUANTILES

QS = np.asarray(QUANTILES)


def _binned(values: np.ndarray, bins: CountBins) -> np.ndarray:
    """Per-sample whole counts binned as the material kernel bins them (clipped into the top bin)."""
    return np.bincount(np.minimum(values.astype(np.int64), bins.size - 1), minlength=bins.size)


def test_a_quantile_beyond_the_top_bin_is_unknown_not_the_cap():
    bins = CountBins(2048)
    values = np.r_[np.arange(1000), np.full(1000, 29_471)]  # half the samples far above the cap
    counts = _binned(values, bins)
    found = quantiles(counts, bins, QS)
    raw = np.quantile(values, QS, method="inverted_cdf")
    assert raw[2] == 999 and np.isnan(found[3:]).all()  # p75, p95 (29,471) unknown, never 2,047
    np.testing.assert_array_equal(found[:3], raw[:3])  # below the cap: exact
    assert np.isnan(mean_from_counts(counts, bins))  # a mean needs every sample's value
    assert beyond(counts, bins) == 0.5


def test_a_paired_change_beyond_either_end_is_unknown():
    bins = SignedCountBins(2048)
    diff = np.r_[np.full(10, -5000), np.arange(-50, 50), np.full(10, 5000)]
    index = np.clip(diff, 1 - bins.half, bins.half - 1) + bins.half - 1
    counts = np.bincount(index, minlength=bins.size)
    found = quantiles(counts, bins, np.array([0.05, 0.5, 0.95]))
    assert np.isnan(found[0]) and np.isnan(found[2]) and found[1] == np.quantile(diff, 0.5, method="inverted_cdf")
    assert beyond(counts, bins) == pytest.approx(20 / 120)


@pytest.fixture(scope="module")
def long_run():
    """No deal to the longest horizon the grid allows (1,500 months from 1986-01)."""
    return detente.simulate(samples=2000, seed=5, horizon="2110-12", missiles=False)


def test_json_at_the_longest_horizon_never_reports_a_capped_quantile(long_run, tmp_path):
    results = long_run
    end = results.months[-1]
    for metric in ("warheads_possible", "warheads_assembled"):
        raw = results.horizon(metric).sel(scenario="no-deal").values
        beyond_share = float((raw >= COUNT_BINS.size - 1).mean())
        want = np.quantile(raw, QS, method="inverted_cdf")
        row = next(r for r in results.records([end]) if r["metric"] == metric)
        assert row["beyond_range"] == pytest.approx(beyond_share)
        for q, key, value in zip(QS, ("p5", "p25", "p50", "p75", "p95"), want, strict=True):
            capped = value >= COUNT_BINS.size - 1
            assert (row[key] is None) if capped else (row[key] == value), (metric, q, row[key], value)
        assert (row["mean"] is None) if beyond_share else row["mean"] == pytest.approx(raw.mean())
    assert results.beyond("warheads_possible").sel(date=end).item() > 0  # the run does reach past the cap


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_the_cli_carries_beyond_range_into_json_and_csv(monkeypatch, capsys, tmp_path, fmt):
    out = tmp_path / f"r.{fmt}"
    code, _, stderr = run_cli(monkeypatch, capsys, "run", "no-deal", "--samples", "2000", "--seed", "5",
                              "--horizon", "2110-12", "--no-missiles", "--dates", "2110-12",
                              "--format", fmt, "--out", str(out))
    assert code == 0, stderr
    if fmt == "json":
        wp = next(r for r in json.loads(out.read_text()) if r["metric"] == "warheads_possible")
        assert wp["beyond_range"] > 0 and wp["mean"] is None
    else:
        header, *lines = out.read_text().splitlines()
        assert header.endswith(",beyond_range")
        wp = next(line.split(",") for line in lines if line.startswith("no-deal,warheads_possible,"))
        assert float(wp[-1]) > 0 and wp[3] == ""  # the mean left blank


def test_netcdf_carries_the_share_beyond_range(long_run, tmp_path):
    path = long_run.to_netcdf(tmp_path / "r.nc")
    with xr.open_dataset(path, engine="h5netcdf") as ds:
        share = ds["warheads_possible_beyond_range"]
        assert share.attrs["units"] == "1"
        assert float(share.isel(date=-1).max()) == long_run.beyond("warheads_possible").isel(date=-1).max()
        assert np.isnan(ds["warheads_possible_mean"].isel(date=-1)).all()


def test_the_report_and_the_tables_say_what_lies_beyond_the_range(long_run):
    from detente.report import render_report
    from detente.results import tables

    notes = tables.beyond_range(long_run)
    assert [n for n in notes if "(warheads_possible)" in n], notes
    assert "Beyond the counted range" in render_report(long_run)
    short = detente.simulate(samples=500, seed=5, horizon="2040-12", missiles=False)
    assert tables.beyond_range(short) == [] and "Beyond the counted range" not in render_report(short)
