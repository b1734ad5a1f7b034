"""Compile a scenario's phases against a profile: which facilities each phase restricts (and
until when), which values and verification it carries, what its declarations declare, its caps
and missile limits, and the scenario's own uncertain inputs (named ``<scenario>.<phase>.<field>``).
Unknown facilities, sites, sanctions or goodwill steps are input errors that name the scenario
file and the field."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from ..errors import InputError
from ..inputs.profile import Enrichment, Profile, Reactor
from ..inputs.scenario import (
    Cap,
    ConfidenceBuilding,
    Declaration,
    FacilityMeasure,
    FlightTestMoratorium,
    MissileLimit,
    Moratorium,
    Scenario,
    ShipOut,
    TestSiteClosure,
)
from ..inputs.uncertain import Uniform, _Spec
from ..inputs.vocabulary import ACTIVITIES, BINDS_AT_START, CAP_STOCKS, LEVELS, NTM_VERIFIABLE, TEST_BANS
from ..months import NEVER

# months before nuclear tests may resume after a collapse, by what the deal did (profile parameters)
TEST_DELAYS = {"sign": "deal.restart.ctbt_signed", "ratify": "deal.restart.ctbt_ratified",
               "close": "deal.restart.test_site_closed", "demolish": "deal.restart.test_site_demolished"}
# the draw that decides, per sample, whether a declaration is complete for what it names
OPENED = Uniform(dist="uniform", low=0, high=1, judgement=True,
                 basis="compared with the declaration's completeness: below it, the facilities it names are opened")


class Timing(NamedTuple):
    """When something binds: its phase, and whether from the phase's start (else its completion)."""

    phase: int
    at_start: bool


class Declared(NamedTuple):
    """A declaration: the facilities it names count as declared from ``timing`` where ``opened``
    (a uniform) is below ``completeness``."""

    timing: Timing
    facilities: tuple[int, ...]
    completeness: str  # parameter name
    opened: str


class Tied(NamedTuple):
    """An incentive received in full from the month a named measure binds (not by progress)."""

    timing: Timing
    value: tuple[tuple[str, float], ...]  # (parameter, count)
    snapback: bool
    goodwill: bool  # a confidence-building step of the other side's


class StockCap(NamedTuple):
    timing: Timing
    stock: int  # index into CAP_STOCKS
    limit: float  # kg or warheads
    declared: bool  # excess stored under seal (back in use when the cap lapses), else removed
    until: int  # grid month of the sunset, or NEVER


class OutputCap(NamedTuple):
    timing: Timing
    rows: tuple[int, ...]  # control rows of the facilities capped
    share: float  # of capacity allowed
    until: int


class LauncherLimit(NamedTuple):
    """A launcher ceiling on one missile class: ``limit`` launchers, or (``limit`` None) the number
    it has when the limit binds (a production halt); ``level`` sets the delay after a collapse."""

    timing: Timing
    missile_class: str  # its id
    limit: float | None
    level: int  # restriction level whose restart delay applies after a collapse (1 cap, 3 elimination)
    until: int


