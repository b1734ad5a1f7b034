"""Missile evidence: types with their flight records, classes with priors and reliability growth,
launchers, target regions (coordinates; distances are computed, not typed in) and missile
defence. Loaded from ``evidence/missiles/<profile>.yaml``.

Reliability of a type: the beta-binomial posterior of its record under its class prior
(``Beta(a + successes, b + failures)``; unknown outcomes excluded, or counted as failures with
``unknown_as_failure``), then a growth curve as it flies more: the per-flight failure chance
falls as ``q(k) = q_inf + (q_now − q_inf) · (k / k_now)^(−growth)``.
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
from .uncertain import Beta, Spec, _Spec
from .validators import Fraction, NonNegative, Positive, within
from .vocabulary import MissileClassId


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Record(_Model):
    """Flights through the record's end: successes, failures, unknown outcomes."""

    successes: int = Field(ge=0)
    failures: int = Field(ge=0)
    unknown: int = Field(0, ge=0)
    through: Month
    source: list[str] = Field(min_length=1)


class MissileType(_Model):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: str
    missile_class: MissileClassId = Field(alias="class")
    propellant: Literal["liquid", "solid"]
    range_km: Positive
    first_flight: Month
    record: Record
    note: str | None = None

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
    """Homeland missile defence: per-shot kill chance, shots per warhead, interceptors."""

    pk_per_shot: Fraction
    shots_per_warhead: int = Field(ge=1)
    interceptors: NonNegative


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
    defence: Defence

    @model_validator(mode="after")
    def _consistent(self) -> MissileForce:
        ids = [t.id for t in self.types]
        if len(ids) != len(set(ids)):
            raise ValueError("missile type ids must be unique")
        for c in self.classes:
            lead = next((t for t in self.types if t.id == c.lead), None)
            if lead is None:
                raise ValueError(f"class {c.id!r} names lead type {c.lead!r}, which is not a type")
            if lead.missile_class != c.id:
                raise ValueError(f"lead type {c.lead!r} is not of class {c.id!r}")
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

    def parameters(self) -> dict[str, _Spec]:
        """Uncertain inputs; ``missiles.<class>.reliability_now`` is the lead type's posterior."""
        out: dict[str, _Spec] = {}
        for c in self.classes:
            lead = self.lead(c)
            a, b = lead.posterior(c.prior_a, c.prior_b, self.unknown_as_failure)
            out[f"missiles.{c.id}.reliability_now"] = Beta(
                dist="beta", a=a, b=b, source=list(lead.record.source) + list(c.prior_source))
        for t in self.types:
            out[f"missile.{t.id}.range_km"] = t.range_km
        for c in self.classes:
            for key in ("failure_floor", "growth", "tests_per_year", "deploy_after_flights", "derating",
                        "reentry", "survival", "launchers", "launcher_growth_per_year"):
                out[f"missiles.{c.id}.{key}"] = getattr(c, key)
        out["defence.pk_per_shot"] = self.defence.pk_per_shot
        out["defence.interceptors"] = self.defence.interceptors
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
