"""In headless Chromium (Playwright with the system browser): library → mount-2019 → a run of 10⁴
samples with live progress → the report's fan chart → the comparison with no-deal → what drives it.
Screenshots go to the test's temporary folder."""

from __future__ import annotations

import importlib.util
import shutil
import time

import pytest
from conftest import CHROMIUM

playwright_api = pytest.importorskip("playwright.sync_api")
if not shutil.which(CHROMIUM):
    pytest.skip("no system chromium", allow_module_level=True)


def test_library_run_report_compare_in_chromium(server, chromium, tmp_path):
    base, app = server
    shots = tmp_path / "screenshots"
    shots.mkdir()
    expect = playwright_api.expect
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(60_000)
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    # the library
    page.goto(base + "/")
    expect(page.locator("h1")).to_have_text("Scenario library")
    expect(page.locator("#scenario-mount-2019")).to_be_visible()
    page.screenshot(path=shots / "1-library.png", full_page=True)

    # mount-2019 in plain words
    page.locator("#scenario-mount-2019 a", has_text="mount-2019").first.click()
    page.wait_for_url(base + "/scenarios/mount-2019")
    expect(page.locator("#phase-disable-elwr h2")).to_contain_text("Disablement of the ELWR")
    expect(page.locator("#phase-disable-elwr")).to_contain_text("Disable: Yongbyon Experimental Light Water")
    page.screenshot(path=shots / "2-scenario.png", full_page=True)

    # a run of 10⁴ samples against no-deal
    page.get_by_role("link", name="Run this scenario").click()
    expect(page.locator("#scenario")).to_have_value("mount-2019")
    expect(page.locator("#baseline")).to_have_value("no-deal")
    page.fill("#samples", "10000")
    page.fill("#seed", "1")
    page.screenshot(path=shots / "3-run-form.png", full_page=True)
    page.click("#start")
    page.wait_for_url(base + "/runs/*")
    run_id = page.url.rsplit("/", 1)[1]

    # live progress: the inline script moves the bar while the run is going
    expect(page.locator("#progress")).to_be_visible()
    first = (page.locator("#status").inner_text(), page.locator("#done").inner_text())
    assert first[0] in ("queued", "running"), first
    seen = [first]
    deadline = time.monotonic() + 60
    while not (seen[-1][0] == "running" and seen[-1][1] not in ("0", "")):
        assert seen[-1][0] in ("queued", "running") and time.monotonic() < deadline, seen
        time.sleep(0.05)
        seen.append((page.locator("#status").inner_text(), page.locator("#done").inner_text()))
    page.screenshot(path=shots / "4-progress.png", full_page=True)
    assert int(page.locator("#bar").get_attribute("value")) > 0

    # done: the page reloads itself and embeds the report
    expect(page.locator("#status")).to_have_text("done", timeout=90_000)
    expect(page.locator("#bar")).to_have_attribute("value", "10000")
    if importlib.util.find_spec("detente.report") is not None:
        report = page.frame_locator("#report")
        chart = report.locator(".chart svg, svg.chart").first
        expect(chart).to_be_visible()
        chart.scroll_into_view_if_needed()
        page.screenshot(path=shots / "5-fan-chart.png", full_page=False)
    else:  # until the report lands: the results page still shows the numbers
        expect(page.locator("#headline")).to_be_visible()
        page.screenshot(path=shots / "5-results.png", full_page=True)

    # what it buys against no-deal
    page.click("#compare-link")
    page.wait_for_url(f"{base}/compare?run={run_id}")
    table = page.locator("table.compare").first
    expect(table).to_contain_text("warheads averted")
    expect(table.locator("th[scope=row]", has_text="mount-2019")).to_be_visible()
    expect(table.locator("th[scope=row]", has_text="no-deal")).to_be_visible()
    expect(page.locator("#compare-horizon")).to_contain_text("deal lasted")
    page.screenshot(path=shots / "6-compare.png", full_page=True)

    # what drives it, from the run's stored samples, with its chart
    page.goto(f"{base}/runs/{run_id}")
    page.click("#analyse-link")
    page.wait_for_url(f"{base}/runs/{run_id}/analyze")
    page.check("input[name=kind][value=drivers]")
    page.select_option("#scenario", "mount-2019")
    page.click("#analyse")
    expect(page.locator("#analysis h2")).to_contain_text("What drives")
    expect(page.locator("#analysis figure.chart svg")).to_be_visible()
    expect(page.locator("#analysis-table")).to_contain_text("facilities")
    page.screenshot(path=shots / "7-drivers.png", full_page=True)
    assert not errors, errors
    run = app.state.store.run(run_id)
    assert run["status"] == "done" and run["samples"] == 10_000 and run["scenarios"] == ["no-deal", "mount-2019"]
    saved = sorted(p.name for p in shots.iterdir())
    assert len(saved) == 7 and all((shots / name).stat().st_size > 10_000 for name in saved), saved
