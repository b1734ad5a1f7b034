"""Figures and exports an analyst can publish: what each deal buys (checked against the run's own
per-sample values), colour-blind-safe scenario colours, plain parameter labels with units, the
credit line, clean CSV."""

import csv
import io
import itertools
from pathlib import Path

import numpy as np
import pytest
from colorspacious import cspace_convert, deltaE
from test_cli import run_cli

import detente
from detente.api import parameters
from detente.inputs.scenario import load_scenario
from detente.parameters import FIELDS, describe
from detente.results import buys, charts
from detente.results.palette import BASELINE, FIXED, PALETTE, colours

BUNDLED = sorted(p.stem for p in Path(detente.__file__).parent.joinpath("evidence", "scenarios").glob("*.yaml"))
CVD_DELTA_E = 10.0  # least CAM02-UCS colour difference between any two scenario colours under full CVD


@pytest.fixture(scope="module")
def results():
    return detente.compare(["kimball-2018", "mount-2019"], samples=2000, seed=5, horizon="2040-12")


def _averted(results, scenario):
    level = results.horizon("warheads_possible")
    return level.sel(scenario=results.baseline).values - level.sel(scenario=scenario).values


def test_answers_match_the_per_sample_paired_difference(results):
    """At the horizon, the one-line answer's median and 90 % interval are the quantiles of the
    per-sample differences baseline − deal (warhead counts are exact, so exactly equal)."""
    end = results.months[-1]
    for answer in buys.answers(results, end):
        averted = _averted(results, answer.scenario)
        q = np.quantile(averted, [0.05, 0.5, 0.95], method="inverted_cdf")
        assert (answer.low, answer.median, answer.high) == pytest.approx(tuple(q), abs=1.0)
        assert answer.in_force == pytest.approx(float(results.probability("in_force").sel(
            scenario=answer.scenario).values[-1]))
        assert answer.scenario in answer.sentence() and end in answer.sentence()


def test_exceedance_is_the_share_of_samples_averting_at_least_n(results):
    end = results.months[-1]
    curve = buys.exceedance(results, "kimball-2018", end).set_index("warheads")["chance"]
    averted = _averted(results, "kimball-2018")
    for n in (0, 1, 10, 50, int(np.median(averted))):
        assert curve[n] == pytest.approx(np.mean(averted >= n), abs=1e-12)
    assert (np.diff(curve.to_numpy()) <= 0).all()  # a survival curve never rises


def test_a_deal_that_halts_production_averts_more_over_time(results):
    """Direction: kimball-2018 halts fissile production, so the median it averts never falls
    from one year to the next."""
    frame = buys.averted(results, "kimball-2018")
    yearly = frame[frame["date"].str.endswith("-01")]["p50"].to_numpy()
    assert yearly[-1] > yearly[1] and (np.diff(yearly) >= -1).all()


def test_reliable_icbm_delay_is_counted_from_the_baseline(results):
    reliable = results.reliable_icbm_month()
    for answer in buys.answers(results):
        if reliable["no-deal"] and reliable[answer.scenario]:
            years = int(reliable[answer.scenario][:4]) - int(reliable["no-deal"][:4])
            months = int(reliable[answer.scenario][5:]) - int(reliable["no-deal"][5:])
            assert answer.delay_months == 12 * years + months


def _simulate(colour: str, deficiency: str) -> np.ndarray:
    rgb = np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)]) / 255
    space = {"name": "sRGB1+CVD", "cvd_type": deficiency, "severity": 100}
    return np.clip(cspace_convert(rgb, space, "sRGB1"), 0, 1)


@pytest.mark.parametrize("deficiency", ["protanomaly", "deuteranomaly", "tritanomaly"])
def test_scenario_colours_stay_distinguishable_under_colour_vision_deficiency(deficiency):
    """Machado et al.'s simulation at full severity (colorspacious): every pair of scenario
    colours stays at least ΔE 10 apart in CAM02-UCS (about 5–10 just-noticeable differences)."""
    seen = [_simulate(c, deficiency) for c in PALETTE]
    least = min(deltaE(a, b, input_space="sRGB1") for a, b in itertools.combinations(seen, 2))
    assert least >= CVD_DELTA_E


