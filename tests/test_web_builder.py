"""The editor's phased-deal builder in headless Chromium: a three-phase deal built through the form
alone (no YAML typed), saved, run and its result opened; YAML edits the form follows; every problem
at once next to its field; a YAML that does not parse locks the form instead of being overwritten."""

from __future__ import annotations

import copy
import re

import pytest
import yaml

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect


@pytest.fixture
def page(server, chromium):
    """A desktop-sized tab on the shared server; its ``base`` is the server's URL. No script errors."""
    tab = chromium.new_page(viewport={"width": 1280, "height": 900})
    tab.set_default_timeout(30_000)
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.base = server[0]
    yield tab
    assert not errors, errors


def yaml_doc(page) -> dict:
    return yaml.safe_load(page.locator("#yaml").input_value())


def field(page, path: str):
    return page.locator(f'[data-field="{path}"]')


def settled(page, words: str) -> None:
    expect(page.locator("#builder-status")).to_contain_text(words)


def test_three_phase_deal_built_in_the_form_runs(page):
    page.goto(page.base + "/editor")
    expect(page.locator(".phase-card")).to_have_count(1)
    field(page, "name").fill("three-steps")
    field(page, "title").fill("Freeze, disable, dismantle")

    # phase 2: disable the reactors after phase 1, in 6 to 12 months, for energy aid
    page.click("#add-phase")
    expect(page.locator(".phase-card")).to_have_count(2)
    p2 = "phases[phase-2]"
    field(page, f"{p2}.name").fill("Disable")
    field(page, f"{p2}.duration_months.low").fill("6")
    field(page, f"{p2}.duration_months.high").fill("12")
    field(page, f"{p2}.measures").locator(".add select").select_option("disable")
    field(page, f"{p2}.measures").locator(".add button").click()
    for plant in ("yongbyon-5mwe", "yongbyon-elwr"):
        field(page, f"{p2}.measures[0].facilities").locator(f'input[value="{plant}"]').check()
    field(page, f"{p2}.incentives").locator(".add select").select_option("energy-aid")
    field(page, f"{p2}.incentives").locator(".add button").click()
    field(page, f"{p2}.verification").locator("button", has_text="Add verification").click()
    # a chance typed as a percentage: 60 % is stored as 0.6
    field(page, f"{p2}.verification[0].detect_per_month.low").fill("60")

    # phase 3: dismantle and ratify the CTBT, for normalisation
    page.click("#add-phase")
    p3 = "phases[phase-3]"
    field(page, f"{p3}.name").fill("Dismantle")
    # dismantling: skewed, 90 % between 12 and 36 months (a lognormal, as analysts give a range)
    field(page, f"{p3}.duration_months").get_by_label("Implementation takes: shape").select_option("lognormal")
    field(page, f"{p3}.duration_months.low").fill("12")
    field(page, f"{p3}.duration_months.high").fill("36")
    expect(field(page, f"{p3}.duration_months").locator(".range-text")).to_have_text(
        "90 % between 12 and 36 months (median 20.8)")  # √(12 × 36)
    for kind in ("dismantle", "ctbt"):
        field(page, f"{p3}.measures").locator(".add select").select_option(kind)
        field(page, f"{p3}.measures").locator(".add button").click()
    field(page, f"{p3}.measures[0].facilities").locator('input[value="yongbyon-5mwe"]').check()
    field(page, f"{p3}.measures[1].step").select_option("ratify")
    field(page, f"{p3}.incentives").locator(".add select").select_option("normalisation")
    field(page, f"{p3}.incentives").locator(".add button").click()

    # reorder: phase 3 up and back down again; the YAML follows each move
    page.get_by_role("button", name="Move phase 3 up").click()
    settled(page, "Valid: three-steps, 3 phases")
    assert [p["id"] for p in yaml_doc(page)["phases"]] == ["phase-1", "phase-3", "phase-2"]
    page.get_by_role("button", name="Move phase 2 down").click()
    settled(page, "Valid: three-steps, 3 phases")
    expect(page.locator(".phase-card legend").first).to_have_text("Phase 1: Freeze")

    doc = yaml_doc(page)
    assert doc["name"] == "three-steps" and [p["name"] for p in doc["phases"]] == ["Freeze", "Disable", "Dismantle"]
    second, third = doc["phases"][1], doc["phases"][2]
    assert second["start"] == {"after": "phase-1"} and third["start"] == {"after": "phase-2"}
    assert second["duration_months"]["low"] == 6 and second["duration_months"]["high"] == 12
    assert second["measures"] == [{"kind": "disable", "facilities": ["yongbyon-5mwe", "yongbyon-elwr"]}]
    assert second["verification"][0]["detect_per_month"]["low"] == 0.6
    assert second["verification"][0]["facilities"] == ["yongbyon-5mwe", "yongbyon-elwr"]
    assert third["measures"][1] == {"kind": "ctbt", "step": "ratify"}
    assert {k: third["duration_months"][k] for k in ("dist", "p5", "p95")} == {"dist": "lognormal", "p5": 12, "p95": 36}
    assert [g["kind"] for g in third["incentives"]] == ["normalisation"]
    # the preview of a duration says its 90 % range: uniform 6–12 months → 6.3 to 11.7
    expect(field(page, f"{p2}.duration_months").locator(".range-text")).to_have_text(
        "90 % between 6.3 and 11.7 months (median 9)")

    page.locator(".builder-actions").get_by_role("button", name="Save").click()  # the form's own Save
    page.wait_for_url(re.compile(r".*/scenarios/three-steps\?saved=1"))
    expect(page.locator("main")).to_contain_text("Dismantle")
    page.get_by_role("link", name="Run this scenario").click()
    expect(page.locator("#scenario")).to_have_value("three-steps")
    page.fill("#samples", "400")
    page.click("#start")
    page.wait_for_url(re.compile(r".*/runs/[0-9a-f]{16}$"))
    expect(page.locator("#status")).to_have_text("done", timeout=120_000)
    expect(page.locator("#headline, #report").first).to_be_visible()
    report = page.locator("#report").get_attribute("src")
    page.goto(page.base + report)
    expect(page.locator("body")).to_contain_text("Freeze, disable, dismantle")


