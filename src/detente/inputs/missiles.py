"""Missile evidence: types with their flight records, classes with priors and reliability growth,
launchers, target regions (coordinates; distances are computed, not typed in) and missile
defence. Loaded from ``evidence/missiles/<profile>.yaml``.

Reliability of a type: the beta-binomial posterior of its record under its class prior
(``Beta(a + successes, b + failures)``; unknown outcomes excluded, or counted as failures with
``unknown_as_failure``), then a growth curve as it flies more: the per-flight failure chance
falls as ``q(k) = q_inf + (q_now − q_inf) · (k / k_now)^(−growth)``. Re-entry at full range grows
only with flights on a full-range (standard) trajectory, which records count apart from lofted ones.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Annotated, Literal

from geographiclib.geodesic import Geodesic
from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..errors import InputError
from ..months import Month
from .bibliography import EVIDENCE, load_bibliography
from .loading import read_yaml, validate
from .uncertain import Beta, Fixed, Spec, _Spec
from .validators import Fraction, NonNegative, Positive, within
from .vocabulary import MissileClassId


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


EVERY_FLIGHT = Fixed(value=1, judgement=True,
                     basis="not given in this evidence: every flight counts as a full-range one")
NO_CATCH_UP = Fixed(value=0, judgement=True, basis="not given in this evidence: flights resume at the baseline rate")
IN_FULL = Fixed(value=1, judgement=True, basis="not given in this evidence: taken in full")


class Record(_Model):
    """Flights through the record's end: successes, failures, unknown outcomes."""

    successes: int = Field(ge=0)
    failures: int = Field(ge=0)
    unknown: int = Field(0, ge=0)
    # flights on a full-range (standard) trajectory, the rest lofted or short; absent: every flight counts
    full_range: int | None = Field(None, ge=0)
    through: Month
    source: list[str] = Field(min_length=1)

    @model_validator(mode="after")
    def _within(self) -> Record:
        if self.full_range is not None and self.full_range > self.successes + self.failures + self.unknown:
            raise ValueError("`full_range` flights cannot exceed the flights recorded")
        return self


class MissileType(_Model):
    """A missile type with its flight record."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: str
    missile_class: MissileClassId = Field(alias="class")
    propellant: Literal["liquid", "solid"]
    range_km: Positive
    first_flight: Month
    record: Record
    note: str | None = None

    def flights(self, unknown_as_failure: bool = False) -> tuple[int, int]:
        """(flights, full-range flights) counted for reliability growth; with no trajectory
        recorded every flight counts as full-range."""
        flown = self.record.successes + self.record.failures + (self.record.unknown if unknown_as_failure else 0)
        full = self.record.full_range
        return flown, flown if full is None else min(full, flown)

    def posterior(self, a: float, b: float, unknown_as_failure: bool = False) -> tuple[float, float]:
        """Beta posterior parameters of the per-flight success chance."""
        failures = self.record.failures + (self.record.unknown if unknown_as_failure else 0)
        return a + self.record.successes, b + failures

    def posterior_mean(self, a: float = 0.5, b: float = 0.5, unknown_as_failure: bool = False) -> float:
        alpha, beta = self.posterior(a, b, unknown_as_failure)
        return alpha / (alpha + beta)


class MissileClass(_Model):
    """A class's prior, growth curve, baseline flight-test rate and operational factors."""

    id: MissileClassId
    lead: str  # the type that carries the class's future flights and deliveries
    prior_a: float = Field(gt=0)
    prior_b: float = Field(gt=0)
    prior_source: list[str] = Field(default_factory=list)
    failure_floor: Fraction  # q_inf: per-flight failure chance of a mature design
    growth: Positive  # exponent of the reliability-growth curve
    tests_per_year: NonNegative  # no-deal baseline
    deploy_after_flights: NonNegative  # a type counts as deployed after this many flights
    derating: Fraction  # test → combat
    reentry: Fraction  # full-range re-entry and fuzing (ICBM: never demonstrated)
    # share of future flights on a full-range trajectory (the re-entry shortfall shrinks only with
    # these); absent: every flight counts, as before trajectories were recorded
    full_range_share: Fraction = EVERY_FLIGHT
    # after a flight-test halt ends, the share of the forgone flights made up (over `catch_up_months`),
    # flown by these types (those flown least; none: by the lead)
    catch_up_share: Fraction = NO_CATCH_UP
    catch_up_types: list[str] = Field(default_factory=list)
    catch_up_basis: str | None = None
    survival: Fraction  # pre-launch survival of launchers
    launchers: NonNegative  # at the profile's data date
    launcher_growth_per_year: Annotated[Spec, within(-0.5, 1.0)]


