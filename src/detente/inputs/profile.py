"""The evidence about one country's programme: facilities with physics and operating histories,
material per weapon, nuclear tests, and what 'no deal' means for the future.

A :class:`Profile` is pure data, validated on load; :mod:`detente.plan` turns it into arrays.
Parameter names (``yongbyon-5mwe.capacity_factor``) are stable: the CLI, results and
sensitivity analysis use them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from ..months import Month, format_month
from .behaviour import ConfidenceStep, Crisis, Dynamics, Sanction, Values
from .bibliography import EVIDENCE, load_bibliography
from .loading import read_yaml, validate
from .uncertain import Correlation, Spec, _Spec
from .validators import Fraction, NonNegative, Positive, within
from .vocabulary import MissileClassId


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OperatingPeriod(_Model):
    """Months ``start`` … ``end`` (inclusive; open-ended if no end) at an operating fraction."""

    start: Month
    end: Month | None = None
    fraction: Fraction
    note: str | None = None

    @model_validator(mode="after")
    def _order(self) -> OperatingPeriod:
        if self.end is not None and self.end < self.start:
            raise ValueError(
                f"end {format_month(self.end)} is before start {format_month(self.start)}"
            )
        return self


class Discharge(_Model):
    """Fuel taken out of a reactor core.

    A full discharge empties the core; a partial one (``kg`` given) removes that much plutonium.
    The plutonium is separated in the month ``separated`` (a known reprocessing campaign) or, if
    none is known, after the reactor's reprocessing lag.
    """

    month: Month
    separated: Month | None = None
    kg: NonNegative | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _order(self) -> Discharge:
        if self.separated is not None and self.separated < self.month:
            raise ValueError("`separated` is before the discharge `month`")
        return self


def _check_periods(periods: list[OperatingPeriod] | list[CapacityPeriod], what: str) -> None:
    for earlier, later in zip(periods, periods[1:], strict=False):
        end = getattr(earlier, "end", None)
        if later.start <= earlier.start or (end is not None and later.start <= end):
            raise ValueError(
                f"{what} must be in time order without overlaps "
                f"({format_month(later.start)} follows {format_month(earlier.start)})"
            )


class Facility(_Model):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: str
    site: str
    declared: bool
    note: str | None = None


class Reactor(Facility):
    """A plutonium-production reactor: Pu/month = MWt × capacity factor × g/MWd × days."""

    kind: Literal["reactor"]
    power_mwt: Positive
    g_pu_per_mwd: NonNegative
    capacity_factor: Fraction
    weapons_use: Fraction
    operation: list[OperatingPeriod] = Field(min_length=1)
    discharges: list[Discharge] = Field(default_factory=list)
    cycle_months: Positive
    reprocessing_lag_months: NonNegative
    separation_yield: Fraction

    @model_validator(mode="after")
    def _history(self) -> Reactor:
        _check_periods(self.operation, "operation periods")
        months = [d.month for d in self.discharges]
        if months != sorted(set(months)):
            raise ValueError("discharges must be in time order, one per month")
        return self


class CapacityPeriod(_Model):
    """Separative capacity (SWU/yr) from ``start`` until the next period."""

    start: Month
    swu_per_year: NonNegative
    note: str | None = None


class Enrichment(Facility):
    """A centrifuge plant: weapon-grade uranium = SWU ÷ SWU-per-kg from the assays."""

    kind: Literal["enrichment"]
    exists: Fraction
    start: Annotated[Spec, BeforeValidator(lambda v: {**v, "unit": "month"} if isinstance(v, dict) else v)]
    capacity: list[CapacityPeriod] = Field(min_length=1)
    leu_share: Fraction
    growth_per_year: Annotated[Spec, within(-0.5, 1.0)]

    @model_validator(mode="after")
    def _history(self) -> Enrichment:
        _check_periods(self.capacity, "capacity periods")
        return self


class Reprocessing(Facility):
    """The plant that separates plutonium from spent fuel; campaigns wait while it is stopped."""

    kind: Literal["reprocessing"]


class Assays(_Model):
    """U-235 fractions of feed, weapon-grade product and tails."""

    feed: Annotated[Spec, within(1e-4, 0.2)]
    product: Annotated[Spec, within(0.2, 0.999)]
    tails: Annotated[Spec, within(1e-4, 0.0071)]


class Weapons(_Model):
    """Material per weapon and weaponisation."""

    pu_kg: Positive
    heu_kg: Positive
    utilisation: Fraction
    lag_months: Annotated[Spec, within(0, 120)]


class NuclearTest(_Model):
    """A nuclear test and the material its device used (Pu or HEU)."""

    month: Month
    name: str
    uses_pu: Fraction
    pu_kg: NonNegative
    heu_kg: NonNegative
    note: str | None = None


class FutureTests(_Model):
    """Nuclear tests in the no-deal future: a monthly chance, each consuming one device."""

    per_year: NonNegative
    uses_pu: Fraction
    pu_kg: NonNegative
    heu_kg: NonNegative


class Design(_Model):
    """A warhead design at issue: what it would arm, what is known of it today, and how many more
    nuclear tests it needs before it counts as validated (0: validated already). Future tests go
    to the designs in the profile's order."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: str
    classes: list[MissileClassId] = Field(min_length=1)  # missile classes a validated design can arm
    warheads_per_missile: Annotated[Spec, within(1, 20)]
    yield_kt: Positive
    tests_needed: Annotated[Spec, within(0, 50)]
    requires: list[str] = Field(default_factory=list)  # designs it builds on: validated no sooner than they are
    status: str  # what the six tests and analysts say of it today
    source: list[str] = Field(min_length=1)

    @field_validator("source")
    @classmethod
    def _known(cls, ids: list[str], info: ValidationInfo) -> list[str]:
        known = (info.context or {}).get("sources")
        for sid in ids if known is not None else ():
            if sid not in known:
                raise ValueError(f"unknown source id {sid!r} (not in the bibliography)")
        return ids


