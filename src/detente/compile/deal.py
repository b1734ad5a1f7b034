"""Compile a scenario's phases against a profile: which facilities each phase restricts, which
values and verification it carries, and the scenario's own uncertain inputs (named
``<scenario>.<phase>.<field>``). Unknown facilities, sites or sanctions are input errors that
name the scenario file and the field."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from ..inputs.profile import Enrichment, Profile, Reactor
from ..inputs.scenario import FacilityMeasure, FlightTestMoratorium, Moratorium, Scenario, ShipOut, TestSiteClosure
from ..inputs.uncertain import _Spec
from ..inputs.vocabulary import ACTIVITIES, BINDS_AT_START, LEVELS, NTM_VERIFIABLE, TEST_BANS

# months before nuclear tests may resume after a collapse, by what the deal did (profile parameters)
TEST_DELAYS = {"sign": "deal.restart.ctbt_signed", "ratify": "deal.restart.ctbt_ratified",
               "close": "deal.restart.test_site_closed", "demolish": "deal.restart.test_site_demolished"}


@dataclass(frozen=True)
class DealPlan:
    """Static arrays of one scenario's deal (phases in dependency order)."""

    scenario: Scenario
    phase_ids: tuple[str, ...]
    after: np.ndarray  # (P,) index of the phase each waits for, -1 if none
    date: np.ndarray  # (P,) grid month a phase starts on, -1 if not by date
    level_start: np.ndarray  # (P, F) restriction a phase imposes from its start (declaratory measures)
    level_done: np.ndarray  # (P, F) restriction it imposes once complete (physical measures)
    tension: np.ndarray  # (P,) tension-reduction weight
    informs: np.ndarray  # (P,) 1 where compliance can be confirmed (verification, or measures seen from afar)
    disputed_start: np.ndarray  # (P,) 1 where a moratorium of disputed space-launch scope binds from the start
    disputed_done: np.ndarray  # (P,) … binds once the phase is complete
    test_delays: tuple[tuple[tuple[str, bool], ...], ...]  # per phase: (delay parameter, binds at start)
    given: tuple[tuple[tuple[str, float], ...], ...]  # per phase: (value parameter, count)
    received: tuple[tuple[tuple[str, float], ...], ...]
    covers: tuple[tuple[tuple[np.ndarray, str, str, str], ...], ...]  # (F mask, detect, dispute, lag)
    ship: tuple[int, str, str] | None  # (phase, pu share param, heu share param)
    triggers: tuple[tuple[str, str], ...]  # (rate param, breach param)
    parameters: dict[str, _Spec]  # the scenario's own uncertain inputs
    warnings: tuple[str, ...] = ()  # things that validate but probably do not say what was meant

    @property
    def phases(self) -> int:
        return len(self.phase_ids)


MORATORIUM = LEVELS["moratorium"]


def _where(scenario: Scenario, phase: int, rest: str) -> str:
    return f"phases[{scenario.phases[phase].id}].{rest}"


