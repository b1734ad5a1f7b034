"""Which uncertain inputs can move a scenario's outcome, and the family each belongs to."""

from __future__ import annotations

from ..engine.design import HISTORY
from ..inputs.uncertain import Fixed, _Spec

CHANCE = "chance"  # the months' random events, as one input of a designed run
_WEAPONS = ("weapons", "test", "future_tests", "design")
_BEHAVIOUR = ("deal", "value", "sanction", "goodwill", "crisis")
_MISSILES = ("missiles", "missile")


def family(name: str, scenarios: tuple[str, ...]) -> str:
    """The family of an input: a facility's, the weapons', the missiles', the behavioural
    judgements', or a scenario's own terms (names are stable paths, e.g. ``kangson.exists``); the
    calibrated history and chance are families of their own."""
    if name in (HISTORY, CHANCE):
        return name
    head = name.split(".", 1)[0]
    if head in scenarios:
        return "the deal's own terms"
    if head in _WEAPONS:
        return "weapons and tests"
    if head in _BEHAVIOUR:
        return "behaviour"
    if head in _MISSILES:
        return "missiles"
    return "facilities"


def relevant(specs: dict[str, _Spec], scenario: str, baseline: str | None, scenarios: tuple[str, ...],
             missiles: bool) -> list[str]:
    """The uncertain inputs ``scenario``'s outcome can depend on: the profile's (the missile
    evidence's only if the outcome needs the missile model) and its own and its baseline's terms —
    never another scenario's, and never a fixed value."""
    own = {scenario, baseline} - {None}
    out = []
    for name, spec in specs.items():
        head = name.split(".", 1)[0]
        if isinstance(spec, Fixed) or (head in scenarios and head not in own):
            continue
        if head in _MISSILES and not missiles:
            continue
        out.append(name)
    return out