class FuelCycle(_Model):
    """What limits enrichment beyond the halls themselves: natural uranium for weapon-grade
    product (t U a year, after reactor fuel and LEU) and the separative work the centrifuge
    workshops can add to all plants together (SWU a year, each year)."""

    uranium_feed_t_per_year: Positive
    swu_added_per_year: NonNegative


class Profile(_Model):
    """Everything known about a programme; see ``evidence/profiles/dprk.yaml``."""

    name: str
    title: str
    start: Month
    today: Month
    facilities: list[Annotated[Reactor | Enrichment | Reprocessing, Field(discriminator="kind")]]
    assays: Assays
    weapons: Weapons
    nuclear_tests: list[NuclearTest] = Field(default_factory=list)
    future_tests: FutureTests
    designs: list[Design] = Field(default_factory=list)  # none: every warhead arms every missile
    fuel_cycle: FuelCycle | None = None  # no limits beyond the halls when absent
    correlations: list[Correlation] = Field(default_factory=list)
    dynamics: Dynamics
    values: Values
    sanctions: list[Sanction] = Field(default_factory=list)
    confidence_building: list[ConfidenceStep] = Field(default_factory=list)
    crisis: Crisis | None = None  # no risk-of-war output when absent

    @model_validator(mode="after")
    def _consistent(self) -> Profile:
        ids = [f.id for f in self.facilities]
        if len(ids) != len(set(ids)):
            raise ValueError("facility ids must be unique")
        for table, rows in (("sanctions", self.sanctions), ("confidence_building", self.confidence_building)):
            names = [r.id for r in rows]
            if len(names) != len(set(names)):
                raise ValueError(f"{table} ids must be unique")
        designs = [d.id for d in self.designs]
        if len(designs) != len(set(designs)):
            raise ValueError("design ids must be unique")
        for k, d in enumerate(self.designs):
            for other in d.requires:
                if other not in designs[:k]:
                    raise ValueError(f"design {d.id!r} requires {other!r}, which is not a design listed before it")
        if self.today < self.start:
            raise ValueError("`today` is before `start`")
        names = self.parameters()
        for corr in self.correlations:
            for name in (corr.a, corr.b):
                if name not in names:
                    raise ValueError(f"correlation names unknown parameter {name!r}")
        return self

    def facility(self, facility_id: str) -> Reactor | Enrichment | Reprocessing:
        for facility in self.facilities:
            if facility.id == facility_id:
                return facility
        known = ", ".join(f.id for f in self.facilities)
        raise KeyError(f"unknown facility {facility_id!r}; known: {known}")

    def parameters(self) -> dict[str, _Spec]:
        """Every uncertain input, by stable name, in a fixed order."""
        out: dict[str, _Spec] = {}
        for f in self.facilities:
            if isinstance(f, Reactor):
                for key in ("power_mwt", "g_pu_per_mwd", "capacity_factor", "weapons_use"):
                    out[f"{f.id}.{key}"] = getattr(f, key)
                for period in f.operation:
                    out[f"{f.id}.operation.{format_month(period.start)}"] = period.fraction
                for d in f.discharges:
                    if d.kg is not None:
                        out[f"{f.id}.discharge.{format_month(d.month)}.kg"] = d.kg
                for key in ("cycle_months", "reprocessing_lag_months", "separation_yield"):
                    out[f"{f.id}.{key}"] = getattr(f, key)
            elif isinstance(f, Enrichment):
                out[f"{f.id}.exists"] = f.exists
                out[f"{f.id}.start"] = f.start
                for period in f.capacity:
                    out[f"{f.id}.swu_per_year.{format_month(period.start)}"] = period.swu_per_year
                out[f"{f.id}.leu_share"] = f.leu_share
                out[f"{f.id}.growth_per_year"] = f.growth_per_year
        for key in ("feed", "product", "tails"):
            out[f"assays.{key}"] = getattr(self.assays, key)
        for key in ("pu_kg", "heu_kg", "utilisation", "lag_months"):
            out[f"weapons.{key}"] = getattr(self.weapons, key)
        for test in self.nuclear_tests:
            stem = f"test.{format_month(test.month)}"
            out[f"{stem}.uses_pu"] = test.uses_pu
            out[f"{stem}.pu_kg"] = test.pu_kg
            out[f"{stem}.heu_kg"] = test.heu_kg
        for key in FutureTests.model_fields:
            out[f"future_tests.{key}"] = getattr(self.future_tests, key)
        for design in self.designs:
            for key in ("tests_needed", "warheads_per_missile", "yield_kt"):
                out[f"design.{design.id}.{key}"] = getattr(design, key)
        d = self.dynamics
        for key in Dynamics.model_fields:
            if key != "restart_months":
                out[f"deal.{key}"] = getattr(d, key)
        for key in type(d.restart_months).model_fields:
            out[f"deal.restart.{key}"] = getattr(d.restart_months, key)
        if self.fuel_cycle is not None:
            for key in FuelCycle.model_fields:
                out[f"fuel_cycle.{key}"] = getattr(self.fuel_cycle, key)
        out.update(self.values.parameters())
        for sanction in self.sanctions:
            out[f"sanction.{sanction.id}"] = sanction.musd_per_year
        for step in self.confidence_building:
            out[f"goodwill.{step.id}"] = step.musd_per_year
        if self.crisis is not None:
            for key in Crisis.model_fields:
                out[f"crisis.{key}"] = getattr(self.crisis, key)
        return out


def load_profile(path: Path | str = "dprk") -> Profile:
    """Load a profile by bundled name (``"dprk"``) or file path; source ids must resolve."""
    text = str(path)
    if not text.endswith((".yaml", ".yml")) and "/" not in text:
        path = Path(str(EVIDENCE / "profiles" / f"{text}.yaml"))
        if not path.is_file():
            from ..errors import InputError

            raise InputError(f"no bundled profile named {text!r}", file=text)
    sources = set(load_bibliography().by_id())
    return validate(Profile, read_yaml(path), str(path), context={"sources": sources})
