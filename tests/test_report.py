"""The HTML report: content, self-containment, exports, notebook helpers, and a real browser."""

import contextlib
import os
import re
import shutil

import numpy as np
import pytest

import detente
from detente.report import render_report

REGIONS = ("rok", "japan", "okinawa", "guam", "alaska", "hawaii", "us_west", "us_east")
REQUIRED = ["buys", "exceedance", "warheads_possible", "pu_kg", "heu_kg", "icbm_reliability", "reach_map"]


@pytest.fixture(scope="module")
def results():
    return detente.compare(["kimball-2018", "mount-2019"], samples=3000, seed=2, horizon="2040-12")


@pytest.fixture(scope="module")
def page(results, tmp_path_factory):
    figures = tmp_path_factory.mktemp("figures")
    return render_report(results, figures=figures), figures


def test_report_names_every_scenario_and_has_every_chart(page):
    text, _ = page
    for name in ("no-deal", "kimball-2018", "mount-2019"):
        assert f'<strong class="scenario-name">{name}</strong>' in text
    for metric in REQUIRED:
        block = re.search(rf'<figure class="chart" data-metric="{re.escape(metric)}">(.*?)</figure>', text, re.S)
        assert block and "<svg" in block.group(1) and "<path" in block.group(1), metric
        assert ' role="img"' in block.group(1).split('>', 1)[0] and "<title>" in block.group(1), metric
    shown = re.findall(r'<figure class="chart" data-metric="deliverable:([^"]+)">', text)
    assert sorted(r for group in shown for r in group.split("+")) == sorted(REGIONS)  # each region once
    for event in ("p_in_force", "p_cheated", "p_detected"):
        assert f'data-metric="{event}"' in text
    assert 'data-metric="drivers:kimball-2018"' in text


def test_report_ranks_its_deals_by_regret(page, results):
    """Two deals and a baseline: the robustness table lists both, with the regret computed from the
    run's own per-sample paired changes (the best deal in a sample has regret 0)."""
    text, _ = page
    section = text.split('<h2 id="robust">')[1].split("<h2")[0]
    level = results.horizon("warheads_possible")
    change = {d: level.sel(scenario=d).values - level.sel(scenario="no-deal").values
              for d in ("kimball-2018", "mount-2019")}
    best = np.minimum(change["kimball-2018"], change["mount-2019"])
    for deal in ("kimball-2018", "mount-2019"):
        mean_regret = f"{np.mean(change[deal] - best):,.1f}".replace("-", "\u2212")
        assert re.search(rf"<td>{deal}</td>.*?<td class=\"num\">{re.escape(mean_regret)}</td>", section, re.S), deal


def test_report_lists_every_parameter(page, results, profile):
    text, _ = page
    listed = set(re.findall(r'<tr class="parameter" data-name="([^"]+)">', text))
    assert set(profile.parameters()) <= listed
    assert set(results.specs) == listed
    assert "Judgement:" in text and 'href="https://www.38north.org' in text


def test_report_makes_no_network_request(page):
    text, _ = page
    assert "<script" not in text.lower()  # nothing to run, nothing to fetch
    for tag in re.findall(r"<(?:link|img|iframe|source|video|audio)[^>]*>", text, re.I):
        assert "http" not in tag
    assert not re.search(r"url\(\s*['\"]?https?:", text)
    assert not re.search(r"@import", text)


def test_report_reproducibility_block(page, results):
    text, _ = page
    assert results.attrs["input_hash"] in text and f"<code>{results.attrs['seed']}</code>" in text


def test_figures_for_slides(page):
    _, folder = page
    for metric in ("warheads_possible", "deliverable-guam", "p_in_force"):
        assert (folder / f"{metric}.png").stat().st_size > 1000
        assert (folder / f"{metric}.svg").read_text().lstrip().startswith("<?xml")


def test_tidy_csv_and_notebook_helpers(results, tmp_path):
    path = results.to_tidy_csv(tmp_path / "tidy.csv")
    lines = path.read_text().splitlines()
    assert lines[0] == "scenario,metric,date,quantile,value"
    assert any(line.startswith("kimball-2018,delta:warheads_possible,2040-12,0.5,") for line in lines)
    html = results._repr_html_()
    assert "<table" in html and "kimball-2018" in html
    ax = results.plot("warheads_possible")
    assert len(ax.lines) >= 3


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _report_file(page, tmp_path):
    """The report written to a file, or skip (fail on CI) without Chromium."""
    if chromium() is None:
        if os.environ.get("CI"):
            pytest.fail("CI must install chromium (see .ci/run)")
        pytest.skip("chromium not installed")
    report = tmp_path / "report.html"
    report.write_text(page[0], encoding="utf-8")
    return report


