"""The editor's phased-deal builder: the choices it offers, and drafts checked both ways.

The builder (``static/builder.js``) edits the scenario document itself; the server turns a
document into YAML, YAML into a document, and either into every problem found, in plain words
with the field each names. One vocabulary: the choices come from the scenario model's closed
lists and from the profile's tables, so the form offers only what validates.
"""

from __future__ import annotations

from typing import Any

import yaml

from ..errors import InputError
from ..inputs.loading import MAX_DEPTH
from ..inputs.profile import Profile
from ..inputs.vocabulary import (
    BINDS,
    CAP_EXCESS,
    CAP_STOCKS,
    CTBT_STEPS,
    INCENTIVE_KINDS,
    MAX_TRIGGERS,
    MEASURE_KINDS,
    MISSILE_CLASSES,
    SCENARIO_KINDS,
    SPACE_LAUNCH_SCOPES,
    TEST_SITE_METHODS,
)
from .describe import INCENTIVES, KINDS, MISSILE_LIMITS, MORATORIA, VERBS, field_line
from .service import safe_yaml

MEASURE_LABELS = {
    **{k: f"{v} facilities" for k, v in VERBS.items()},
    **MORATORIA,
    "ctbt": "Join the Comprehensive Nuclear-Test-Ban Treaty (sign or ratify)",
    "flight-test-moratorium": "No missile flight tests",
    "ship-out": "Ship separated material out of the country",
    "test-site-closure": "Close or demolish the nuclear test site",
    "cap": "A ceiling on a stock, on launchers or on facilities' output",
    **{k: f"{v} missile classes" for k, v in MISSILE_LIMITS.items()},
    "space-launch-ban": "No satellite launches",
    "confidence-building": "A goodwill step (e.g. release of detainees)",
}
BASIS = "set in the Détente web builder"


def vocabulary(profile: Profile) -> dict[str, Any]:
    """Every choice the builder offers, with plain labels (JSON for the page)."""
    return {
        "measures": [[k, MEASURE_LABELS[k]] for k in MEASURE_KINDS],
        "incentives": [[k, INCENTIVES[k]] for k in INCENTIVE_KINDS],
        "facilities": [[f.id, f.name, f.site] for f in profile.facilities],
        "sites": sorted({f.site for f in profile.facilities}),
        "sanctions": [[s.id, _sanction(s), s.measure] for s in profile.sanctions],
        "steps": {side: [[c.id, c.action] for c in profile.confidence_building if c.side == side]
                  for side in ("dprk", "us")},
        "classes": list(MISSILE_CLASSES),
        "binds": list(BINDS),
        "ctbt_steps": list(CTBT_STEPS),
        "test_site_methods": list(TEST_SITE_METHODS),
        "space_launch_scopes": list(SPACE_LAUNCH_SCOPES),
        "cap_stocks": list(CAP_STOCKS),
        "cap_excess": list(CAP_EXCESS),
        "scenario_kinds": [[k, KINDS[k]] for k in SCENARIO_KINDS],
        "max_triggers": MAX_TRIGGERS,
        "basis": BASIS,
    }


def _sanction(s) -> str:
    """A sanctions measure's short label: the UN measure, or the US instrument's name."""
    if s.issuer == "un":
        return f"UN: {s.measure}"
    name = s.instrument.split(" (")[0]
    return f"US: {name if len(name) <= 60 else name[:57] + '…'}"


def starter() -> str:
    """A new scenario: one phase that freezes Yongbyon for textiles and seafood relief."""

    def judged(**numbers) -> dict:
        return {**numbers, "judgement": True, "basis": BASIS}

    doc = {
        "name": "my-deal", "title": "My deal", "kind": "agreement", "start": "2027-01",
        "phases": [{
            "id": "phase-1", "name": "Freeze", "start": {"at": "signature"},
            "duration_months": judged(dist="uniform", low=2, high=8),
            "measures": [{"kind": "freeze", "facilities": ["yongbyon-5mwe", "yongbyon-rcl", "yongbyon-uep"]},
                         {"kind": "test-moratorium"}],
            "incentives": [{"kind": "sanctions-relief", "sanctions": ["textiles", "seafood"]}],
            "verification": [{"verifier": "IAEA", "facilities": ["yongbyon-5mwe", "yongbyon-rcl", "yongbyon-uep"],
                              "detect_per_month": judged(dist="uniform", low=0.5, high=0.9),
                              "dispute_per_month": judged(dist="uniform", low=0, high=0.02),
                              "access_lag_months": judged(dist="uniform", low=0, high=2)}],
        }],
    }
    return dump(doc)


def dump(document: dict) -> str:
    """A document as the YAML an analyst would write (keys in the order given, no aliases)."""
    return yaml.dump(document, Dumper=_PlainDumper, sort_keys=False, allow_unicode=True, width=100)


def draft(check, *, text: str | None = None, document: Any = None) -> dict[str, Any]:
    """Check a draft given as YAML ``text`` or as a ``document``: both forms of it, whether it is
    valid, and every problem found (field, reason, YAML line). ``check`` validates YAML text
    against the profile and returns the scenario (raises InputError)."""
    if text is None:
        if _depth(document) > MAX_DEPTH:
            return _answer("", None, [(None, f"the document nests more than {MAX_DEPTH} levels deep")])
        text = dump(document)
    else:
        try:
            document = safe_yaml(text)
        except InputError as exc:  # the YAML does not parse: no document, and the parser's reason
            return _answer(text, None, exc.problems)
    try:
        scenario = check(text)
    except InputError as exc:
        return _answer(text, document, exc.problems)
    return {**_answer(text, document, []), "name": scenario.name, "phases": len(scenario.phases)}


def _answer(text: str, document: Any, problems: list[tuple[str | None, str]]) -> dict[str, Any]:
    rows = []
    for field, reason in problems:
        if field and field.startswith("line ") and field[5:].isdigit():  # a YAML syntax error's line
            line = int(field[5:])
        else:
            line = field_line(text, field) if field else None
        rows.append({"field": field, "reason": reason, "line": line})
    return {"yaml": text, "document": document if isinstance(document, dict) else None, "valid": not rows,
            "problems": rows}


def _depth(document: Any) -> int:
    """How deeply lists and mappings nest, counted up to one past the limit (iterative: no
    recursion on hostile input)."""
    deepest, stack = 0, [(document, 1)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, dict | list):
            deepest = max(deepest, level)
            if level <= MAX_DEPTH:
                stack.extend((child, level + 1) for child in (node.values() if isinstance(node, dict) else node))
    return deepest


class _PlainDumper(yaml.SafeDumper):
    """No anchors or aliases: the editor refuses them."""

    def ignore_aliases(self, data) -> bool:
        return True