@dataclass(frozen=True)
class DealPlan:
    """Static arrays of one scenario's deal (phases in dependency order)."""

    scenario: Scenario
    phase_ids: tuple[str, ...]
    after: np.ndarray  # (P,) index of the phase each waits for, -1 if none
    offset: tuple[str | None, ...]  # (P,) parameter: months after that phase a phase starts
    date: np.ndarray  # (P,) grid month a phase starts on, -1 if not by date
    level_start: np.ndarray  # (P, F) restriction a phase imposes from its start (declaratory measures)
    level_done: np.ndarray  # (P, F) restriction it imposes once complete (physical measures)
    until_start: np.ndarray  # (P, F) grid month the restriction from the start lapses (sunset), or NEVER
    until_done: np.ndarray  # (P, F) … the restriction once complete
    pending_start: np.ndarray  # (P, F) uint8 1: restricts the row only once a declaration has declared it
    pending_done: np.ndarray  # (P, F)
    tension: np.ndarray  # (P,) tension-reduction weight
    tension_until: np.ndarray  # (P,) grid month it lapses, or NEVER
    goodwill_start: np.ndarray  # (P,) 1 where a DPRK confidence-building step is done at the start
    goodwill_done: np.ndarray  # (P,) … once the phase is complete
    us_goodwill: np.ndarray  # (P,) 1 where the other side's confidence-building step arrives with the phase
    settled_start: np.ndarray  # (P,) 1 where a space-launch ban settles the scope from the start
    settled_done: np.ndarray  # (P,)
    informs: np.ndarray  # (P,) 1 where compliance can be confirmed (verification, or measures seen from afar)
    disputed_start: np.ndarray  # (P,) 1 where a moratorium of disputed space-launch scope binds from the start
    disputed_done: np.ndarray  # (P,) … binds once the phase is complete
    test_delays: tuple[tuple[tuple[str, bool], ...], ...]  # per phase: (delay parameter, binds at start)
    given: tuple[tuple[tuple[str, float], ...], ...]  # per phase: (value parameter, count)
    received: tuple[tuple[tuple[str, float], ...], ...]
    snapback: tuple[tuple[tuple[str, float], ...], ...]  # per phase: relief reimposed on a detection
    tied: tuple[Tied, ...]
    declarations: tuple[Declared, ...]
    stock_caps: tuple[StockCap, ...]
    output_caps: tuple[OutputCap, ...]
    launcher_limits: tuple[LauncherLimit, ...]
    # per phase: (F mask, F mask covered once declared, detect, dispute, lag)
    covers: tuple[tuple[tuple[np.ndarray, np.ndarray, str, str, str], ...], ...]
    ship: tuple[int, str, str] | None  # (phase, pu share param, heu share param)
    triggers: tuple[tuple[str, str], ...]  # (rate param, breach param)
    parameters: dict[str, _Spec]  # the scenario's own uncertain inputs
    warnings: tuple[str, ...] = ()  # things that validate but probably do not say what was meant

    @property
    def phases(self) -> int:
        return len(self.phase_ids)


def _where(scenario: Scenario, phase: int, rest: str) -> str:
    return f"phases[{scenario.phases[phase].id}].{rest}"


