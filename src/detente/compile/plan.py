"""Compile a profile and scenarios into what the engine needs: a month grid, the parameter
specs in a fixed order, and per-facility schedules as integer arrays on the grid."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cached_property
from typing import NamedTuple

import numpy as np

from ..errors import InputError
from ..inputs.missiles import MissileForce
from ..inputs.observations import Observations
from ..inputs.profile import Enrichment, Profile, Reactor, Reprocessing
from ..inputs.scenario import Scenario
from ..inputs.uncertain import _Spec
from ..inputs.vocabulary import ACTIVITIES
from ..months import MonthGrid, format_month, parse_month
from .deal import DealPlan, compile_deal, production_mask

MAX_HORIZON_MONTHS = 1500  # 125 years of months


@dataclass(frozen=True)
class ReactorPlan:
    facility: Reactor
    period_of_month: np.ndarray  # (T,) row into the operation fractions; P = not operating
    discharges: dict[int, tuple[int | None, str | None]]  # grid month → (separation month, kg param)
    auto_from: int  # grid month after which discharges follow the cycle


@dataclass(frozen=True)
class EnrichmentPlan:
    facility: Enrichment
    period_of_month: np.ndarray  # (T,) row into capacity periods; P = before the first period
    growth_from: int  # grid month from which capacity grows


class HistoryPool(NamedTuple):
    """Posterior draws of the history's parameters given the observations (rows: particles), and
    the calibration's diagnostics (see :mod:`detente.engine.posterior`)."""

    names: tuple[str, ...]
    values: np.ndarray  # (P, H) parameter values
    ess: float  # effective sample size of the last reweighting
    unique: int  # distinct histories in the pool
    stages: int  # tempering stages from prior to posterior
    acceptance: float  # Metropolis acceptance in the last stage
    conflicts: tuple[int, ...] = ()  # observations (by index) almost no prior history reaches
    ancestors: int = 0  # distinct prior particles the pool descends from

    def describe(self) -> str:
        return (f"{len(self.values):,} posterior histories of the {len(self.names)} parameters the observations "
                f"inform, from {self.ancestors:,} distinct prior draws; {self.stages} tempering stages, "
                f"last Metropolis acceptance {self.acceptance:.0%}")


@dataclass(frozen=True)
class TestPlan:
    month: int  # grid index
    stem: str  # parameter name prefix