@contextlib.contextmanager
def _browser():
    """Headless system Chromium under Playwright, closed after use."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium(), args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        try:
            yield browser
        finally:
            browser.close()


def test_report_renders_in_headless_chromium(page, tmp_path):
    report = _report_file(page, tmp_path)
    requests = []
    with _browser() as browser:
        tab = browser.new_page(viewport={"width": 1200, "height": 1600})
        tab.on("request", lambda r: requests.append(r.url))
        tab.goto(report.as_uri())
        charts = tab.locator("figure.chart svg")
        assert charts.count() >= len(REQUIRED)
        for i in range(charts.count()):
            box = charts.nth(i).bounding_box()
            assert box and box["width"] > 200 and box["height"] > 100
        drawn = tab.evaluate("() => [...document.querySelectorAll('figure.chart svg')]"
                             ".map(s => s.querySelectorAll('path').length)")
        assert min(drawn) > 0
        tab.screenshot(path=str(tmp_path / "report.png"), full_page=True)
    assert (tmp_path / "report.png").stat().st_size > 10_000
    assert all(url.startswith("file:") for url in requests)


def test_netcdf_export_is_cf_with_units_and_restores_per_sample_values(results, tmp_path):
    """Every variable of an exported run carries units and a long name (CF attributes), every
    numeric coordinate a unit, and reading it back restores the per-sample values exactly."""
    import xarray as xr

    path = results.to_netcdf(tmp_path / "run.nc")
    with xr.open_dataset(path, engine="h5netcdf") as opened:
        assert opened.attrs["Conventions"].startswith("CF-")
        missing = [n for n in opened.data_vars if not {"units", "long_name"} <= set(opened[n].attrs)]
        assert missing == []
        numeric = [n for n in opened.coords if opened[n].dtype.kind in "iuf"]
        assert numeric and [n for n in numeric if "units" not in opened[n].attrs] == []
        assert "units" in opened["date"].encoding  # a CF time coordinate
    back = detente.Results.from_netcdf(path)
    for name in ("months_to_threshold", "months_halted", "deal_months", "warheads_possible"):
        key = f"horizon_{name}"
        np.testing.assert_array_equal(back.dataset[key].values, results.dataset[key].values)
    assert back.summary(metrics=["pu_kg"])["date"].dtype.kind == "M"  # the same date type as quantiles()
    assert back.quantiles("pu_kg")["date"].dtype.kind == "M"


def test_first_screen_answers_and_a4_print_in_chromium(page, tmp_path):
    """At 1280×800 the first screen holds the one-sentence answer for each deal and the whole
    what-it-buys chart; printed to A4 the three-scenario report is at most 12 pages."""
    from pypdf import PdfReader

    report = _report_file(page, tmp_path)
    with _browser() as browser:
        tab = browser.new_page(viewport={"width": 1280, "height": 800})
        tab.goto(report.as_uri())
        tab.screenshot(path=str(tmp_path / "first-screen.png"))
        answers = tab.locator("li.answer")
        assert answers.count() == 2
        for i in range(answers.count()):
            box = answers.nth(i).bounding_box()
            assert box["y"] + box["height"] <= 800
            assert "averts" in answers.nth(i).inner_text()
        chart = tab.locator('figure[data-metric="buys"] svg').bounding_box()
        assert chart["y"] >= 0 and chart["y"] + chart["height"] <= 800
        assert tab.locator('figure[data-metric="exceedance"] svg').bounding_box()["y"] < 800
        tab.pdf(path=str(tmp_path / "report.pdf"), format="A4", prefer_css_page_size=True)
    assert (tmp_path / "first-screen.png").stat().st_size > 10_000
    assert len(PdfReader(tmp_path / "report.pdf").pages) <= 12


def test_report_prints_to_a_pdf_with_chromium(page, tmp_path):
    """``detente report --pdf`` prints the written HTML with headless Chromium (the CLI's check for a
    missing browser is in test_figures)."""
    from pypdf import PdfReader

    from detente.report.pdf import print_pdf

    report = _report_file(page, tmp_path)
    pdf = print_pdf(report, tmp_path / "report.pdf")
    assert 1 <= len(PdfReader(pdf).pages) <= 12
