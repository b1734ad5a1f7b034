"""Lay one block's draws out as the kernels' inputs: NamedTuples of arrays on the month grid.

``draws`` maps parameter names (``yongbyon-5mwe.capacity_factor``) to ``(n,)`` arrays; the
:class:`~detente.compile.plan.Plan` says where each facility, phase and missile class sits.
"""

from __future__ import annotations

import numpy as np

from ..compile.deal import DealPlan
from ..compile.plan import Plan
from ..inputs.vocabulary import MAX_TRIGGERS
from ..metrics import BREAKOUT_BINS, BREAKOUT_WEAPONS, KG_BINS
from ..model.crisis import CrisisDraws
from ..model.deal import Behaviour, DealDraws, DealPath, Phases, Restricted, Tied, Triggers, Verification
from ..model.fissile import Caps, Controls, Enrichment, Pairing, Reactors, Stocks, Tallies, Tests, Weapons
from ..model.missiles import Classes, Deliveries, Limits, Targets, delivery_table, unlimited
from ..model.production import feed_per_product, reactor_pu_kg_per_year, swu_per_kg
from ..months import NEVER, format_month
from .streams import Shared

Draws = dict[str, np.ndarray]


def _stack(rows: list[np.ndarray], n: int) -> np.ndarray:
    return np.vstack(rows) if rows else np.zeros((0, n))


def reactors(plan: Plan, draws: Draws, n: int) -> Reactors:
    """Plutonium per month in each operating period, recorded discharges and core cycles."""
    size, plans = plan.grid.size, plan.reactors
    n_r = len(plans)
    rows = max((len(rp.facility.operation) for rp in plans), default=0) + 1
    per_month = np.zeros((n_r, rows, n))
    on = np.zeros((n_r, rows))
    period = np.zeros((n_r, size), dtype=np.int64)
    discharge = np.zeros((n_r, size), dtype=np.int64)
    separated = np.full((n_r, size), -1, dtype=np.int64)
    partial_row = np.zeros((n_r, size), dtype=np.int64)
    partial = [np.zeros(n)]
    for r, rp in enumerate(plans):
        f = rp.facility
        rate = reactor_pu_kg_per_year(
            draws[f"{f.id}.power_mwt"], draws[f"{f.id}.capacity_factor"], draws[f"{f.id}.g_pu_per_mwd"]
        ) * (draws[f"{f.id}.weapons_use"] / 12.0)
        for i, p in enumerate(f.operation):
            per_month[r, i] = draws[f"{f.id}.operation.{format_month(p.start)}"] * rate
            on[r, i] = 1.0
        # rows beyond the facility's periods stay zero ("not operating")
        period[r] = np.where(rp.period_of_month >= len(f.operation), rows - 1, rp.period_of_month)
        for month, (when, kg) in rp.discharges.items():
            discharge[r, month] = 2 if kg else 1
            if when is not None:
                separated[r, month] = when
            if kg:
                partial_row[r, month] = len(partial)
                partial.append(draws[kg])
    ids = [rp.facility.id for rp in plans]
    return Reactors(
        rows=per_month, on=on, period=period, discharge=discharge, separated=separated,
        partial_row=partial_row, partial_kg=np.vstack(partial),
        auto_from=np.array([rp.auto_from for rp in plans], dtype=np.int64),
        cycle=_stack([draws[f"{i}.cycle_months"] for i in ids], n),
        lag=np.rint(_stack([draws[f"{i}.reprocessing_lag_months"] for i in ids], n)).astype(np.int64),
        separation_yield=_stack([draws[f"{i}.separation_yield"] for i in ids], n),
        control_row=plan.reactor_facility, reprocessing_row=plan.reprocessing_facility,
    )


