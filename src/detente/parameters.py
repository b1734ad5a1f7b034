"""Every uncertain input's plain label and unit, from its dotted name.

Parameter names are ``<owner>.<field>[.<YYYY-MM>]`` (``yongbyon-uep.swu_per_year.2021-07``,
``missiles.icbm.reentry``, ``deal.restart.freeze``). :func:`describe` turns one into words a
reader can use on a chart or in a table: ``Yongbyon UEP: enrichment capacity from 2021-07`` in
``SWU/yr``. A unit given in the data (``unit:`` in a spec) wins over the registry's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_MONTH = re.compile(r"^\d{4}-\d{2}$")
_NUMBERED = re.compile(r"^(verification|incentive|measure)(\d+)$")

# field → (label, unit); "share" is a fraction 0–1, "chance" a probability, "yes/no" a 0/1 draw
FIELDS: dict[str, tuple[str, str]] = {
    # reactors
    "power_mwt": ("thermal power", "MWt"),
    "g_pu_per_mwd": ("plutonium made per unit of energy", "g Pu/MWd"),
    "capacity_factor": ("capacity factor while operating", "share"),
    "cycle_months": ("months between core discharges", "months"),
    "reprocessing_lag_months": ("months from discharge to separation", "months"),
    "separation_yield": ("share of plutonium recovered in reprocessing", "share"),
    "weapons_use": ("share of output used for weapons", "share"),
    "operation": ("share of months operating", "share"),
    "kg": ("plutonium in the discharged core", "kg"),
    # enrichment
    "exists": ("exists", "yes/no"),
    "start": ("start of operation", "month"),
    "swu_per_year": ("enrichment capacity", "SWU/yr"),
    "leu_share": ("share of separative work making LEU", "share"),
    "growth_per_year": ("capacity growth a year, as a share of today's", "share/yr"),
    "feed": ("U-235 in the feed", "fraction U-235"),
    "product": ("U-235 in the product", "fraction U-235"),
    "tails": ("U-235 in the tails", "fraction U-235"),
    "uranium_feed_t_per_year": ("uranium ore concentrate available a year", "t U/yr"),
    "swu_added_per_year": ("enrichment capacity that can be added a year", "SWU/yr per yr"),
    # weapons and tests
    "pu_kg": ("plutonium", "kg"),
    "heu_kg": ("highly enriched uranium", "kg"),
    "utilisation": ("share of material made into weapons", "share"),
    "lag_months": ("months from material to weapon", "months"),
    "uses_pu": ("device used plutonium", "yes/no"),
    "per_year": ("nuclear tests a year", "tests/yr"),
    "tests_needed": ("tests needed to validate the design", "tests"),
    "warheads_per_missile": ("warheads per missile", "warheads"),
    "yield_kt": ("yield", "kt"),
    # deal behaviour
    "dprk_base_hazard": ("DPRK's monthly chance of walking away", "chance/month"),
    "us_base_hazard": ("other side's monthly chance of walking away", "chance/month"),
    "reciprocity_sensitivity": ("how strongly an unbalanced deal raises walk-away chances", "exponent"),
    "tension_relief": ("share of hazard removed while tension is low", "share"),
    "dispute_multiplier": ("walk-away hazard multiplier during a verification dispute", "×"),
    "dispute_months": ("length of a verification dispute", "months"),
    "dispute_background": ("dispute rate while covert production runs", "share"),
    "confirmation_without_verification_months": ("months to confirm a phase without inspectors", "months"),
    "walk_on_detection": ("chance detected cheating ends the deal", "chance"),
    "ntm_detection_per_month": ("monthly chance national means detect a covert plant", "chance/month"),
    "ntm_detection_reactor": ("monthly chance national means detect a restarted reactor", "chance/month"),
    "cheat_temptation": ("monthly chance of starting covert production where it cannot be caught",
                         "chance/month"),
    "decision_horizon_months": ("months over which the DPRK weighs being caught", "months"),
    "covert_gain_musd_per_year": ("value of covert production to the DPRK", "US$m/yr"),
    "suspend_on_detection": ("chance a detection suspends relief", "chance"),
    "suspension_months": ("length of a suspension of relief", "months"),
    "verification_confidence": ("share of hazard removed while compliance can be confirmed", "share"),
    "commitment_scale_musd_per_year": ("value at stake that halves walk-away hazard", "US$m/yr"),
    "shock_per_year": ("outside shocks a year", "events/yr"),
    "shock_breach": ("chance a shock is ruled a breach", "chance"),
    "disputed_launch_per_year": ("disputed launches a year under a flight-test moratorium", "events/yr"),
    "disputed_launch_breach": ("chance a disputed launch is ruled a breach", "chance"),
    "declaration_completeness": ("share of facilities a declaration reveals", "share"),
    "goodwill_relief": ("share of walk-away hazard a goodwill step removes", "share"),
    "dismantle_never": ("chance a dismantled facility is never rebuilt", "chance"),
    # missiles and defences
    "reliability_now": ("flight reliability today", "chance"),
    "failure_floor": ("failure chance of a mature missile", "chance"),
    "growth": ("reliability growth exponent per flight", "exponent"),
    "tests_per_year": ("flight tests a year", "flights/yr"),
    "deploy_after_flights": ("flights before deployment", "flights"),
    "derating": ("wartime reliability as a share of test reliability", "share"),
    "reentry": ("chance re-entry and fuzing work", "chance"),
    "full_range_share": ("share of flights on a full-range trajectory", "share"),
    "catch_up_share": ("share of forgone flights made up after a moratorium", "share"),
    "survival": ("share of launchers surviving before launch", "share"),
    "launchers": ("launchers", "launchers"),
    "launcher_growth_per_year": ("launcher force growth a year", "share/yr"),
    "range_km": ("range", "km"),
    "coverage": ("share of the region defended", "share"),
    "interceptors": ("interceptors", "interceptors"),
    "pk_per_shot": ("chance one interceptor kills a warhead", "chance"),
    "interceptor_derating": ("interceptor kill chance in combat as a share of in tests", "share"),
    # deal phases, verification and triggers (``<scenario>.<phase>.<field>``)
    "duration_months": ("duration", "months"),
    "offset_months": ("months after the phase it follows", "months"),
    "pu_share": ("share of the plutonium stock eliminated", "share"),
    "heu_share": ("share of the HEU stock eliminated", "share"),
    "detect_per_month": ("monthly chance verification detects cheating", "chance/month"),
    "dispute_per_month": ("monthly chance of a verification dispute", "chance/month"),
    "access_lag_months": ("months to gain access to a suspect site", "months"),
    "musd_per_year": ("value of the incentive", "US$m/yr"),
    "opened": ("draw compared with the declaration's completeness", "chance"),
    "rate_per_year": ("trigger events a year", "events/yr"),
    "p_breach": ("chance a trigger event is ruled a breach", "chance"),
    # crises
    "base_per_year": ("militarised crises a year", "crises/yr"),
    "after_collapse": ("rise in crisis hazard after a deal collapses", "share"),
    "window_months": ("months a collapse or test raises crisis hazard", "months"),
    "after_test": ("rise in crisis hazard after a nuclear test", "share"),
    "long_range_flights": ("rise in crisis hazard with long-range flights", "share"),
}

SCENARIO_FIELDS = {"duration_months", "offset_months", "pu_share", "heu_share", "detect_per_month",
                   "dispute_per_month", "access_lag_months", "musd_per_year", "opened", "rate_per_year",
                   "p_breach"}

# owner groups that are not facilities, missiles or defences: what the name's second part is
GROUPS: dict[str, str] = {
    "weapons": "Per weapon", "assays": "Enrichment", "future_tests": "Future nuclear tests",
    "fuel_cycle": "Fuel cycle", "deal": "Deal behaviour", "crisis": "Crises",
}
VALUED = {"value": "value of {} to the side giving up or receiving it",
          "sanction": "revenue the sanction {} denies", "goodwill": "value of the goodwill step {}"}
CLASSES = {"srbm": "SRBM", "mrbm": "MRBM", "irbm": "IRBM", "icbm": "ICBM", "slbm": "SLBM"}


@dataclass(frozen=True)
class Parameter:
    """A parameter's dotted ``name``, plain ``label`` and ``unit``."""

    name: str
    label: str
    unit: str

    def text(self) -> str:
        """``label (unit)``; no unit shown for yes/no or a date."""
        return self.label if self.unit in ("", "yes/no", "month") else f"{self.label} ({self.unit})"