@dataclass(frozen=True)
class Plan:
    """Everything a block needs, independent of the random draws."""

    profile: Profile
    scenarios: tuple[Scenario, ...]
    grid: MonthGrid
    branch: int  # grid index of the first month where scenarios may differ
    parameters: dict[str, _Spec]
    reactors: tuple[ReactorPlan, ...]
    enrichment: tuple[EnrichmentPlan, ...]
    tests: tuple[TestPlan, ...]
    lag_slots: int  # ring-buffer length for the weaponisation lag
    deals: tuple[DealPlan | None, ...]  # per scenario (None: no phases)
    baseline: int | None  # index of the scenario paired differences are taken against
    threshold: int  # warheads: report months until the arsenal reaches this many
    reactor_facility: np.ndarray  # (R,) index of each reactor among profile.facilities
    enrichment_facility: np.ndarray  # (E,)
    reprocessing_facility: int  # -1 if the profile has no reprocessing plant
    production: np.ndarray  # (F,) facilities that make fissile material
    undeclared: np.ndarray  # (F,)
    missiles: MissileForce
    distances: np.ndarray  # (J,) km from the launch site to each region
    with_missiles: bool = True  # run the missile model (off: fissile material, warheads and deals only)
    observations: Observations | None = None  # what the history is conditioned on (None: the prior)
    pool: HistoryPool | None = None  # the history's parameters given the observations (set by a run)

    @property
    def control_rows(self) -> tuple[str, ...]:
        """What each row of a deal's controls stops: the facilities, then the activities."""
        return (*(f.id for f in self.profile.facilities), *ACTIVITIES)

    @property
    def warnings(self) -> list[str]:
        """What validates but probably does not say what its author meant (per scenario)."""
        return [w for deal in self.deals if deal is not None for w in deal.warnings]

    @cached_property
    def evaluation_months(self) -> np.ndarray:
        """Grid months where deliveries (and, from the branch, breakout) are evaluated: every 12
        months from the earliest scenario start, and the horizon."""
        first = self.grid.index(min(s.start for s in self.scenarios))
        rows = np.arange(max(first, self.branch), self.grid.size, 12)
        return np.unique(np.r_[rows, self.grid.size - 1])

    @cached_property
    def breakout_months(self) -> np.ndarray:
        """(T,) uint8: months whose breakout time is evaluated — every January of the history,
        then the evaluation months."""
        out = np.zeros(self.grid.size, dtype=np.uint8)
        months = np.arange(self.grid.start, self.grid.end + 1)
        out[:self.branch] = months[:self.branch] % 12 == 0
        out[self.evaluation_months] = 1
        return out

    @cached_property
    def design_requires(self) -> tuple[tuple[int, ...], ...]:
        """Per design, the indices of the designs it builds on."""
        ids = [d.id for d in self.profile.designs]
        return tuple(tuple(ids.index(r) for r in d.requires) for d in self.profile.designs)

    def control_row(self, name: str) -> int:
        return self.control_rows.index(name)

    def input_hash(self) -> str:
        """SHA-256 of every input the numbers depend on: the profile, the scenarios and the missile
        evidence as validated, the month grid, the baseline, the threshold and whether the
        missile model runs (the seed and sample count are recorded beside it)."""
        payload = {
            "profile": self.profile.model_dump(mode="json"),
            "scenarios": [s.model_dump(mode="json") for s in self.scenarios],
            "missiles": self.missiles.model_dump(mode="json"),
            "grid": [self.grid.start, self.grid.end],
            "baseline": self.baseline,
            "threshold": self.threshold,
            "with_missiles": self.with_missiles,
            "observations": None if self.observations is None else [
                [o.month, o.metric, o.low, o.high, o.source, o.publisher, o.weight] for o in self.observations.rows],
        }
        text = json.dumps(payload, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()

    def parameter_specs(self) -> dict[str, _Spec]:
        """Profile parameters and every scenario's own."""
        out = dict(self.parameters)
        for deal in self.deals:
            if deal is not None:
                out.update(deal.parameters)
        return out


def _periods(starts: list[int], ends: list[int | None], grid: MonthGrid, empty: int) -> np.ndarray:
    months = np.arange(grid.start, grid.end + 1)
    index = np.full(grid.size, empty, dtype=np.int64)
    for i, (start, end) in enumerate(zip(starts, ends, strict=True)):
        stop = grid.end if end is None else end
        index[(months >= start) & (months <= stop)] = i
    return index


def _capacity_periods(facility: Enrichment, grid: MonthGrid) -> np.ndarray:
    starts = [p.start for p in facility.capacity]
    ends = [s - 1 for s in starts[1:]] + [None]
    return _periods(starts, ends, grid, len(starts))


def compile_plan(
    profile: Profile,
    scenarios: list[Scenario],
    missiles: MissileForce,
    horizon: str | int | None = None,
    baseline: str | None = None,
    threshold: int = 200,
    with_missiles: bool = True,
    observations: Observations | None = None,
) -> Plan:
    """Check run-level consistency and build the :class:`Plan`.

    ``baseline`` names the scenario paired differences are taken against (default: a scenario
    of kind ``baseline`` if there is one and another scenario to compare with it);
    ``observations`` condition the history (None: the unconditioned prior).
    """
    if not scenarios:
        raise InputError("no scenario given", field="scenarios")
    names = [s.name for s in scenarios]
    if len(set(names)) != len(names):
        raise InputError("a scenario is named twice", field="scenarios")
    if horizon is None:
        end = max(s.start + 12 * s.horizon_years for s in scenarios)
    elif isinstance(horizon, str):
        try:
            end = parse_month(horizon)
        except ValueError as exc:
            raise InputError(str(exc), field="horizon") from None
    else:
        end = int(horizon)
    if end <= profile.today:
        raise InputError(
            f"horizon {format_month(end)} must be after the profile's data date "
            f"{format_month(profile.today)}",
            field="horizon",
        )
    if end - profile.start + 1 > MAX_HORIZON_MONTHS:
        raise InputError(
            f"horizon {format_month(end)} is too far: at most {MAX_HORIZON_MONTHS} months "
            f"after {format_month(profile.start)}",
            field="horizon",
        )
    for scenario in scenarios:
        if end <= scenario.start:
            raise InputError(
                f"horizon {format_month(end)} is not after scenario {scenario.name!r}'s start "
                f"{format_month(scenario.start)}",
                field="horizon",
            )
        if scenario.start < profile.today:
            raise InputError(
                f"scenario {scenario.name!r} starts {format_month(scenario.start)}, before the "
                f"profile's data date {format_month(profile.today)}",
                field="start",
            )
    grid = MonthGrid(profile.start, end)
    # the future starts after the data date, for every scenario alike (a scenario's numbers do
    # not depend on the others run beside it); deals act only from their own start
    branch = min(grid.size, grid.index(profile.today) + 1)

    reactors = []
    enrichment = []
    for f in profile.facilities:
        if isinstance(f, Reactor):
            ops = f.operation
            period = _periods([p.start for p in ops], [p.end for p in ops], grid, len(ops))
            discharges = {}
            for d in f.discharges:
                if grid.start <= d.month <= grid.end:
                    kg = f"{f.id}.discharge.{format_month(d.month)}.kg" if d.kg else None
                    sep = None if d.separated is None else grid.index(d.separated)
                    discharges[grid.index(d.month)] = (sep, kg)
            auto = grid.index(f.discharges[-1].month) if f.discharges else 0
            reactors.append(ReactorPlan(f, period, discharges, auto))
        elif isinstance(f, Enrichment):
            growth = grid.index(profile.today) + 1
            enrichment.append(EnrichmentPlan(f, _capacity_periods(f, grid), growth))
    tests = tuple(
        TestPlan(grid.index(t.month), f"test.{format_month(t.month)}")
        for t in profile.nuclear_tests
        if grid.start <= t.month <= grid.end
    )
    lag_max = profile.weapons.lag_months.quantile(1.0)
    if baseline is None:
        kinds = [i for i, sc in enumerate(scenarios) if sc.kind == "baseline"]
        base = kinds[0] if kinds and len(scenarios) > 1 else None
    elif baseline in names:
        base = names.index(baseline)
    else:
        raise InputError(f"baseline {baseline!r} is not among the scenarios ({', '.join(names)})",
                         field="baseline")
    kinds_of = [type(f) for f in profile.facilities]
    rcl = [i for i, k in enumerate(kinds_of) if k is Reprocessing]
    return Plan(
        profile=profile,
        scenarios=tuple(scenarios),
        grid=grid,
        branch=branch,
        parameters={**profile.parameters(), **missiles.parameters()},
        reactors=tuple(reactors),
        enrichment=tuple(enrichment),
        tests=tests,
        lag_slots=int(np.ceil(lag_max)) + 2,
        deals=tuple(compile_deal(sc, profile, grid.start) if sc.phases else None for sc in scenarios),
        baseline=base,
        threshold=threshold,
        reactor_facility=np.array([i for i, k in enumerate(kinds_of) if k is Reactor], dtype=np.int64),
        enrichment_facility=np.array([i for i, k in enumerate(kinds_of) if k is Enrichment], dtype=np.int64),
        reprocessing_facility=rcl[0] if rcl else -1,
        production=production_mask(profile),
        undeclared=np.array([not f.declared for f in profile.facilities] + [False] * len(ACTIVITIES)),
        missiles=missiles,
        distances=np.array([missiles.distance_km(r) for r in missiles.regions]),
        with_missiles=with_missiles,
        observations=observations if observations is not None and observations.rows else None,
    )