def enrichment(plan: Plan, draws: Draws, n: int) -> Enrichment:
    """Weapon-grade uranium per month in each capacity period, from SWU and the assays."""
    per_kg = swu_per_kg(draws["assays.product"], draws["assays.feed"], draws["assays.tails"])
    plants = plan.enrichment
    rows = max((len(ep.facility.capacity) for ep in plants), default=0) + 1
    per_month = np.zeros((len(plants), rows, n))
    period = np.zeros((len(plants), plan.grid.size), dtype=np.int64)
    for e, ep in enumerate(plants):
        f = ep.facility
        scale = draws[f"{f.id}.exists"] * (1 - draws[f"{f.id}.leu_share"]) / (12.0 * per_kg)
        for i, p in enumerate(f.capacity):
            per_month[e, i] = draws[f"{f.id}.swu_per_year.{format_month(p.start)}"] * scale
        period[e] = np.where(ep.period_of_month >= len(f.capacity), rows - 1, ep.period_of_month)
    ids = [ep.facility.id for ep in plants]
    if plan.profile.fuel_cycle is not None:  # kg weapon-grade U a month: what feed and centrifuges allow
        per_kg_feed = feed_per_product(draws["assays.product"], draws["assays.feed"], draws["assays.tails"])
        feed_cap = draws["fuel_cycle.uranium_feed_t_per_year"] * 1000.0 / (12.0 * per_kg_feed)
        added_cap = draws["fuel_cycle.swu_added_per_year"] / (12.0 * per_kg) / 12.0
    else:
        feed_cap = added_cap = np.full(n, np.inf)
    return Enrichment(
        rows=per_month, period=period,
        start=np.rint(_stack([draws[f"{i}.start"] for i in ids], n)).astype(np.int64) - plan.grid.start,
        slope=_stack([draws[f"{i}.growth_per_year"] for i in ids], n) / 12.0,
        growth_from=np.array([ep.growth_from for ep in plants], dtype=np.int64),
        control_row=plan.enrichment_facility, added_cap=np.asarray(added_cap, dtype=float),
        feed_cap=np.asarray(feed_cap, dtype=float),
    )


def weapons(draws: Draws) -> Weapons:
    per_pu, per_heu = 1.0 / draws["weapons.pu_kg"], 1.0 / draws["weapons.heu_kg"]
    return Weapons(per_pu=per_pu, per_heu=per_heu, util_pu=draws["weapons.utilisation"] * per_pu,
                   util_heu=draws["weapons.utilisation"] * per_heu,
                   lag=np.rint(draws["weapons.lag_months"]).astype(np.int64))


def tests(plan: Plan, draws: Draws, n: int, future: np.ndarray | None = None) -> Tests:
    """Recorded tests and, with ``future`` uniforms (M, n), random tests from the branch on."""
    of_month = np.full(plan.grid.size, -1, dtype=np.int64)
    pu = np.zeros((max(len(plan.tests), 1), n))
    heu = np.zeros_like(pu)
    for k, test in enumerate(plan.tests):
        of_month[test.month] = k
        uses_pu = draws[f"{test.stem}.uses_pu"]
        pu[k] = uses_pu * draws[f"{test.stem}.pu_kg"]
        heu[k] = (1 - uses_pu) * draws[f"{test.stem}.heu_kg"]
    uses_pu = draws["future_tests.uses_pu"]
    return Tests(
        of_month=of_month, pu=pu, heu=heu,
        future_u=future if future is not None else np.zeros((0, n), dtype=np.float32),
        future_p=1.0 - np.exp(-draws["future_tests.per_year"] / 12.0),
        device_pu=uses_pu * draws["future_tests.pu_kg"], device_heu=(1 - uses_pu) * draws["future_tests.heu_kg"],
        control_row=len(plan.profile.facilities),
    )


def initial_stocks(plan: Plan, n: int) -> Stocks:
    """Empty cores, pools and stocks at the grid's start."""
    n_r, n_e, slots = len(plan.reactors), len(plan.enrichment), plan.lag_slots
    return Stocks(
        core=np.zeros((n_r, n)), months_run=np.zeros((n_r, n)), spent=np.zeros((n_r, n)),
        due=np.full((n_r, n), NEVER, dtype=np.int64), pu_separated=np.zeros(n), heu_made=np.zeros(n),
        pu_used=np.zeros(n), heu_used=np.zeros(n), ring_pu=np.zeros((slots, n)), ring_heu=np.zeros((slots, n)),
        enrichment_growth=np.ones((n_e, n)),
    )


def copy_stocks(stocks: Stocks) -> Stocks:
    return Stocks(*(a.copy() for a in stocks))