class Region(_Model):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")  # regions are data: the evidence lists them
    name: str
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    published_km: float | None = None  # a published distance from Pyongyang, for cross-checks
    source: list[str] = Field(default_factory=list)
    defended: bool = False  # within the US homeland missile defence


class Defence(_Model):
    """Homeland missile defence (the older form: one layer over the regions marked ``defended``)."""

    pk_per_shot: Fraction
    shots_per_warhead: int = Field(ge=1)
    interceptors: NonNegative


class DefenceLayer(_Model):
    """One missile-defence layer: the regions it covers, the classes it can engage, from when,
    its interceptors, per-shot kill chance and shots fired per warhead."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: str
    regions: list[str] = Field(min_length=1)
    engages: list[MissileClassId] = Field(min_length=1)
    since: Month
    interceptors: NonNegative
    pk_per_shot: Fraction
    # share of the warheads aimed at a covered region that fly within the layer's footprint
    # (a point defence of some sites: below 1)
    coverage: Fraction = IN_FULL
    shots_per_warhead: int = Field(ge=1, le=16)
    shots_basis: str | None = None
    note: str | None = None




class LaunchSite(_Model):
    name: str
    lat: float
    lon: float
    source: list[str] = Field(min_length=1)


class MissileForce(_Model):
    """All missile evidence of a profile."""

    launch_site: LaunchSite
    unknown_as_failure: bool = False
    types: list[MissileType]
    classes: list[MissileClass]
    regions: list[Region]
    defence: Defence | None = None  # older form: one homeland layer over the `defended` regions
    defences: list[DefenceLayer] = Field(default_factory=list)  # per region, outer layers first
    interceptor_derating: Fraction = IN_FULL  # per-shot kill chance in combat ÷ in tests
    catch_up_months: int = Field(24, ge=1, le=120)  # a class makes up forgone flights over this many months

    @model_validator(mode="after")
    def _consistent(self) -> MissileForce:
        ids = [t.id for t in self.types]
        if len(ids) != len(set(ids)):
            raise ValueError("missile type ids must be unique")
        if self.defence is not None and self.defences:
            raise ValueError("give `defences` (layers) or the older `defence`, not both")
        regions = {r.id for r in self.regions}
        for layer in self.defences:
            for rid in layer.regions:
                if rid not in regions:
                    raise ValueError(f"defence {layer.id!r} covers unknown region {rid!r}; known: "
                                     f"{', '.join(sorted(regions))}")
        if len({layer.id for layer in self.defences}) != len(self.defences):
            raise ValueError("defence layer ids must be unique")
        for c in self.classes:
            lead = next((t for t in self.types if t.id == c.lead), None)
            if lead is None:
                raise ValueError(f"class {c.id!r} names lead type {c.lead!r}, which is not a type")
            if lead.missile_class != c.id:
                raise ValueError(f"lead type {c.lead!r} is not of class {c.id!r}")
            for tid in c.catch_up_types:
                other = next((t for t in self.types if t.id == tid), None)
                if other is None or other.missile_class != c.id or tid == c.lead:
                    raise ValueError(f"class {c.id!r}: catch-up type {tid!r} must be another type of the class")
            if c.catch_up_types and not (c.catch_up_basis or "").strip():
                raise ValueError(f"class {c.id!r}: `catch_up_types` needs a one-line `catch_up_basis`")
        return self

    def missile_class(self, class_id: str) -> MissileClass:
        for c in self.classes:
            if c.id == class_id:
                return c
        raise KeyError(f"unknown missile class {class_id!r}; known: {', '.join(c.id for c in self.classes)}")

    def distance_km(self, region: Region) -> float:
        """Geodesic distance (WGS-84) from the launch site to a region, km."""
        site = self.launch_site
        return Geodesic.WGS84.Inverse(site.lat, site.lon, region.lat, region.lon)["s12"] / 1000.0

    def lead(self, c: MissileClass) -> MissileType:
        return next(t for t in self.types if t.id == c.lead)

    def catch_up(self, c: MissileClass) -> list[MissileType]:
        """The types a class's catch-up flights go to (none: its lead)."""
        return [next(t for t in self.types if t.id == tid) for tid in c.catch_up_types]

    def layers(self) -> list[tuple[str, DefenceLayer]]:
        """(parameter stem, layer) of every defence layer; the older ``defence`` block is one
        layer over the ``defended`` regions engaging every class, in service throughout."""
        if self.defence is None:
            return [(f"defence.{layer.id}", layer) for layer in self.defences]
        d = self.defence
        covered = [r.id for r in self.regions if r.defended]
        if not covered:
            return []
        layer = DefenceLayer.model_construct(  # built from validated parts; in service throughout
            id="homeland", name="Homeland missile defence", regions=covered, engages=[c.id for c in self.classes],
            since=0, interceptors=d.interceptors, pk_per_shot=d.pk_per_shot, coverage=IN_FULL,
            shots_per_warhead=d.shots_per_warhead)
        return [("defence", layer)]

    def parameters(self) -> dict[str, _Spec]:
        """Uncertain inputs; ``missiles.<class>.reliability_now`` is the lead type's posterior."""
        out: dict[str, _Spec] = {}
        for c in self.classes:
            lead = self.lead(c)
            a, b = lead.posterior(c.prior_a, c.prior_b, self.unknown_as_failure)
            out[f"missiles.{c.id}.reliability_now"] = Beta(
                dist="beta", a=a, b=b, source=list(lead.record.source) + list(c.prior_source))
            for t in self.catch_up(c):
                a, b = t.posterior(c.prior_a, c.prior_b, self.unknown_as_failure)
                out[f"missile.{t.id}.reliability_now"] = Beta(
                    dist="beta", a=a, b=b, source=list(t.record.source) + list(c.prior_source))
        for t in self.types:
            out[f"missile.{t.id}.range_km"] = t.range_km
        for c in self.classes:
            for key in ("failure_floor", "growth", "tests_per_year", "deploy_after_flights", "derating",
                        "reentry", "full_range_share", "catch_up_share", "survival", "launchers",
                        "launcher_growth_per_year"):
                out[f"missiles.{c.id}.{key}"] = getattr(c, key)
        for stem, layer in self.layers():
            out[f"{stem}.pk_per_shot"] = layer.pk_per_shot
            out[f"{stem}.interceptors"] = layer.interceptors
            out[f"{stem}.coverage"] = layer.coverage
        out["defence.interceptor_derating"] = self.interceptor_derating
        return out


def load_missiles(profile: str = "dprk", path: Path | str | None = None) -> MissileForce:
    """Load the missile evidence bundled for a profile (or a file)."""
    if path is None:
        path = Path(str(EVIDENCE / "missiles" / f"{profile}.yaml"))
        if not path.is_file():
            raise InputError(f"no missile evidence for profile {profile!r}", file=str(path))
        return _bundled(str(path))
    return _load(str(path))


def _load(path: str) -> MissileForce:
    sources = set(load_bibliography().by_id())
    force = validate(MissileForce, read_yaml(path), path, context={"sources": sources})
    for where, ids in [("launch_site.source", force.launch_site.source),
                       *[(f"types[{t.id}].record.source", t.record.source) for t in force.types],
                       *[(f"regions[{r.id}].source", r.source) for r in force.regions],
                       *[(f"classes[{c.id}].prior_source", c.prior_source) for c in force.classes]]:
        for sid in ids:
            if sid not in sources:
                raise InputError(f"unknown source id {sid!r}", file=path, field=where)
    return force


@cache
def _bundled(path: str) -> MissileForce:
    return _load(path)