def _words(key: str) -> str:
    return key.replace("_", " ").replace("-", " ")


def _part(key: str) -> str:
    """A phase id, or ``verification0`` as ``verification 1``."""
    found = _NUMBERED.match(key)
    return f"{found[1]} {int(found[2]) + 1}" if found else key


def describe(name: str, owners: dict[str, str] | None = None, unit: str | None = None) -> Parameter:
    """The label and unit of parameter ``name``; ``owners`` maps facility ids to names; ``unit``
    (from the spec) overrides the registry's unit."""
    owners = owners or {}
    parts = name.split(".")
    months = [p for p in parts if _MONTH.match(p)]
    keys = [p for p in parts if not _MONTH.match(p)]
    head = keys[0]
    if head in VALUED and len(keys) == 2:
        return Parameter(name, VALUED[head].format(_words(keys[1])), unit or "US$m/yr")
    if head == "deal" and len(keys) == 3 and keys[1] == "restart":
        what = keys[2]
        if what in FIELDS:
            label, registered = FIELDS[what]
        else:
            label, registered = f"months to restart after a collapse: {_words(what)}", "months"
        return Parameter(name, f"Deal behaviour: {label}", unit or registered)
    if head == "test" and months:
        label, registered = FIELDS.get(keys[-1], (_words(keys[-1]), ""))
        return Parameter(name, f"Nuclear test of {months[0]}: {label}", unit or registered)
    field = keys[-1]
    label, registered = FIELDS.get(field, (_words(field), ""))
    if head in GROUPS:
        owner = GROUPS[head]
    elif head == "defence" and len(keys) == 2:
        owner = "Defences"
    elif head in ("missiles", "missile", "defence", "design") and len(keys) >= 3:
        owner = CLASSES.get(keys[1], keys[1].upper() if head == "missiles" else keys[1])
        owner = {"design": f"Design {owner}", "defence": f"Defence {owner}"}.get(head, owner)
    elif field in SCENARIO_FIELDS and len(keys) >= 3:  # a scenario's own term: <scenario>.<phase>[.<part>].<field>
        owner = f"{head}, " + ", ".join(_part(k) for k in keys[1:-1])
    else:
        owner = owners.get(head, head)
    if months:
        label += (" in " if field == "kg" else " from ") + months[0]
    return Parameter(name, f"{owner}: {label}", unit or registered)