def no_controls(plan: Plan, n: int, start: int | None = None) -> Controls:
    """Nothing stopped: the shared history (``start`` None: no control rows at all) or a
    scenario without a deal from ``start`` on."""
    rows = len(plan.production)
    if start is None:
        running, start = np.ones((rows, 0, n), dtype=np.uint8), plan.grid.size
    else:
        running = np.ones((rows, plan.grid.size - start, n), dtype=np.uint8)
    return Controls(running=running, wait=np.zeros((rows, 0, n), dtype=np.int16), start=start,
                    ship_month=np.full(n, NEVER, dtype=np.int64), ship_pu=np.zeros(n), ship_heu=np.zeros(n))


def no_caps(plan: Plan, n: int) -> Caps:
    """No ceilings on stocks or output."""
    rows = len(plan.production)
    never = np.full((rows, n), NEVER, dtype=np.int64)
    return Caps(limit=np.zeros(0), stock=np.zeros(0, dtype=np.int64), declared=np.zeros(0, dtype=np.uint8),
                binds_from=np.zeros((0, n), dtype=np.int64), binds_until=np.zeros((0, n), dtype=np.int64),
                held_pu=np.zeros(n), held_heu=np.zeros(n), hidden_heu=np.zeros(n),
                declared_from=np.zeros((rows, n), dtype=np.int64), share=np.ones(rows), share_from=never,
                share_until=never.copy(), first=int(NEVER))


def binding(timing, start: np.ndarray, done: np.ndarray, collapse: np.ndarray) -> np.ndarray:
    """(n,) grid month a measure binds, or NEVER where the deal collapsed before it would."""
    month = (start if timing.at_start else done)[timing.phase]
    return np.where(collapse > month, month, NEVER)


def restart_months(draws: Draws, level: int, never: np.ndarray) -> np.ndarray:
    """(n,) months to undo a restriction of ``level`` after a collapse (NEVER: never rebuilt)."""
    name = {1: "freeze", 2: "disable", 3: "dismantle"}[level]
    months = np.rint(draws[f"deal.restart.{name}"]).astype(np.int64)
    return np.where(never, NEVER, months) if level == 3 else months


def caps(plan: Plan, deal: DealPlan, draws: Draws, start: np.ndarray, done: np.ndarray, collapse: np.ndarray,
         declared: np.ndarray, n: int) -> Caps:
    """A scenario's ceilings on stocks (lapsing at a collapse or sunset; declared excess comes
    back then) and on output (lapsing at either after the freeze restart delay). Uranium from plants
    not (yet) declared (``declared``: (F, n) the month each row counts as declared) is beyond the
    verifier's accounting and so beyond the stock caps."""
    out = no_caps(plan, n)
    if not deal.stock_caps and not deal.output_caps:
        return out
    froms, untils = [], []
    for cap in deal.stock_caps:
        froms.append(binding(cap.timing, start, done, collapse))
        untils.append(np.minimum(collapse, cap.until))
    share, share_from, share_until = out.share, out.share_from, out.share_until
    delay = restart_months(draws, 1, np.zeros(n, dtype=bool))
    for cap in deal.output_caps:
        for row in cap.rows:
            share[row] = cap.share
            share_from[row] = binding(cap.timing, start, done, collapse)
            share_until[row] = np.minimum(collapse, cap.until) + delay
    first = min([int(f.min()) for f in froms] + [int(share_from.min())])
    return out._replace(
        limit=np.array([c.limit for c in deal.stock_caps], dtype=float),
        stock=np.array([c.stock for c in deal.stock_caps], dtype=np.int64),
        declared=np.array([c.declared for c in deal.stock_caps], dtype=np.uint8),
        binds_from=np.array(froms, dtype=np.int64).reshape(len(froms), n),
        binds_until=np.array(untils, dtype=np.int64).reshape(len(untils), n), first=first,
        declared_from=declared)


def tallies(plan: Plan, tally: dict, sums: dict, final: np.ndarray, n: int,
            assembled: np.ndarray | None = None, reached: np.ndarray | None = None) -> Tallies:
    return Tallies(
        pu=tally["pu_kg"], heu=tally["heu_kg"], warheads_possible=tally["warheads_possible"],
        warheads_assembled=tally["warheads_assembled"], sum_pu=sums["pu_kg"], sum_heu=sums["heu_kg"],
        final=final, kg_floor=KG_BINS.floor, kg_inv_log_ratio=1.0 / KG_BINS.log_ratio,
        threshold=float(plan.threshold), reached=reached if reached is not None else np.full(n, NEVER, dtype=np.int64),
        assembled=assembled if assembled is not None else np.zeros((0, n), dtype=np.float32),
        breakout=tally["breakout_months"], breakout_weapons=float(BREAKOUT_WEAPONS),
        breakout_floor=BREAKOUT_BINS.floor, breakout_inv_log_ratio=1.0 / BREAKOUT_BINS.log_ratio,
        breakout_months=plan.breakout_months,
    )