def compile_deal(scenario: Scenario, profile: Profile, grid_start: int) -> DealPlan:
    """Check a scenario against the profile and lay it out as arrays."""
    facilities = profile.facilities
    fids = [f.id for f in facilities]
    sites = {f.site for f in facilities}
    values = profile.values
    sanctions = {s.id for s in profile.sanctions}
    order = scenario.phase_order()
    index = {p.id: i for i, p in enumerate(order)}
    original = {p.id: i for i, p in enumerate(scenario.phases)}
    n_p, n_f = len(order), len(facilities) + len(ACTIVITIES)
    level_start = np.zeros((n_p, n_f), dtype=np.int64)
    level_done = np.zeros((n_p, n_f), dtype=np.int64)
    tension = np.zeros(n_p)
    informs = np.zeros(n_p)
    disputed_start = np.zeros(n_p)
    disputed_done = np.zeros(n_p)
    after = np.full(n_p, -1, dtype=np.int64)
    date = np.full(n_p, -1, dtype=np.int64)
    params: dict[str, _Spec] = {}
    given, received, covers, triggers, test_delays = [], [], [], [], []
    warnings: list[str] = []
    declared_at = {f.site for f in facilities if f.declared}

    def only_undeclared(phase_id: str, rest: str, named: list[str]) -> None:
        for site in named:
            if site not in declared_at:
                warnings.append(
                    f"{scenario.file}: {_where(scenario, original[phase_id], rest)}: site {site!r} holds only "
                    "undeclared facilities, which `sites:` does not cover; name them in `facilities:` "
                    "(or give verification `undeclared_access: true`)")
    ship = None

    def fail(phase_id: str, rest: str, reason: str) -> InputError:
        return InputError(reason, file=scenario.file, field=_where(scenario, original[phase_id], rest))

    def value(kind: str, table: dict, phase_id: str, rest: str) -> str:
        if kind not in table:
            raise fail(phase_id, rest, f"the profile has no value for {kind!r}")
        return f"value.{kind}"

    for i, phase in enumerate(order):
        stem = f"{scenario.name}.{phase.id}"
        if phase.start.after is not None:
            after[i] = index[phase.start.after]
        if phase.start.date is not None:
            date[i] = phase.start.date - grid_start
        params[f"{stem}.duration_months"] = phase.duration_months
        gives, gets, regimes, delays = [], [], [], []
        for m, measure in enumerate(phase.measures):
            where = f"measures[{m}]"
            if isinstance(measure, FacilityMeasure):
                for fid in measure.facilities:
                    if fid not in fids:
                        raise fail(phase.id, f"{where}.facilities",
                                   f"unknown facility {fid!r}; known: {', '.join(fids)}")
                for site in measure.sites:
                    if site not in sites:
                        raise fail(phase.id, f"{where}.sites",
                                   f"unknown site {site!r}; known: {', '.join(sorted(sites))}")
                only_undeclared(phase.id, f"{where}.sites", measure.sites)
                hit = [
                    j for j, f in enumerate(facilities)
                    if measure.all_facilities or f.id in measure.facilities
                    or (f.site in measure.sites and f.declared)
                ]
                level = level_start if binds_at_start(measure) else level_done
                for j in hit:
                    level[i, j] = max(level[i, j], LEVELS[measure.kind])
                gives.append((value(measure.kind, values.measures, phase.id, where), float(len(hit))))
            else:
                gives.append((value(measure.kind, values.measures, phase.id, where), 1.0))
                level = level_start if binds_at_start(measure) else level_done
                if measure.kind in TEST_BANS or isinstance(measure, TestSiteClosure):  # no site, no test
                    level[i, len(facilities)] = MORATORIUM
                if isinstance(measure, FlightTestMoratorium):
                    for c in measure.classes:
                        level[i, len(facilities) + ACTIVITIES.index(f"flights:{c}")] = MORATORIUM
                    if measure.space_launches == "disputed":
                        (disputed_start if binds_at_start(measure) else disputed_done)[i] = 1.0
                if measure.kind == "tension-reduction":
                    tension[i] = 1.0
                if isinstance(measure, Moratorium) and measure.ctbt_step is not None:
                    delays.append((TEST_DELAYS[measure.ctbt_step], binds_at_start(measure)))
                if isinstance(measure, TestSiteClosure):
                    delays.append((TEST_DELAYS[measure.method], binds_at_start(measure)))
                if isinstance(measure, ShipOut):
                    params[f"{stem}.pu_share"] = measure.pu_share
                    params[f"{stem}.heu_share"] = measure.heu_share
                    ship = (i, f"{stem}.pu_share", f"{stem}.heu_share")
        for k, incentive in enumerate(phase.incentives):
            where = f"incentives[{k}]"
            if incentive.kind == "sanctions-relief":
                for sid in incentive.sanctions:
                    if sid not in sanctions:
                        raise fail(phase.id, f"{where}.sanctions",
                                   f"unknown sanctions measure {sid!r}; known: {', '.join(sorted(sanctions))}")
                    gets.append((f"sanction.{sid}", 1.0))
            elif incentive.musd_per_year is not None:
                name = f"{stem}.incentive{k}.musd_per_year"
                params[name] = incentive.musd_per_year
                gets.append((name, 1.0))
            else:
                gets.append((value(incentive.kind, values.incentives, phase.id, where), 1.0))
        for v, regime in enumerate(phase.verification):
            where = f"verification[{v}]"
            for fid in regime.facilities:
                if fid not in fids:
                    raise fail(phase.id, f"{where}.facilities", f"unknown facility {fid!r}; known: {', '.join(fids)}")
            for site in regime.sites:
                if site not in sites:
                    raise fail(phase.id, f"{where}.sites", f"unknown site {site!r}; known: {', '.join(sorted(sites))}")
            if not regime.undeclared_access:
                only_undeclared(phase.id, f"{where}.sites", regime.sites)
            mask = np.array([
                f.id in regime.facilities or (f.site in regime.sites and f.declared)
                or (regime.undeclared_access and not f.declared)
                for f in facilities
            ] + [False] * len(ACTIVITIES))
            names = tuple(f"{stem}.verification{v}.{key}"
                          for key in ("detect_per_month", "dispute_per_month", "access_lag_months"))
            for name, key in zip(names, ("detect_per_month", "dispute_per_month", "access_lag_months"), strict=True):
                params[name] = getattr(regime, key)
            regimes.append((mask, *names))
        given.append(tuple(gives))
        test_delays.append(tuple(delays))
        received.append(tuple(gets))
        covers.append(tuple(regimes))
        seen_from_afar = bool(phase.measures) and all(m.kind in NTM_VERIFIABLE for m in phase.measures)
        if phase.verification or seen_from_afar:
            informs[i] = 1.0  # compliance can be confirmed: on site, or from afar (NTM, imagery, the CTBTO)
    for trigger in scenario.triggers:
        stem = f"{scenario.name}.trigger.{trigger.id}"
        params[f"{stem}.rate_per_year"] = trigger.rate_per_year
        params[f"{stem}.p_breach"] = trigger.p_breach
        triggers.append((f"{stem}.rate_per_year", f"{stem}.p_breach"))
    return DealPlan(
        scenario=scenario, phase_ids=tuple(p.id for p in order), after=after, date=date,
        level_start=level_start, level_done=level_done, tension=tension, informs=informs,
        disputed_start=disputed_start, disputed_done=disputed_done, test_delays=tuple(test_delays),
        given=tuple(given), received=tuple(received),
        covers=tuple(covers), ship=ship, triggers=tuple(triggers), parameters=params, warnings=tuple(warnings),
    )


def binds_at_start(measure) -> bool:
    """Whether a measure restricts from its phase's start (else once the phase is complete)."""
    binds = getattr(measure, "binds", None)
    return binds == "start" if binds is not None else measure.kind in BINDS_AT_START


def production_mask(profile: Profile) -> np.ndarray:
    """Control rows that make fissile material (reactors and enrichment plants)."""
    return np.array([isinstance(f, Reactor | Enrichment) for f in profile.facilities]
                    + [False] * len(ACTIVITIES))
