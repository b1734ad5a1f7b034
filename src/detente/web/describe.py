"""Scenarios in plain words, and the line of a YAML field an error names."""

from __future__ import annotations

import re

import yaml

from ..inputs.bibliography import load_bibliography
from ..inputs.scenario import (
    Cap,
    ConfidenceBuilding,
    Declaration,
    FacilityMeasure,
    FlightTestMoratorium,
    MissileLimit,
    Moratorium,
    Scenario,
    ShipOut,
    TestSiteClosure,
)
from ..months import format_month

MORATORIA = {
    "test-moratorium": "No nuclear tests",
    "ctbt": "Sign the Comprehensive Nuclear-Test-Ban Treaty (CTBT)",
    "ctbto-visit": "Let the CTBT Organization visit the test site",
    "declaration": "Declare nuclear facilities and material",
    "tension-reduction": "Reduce military tension (conventional-arms measures)",
}
INCENTIVES = {
    "sanctions-relief": "Sanctions relief",
    "energy-aid": "Energy aid (heavy fuel oil)",
    "food-aid": "Food aid",
    "exercise-suspension": "Suspension of joint military exercises",
    "end-of-war": "An end-of-war declaration",
    "liaison-office": "Liaison offices",
    "confidence-building": "A goodwill step",
    "normalisation": "Normalisation of diplomatic relations",
    "security-assurance": "A security assurance",
    "delisting": "Removal from the US list of state sponsors of terrorism",
    "light-water-reactor": "Light-water reactors for electricity",
}
VERBS = {"freeze": "Freeze", "disable": "Disable", "dismantle": "Dismantle"}
MISSILE_LIMITS = {"missile-production-halt": "Stop producing launchers for", "missile-elimination": "Eliminate"}
STOCKS = {"pu": "kg of separated plutonium", "heu": "kg of weapon-grade uranium",
          "warheads": "warheads' worth of fissile material"}
KINDS = {"baseline": "baseline", "agreement": "agreement", "analogue": "past deal (calibration analogue)",
         "proposal": "published proposal"}


def spread(spec, *, percent: bool = False, unit: str = "") -> str:
    """A distribution as 'about M (90 % range L–H)', or the value if it is fixed."""
    lo, mid, hi = (spec.quantile(q) for q in (0.05, 0.5, 0.95))

    def fmt(x: float) -> str:
        if percent:
            return f"{100 * x:.0f} %" if abs(100 * x - round(100 * x)) < 0.05 or x >= 0.1 else f"{100 * x:.1f} %"
        return f"{x:.0f}" if abs(x) >= 10 or float(x).is_integer() else f"{x:.2g}"

    tail = f" {unit}" if unit else ""
    if unit == "months" and fmt(mid) == "1":
        tail = " month"
    if fmt(lo) == fmt(hi):
        return f"{fmt(mid)}{tail}"
    return f"about {fmt(mid)}{tail} (90 % range {fmt(lo)}–{fmt(hi)})"