def pairing(tally: dict, n: int, mode: int = 0, base: np.ndarray | None = None) -> Pairing:
    """``mode`` 0 no pairing, 1 store the baseline in ``base``, 2 count differences from it."""
    empty = tally["pu_kg"][:0]
    get = (lambda m: tally.get(m, empty)) if mode == 2 else (lambda m: empty)
    return Pairing(mode=mode, base=base if base is not None else np.zeros((4, 0, n)),
                   pu=get("delta:pu_kg"), heu=get("delta:heu_kg"),
                   warheads_possible=get("delta:warheads_possible"),
                   warheads_assembled=get("delta:warheads_assembled"))


def phase_times(deal: DealPlan, own: Draws, n: int, begin: int, unverified: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray]:
    """Grid months each phase starts and completes, per sample (phases in dependency order). A
    phase that waits on another starts once that one is complete and confirmed: after its
    verification's access lag, or, with no verification, after ``unverified`` months (n,) of
    confirmation by other means, and then its own offset."""
    start = np.zeros((deal.phases, n), dtype=np.int64)
    done = np.zeros_like(start)
    for i, pid in enumerate(deal.phase_ids):
        if deal.after[i] >= 0:
            q = deal.after[i]
            lags = [own[lag] for *_, lag in deal.covers[q]]
            verified = np.rint(np.max(lags, axis=0) if lags else unverified).astype(np.int64)
            start[i] = done[q] + verified
            if deal.offset[i] is not None:
                start[i] += np.rint(own[deal.offset[i]]).astype(np.int64)
        elif deal.date[i] >= 0:
            start[i] = deal.date[i]
        else:
            start[i] = begin
        done[i] = start[i] + np.rint(own[f"{deal.scenario.name}.{pid}.duration_months"]).astype(np.int64)
    return start, done