def compile_deal(scenario: Scenario, profile: Profile, grid_start: int) -> DealPlan:
    """Check a scenario against the profile and lay it out as arrays."""
    facilities = profile.facilities
    fids = [f.id for f in facilities]
    sites = {f.site for f in facilities}
    values = profile.values
    sanctions = {s.id for s in profile.sanctions}
    goodwill = {g.id: g for g in profile.confidence_building}
    order = scenario.phase_order()
    index = {p.id: i for i, p in enumerate(order)}
    original = {p.id: i for i, p in enumerate(scenario.phases)}
    n_p, n_f = len(order), len(facilities) + len(ACTIVITIES)
    level = {True: np.zeros((n_p, n_f), dtype=np.int64), False: np.zeros((n_p, n_f), dtype=np.int64)}
    until = {True: np.full((n_p, n_f), NEVER, dtype=np.int64), False: np.full((n_p, n_f), NEVER, dtype=np.int64)}
    pending = {True: np.zeros((n_p, n_f), dtype=np.uint8), False: np.zeros((n_p, n_f), dtype=np.uint8)}
    dprk_goodwill = {True: np.zeros(n_p), False: np.zeros(n_p)}
    settled = {True: np.zeros(n_p), False: np.zeros(n_p)}
    tension = np.zeros(n_p)
    tension_until = np.full(n_p, NEVER, dtype=np.int64)
    us_goodwill = np.zeros(n_p)
    informs = np.zeros(n_p)
    disputed_start = np.zeros(n_p)
    disputed_done = np.zeros(n_p)
    after = np.full(n_p, -1, dtype=np.int64)
    date = np.full(n_p, -1, dtype=np.int64)
    offset: list[str | None] = []
    params: dict[str, _Spec] = {}
    given, received, snapback, covers, triggers, test_delays = [], [], [], [], [], []
    tied: list[Tied] = []
    declarations: list[Declared] = []
    stock_caps: list[StockCap] = []
    output_caps: list[OutputCap] = []
    launcher_limits: list[LauncherLimit] = []
    warnings: list[str] = []
    declared_at = {f.site for f in facilities if f.declared}
    ship = None

    def fail(phase_id: str, rest: str, reason: str) -> InputError:
        return InputError(reason, file=scenario.file, field=_where(scenario, original[phase_id], rest))

    def value(kind: str, table: dict, phase_id: str, rest: str) -> str:
        if kind not in table:
            raise fail(phase_id, rest, f"the profile has no value for {kind!r}")
        return f"value.{kind}"

    def goodwill_value(phase_id: str, rest: str, action: str, side: str) -> str:
        step = goodwill.get(action)
        if step is None or step.side != side:
            whose = "the DPRK's" if side == "dprk" else "the other side's"
            listed = ", ".join(g for g, v in goodwill.items() if v.side == side) or "none"
            raise fail(phase_id, rest, f"{action!r} is not a confidence-building step of {whose} in the "
                       f"profile (known: {listed})")
        return f"goodwill.{step.id}"

    def known(phase_id: str, rest: str, named_facilities: list[str], named_sites: list[str]) -> None:
        for fid in named_facilities:
            if fid not in fids:
                raise fail(phase_id, f"{rest}.facilities", f"unknown facility {fid!r}; known: {', '.join(fids)}")
        for site in named_sites:
            if site not in sites:
                raise fail(phase_id, f"{rest}.sites", f"unknown site {site!r}; known: {', '.join(sorted(sites))}")

    def month(m) -> int:
        return NEVER if m is None else m - grid_start

    # what the scenario's declarations name: undeclared facilities they may declare
    to_declare: set[int] = set()
    for phase in order:
        for m, measure in enumerate(phase.measures):
            if isinstance(measure, Declaration):
                known(phase.id, f"measures[{m}]", measure.facilities, measure.sites)
                to_declare |= {j for j, f in enumerate(facilities) if not f.declared and (
                    measure.all_facilities or f.id in measure.facilities or f.site in measure.sites)}

    def only_undeclared(phase_id: str, rest: str, named: list[str]) -> None:
        for site in named:
            held = [j for j, f in enumerate(facilities) if f.site == site]
            if site not in declared_at and not any(j in to_declare for j in held):
                warnings.append(
                    f"{scenario.file}: {_where(scenario, original[phase_id], rest)}: site {site!r} holds only "
                    "undeclared facilities, which `sites:` does not cover; name them in `facilities:` "
                    "(or give verification `undeclared_access: true`, or declare them)")

    def restrict(i: int, rows: list[int], kind_level: int, at_start: bool, sunset, waits: list[int] = ()) -> None:
        """Rows restricted by one measure of phase ``i``; ``waits``: rows restricted only once declared."""
        for j in rows:
            old = level[at_start][i, j]
            lapse = month(sunset)
            if old and until[at_start][i, j] != lapse and old != kind_level:
                raise fail(order[i].id, "measures", f"two measures restrict {(*fids, *ACTIVITIES)[j]!r} at different "
                           "levels with different sunsets in one phase; put them in separate phases")
            level[at_start][i, j] = max(old, kind_level)
            until[at_start][i, j] = lapse if not old else max(until[at_start][i, j], lapse)
            waiting = j in waits
            pending[at_start][i, j] = waiting if not old else min(pending[at_start][i, j], waiting)

    measure_at: dict[str, Timing] = {}
    for i, phase in enumerate(order):
        for measure in phase.measures:
            if measure.id is not None:
                measure_at[measure.id] = Timing(i, binds_at_start(measure))

    for i, phase in enumerate(order):
        stem = f"{scenario.name}.{phase.id}"
        if phase.start.after is not None:
            after[i] = index[phase.start.after]
        if phase.start.date is not None:
            date[i] = phase.start.date - grid_start
        offset.append(None)
        if phase.start.offset_months is not None:
            offset[i] = f"{stem}.offset_months"
            params[offset[i]] = phase.start.offset_months
        params[f"{stem}.duration_months"] = phase.duration_months
        gives, gets, snaps, regimes, delays = [], [], [], [], []
        for m, measure in enumerate(phase.measures):
            where = f"measures[{m}]"
            at_start = binds_at_start(measure)
            key = measure.id or f"measure{m}"
            if isinstance(measure, FacilityMeasure):
                known(phase.id, where, measure.facilities, measure.sites)
                only_undeclared(phase.id, f"{where}.sites", measure.sites)
                hit = [
                    j for j, f in enumerate(facilities)
                    if measure.all_facilities or f.id in measure.facilities
                    or (f.site in measure.sites and (f.declared or j in to_declare))
                ]
                waits = [j for j in hit if j in to_declare and facilities[j].id not in measure.facilities
                         and not measure.all_facilities]
                restrict(i, hit, LEVELS[measure.kind], at_start, measure.until, waits)
                gives.append((value(measure.kind, values.measures, phase.id, where), float(len(hit))))
                continue
            if isinstance(measure, Cap):  # valued by what it forgoes: the plants whose growth it stops
                timing, until_month = Timing(i, at_start), month(measure.until)
                if measure.stock is not None:
                    count = float(sum(isinstance(f, Reactor | Enrichment) for f in facilities))
                    stock_caps.append(StockCap(timing, CAP_STOCKS.index(measure.stock), measure.limit,
                                               measure.excess == "declared", until_month))
                elif measure.launchers:
                    count = float(len(measure.launchers))
                    for c in measure.launchers:
                        launcher_limits.append(LauncherLimit(timing, c, measure.limit, LEVELS["freeze"], until_month))
                else:
                    known(phase.id, where, measure.facilities, [])
                    rows = [fids.index(fid) for fid in measure.facilities]
                    count = len(rows) * (1.0 - measure.share)
                    output_caps.append(OutputCap(timing, tuple(rows), measure.share, until_month))
                    for j in rows:
                        if not facilities[j].declared and j not in to_declare:
                            warnings.append(
                                f"{scenario.file}: {_where(scenario, original[phase.id], where)}: {fids[j]!r} is "
                                "undeclared, so no one can check a cap on its output; the model holds it to the "
                                "cap anyway (declare it, or freeze it)")
                gives.append((value(measure.kind, values.measures, phase.id, where), count))
                continue
            if isinstance(measure, ConfidenceBuilding):
                gives.append((goodwill_value(phase.id, f"{where}.action", measure.action, "dprk"), 1.0))
                dprk_goodwill[at_start][i] = 1.0
                continue
            gives.append((value(measure.kind, values.measures, phase.id, where), 1.0))
            if measure.kind in TEST_BANS or isinstance(measure, TestSiteClosure):  # no site, no test
                restrict(i, [len(facilities)], LEVELS["moratorium"], at_start, measure.until)
            if isinstance(measure, FlightTestMoratorium):
                rows = [len(facilities) + ACTIVITIES.index(f"flights:{c}") for c in measure.classes]
                restrict(i, rows, LEVELS["moratorium"], at_start, measure.until)
                if measure.space_launches == "disputed":
                    (disputed_start if at_start else disputed_done)[i] = 1.0
            if measure.kind == "tension-reduction":
                tension[i] = 1.0
                tension_until[i] = month(measure.until)
            if isinstance(measure, Moratorium) and measure.ctbt_step is not None:
                delays.append((TEST_DELAYS[measure.ctbt_step], at_start))
            if isinstance(measure, TestSiteClosure):
                delays.append((TEST_DELAYS[measure.method], at_start))
            if isinstance(measure, ShipOut):
                params[f"{stem}.pu_share"] = measure.pu_share
                params[f"{stem}.heu_share"] = measure.heu_share
                ship = (i, f"{stem}.pu_share", f"{stem}.heu_share")
            if isinstance(measure, Declaration):
                named = tuple(j for j in sorted(to_declare) if measure.all_facilities
                              or facilities[j].id in measure.facilities or facilities[j].site in measure.sites)
                if named:
                    completeness = "deal.declaration_completeness"
                    if measure.completeness is not None:
                        completeness = f"{stem}.{key}.completeness"
                        params[completeness] = measure.completeness
                    params[f"{stem}.{key}.opened"] = OPENED
                    declarations.append(Declared(Timing(i, at_start), named, completeness, f"{stem}.{key}.opened"))
            if isinstance(measure, MissileLimit) and measure.kind == "space-launch-ban":
                settled[at_start][i] = 1.0
            elif isinstance(measure, MissileLimit):
                for c in measure.classes:
                    cut = 0.0 if measure.kind == "missile-elimination" else None
                    step = LEVELS["dismantle"] if measure.kind == "missile-elimination" else LEVELS["freeze"]
                    launcher_limits.append(LauncherLimit(Timing(i, at_start), c, cut, step,
                                                         month(measure.until)))
        for k, incentive in enumerate(phase.incentives):
            where = f"incentives[{k}]"
            items: list[tuple[str, float]] = []
            if incentive.kind == "sanctions-relief":
                for sid in incentive.sanctions:
                    if sid not in sanctions:
                        raise fail(phase.id, f"{where}.sanctions",
                                   f"unknown sanctions measure {sid!r}; known: {', '.join(sorted(sanctions))}")
                    items.append((f"sanction.{sid}", 1.0))
            elif incentive.musd_per_year is not None:
                name = f"{stem}.incentive{k}.musd_per_year"
                params[name] = incentive.musd_per_year
                items.append((name, 1.0))
            elif incentive.kind == "confidence-building":
                items.append((goodwill_value(phase.id, f"{where}.action", incentive.action, "us"), 1.0))
            else:
                items.append((value(incentive.kind, values.incentives, phase.id, where), 1.0))
            if incentive.for_measure is not None:
                tied.append(Tied(measure_at[incentive.for_measure], tuple(items), incentive.snapback,
                                 incentive.kind == "confidence-building"))
                continue
            (snaps if incentive.snapback else gets).extend(items)
            if incentive.kind == "confidence-building":
                us_goodwill[i] = 1.0
        for v, regime in enumerate(phase.verification):
            where = f"verification[{v}]"
            known(phase.id, where, regime.facilities, regime.sites)
            if not regime.undeclared_access:
                only_undeclared(phase.id, f"{where}.sites", regime.sites)
            mask = np.array([
                f.id in regime.facilities or (f.site in regime.sites and f.declared)
                or (regime.undeclared_access and not f.declared)
                for f in facilities
            ] + [False] * len(ACTIVITIES))
            once_declared = np.array([
                not mask[j] and j in to_declare and f.site in regime.sites for j, f in enumerate(facilities)
            ] + [False] * len(ACTIVITIES))
            names = tuple(f"{stem}.verification{v}.{key}"
                          for key in ("detect_per_month", "dispute_per_month", "access_lag_months"))
            for name, key in zip(names, ("detect_per_month", "dispute_per_month", "access_lag_months"), strict=True):
                params[name] = getattr(regime, key)
            regimes.append((mask, once_declared, *names))
        given.append(tuple(gives))
        test_delays.append(tuple(delays))
        received.append(tuple(gets))
        snapback.append(tuple(snaps))
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
        scenario=scenario, phase_ids=tuple(p.id for p in order), after=after, offset=tuple(offset), date=date,
        level_start=level[True], level_done=level[False], until_start=until[True], until_done=until[False],
        pending_start=pending[True], pending_done=pending[False], tension=tension, tension_until=tension_until,
        goodwill_start=dprk_goodwill[True], goodwill_done=dprk_goodwill[False], us_goodwill=us_goodwill,
        settled_start=settled[True], settled_done=settled[False], informs=informs,
        disputed_start=disputed_start, disputed_done=disputed_done, test_delays=tuple(test_delays),
        given=tuple(given), received=tuple(received), snapback=tuple(snapback), tied=tuple(tied),
        declarations=tuple(declarations), stock_caps=tuple(stock_caps), output_caps=tuple(output_caps),
        launcher_limits=tuple(launcher_limits),
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
