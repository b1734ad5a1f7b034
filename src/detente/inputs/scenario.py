"""Scenarios: what happens from a start month on.

``no-deal`` has no phases: every facility keeps operating as the profile's future assumptions
say. An agreement is a list of phases. A phase starts at signature, after another phase is
complete and verified, or on a date; it takes an uncertain implementation time; it carries the
DPRK's *measures* (on named facilities or sites, moratoria, declarations, shipping material out,
tension reduction), the other side's *incentives* (sanctions relief by measure, aid, exercise
suspension, …) and *verification* (who checks which sites, how well). *Triggers* are outside
events (a satellite launch) that may be ruled a breach.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

from ..errors import InputError
from ..months import Month
from .bibliography import EVIDENCE, load_bibliography
from .loading import read_yaml, validate
from .validators import Fraction, Months, NonNegative, PerYear
from .vocabulary import (
    MAX_TRIGGERS,
    Binds,
    CapExcess,
    CapStock,
    CtbtStep,
    DeclaratoryKind,
    FacilityMeasureKind,
    IncentiveKind,
    MissileClassId,
    MissileMeasureKind,
    ScenarioKind,
    SpaceLaunchScope,
    TestSiteMethod,
)

Id = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$")]
Limit = Annotated[float, Field(ge=0, le=1_000_000, strict=True, allow_inf_nan=False)]  # kg, warheads or launchers
Share = Annotated[float, Field(ge=0, le=1, strict=True, allow_inf_nan=False)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Start(_Model):
    """When a phase starts: ``at: signature``, ``after: <phase id>`` (complete and verified), or
    ``date: YYYY-MM``."""

    at: Literal["signature"] | None = Field(None, description="start when the deal is signed")
    after: Id | None = Field(None, description="start once this phase is complete and confirmed")
    date: Month | None = Field(None, description="start on this month")
    offset_months: Months | None = Field(
        None, description="with `after`: months after that phase is complete and confirmed")

    @model_validator(mode="after")
    def _one(self) -> Start:
        if sum(x is not None for x in (self.at, self.after, self.date)) != 1:
            raise ValueError("give exactly one of `at: signature`, `after: <phase>` or `date`")
        if self.offset_months is not None and self.after is None:
            raise ValueError("`offset_months` applies only to `after: <phase>`")
        return self


class _Measure(_Model):
    """What every measure may say: an ``id`` (so incentives can be tied to it) and a sunset
    ``until: YYYY-MM``, the month its restriction lapses while the deal holds."""

    id: Id | None = Field(None, description="a name incentives can tie to (`for_measure`)")
    until: Month | None = Field(None, description="sunset: the month the restriction lapses while the deal holds")

    @model_validator(mode="after")
    def _sunset(self) -> _Measure:
        if self.until is not None and not self.lapses():
            raise ValueError(f"a {self.kind} does not lapse on a date: `until` applies to freezes, "
                             "disablement, moratoria, caps, missile limits and tension reduction")
        return self

    def lapses(self) -> bool:
        """Whether a sunset (``until``) can apply to this measure."""
        return True


class FacilityMeasure(_Measure):
    """Stop named facilities (or every declared facility at named sites, or all facilities)."""

    kind: FacilityMeasureKind
    facilities: list[Id] = Field(default_factory=list)
    sites: list[Id] = Field(default_factory=list)
    all_facilities: bool = False
    binds: Binds | None = Field(None, description="when it binds; default: once the phase is complete")
    note: str | None = None

    @model_validator(mode="after")
    def _target(self) -> FacilityMeasure:
        if not (self.facilities or self.sites or self.all_facilities):
            raise ValueError("name `facilities`, `sites` or `all_facilities: true`")
        return self

    def lapses(self) -> bool:
        return self.kind != "dismantle"


class Moratorium(_Measure):
    """Measures without a facility: test halts, CTBT, a CTBTO visit, tension reduction. For the
    CTBT, ``step`` says whether the DPRK signs (the default, as files before it read) or ratifies."""

    kind: DeclaratoryKind
    binds: Binds | None = Field(None, description="when it binds; default: a test moratorium and the CTBT "
                                "from the phase's start, the others once it is complete")
    step: CtbtStep | None = Field(None, description="`ctbt` only: the DPRK signs (default) or ratifies")
    note: str | None = None

    @model_validator(mode="after")
    def _step(self) -> Moratorium:
        if self.step is not None and self.kind != "ctbt":
            raise ValueError("`step` (sign or ratify) applies only to `kind: ctbt`")
        return self

    def lapses(self) -> bool:
        return self.kind in ("test-moratorium", "tension-reduction")

    @property
    def ctbt_step(self) -> str | None:
        """``sign`` or ``ratify`` for the CTBT, else None."""
        return (self.step or "sign") if self.kind == "ctbt" else None


class Declaration(_Measure):
    """A declaration of the programme. The facilities it names (``facilities``, every facility at
    ``sites``, or ``all_facilities: true``) count as declared from the month it binds (once the
    phase is complete), so verification and measures on their sites cover them — if the
    declaration is complete for them, which happens with chance ``completeness`` (default the
    profile's ``deal.declaration_completeness``). Naming nothing, it only carries its value."""

    kind: Literal["declaration"]
    facilities: list[Id] = Field(default_factory=list)
    sites: list[Id] = Field(default_factory=list)
    all_facilities: bool = False
    completeness: Fraction | None = None
    binds: Binds | None = None
    note: str | None = None

    def lapses(self) -> bool:
        return False


class Cap(_Measure):
    """A ceiling, binding while the deal holds: on a stock (``stock: pu|heu`` in kg, or
    ``warheads``: material for that many warheads), with the ``excess`` removed for good or
    declared and stored under seal (back in use after a collapse); on launchers of missile classes
    (``launchers``, ``limit`` per class); or on facilities' output (``facilities``, ``share`` of
    their capacity). Binds once the phase is complete unless ``binds`` says otherwise."""

    kind: Literal["cap"]
    stock: CapStock | None = None
    launchers: list[MissileClassId] = Field(default_factory=list)
    facilities: list[Id] = Field(default_factory=list)
    limit: Limit | None = None
    share: Share | None = None
    excess: CapExcess = "removed"
    binds: Binds | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _target(self) -> Cap:
        targets = sum((self.stock is not None, bool(self.launchers), bool(self.facilities)))
        if targets != 1:
            raise ValueError("a cap names exactly one of `stock` (pu, heu or warheads), `launchers` (missile "
                             "classes) or `facilities`")
        if self.facilities and (self.share is None or self.limit is not None):
            raise ValueError("a cap on facilities gives `share`: the fraction of their capacity allowed (0–1)")
        if not self.facilities and (self.limit is None or self.share is not None):
            unit = "launchers per class" if self.launchers else ("warheads" if self.stock == "warheads" else "kg")
            raise ValueError(f"a cap on {'launchers' if self.launchers else 'a stock'} gives `limit` ({unit})")
        return self


class MissileLimit(_Measure):
    """``missile-production-halt``: launchers of the named classes stop growing (held at their
    number when it binds); ``missile-elimination``: the classes' launchers are destroyed;
    ``space-launch-ban``: no satellite launches (Sohae), which settles a moratorium's disputed scope."""

    kind: MissileMeasureKind
    classes: list[MissileClassId] = Field(default_factory=list)
    binds: Binds | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _classes(self) -> MissileLimit:
        if (self.kind == "space-launch-ban") == bool(self.classes):
            raise ValueError("a space-launch ban names no `classes`" if self.classes
                             else f"a {self.kind} names the missile `classes` it limits")
        return self


class ConfidenceBuilding(_Measure):
    """A goodwill step of the DPRK's (``action``: an id of the profile's ``confidence_building``
    table, e.g. the release of detainees): it carries its value and, once done, lowers the other
    side's walk-away hazard."""

    kind: Literal["confidence-building"]
    action: Id
    binds: Binds | None = None
    note: str | None = None

    def lapses(self) -> bool:
        return False


class TestSiteClosure(_Measure):
    """The nuclear test site closed (tunnels sealed) or demolished (portals and tunnels blown up):
    after a collapse, tests wait until a site is made ready again. Binds once the phase is complete."""

    kind: Literal["test-site-closure"]
    method: TestSiteMethod = "close"
    binds: Binds | None = None
    note: str | None = None


class FlightTestMoratorium(_Measure):
    """No flight tests of the named missile classes; ``space_launches`` says whether the text
    covers satellite launches (``covered``, the default), allows them (``excluded``) or leaves it
    unsettled (``disputed``: the DPRK launches at its programme's rate and a launch may be ruled a breach)."""

    kind: Literal["flight-test-moratorium"]
    classes: list[MissileClassId] = Field(min_length=1)
    binds: Binds | None = Field(None, description="when it binds; default: from the phase's start")
    space_launches: SpaceLaunchScope = "covered"
    note: str | None = None


class ShipOut(_Measure):
    """Separated material shipped out of the country when the phase completes (irreversible)."""

    kind: Literal["ship-out"]
    pu_share: Fraction
    heu_share: Fraction

    def lapses(self) -> bool:
        return False


Measure = Annotated[FacilityMeasure | Moratorium | Declaration | FlightTestMoratorium | ShipOut | TestSiteClosure
                    | Cap | MissileLimit | ConfidenceBuilding, Field(discriminator="kind")]


class Incentive(_Model):
    """Something the DPRK receives. Sanctions relief names measures from the profile's tables (UN
    and US). By default it arrives as its phase progresses; ``for_measure`` ties it to one measure
    (by ``id``), received in full from the month that measure binds. With ``snapback: true`` it
    is reimposed for good when a breach is detected and the deal goes on."""

    kind: IncentiveKind
    sanctions: list[Id] = Field(default_factory=list, description="`sanctions-relief`: ids of the profile's "
                                "`sanctions` table")
    action: Id | None = Field(None, description="`confidence-building`: an id of the profile's "
                              "`confidence_building` table")
    musd_per_year: NonNegative | None = Field(None, description="overrides the profile's value for this kind")
    for_measure: Id | None = Field(None, description="received in full from the month the measure with this "
                                   "`id` binds")
    snapback: bool = Field(False, description="reimposed for good when a breach is detected and the deal goes on")
    note: str | None = None

    @model_validator(mode="after")
    def _relief(self) -> Incentive:
        if self.kind == "sanctions-relief" and not self.sanctions:
            raise ValueError("sanctions relief must name `sanctions` (ids from the profile)")
        if (self.kind == "confidence-building") != (self.action is not None):
            raise ValueError("a confidence-building incentive names its `action` (an id of the profile's "
                             "confidence_building table)" if self.action is None
                             else "`action` applies only to `kind: confidence-building`")
        return self


class Verification(_Model):
    """Who checks which facilities, and how well (per month)."""

    verifier: str
    facilities: list[Id] = Field(default_factory=list)
    sites: list[Id] = Field(default_factory=list)
    undeclared_access: bool = Field(False, description="may inspect undeclared sites on request")
    method: list[str] = Field(default_factory=list)
    detect_per_month: Fraction
    dispute_per_month: Fraction
    access_lag_months: Months


class Phase(_Model):
    """One step of a deal: when it starts, how long it takes to implement, and its measures,
    incentives and verification."""

    id: Id
    name: str
    start: Start
    duration_months: Months
    measures: list[Measure] = Field(default_factory=list)
    incentives: list[Incentive] = Field(default_factory=list)
    verification: list[Verification] = Field(default_factory=list)
    note: str | None = None


class Trigger(_Model):
    """An outside event that may end the deal (e.g. a satellite launch ruled a breach)."""

    id: Id
    event: str
    rate_per_year: PerYear
    p_breach: Fraction
    note: str | None = None


class Analogue(_Model):
    """For calibration: how long the real deal held."""

    held_months: float = Field(gt=0)
    source: list[str] = Field(min_length=1)
    note: str | None = None


class Scenario(_Model):
    """A named future, starting at ``start`` (YYYY-MM)."""

    name: Id
    title: str
    kind: ScenarioKind = "agreement"
    description: str = ""
    start: Month
    horizon_years: int = Field(15, ge=1, le=60)
    source: list[str] = Field(default_factory=list)
    basis: str | None = None
    phases: list[Phase] = Field(default_factory=list)
    triggers: list[Trigger] = Field(default_factory=list, max_length=MAX_TRIGGERS)
    analogue: Analogue | None = None
    _file: str = PrivateAttr(default="")

    @model_validator(mode="after")
    def _phases(self) -> Scenario:
        ids = [p.id for p in self.phases]
        known = set(ids)
        if len(ids) != len(known):
            raise ValueError("phase ids must be unique")
        for p in self.phases:
            if p.start.after is not None and p.start.after not in known:
                listed = ", ".join(ids[:12]) + (f", … ({len(ids)} phases)" if len(ids) > 12 else "")
                raise ValueError(f"phase {p.id!r} starts after {p.start.after!r}, which is not a phase "
                                 f"of this scenario (phases: {listed})")
            if p.start.date is not None and p.start.date < self.start:
                raise ValueError(f"phase {p.id!r} starts before the scenario does")
        self.phase_order()
        measures = [m for p in self.phases for m in p.measures]
        if sum(isinstance(m, ShipOut) for m in measures) > 1:
            raise ValueError("at most one ship-out measure per scenario")
        named = [m.id for m in measures if m.id is not None]
        if len(named) != len(set(named)):
            raise ValueError("measure ids must be unique within a scenario")
        for p in self.phases:
            for m in p.measures:
                if m.until is not None and m.until <= self.start:
                    raise ValueError(f"phase {p.id!r}: a measure's sunset `until` must be after the scenario's start")
            for k in p.incentives:
                if k.for_measure is not None and k.for_measure not in named:
                    raise ValueError(f"phase {p.id!r}: incentive tied to measure {k.for_measure!r}, which no "
                                     f"measure names as its `id` (ids: {', '.join(named) or 'none'})")
        limited: list[str] = []
        for m in measures:
            if isinstance(m, MissileLimit) and m.kind != "space-launch-ban":
                limited += m.classes
            elif isinstance(m, Cap) and m.launchers:
                limited += m.launchers
        if len(limited) != len(set(limited)):
            raise ValueError("at most one launcher limit (cap, production halt or elimination) per missile class")
        return self

    def phase_order(self) -> list[Phase]:
        """Phases so that each comes after the one it waits for (linear time, no recursion);
        raises on a cycle."""
        by_id = {p.id: p for p in self.phases}
        placed: set[str] = set()
        done: list[str] = []
        for p in self.phases:
            chain: list[str] = []  # p, the phase it waits for, that one's, … until a placed one
            on_chain: set[str] = set()
            pid: str | None = p.id
            while pid is not None and pid not in placed:
                if pid in on_chain:
                    loop = chain[chain.index(pid):]
                    raise ValueError("phase conditions form a cycle: " + " → ".join([*loop, pid]))
                chain.append(pid)
                on_chain.add(pid)
                pid = by_id[pid].start.after
            for q in reversed(chain):
                placed.add(q)
                done.append(q)
        return [by_id[pid] for pid in done]

    @property
    def file(self) -> str:
        return self._file or self.name


def bundled_scenarios() -> list[str]:
    """Names of the scenarios shipped with Détente."""
    folder = Path(str(EVIDENCE / "scenarios"))
    return sorted(p.stem for p in folder.glob("*.yaml"))


def load_scenario(name_or_path: str | Path) -> Scenario:
    """Load a bundled scenario by name (``"no-deal"``) or a scenario file by path."""
    text = str(name_or_path)
    path = Path(text)
    if not text.endswith((".yaml", ".yml")):
        known = ", ".join(bundled_scenarios())
        if text not in bundled_scenarios():  # a bundled name, never a path out of the bundle
            hint = " (scenario files end in .yaml)" if Path(text).exists() else ""
            raise InputError(f"no bundled scenario named {text!r}{hint}; known: {known}", file=text)
        path = Path(str(EVIDENCE / "scenarios" / f"{text}.yaml"))
    sources = set(load_bibliography().by_id())
    scenario = validate(Scenario, read_yaml(path), str(path), context={"sources": sources})
    for field, ids in [("source", scenario.source),
                       ("analogue.source", scenario.analogue.source if scenario.analogue else [])]:
        for sid in ids:
            if sid not in sources:
                raise InputError(f"unknown source id {sid!r}", file=str(path), field=field)
    scenario._file = str(path)
    return scenario