def deal_inputs(plan: Plan, deal: DealPlan, draws: Draws, own: Draws, n: int, shared: Shared):
    """The deal kernel's inputs and an empty path for one scenario; also the phase times."""
    months = plan.grid.size - plan.branch
    rows = len(plan.production)
    start, done = phase_times(deal, own, n, plan.grid.index(deal.scenario.start),
                              draws["deal.confirmation_without_verification_months"])
    both = {**draws, **own}

    def worth(items) -> np.ndarray:
        return sum((both[k] * c for k, c in items), np.zeros(n))

    given = np.array([worth(items) for items in deal.given])
    received = np.array([worth(items) for items in deal.received])
    received_snap = np.array([worth(items) for items in deal.snapback])
    tied = Tied(phase=np.array([q.timing.phase for q in deal.tied], dtype=np.int64),
                at_start=np.array([q.timing.at_start for q in deal.tied], dtype=np.uint8),
                value=np.array([worth(q.value) for q in deal.tied]).reshape(len(deal.tied), n),
                snapback=np.array([q.snapback for q in deal.tied], dtype=np.uint8),
                goodwill=np.array([q.goodwill for q in deal.tied], dtype=np.uint8))
    detect = np.zeros((deal.phases, rows, n))
    detect_declared = np.zeros((deal.phases, rows, n))
    dispute = np.zeros((deal.phases, n))
    for p, regimes in enumerate(deal.covers):
        for mask, once_declared, det, disp, _ in regimes:
            detect[p, mask] = np.maximum(detect[p, mask], own[det])
            detect_declared[p, once_declared] = np.maximum(detect_declared[p, once_declared], own[det])
            dispute[p] = np.maximum(dispute[p], own[disp])  # the most intrusive regime, not a sum
    chance = np.zeros((MAX_TRIGGERS, n))
    breach = np.zeros((MAX_TRIGGERS, n))
    for k, (rate, ruled) in enumerate(deal.triggers):
        chance[k] = 1.0 - np.exp(-own[rate] / 12.0)
        breach[k] = own[ruled]
    never = np.zeros(n, dtype=bool)  # the kernel applies "never rebuilt" itself (behaviour.never_rebuilt)
    restart = np.vstack([np.zeros(n, dtype=np.int64), *(restart_months(draws, level, never) for level in (1, 2, 3)),
                         np.zeros(n, dtype=np.int64)])
    facilities = plan.profile.facilities
    exists = np.array([
        draws[f"{f.id}.exists"] > 0.5 if f"{f.id}.exists" in draws else np.ones(n, dtype=bool)
        for f in facilities
    ] + [np.ones(n, dtype=bool)] * (rows - len(facilities)))
    reactor, hidden = draws["deal.ntm_detection_reactor"], draws["deal.ntm_detection_per_month"]
    ntm = np.array([reactor if f.kind == "reactor" else hidden for f in facilities]
                   + [np.zeros(n)] * (rows - len(facilities)))
    behaviour = Behaviour(
        dprk_hazard=draws["deal.dprk_base_hazard"], us_hazard=draws["deal.us_base_hazard"],
        reciprocity=draws["deal.reciprocity_sensitivity"], tension_relief=draws["deal.tension_relief"],
        dispute_multiplier=draws["deal.dispute_multiplier"], dispute_months=draws["deal.dispute_months"],
        walk_on_detection=draws["deal.walk_on_detection"], restart=restart,
        never_rebuilt=shared.never < draws["deal.restart.dismantle_never"],
        temptation=draws["deal.cheat_temptation"], horizon=draws["deal.decision_horizon_months"],
        covert_gain=draws["deal.covert_gain_musd_per_year"],
        suspend_on_detection=draws["deal.suspend_on_detection"], suspension_months=draws["deal.suspension_months"],
        confidence=draws["deal.verification_confidence"],
        commitment_scale=draws["deal.commitment_scale_musd_per_year"],
        dispute_background=draws["deal.dispute_background"],
        shock_chance=1.0 - np.exp(-draws["deal.shock_per_year"] / 12.0), shock_breach=draws["deal.shock_breach"],
        launch_chance=1.0 - np.exp(-draws["deal.disputed_launch_per_year"] / 12.0),
        launch_breach=draws["deal.disputed_launch_breach"], goodwill=draws["deal.goodwill_relief"],
    )
    path = DealPath(
        running=np.ones((rows, months, n), dtype=np.uint8), calm=np.zeros((months, n), dtype=np.float32),
        relief=np.zeros((months, n), dtype=np.float32),
        wait=np.zeros((rows, months, n), dtype=np.int16),
        in_force=np.zeros(months, dtype=np.int64), cheated_by=np.zeros(months, dtype=np.int64),
        detected_by=np.zeros(months, dtype=np.int64), collapse=np.full(n, NEVER, dtype=np.int64),
        cheated=np.zeros(n, dtype=np.bool_), detected=np.zeros(n, dtype=np.bool_),
        halted=np.zeros((rows, n), dtype=np.int64), halted_all=np.zeros(n, dtype=np.int64),
    )
    delays = np.zeros((2, deal.phases, n), dtype=np.int64)  # tests' resumption delay from start, once done
    for p, items in enumerate(deal.test_delays):
        for name, at_start in items:
            row = delays[0 if at_start else 1, p]
            np.maximum(row, np.rint(draws[name]).astype(np.int64), out=row)
    inputs = (Phases(start=start, done=done, given=given, received=received, tension=deal.tension,
                     informs=deal.informs, level_start=deal.level_start, level_done=deal.level_done,
                     until_start=deal.until_start, until_done=deal.until_done, pending_start=deal.pending_start,
                     pending_done=deal.pending_done, disputed_start=deal.disputed_start,
                     disputed_done=deal.disputed_done, test_delay_start=delays[0], test_delay_done=delays[1],
                     received_snap=received_snap, tension_until=deal.tension_until,
                     goodwill_start=deal.goodwill_start, goodwill_done=deal.goodwill_done,
                     us_goodwill=deal.us_goodwill, settled_start=deal.settled_start, settled_done=deal.settled_done),
              tied,
              Restricted(declared_months(plan, deal, both, start, done, n), plan.production, exists, ntm,
                         plan.control_row("nuclear-tests")),
              Verification(detect, detect_declared, dispute),
              Triggers(chance, breach), behaviour, DealDraws(shared.deal))
    return inputs, path, start, done