def test_yaml_edits_move_the_form_and_problems_show_at_their_fields(page):
    page.goto(page.base + "/editor")
    expect(page.locator(".phase-card")).to_have_count(1)
    doc = yaml_doc(page)
    doc["title"] = "Typed in YAML"
    second = {**copy.deepcopy(doc["phases"][0]), "id": "phase-2", "name": "Second", "start": {"after": "phase-1"}}
    doc["phases"].append(second)
    page.locator("#yaml").fill(yaml.safe_dump(doc, sort_keys=False))
    expect(page.locator(".phase-card")).to_have_count(2)
    expect(field(page, "title")).to_have_value("Typed in YAML")
    expect(field(page, "phases[phase-2].name")).to_have_value("Second")
    settled(page, "Valid: my-deal, 2 phases")

    # a YAML edit, then at once a form edit: the form waits for the YAML to be read, and both are kept
    doc["description"] = "Typed in the YAML"
    page.locator("#yaml").fill(yaml.safe_dump(doc, sort_keys=False))
    field(page, "phases[phase-2].name").fill("Second, renamed")
    settled(page, "Valid: my-deal, 2 phases")
    kept = yaml_doc(page)
    assert kept["description"] == "Typed in the YAML" and kept["phases"][1]["name"] == "Second, renamed"

    # a removed phase hands its start to the phase that waited for it
    page.click("#add-phase")
    settled(page, "Valid: my-deal, 3 phases")
    page.get_by_role("button", name="Remove phase 2").click()
    settled(page, "Valid: my-deal, 2 phases")
    expect(page.locator("#builder-status")).to_contain_text("Phase 3 now starts as the removed phase did.")
    assert yaml_doc(page)["phases"][1]["start"] == {"after": "phase-1"}
    doc = yaml_doc(page)

    # two mistakes at once: a chance of 90 (not 0.9) and an id with capitals; both next to their fields
    doc["phases"][1]["id"] = "Phase-Two"  # (phase-3 now, second in the list)
    doc["phases"][0]["verification"][0]["detect_per_month"]["high"] = 90
    page.locator("#yaml").fill(yaml.safe_dump(doc, sort_keys=False))
    expect(page.locator("#builder-problems li")).to_have_count(2)
    detect = field(page, "phases[phase-1].verification[0].detect_per_month")
    expect(detect.locator(".field-problem")).to_contain_text("fraction from 0 to 1 (50 % is 0.5)")
    expect(field(page, "phases[Phase-Two].id")).to_have_attribute("aria-invalid", "true")
    expect(page.locator(".field-problem", has_text="lower-case letters")).to_have_count(1)
    # the form shows the chance in percent: 90 in YAML is 9,000 %
    expect(field(page, "phases[phase-1].verification[0].detect_per_month.high")).to_have_value("9000")

    # a letter in a number: the note sits at that box, in percent when the form shows percent
    low = field(page, "phases[phase-1].duration_months.low")
    low.fill("5a")
    expect(low).to_have_attribute("aria-invalid", "true")
    expect(page.locator(".field-problem", has_text="`low` must be a number, not '5a'")).to_have_count(1)
    expect(detect.locator(".field-problem")).to_contain_text("with chances in percent: from 0 to 100 %")

    # YAML that does not parse: the form waits and never writes over it
    page.locator("#yaml").fill("name: my-deal\nphases: [\n")
    settled(page, "does not parse")
    expect(page.locator("#builder-form")).to_have_attribute("disabled", "")
    expect(field(page, "title")).to_be_disabled()
    assert page.locator("#yaml").input_value() == "name: my-deal\nphases: [\n"


def test_a_bundled_deal_passes_through_the_form_unchanged_and_a_rewrite_can_be_undone(page):
    page.goto(page.base + "/editor?copy=stanford-roadmap")
    expect(page.locator(".phase-card")).to_have_count(4)
    settled(page, "Valid: my-stanford-roadmap, 4 phases")
    before = page.locator("#yaml").input_value()
    assert "#" in before  # the bundled file has comments
    title = field(page, "title")
    title.fill(title.input_value() + "!")
    title.fill(title.input_value()[:-1])
    settled(page, "Valid: my-stanford-roadmap, 4 phases")
    after = page.locator("#yaml").input_value()
    assert yaml.safe_load(after) == yaml.safe_load(before) and after != before  # same deal, comments gone
    page.get_by_role("button", name="Undo the rewrite").click()
    expect(page.locator("#yaml")).to_have_value(before)
    settled(page, "Valid: my-stanford-roadmap, 4 phases")