def describe(scenario: Scenario, profile) -> dict:
    """Everything the scenario page shows, as sentences."""
    facilities = {f.id: f.name for f in profile.facilities}
    sanctions = {s.id: s.measure for s in profile.sanctions}
    goodwill = {g.id: g.action for g in profile.confidence_building}
    phase_names = {p.id: p.name for p in scenario.phases}
    sources = load_bibliography().by_id()

    def targets(ids: list[str], sites: list[str], every: bool = False) -> str:
        parts = [facilities.get(i, i) for i in ids]
        parts += [f"every declared facility at {s.replace('-', ' ').title()}" for s in sites]
        if every:
            parts.append("every nuclear facility")
        return "; ".join(parts)

    phases = []
    for phase in scenario.phases:
        if phase.start.at:
            when = "At signature"
        elif phase.start.after:
            when = f"Once “{phase_names.get(phase.start.after, phase.start.after)}” is complete and verified"
            if phase.start.offset_months is not None:
                when += f", after {spread(phase.start.offset_months, unit='months')} more"
        else:
            when = f"On {format_month(phase.start.date)}"
        measures = []
        for m in phase.measures:
            if isinstance(m, FacilityMeasure):
                measures.append(f"{VERBS[m.kind]}: {targets(m.facilities, m.sites, m.all_facilities)}"
                                + (f" — {m.note}" if m.note else ""))
            elif isinstance(m, FlightTestMoratorium):
                measures.append("No flight tests of " + ", ".join(c.upper() for c in m.classes) + " missiles"
                                + (f" — {m.note}" if m.note else ""))
            elif isinstance(m, ShipOut):
                measures.append(f"Ship out {spread(m.pu_share, percent=True)} of separated plutonium and "
                                f"{spread(m.heu_share, percent=True)} of weapon-grade uranium when the phase completes")
            elif isinstance(m, TestSiteClosure):
                what = "Demolish" if m.method == "demolish" else "Close and seal"
                measures.append(f"{what} the nuclear test site" + (f" — {m.note}" if m.note else ""))
            elif isinstance(m, Moratorium):
                text = "Ratify the Comprehensive Nuclear-Test-Ban Treaty (CTBT)" if m.ctbt_step == "ratify" \
                    else MORATORIA[m.kind]
                measures.append(text + (f" — {m.note}" if m.note else ""))
            elif isinstance(m, Declaration):
                sites = [f"every facility at {x.replace('-', ' ').title()}" for x in m.sites]
                named = "; ".join(x for x in [targets(m.facilities, [], m.all_facilities), *sites] if x)
                text = MORATORIA["declaration"]
                if named:
                    chance = f" with chance {spread(m.completeness, percent=True)}" if m.completeness else ""
                    text += f", naming {named} (then open to verification{chance})"
                measures.append(text + (f" — {m.note}" if m.note else ""))
            elif isinstance(m, Cap):
                if m.stock is not None:
                    kept = "removed" if m.excess == "removed" else "declared and stored under seal"
                    text = f"Cap the stock at {m.limit:g} {STOCKS[m.stock]} (the excess {kept})"
                elif m.launchers:
                    text = f"Cap launchers at {m.limit:g} per class: " + ", ".join(c.upper() for c in m.launchers)
                else:
                    text = f"Cap the output of {targets(m.facilities, [])} at {100 * m.share:g} % of capacity"
                measures.append(text + (f" — {m.note}" if m.note else ""))
            elif isinstance(m, MissileLimit):
                text = ("No satellite launches (the Sohae site)" if m.kind == "space-launch-ban" else
                        f"{MISSILE_LIMITS[m.kind]} " + ", ".join(c.upper() for c in m.classes) + " missiles")
                measures.append(text + (f" — {m.note}" if m.note else ""))
            elif isinstance(m, ConfidenceBuilding):
                measures.append(f"A goodwill step: {goodwill.get(m.action, m.action)}")
            if m.until is not None and measures:
                measures[-1] += f" (until {format_month(m.until)})"
        incentives = []
        for inc in phase.incentives:
            text = INCENTIVES[inc.kind]
            if inc.sanctions:
                text += ": " + "; ".join(sanctions.get(s, s) for s in inc.sanctions)
            if inc.action:
                text += ": " + goodwill.get(inc.action, inc.action)
            if inc.for_measure:
                text += f", in full once measure “{inc.for_measure}” binds"
            if inc.snapback:
                text += " (snaps back if a breach is detected)"
            if inc.musd_per_year is not None:
                text += f" (valued at {spread(inc.musd_per_year, unit='million USD a year')})"
            if inc.note:
                text += f" — {inc.note}"
            incentives.append(text)
        checks = []
        for v in phase.verification:
            what = targets(v.facilities, v.sites) or "the measures of this phase"
            text = f"{v.verifier} checks {what}"
            if v.undeclared_access:
                text += ", with access to undeclared sites on request"
            if v.method:
                text += f" ({', '.join(v.method)})"
            text += (f". Chance of detecting cheating each month: {spread(v.detect_per_month, percent=True)}; "
                     f"chance a verification dispute starts each month: {spread(v.dispute_per_month, percent=True)}; "
                     f"inspectors in place after {spread(v.access_lag_months, unit='months')}.")
            checks.append(text)
        phases.append({
            "id": phase.id, "name": phase.name, "when": when,
            "duration": spread(phase.duration_months, unit="months"),
            "measures": measures, "incentives": incentives, "verification": checks, "note": phase.note,
        })
    triggers = [f"{t.event}: {spread(t.rate_per_year, unit='a year')}, treated as a breach "
                f"{spread(t.p_breach, percent=True)} of the time" for t in scenario.triggers]
    return {
        "name": scenario.name,
        "title": scenario.title,
        "kind": KINDS.get(scenario.kind, scenario.kind),
        "start": format_month(scenario.start),
        "horizon_years": scenario.horizon_years,
        "description": scenario.description,
        "basis": scenario.basis,
        "sources": [{"id": s, "citation": sources[s].citation() if s in sources else s,
                     "url": sources[s].url if s in sources else None} for s in scenario.source],
        "phases": phases,
        "triggers": triggers,
        "analogue": (f"The real deal held about {scenario.analogue.held_months:g} months."
                     if scenario.analogue else None),
    }


# -- where in the YAML an error points ---------------------------------------------------------
_PART = re.compile(r"\.?([^.\[\]]+)|\[([^\]]+)\]")


def field_line(text: str, field: str | None) -> int | None:
    """1-based line of the node a field path such as ``phases[freeze].measures[0].facilities``
    names (the deepest part found), or the line given as ``line N``."""
    if not field:
        return None
    match = re.fullmatch(r"line (\d+)", field)
    if match:
        return int(match[1])
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return None
    line = None
    for key, label in _PART.findall(field):
        if node is None:
            break
        nxt = None
        if key and isinstance(node, yaml.MappingNode):
            pair = next(((k, v) for k, v in node.value if getattr(k, "value", None) == key), None)
            if pair is not None:
                nxt = pair[1]
                line = pair[0].start_mark.line + 1
        elif label and isinstance(node, yaml.SequenceNode):
            items = node.value
            if label.isdigit() and int(label) < len(items):
                nxt = items[int(label)]
            else:
                for item in items:
                    if isinstance(item, yaml.MappingNode) and any(
                        getattr(k, "value", None) == "id" and getattr(v, "value", None) == label for k, v in item.value
                    ):
                        nxt = item
                        break
            if nxt is not None:
                line = nxt.start_mark.line + 1
        node = nxt
    return line