def declared_months(plan: Plan, deal: DealPlan, draws: Draws, start: np.ndarray, done: np.ndarray, n: int
                    ) -> np.ndarray:
    """(F, n) grid month from which each control row counts as declared: 0 for what the profile
    lists as declared, the month a declaration naming it binds where that declaration is complete
    for it (its uniform below its completeness), else never."""
    out = np.where(plan.undeclared[:, None], NEVER, 0).astype(np.int64) * np.ones(n, dtype=np.int64)
    for item in deal.declarations:
        month = (start if item.timing.at_start else done)[item.timing.phase]
        opened = draws[item.opened] < draws[item.completeness]
        for f in item.facilities:
            out[f] = np.where(opened, np.minimum(out[f], month), out[f])
    return out


def missile_classes(plan: Plan, draws: Draws) -> Classes:
    """Per-class inputs of the missile kernel (the lead type of each class)."""
    force = plan.missiles
    classes = force.classes

    def stack(key: str) -> np.ndarray:
        return np.vstack([draws[f"missiles.{c.id}.{key}"] for c in classes])

    leads = [force.lead(c) for c in classes]
    flown = np.array([t.flights(force.unknown_as_failure) for t in leads], dtype=float).reshape(len(leads), 2)
    n = len(draws["weapons.pu_kg"])
    k_now = np.repeat(flown[:, :1], n, axis=1)
    kf_now = np.repeat(flown[:, 1:], n, axis=1)
    rate = stack("tests_per_year") / 12.0
    q_now, q_inf = 1.0 - stack("reliability_now"), stack("failure_floor")
    rv_now, growth, full_share = stack("reentry"), stack("growth"), stack("full_range_share")
    icbm = next((i for i, c in enumerate(classes) if c.id == "icbm"), -1)
    months = plan.grid.size - plan.branch
    if icbm >= 0:
        table = delivery_table(k_now[icbm], kf_now[icbm], q_now[icbm], q_inf[icbm], rv_now[icbm], growth[icbm],
                               rate[icbm], full_share[icbm], months)
    else:
        table = np.zeros((months + 1, n), dtype=np.float32)
    return Classes(
        k_now=k_now, kf_now=kf_now, q_now=q_now, q_inf=q_inf, rv_now=rv_now, growth=growth, rate=rate,
        full_share=full_share,
        catch_up=stack("catch_up_share"), catch_months=force.catch_up_months,
        deploy_k=stack("deploy_after_flights"), effect=stack("derating") * stack("survival"),
        launchers0=stack("launchers"),
        launcher_step=np.power(1.0 + stack("launcher_growth_per_year"), 1.0 / 12.0),
        reach_km=np.vstack([draws[f"missile.{t.id}.range_km"] for t in leads]),
        flight_row=np.array([plan.control_row(f"flights:{c.id}") for c in classes], dtype=np.int64),
        **extras(force, draws, n), icbm=icbm, icbm_table=table,
    )


def no_limits(plan: Plan, n: int) -> Limits:
    """No launcher limits."""
    return unlimited(len(plan.missiles.classes), n)


def launcher_limits(plan: Plan, deal: DealPlan | None, classes: Classes, draws: Draws, start, done, collapse,
                    never: np.ndarray | None, n: int) -> Limits:
    """Launcher ceilings by missile class: a cap's number, none for an elimination, the number
    the class has when a production halt binds; each lapses at a sunset, or after a collapse
    once the launchers are rebuilt (the freeze restart delay; an elimination's is a dismantlement's)."""
    out = no_limits(plan, n)
    if deal is None or not deal.launcher_limits:
        return out
    ids = [c.id for c in plan.missiles.classes]
    today = plan.grid.index(plan.profile.today)
    for item in deal.launcher_limits:
        if item.missile_class not in ids:
            continue  # the missile evidence has no such class: nothing to limit
        c = ids.index(item.missile_class)
        month = binding(item.timing, start, done, collapse)
        if item.limit is None:  # a production halt: as many as there are when it binds
            grown = np.maximum(np.minimum(month, plan.grid.size) - today, 0)
            out.limit[c] = np.floor(classes.launchers0[c] * classes.launcher_step[c] ** grown)
        else:
            out.limit[c] = item.limit
        out.binds_from[c] = month
        rebuild = restart_months(draws, item.level, never if never is not None else np.zeros(n, dtype=bool))
        out.binds_until[c] = np.minimum(np.where(collapse < NEVER, collapse + rebuild, NEVER), item.until)
    return out


