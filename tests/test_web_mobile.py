"""At a phone's width (390 × 844 CSS px) every page of the web app, and the report on its own, fits the
viewport: the page never scrolls sideways (a wide table may scroll inside its own wrapper), and the
embedded report, which would scroll inside the scrolling page, gives way to a link to it full screen."""

from __future__ import annotations

import shutil

import pytest
from conftest import CHROMIUM

pytest.importorskip("playwright.sync_api")
if not shutil.which(CHROMIUM):
    pytest.skip("no system chromium", allow_module_level=True)

PHONE = {"width": 390, "height": 844}

# The page's width and, when it is wider than the viewport, the outermost elements that stick out of
# it and are not inside a box that scrolls or clips them.
MEASURE = """() => {
  const width = document.documentElement.clientWidth, out = [];
  const clipped = el => {
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      if (getComputedStyle(p).overflowX !== "visible") return true;
    }
    return false;
  };
  const name = el => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
    + [...el.classList].map(c => "." + c).join("");
  if (document.documentElement.scrollWidth > width) {
    for (const el of document.body.querySelectorAll("*")) {
      const box = el.getBoundingClientRect();
      if (box.right <= width + 0.5 || box.width === 0 || clipped(el)) continue;
      const parent = el.parentElement.getBoundingClientRect();
      if (el.parentElement !== document.body && parent.right > width + 0.5) continue;  // its parent is listed
      out.push(`${name(el)} (${Math.round(box.width)} px wide, right edge ${Math.round(box.right)})`);
    }
  }
  return {scroll: document.documentElement.scrollWidth, inner: window.innerWidth, wide: out.slice(0, 12)};
}"""


def test_every_page_fits_a_phone(finished_run, chromium, tmp_path):
    base, app, run_id = finished_run
    deal = app.state.store.run(run_id)["scenarios"][-1]
    pages = ["/", "/scenarios/kimball-2018", "/scenarios/no-deal", "/editor", "/editor?copy=kimball-2018", "/run",
             "/runs", f"/runs/{run_id}", f"/runs/{run_id}/report", f"/runs/{run_id}/analyze",
             f"/runs/{run_id}/analyze?kind=drivers&scenario={deal}", "/compare", f"/compare?run={run_id}", "/analyses",
             "/parameters", "/parameters?scenario=kimball-2018", "/sources", "/login", "/runs/nothere"]
    # not is_mobile: a phone's browser zooms out to show a page that is too wide, which would hide it
    context = chromium.new_context(viewport=PHONE)
    tab = context.new_page()
    tab.set_default_timeout(30_000)
    errors, too_wide = [], []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        for path in pages:
            tab.goto(base + path)
            tab.wait_for_load_state("load")
            seen = tab.evaluate(MEASURE)
            if seen["scroll"] > seen["inner"]:
                too_wide.append(f"{path}: {seen['scroll']} px in {seen['inner']}: " + "; ".join(seen["wide"]))
            if path in (f"/runs/{run_id}", f"/compare?run={run_id}"):
                # no frame scrolling inside the page: the report opens full screen instead
                assert tab.locator("#report-full").is_visible(), path
                assert not tab.locator("iframe.report").is_visible(), path
            if path == f"/runs/{run_id}":
                tab.screenshot(path=tmp_path / "run.png")
    finally:
        context.close()
    assert not too_wide, "wider than a 390-px phone:\n" + "\n".join(too_wide)
    assert not errors, errors
