"""The closed lists of Détente's inputs, once: missile classes, facility kinds, measure and
incentive kinds, restriction levels and the control rows a deal acts on.

Target regions are data (the missile evidence lists them with coordinates), not a closed list.
"""

from __future__ import annotations

from typing import Literal

MISSILE_CLASSES = ("srbm", "mrbm", "irbm", "icbm", "slbm")
FACILITY_KINDS = ("reactor", "enrichment", "reprocessing")
FACILITY_MEASURES = ("freeze", "disable", "dismantle")
DECLARATORY_MEASURES = ("test-moratorium", "ctbt", "ctbto-visit", "tension-reduction")
# limits on missiles: a cap (on launchers, stocks or output), a halt to launcher production, the
# elimination of a class, a ban on satellite launches
MISSILE_MEASURES = ("missile-production-halt", "missile-elimination", "space-launch-ban")
MEASURE_KINDS = (*FACILITY_MEASURES, *DECLARATORY_MEASURES, "declaration", "flight-test-moratorium", "ship-out",
                 "test-site-closure", "cap", *MISSILE_MEASURES, "confidence-building")
INCENTIVE_KINDS = ("sanctions-relief", "energy-aid", "food-aid", "exercise-suspension", "end-of-war",
                   "liaison-office", "normalisation", "security-assurance", "light-water-reactor", "delisting",
                   "confidence-building")
SCENARIO_KINDS = ("baseline", "agreement", "analogue", "proposal")
MAX_TRIGGERS = 3  # outside-event triggers a scenario may name (fixes the shared uniform array)
# when a measure starts to bind, unless a scenario says otherwise (`binds:`): declaratory measures
# (test and flight-test moratoria, CTBT signature) from the phase's start, physical ones (freeze,
# disable, dismantle, ship-out, conventional limits) once the phase's implementation is complete
BINDS = ("start", "complete")
BINDS_AT_START = ("test-moratorium", "ctbt", "flight-test-moratorium", "space-launch-ban")
Binds = Literal[BINDS]
# measures whose compliance national technical means confirm (seismic and launch detection, imagery
# of the test site) or the CTBT Organization's visit confirms (the test halt, not other measures)
NTM_VERIFIABLE = ("test-moratorium", "ctbt", "flight-test-moratorium", "test-site-closure", "ctbto-visit",
                  "space-launch-ban")
TEST_BANS = ("test-moratorium", "ctbt")  # measures that stop nuclear tests
# the CTBT in two legal steps: signature (an obligation not to defeat the treaty's object) and
# ratification (a binding ban, withdrawal only on six months' notice, with the IMS and inspections)
CTBT_STEPS = ("sign", "ratify")
CtbtStep = Literal[CTBT_STEPS]
# what is done to the nuclear test site: tunnels closed and sealed, or portals and tunnels demolished
TEST_SITE_METHODS = ("close", "demolish")
TestSiteMethod = Literal[TEST_SITE_METHODS]

# whether a flight-test moratorium covers satellite launches: the DPRK refrains (covered), the other
# side accepts them (excluded), or the parties never agreed, so a launch may be ruled a breach (disputed)
SPACE_LAUNCH_SCOPES = ("covered", "excluded", "disputed")
SpaceLaunchScope = Literal[SPACE_LAUNCH_SCOPES]

# restriction a completed phase puts on a control row; a moratorium lapses as soon as a deal collapses
LEVELS = {"freeze": 1, "disable": 2, "dismantle": 3, "moratorium": 4}
# control rows after the facilities: the activities a deal can stop
ACTIVITIES = ("nuclear-tests", *(f"flights:{c}" for c in MISSILE_CLASSES))

# stocks a cap may limit: separated plutonium (kg), weapon-grade uranium (kg), material for warheads
CAP_STOCKS = ("pu", "heu", "warheads")
CapStock = Literal[CAP_STOCKS]
# what happens to a stock above its cap: removed for good (shipped out, down-blended, disassembled)
# or declared and stored under seal in the country (back in use if the deal collapses)
CAP_EXCESS = ("removed", "declared")
CapExcess = Literal[CAP_EXCESS]
MissileMeasureKind = Literal[MISSILE_MEASURES]
MissileClassId = Literal[MISSILE_CLASSES]
FacilityMeasureKind = Literal[FACILITY_MEASURES]
DeclaratoryKind = Literal[DECLARATORY_MEASURES]
IncentiveKind = Literal[INCENTIVE_KINDS]
ScenarioKind = Literal[SCENARIO_KINDS]