def extras(force, draws: Draws, n: int) -> dict[str, np.ndarray]:
    """The catch-up types of every class (flown least), as the missile kernel's ``extra_*`` arrays."""
    found = [(k, t) for k, c in enumerate(force.classes) for t in force.catch_up(c)]

    def rows(values) -> np.ndarray:
        return np.vstack(values) if found else np.zeros((0, n))

    flown = [t.flights(force.unknown_as_failure) for _, t in found]
    return {"extra_class": np.array([k for k, _ in found], dtype=np.int64),
            "extra_k_now": rows([np.full(n, float(k)) for k, _ in flown]),
            "extra_kf_now": rows([np.full(n, float(f)) for _, f in flown]),
            "extra_q_now": rows([1.0 - draws[f"missile.{t.id}.reliability_now"] for _, t in found]),
            "extra_reach": rows([draws[f"missile.{t.id}.range_km"] for _, t in found])}


def targets(plan: Plan, draws: Draws) -> Targets:
    """Regions and every defence layer (its coverage, the classes it engages, from when)."""
    force = plan.missiles
    layers = force.layers()
    regions = [r.id for r in force.regions]
    classes = [c.id for c in force.classes]
    n = len(draws["weapons.pu_kg"])
    over = [[i for i, (_, layer) in enumerate(layers) if r in layer.regions] for r in regions]
    covers = np.full((len(regions), max([len(x) for x in over] + [1])), -1, dtype=np.int64)
    for j, ids in enumerate(over):
        covers[j, :len(ids)] = ids
    signature = [next(k for k, row in enumerate(covers) if (row == covers[j]).all()) for j in range(len(regions))]
    return Targets(
        distance_km=plan.distances,
        covers=covers, signature=np.array(signature, dtype=np.int64),
        engages=np.array([[c in layer.engages for c in classes] for _, layer in layers], dtype=bool).reshape(
            len(layers), len(classes)),
        since=np.array([max(layer.since - plan.grid.start, -1) for _, layer in layers], dtype=np.int64),
        kill=_stack([1.0 - (1.0 - draws[f"{stem}.pk_per_shot"] * draws["defence.interceptor_derating"])
                     ** layer.shots_per_warhead for stem, layer in layers], n),
        coverage=_stack([draws[f"{stem}.coverage"] for stem, _ in layers], n),
        interceptors=_stack([draws[f"{stem}.interceptors"] for stem, _ in layers], n),
        shots=np.array([layer.shots_per_warhead for _, layer in layers], dtype=np.int64),
    )


def deliveries(plan: Plan, reliability: np.ndarray, n: int) -> Deliveries:
    rows = plan.evaluation_months
    evaluate = np.full(plan.grid.size - plan.branch, -1, dtype=np.int64)
    evaluate[rows - plan.branch] = np.arange(len(rows))
    shape = (len(plan.missiles.regions), len(rows), n)
    classes = len(plan.missiles.classes)
    return Deliveries(reliability=reliability, evaluate=evaluate, expected=np.zeros(shape, dtype=np.float32),
                      arrive=np.zeros(shape, dtype=np.float32), allocated=np.zeros(shape, dtype=np.float32),
                      final_reliability=np.full(n, np.nan), flights=np.zeros((classes, n)),
                      mated=np.zeros((classes, n)))


def design_inputs(plan: Plan, draws: Draws) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per design (D, n): further tests needed, warheads per missile; and (D, C) which classes
    each arms."""
    designs, n = plan.profile.designs, len(draws["weapons.pu_kg"])
    classes = [c.id for c in plan.missiles.classes]
    enables = np.array([[c in d.classes for c in classes] for d in designs], dtype=bool).reshape(
        len(designs), len(classes))
    return (_stack([draws[f"design.{d.id}.tests_needed"] for d in designs], n),
            _stack([draws[f"design.{d.id}.warheads_per_missile"] for d in designs], n), enables)


def crisis_draws(draws: Draws) -> CrisisDraws:
    return CrisisDraws(*(draws[f"crisis.{key}"] for key in CrisisDraws._fields))