def test_a_scenario_keeps_its_colour_across_reports():
    alone = colours(["no-deal", "kimball-2018"], "no-deal")
    other = colours(["mount-2019", "stanford-roadmap", "kimball-2018", "no-deal"], "no-deal")
    assert alone["kimball-2018"] == other["kimball-2018"] == FIXED["kimball-2018"]
    assert alone["no-deal"] == other["no-deal"] == BASELINE
    for first in range(len(BUNDLED) - 9):  # any report of up to ten scenarios: all distinct
        names = BUNDLED[first:first + 10]
        assert len(set(colours(names, names[0]).values())) == 10


def test_every_parameter_has_a_plain_label_and_a_unit():
    specs = parameters([load_scenario(name) for name in BUNDLED])
    for name, spec in specs.items():
        about = describe(name, None, spec.unit)
        assert about.unit, name
        assert "_" not in about.label, (name, about.label)  # no machine field names
    assert describe("yongbyon-uep.swu_per_year.2021-07", {"yongbyon-uep": "Yongbyon UEP"}).text() == \
        "Yongbyon UEP: enrichment capacity from 2021-07 (SWU/yr)"
    assert FIELDS["detect_per_month"][1] == "chance/month"


def test_params_csv_has_one_plain_value_per_cell(monkeypatch, capsys):
    code, out, _ = run_cli(monkeypatch, capsys, "params", "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows and {"parameter", "label", "unit", "sources", "judgement"} <= set(rows[0])
    for row in rows:
        assert row["unit"] and row["judgement"] in ("true", "false")
        assert "[" not in row["sources"] and "'" not in row["sources"]


def test_exported_figures_carry_the_credit_line(results, tmp_path):
    ax = results.plot("buys")
    png, svg = charts.save(ax, tmp_path, "buys")
    text = svg.read_text()
    for part in (f"seed {results.attrs['seed']}", f"{results.attrs['samples']:,} samples",
                 f"data to {results.attrs['data_date']}", results.attrs["version"]):
        assert part in text
    assert png.stat().st_size > 10_000
    fan = results.plot("pu_kg")  # one panel per scenario, sharing the y axis
    assert len([a for a in fan.figure.axes if a.get_visible()]) == len(results.scenarios)
    assert fan.get_ylabel() == "kg"


def test_sources_as_bibtex_round_trip(monkeypatch, capsys):
    import bibtexparser

    from detente.inputs.bibliography import load_bibliography

    code, out, _ = run_cli(monkeypatch, capsys, "sources", "--format", "bibtex")
    assert code == 0
    entries = {e["ID"]: e for e in bibtexparser.loads(out).entries}
    sources = load_bibliography().sources
    assert len(entries) == len(sources)
    for source in sources:
        entry = entries[source.id]
        assert entry.get("url") == source.url  # URLs verbatim, never LaTeX-escaped
        assert entry.get("year") == (str(source.year) if source.year else None)
        assert "&" not in entry["title"].replace(r"\&", "")


def test_pdf_without_a_browser_fails_before_the_run(monkeypatch, capsys, tmp_path):
    from detente import cli

    monkeypatch.setenv("DETENTE_CHROMIUM", str(tmp_path / "no-such-browser"))
    monkeypatch.setattr(cli, "_simulate", lambda *a, **k: pytest.fail("simulated before checking --pdf"))
    code, _, err = run_cli(monkeypatch, capsys, "report", "kimball-2018", "-o", str(tmp_path / "r.html"),
                           "--pdf", str(tmp_path / "r.pdf"))
    assert code == 2 and "--pdf" in err and "Chromium" in err
