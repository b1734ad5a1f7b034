"""The fissile-material month loop (numba): one pass over months × samples that updates every
stock and adds each month's values straight into the run's histograms.

Months are the outer loop and samples the inner one, so a month's histogram rows stay in cache.
Each month every reactor adds plutonium to its core; cores are discharged on the recorded dates
(and, after the last recorded one, each ``cycle`` months of operation); spent fuel waits until a
reprocessing campaign separates it. Enrichment plants add weapon-grade uranium from their
separative capacity. Nuclear tests consume material. The physics per facility is that of
:mod:`detente.model.production`.

Inputs are NamedTuples of arrays grouped by stage; ``n`` samples, ``T`` grid months, ``M``
months from the branch (the first month where scenarios may differ) to the horizon.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from ..months import NEVER
from ._jit import kernel
from .deal import NEVER_RESTART


class Reactors(NamedTuple):
    """Plutonium-production reactors (R of them)."""

    rows: np.ndarray  # (R, P + 1, n) kg Pu per month in each operating period; the last row 0
    on: np.ndarray  # (R, P + 1) 1.0 where the period's row operates
    period: np.ndarray  # (R, T) int64 period row of each grid month
    discharge: np.ndarray  # (R, T) int64 recorded discharge: 0 none, 1 full core, 2 partial
    separated: np.ndarray  # (R, T) int64 recorded campaign month of a discharge, or -1 (use lag)
    partial_row: np.ndarray  # (R, T) int64 row of ``partial_kg`` for a partial discharge
    partial_kg: np.ndarray  # (K, n) kg Pu taken out by each partial discharge
    auto_from: np.ndarray  # (R,) int64 grid month after which cores follow the cycle
    cycle: np.ndarray  # (R, n) months of operation per core
    lag: np.ndarray  # (R, n) int64 months from discharge to reprocessing
    separation_yield: np.ndarray  # (R, n) share of spent-fuel Pu recovered
    control_row: np.ndarray  # (R,) int64 row of each reactor in the deal's controls
    reprocessing_row: int  # row of the reprocessing plant in the controls, or -1


class Enrichment(NamedTuple):
    """Centrifuge plants (E of them)."""

    rows: np.ndarray  # (E, P + 1, n) kg weapon-grade U per month in each capacity period
    period: np.ndarray  # (E, T) int64 capacity row of each grid month
    start: np.ndarray  # (E, n) int64 grid month the plant starts
    slope: np.ndarray  # (E, n) capacity a running plant adds each month, as a share of its capacity
    growth_from: np.ndarray  # (E,) int64 grid month growth starts
    control_row: np.ndarray  # (E,) int64
    added_cap: np.ndarray  # (n,) kg weapon-grade U per month that all plants together may add each month
    feed_cap: np.ndarray  # (n,) kg weapon-grade U per month the uranium feed allows


class Weapons(NamedTuple):
    """Material per weapon and weaponisation, per sample."""

    per_pu: np.ndarray  # (n,) weapons per kg Pu
    per_heu: np.ndarray  # (n,) weapons per kg HEU
    util_pu: np.ndarray  # (n,) assembled weapons per kg Pu (utilisation / kg per weapon)
    util_heu: np.ndarray  # (n,)
    lag: np.ndarray  # (n,) int64 months from material to assembled warhead


class Tests(NamedTuple):
    """Nuclear tests: the recorded ones and, from the branch, future ones at random."""

    of_month: np.ndarray  # (T,) int64 recorded test in a grid month, or -1
    pu: np.ndarray  # (K, n) kg Pu each recorded test used
    heu: np.ndarray  # (K, n)
    future_u: np.ndarray  # (M, n) float32 uniforms (empty for the shared history)
    future_p: np.ndarray  # (n,) monthly chance of a test
    device_pu: np.ndarray  # (n,) kg Pu of a future test device (0 for an HEU device)
    device_heu: np.ndarray  # (n,)
    control_row: int  # row of the deal's controls that allows tests


class Stocks(NamedTuple):
    """The state carried from month to month (updated in place)."""

    core: np.ndarray  # (R, n) kg Pu in each core
    months_run: np.ndarray  # (R, n) months of operation since the last discharge
    spent: np.ndarray  # (R, n) kg Pu in spent fuel awaiting reprocessing
    due: np.ndarray  # (R, n) int64 grid month of the next campaign, or NEVER
    pu_separated: np.ndarray  # (n,) kg
    heu_made: np.ndarray  # (n,) kg
    pu_used: np.ndarray  # (n,) kg spent in tests or shipped out
    heu_used: np.ndarray  # (n,)
    ring_pu: np.ndarray  # (L, n) on-hand Pu of the last L months (weaponisation lag)
    ring_heu: np.ndarray  # (L, n)
    enrichment_growth: np.ndarray  # (E, n) capacity growth factor so far


class Controls(NamedTuple):
    """A deal's path from month ``start`` on: what runs, and material shipped out."""

    running: np.ndarray  # (F, M', n) uint8 1 while control row f may run (M' = 0: no controls)
    wait: np.ndarray  # (F, M', n) int16 months row f would need to run again if the deal ended
    start: int  # grid month of running[:, 0]
    ship_month: np.ndarray  # (n,) int64 grid month material leaves the country, or NEVER
    ship_pu: np.ndarray  # (n,) share of separated Pu shipped
    ship_heu: np.ndarray  # (n,)


class Caps(NamedTuple):
    """Ceilings a deal puts on stocks (K of them) and on facilities' output, each binding from a
    month until it lapses (the deal collapses or a sunset passes), per sample."""

    limit: np.ndarray  # (K,) float64 kg (Pu, HEU) or warheads
    stock: np.ndarray  # (K,) int64 0 separated Pu, 1 weapon-grade U, 2 material for warheads
    declared: np.ndarray  # (K,) uint8 1: the excess is stored under seal (back in use when the cap lapses)
    binds_from: np.ndarray  # (K, n) int64 grid month the cap binds, or NEVER
    binds_until: np.ndarray  # (K, n) int64 grid month it lapses
    held_pu: np.ndarray  # (n,) kg Pu stored under seal (state, updated in place)
    held_heu: np.ndarray  # (n,)
    hidden_heu: np.ndarray  # (n,) kg weapon-grade U made at undeclared plants since caps began (state): beyond the caps
    declared_from: np.ndarray  # (F, n) int64 grid month from which a control row counts as declared
    share: np.ndarray  # (F,) float64 share of capacity a control row may produce while capped (1: no cap)
    share_from: np.ndarray  # (F, n) int64 grid month the output cap binds, or NEVER
    share_until: np.ndarray  # (F, n) int64
    first: int  # earliest grid month any cap may bind (NEVER: none)


class Tallies(NamedTuple):
    """Histograms and sums the month loop adds into, and per-sample outputs."""

    pu: np.ndarray  # (T, B_kg) int32 counts of Pu on hand
    heu: np.ndarray  # (T, B_kg) int32
    warheads_possible: np.ndarray  # (T, B_count) int32
    warheads_assembled: np.ndarray  # (T, B_count) int32
    sum_pu: np.ndarray  # (T,) float64 sums of kg on hand
    sum_heu: np.ndarray  # (T,)
    final: np.ndarray  # (5, n) Pu, HEU, warheads possible, assembled and breakout months in the last month
    breakout: np.ndarray  # (T, B_breakout) int32 counts of breakout months
    breakout_weapons: float  # weapons' worth of new material that breakout time is counted to
    breakout_floor: float  # breakout bins: floor (months) and 1 / log(1 + resolution)
    breakout_inv_log_ratio: float
    breakout_months: np.ndarray  # (T,) uint8 1 in the grid months whose breakout time is evaluated
    kg_floor: float  # kg bins: floor and 1 / log(1 + resolution)
    kg_inv_log_ratio: float
    threshold: float  # warheads possible whose first month is recorded in ``reached``
    reached: np.ndarray  # (n,) int64 first grid month with warheads possible ≥ threshold
    assembled: np.ndarray  # (M, n) float32 assembled warheads from the branch (empty: not kept)


class Pairing(NamedTuple):
    """Paired differences against the baseline (``mode`` 0 none, 1 store, 2 count)."""

    mode: int
    base: np.ndarray  # (4, M, n) the baseline's Pu, HEU, warheads possible and assembled
    pu: np.ndarray  # (T, B_signed_kg) int32 counts of scenario − baseline
    heu: np.ndarray
    warheads_possible: np.ndarray  # (T, B_signed_count) int32
    warheads_assembled: np.ndarray


@kernel
def kg_bin(x: float, floor: float, inv_log_ratio: float, size: int) -> int:
    """Log-spaced kilogram bin of ``x`` (see :class:`detente.histograms.KgBins`)."""
    if x < floor:
        return 0
    i = 1 + int(math.log(x / floor) * inv_log_ratio)
    return i if i < size else size - 1


@kernel
def _signed_kg(x: float, floor: float, inv_log_ratio: float, size: int) -> int:
    """Bin of a signed kg difference: ``size - 1`` is zero, above it positive log bins."""
    b = kg_bin(abs(x), floor, inv_log_ratio, size)
    return size - 1 + b if x >= 0 else size - 1 - b


@kernel
def _signed_count(x: float, size: int) -> int:
    """Bin of a signed warhead difference: ``size - 1`` is zero, clipped at ±(size - 1)."""
    return min(max(int(x), 1 - size), size - 1) + size - 1


@kernel
def _discharge(r, s, moved, full, campaign, stocks, next_due):
    """Move ``moved`` kg from core to spent fuel; book a campaign unless one is pending."""
    stocks.core[r, s] -= moved
    stocks.spent[r, s] += moved
    if full:
        stocks.months_run[r, s] = 0.0
    if stocks.due[r, s] == NEVER:
        stocks.due[r, s] = campaign
        next_due[r] = min(next_due[r], campaign)


@kernel
def time_to(need, waits, rates, order):
    """Months until facilities that can run again after ``waits`` months, each then adding
    ``rates`` (kg/month), have added ``need`` kg (``NEVER_RESTART`` if they never do)."""
    if need <= 0.0:
        return 0.0
    m = waits.shape[0]
    for k in range(m):  # insertion sort of the few facilities by wait
        order[k] = k
        j = k
        while j > 0 and waits[order[j - 1]] > waits[order[j]]:
            order[j - 1], order[j] = order[j], order[j - 1]
            j -= 1
    amount = 0.0
    slope = 0.0
    now = 0.0
    for k in range(m):
        w = float(waits[order[k]])
        if w >= NEVER_RESTART:
            break
        if slope > 0.0 and amount + slope * (w - now) >= need:
            return now + (need - amount) / slope
        amount += slope * (w - now)
        now = w
        slope += rates[order[k]]
    if slope > 0.0:
        return now + (need - amount) / slope
    return float(NEVER_RESTART)


@kernel
def throttle(caps, row, t, s):
    """Share of its capacity control row ``row`` may produce in grid month ``t`` (1: no cap)."""
    if caps.share_from[row, s] <= t < caps.share_until[row, s]:
        return caps.share[row]
    return 1.0


@kernel
def cap_stocks(caps, s, t, pu, heu, per_pu, per_heu, stocks):
    """Hold sample ``s``'s on-hand ``pu`` and ``heu`` (kg) to the caps binding in month ``t``: the
    excess is removed for good or stored under seal. Uranium made at plants still undeclared is
    beyond the verifier's accounting, so beyond the caps. Returns the capped (pu, heu)."""
    for k in range(caps.limit.shape[0]):
        if not caps.binds_from[k, s] <= t < caps.binds_until[k, s]:
            continue
        lim, kind = caps.limit[k], caps.stock[k]
        counted = max(heu - caps.hidden_heu[s], 0.0)  # the uranium the verifier can account for
        cut_pu, cut_heu = 0.0, 0.0
        if kind == 0:
            cut_pu = max(pu - lim, 0.0)
        elif kind == 1:
            cut_heu = max(counted - lim, 0.0)
        else:
            worth = pu * per_pu + counted * per_heu  # warheads' worth of material
            if worth > lim:
                keep = lim / worth
                cut_pu, cut_heu = pu * (1.0 - keep), counted * (1.0 - keep)
        pu -= cut_pu
        heu -= cut_heu
        if caps.declared[k]:
            caps.held_pu[s] += cut_pu
            caps.held_heu[s] += cut_heu
        else:
            stocks.pu_used[s] += cut_pu
            stocks.heu_used[s] += cut_heu
    return pu, heu


@kernel
def sealed(caps, s, t):
    """Whether a cap that stores its excess under seal binds sample ``s`` in month ``t``."""
    for k in range(caps.limit.shape[0]):
        if caps.declared[k] and caps.binds_from[k, s] <= t < caps.binds_until[k, s]:
            return True
    return False


@kernel
def _count(row, bins):
    """Add one to ``row`` at each index in ``bins``."""
    for i in range(bins.shape[0]):
        row[bins[i]] += 1


@kernel
def run_months(t0, t1, reactors, enrichment, weapons, tests, stocks, controls, caps, tallies, pairing):
    """Step grid months ``t0`` … ``t1 - 1`` for every sample, in place.

    From ``controls.start`` on, ``controls.running[row, t - start, s]`` is 1 while a facility
    (or the test activity) may run, and material leaves at ``controls.ship_month``; ``caps``
    limit facilities' output (a capped plant does not grow) and the stocks on hand. Bin indices
    of a month are gathered first and counted in a second, tight loop.
    """
    core, run, spent, due = stocks.core, stocks.months_run, stocks.spent, stocks.due
    pu_sep, heu_made, pu_used, heu_used = stocks.pu_separated, stocks.heu_made, stocks.pu_used, stocks.heu_used
    ring_pu, ring_heu, e_factor = stocks.ring_pu, stocks.ring_heu, stocks.enrichment_growth
    ctl, ctl_from, rcl = controls.running, controls.start, reactors.reprocessing_row
    ship_month, ship_pu, ship_heu = controls.ship_month, controls.ship_pu, controls.ship_heu
    base, base_mode = pairing.base, pairing.mode
    kg_floor, kg_inv_log_ratio = tallies.kg_floor, tallies.kg_inv_log_ratio
    reach, assembled, final = tallies.reached, tallies.assembled, tallies.final
    n = pu_sep.shape[0]
    n_r = core.shape[0]
    n_e = e_factor.shape[0]
    slots = ring_pu.shape[0]
    nkg = tallies.pu.shape[1]
    nc = tallies.warheads_possible.shape[1]
    next_due = np.empty(n_r, dtype=np.int64)  # earliest pending campaign of each reactor
    made_now, adding, share, made_hidden = np.empty(n), np.empty(n), np.empty(n), np.empty(n)
    running_e = np.zeros((n_e, n))  # 1.0 where a plant makes material this month
    for r in range(n_r):
        next_due[r] = due[r].min() if n > 0 else NEVER
    first_ship = ship_month.min() if n > 0 else NEVER
    bin_pu = np.empty(n, dtype=np.int64)
    bin_heu = np.empty(n, dtype=np.int64)
    bin_wp = np.empty(n, dtype=np.int64)
    bin_wa = np.empty(n, dtype=np.int64)
    bin_dpu = np.empty(n, dtype=np.int64)
    bin_dheu = np.empty(n, dtype=np.int64)
    bin_dwp = np.empty(n, dtype=np.int64)
    bin_dwa = np.empty(n, dtype=np.int64)
    bin_bo = np.empty(n, dtype=np.int64)
    nbo = tallies.breakout.shape[1]
    waits_r = np.empty(n_r, dtype=np.int64)
    waits_e = np.empty(n_e, dtype=np.int64)
    rates_r = np.empty(n_r)
    rates_e = np.empty(n_e)
    order_r = np.empty(n_r, dtype=np.int64)
    order_e = np.empty(n_e, dtype=np.int64)
    bo_stock = np.empty(n)  # breakout scratch: Pu in cores and spent fuel, shortest lag, rates by facility
    bo_lag = np.empty(n, dtype=np.int64)
    bo_rate_r = np.empty((n_r, n))
    bo_rate_e = np.empty((n_e, n))
    has_wait = controls.wait.shape[1] > 0
    for t in range(t0, t1):
        # reactors: irradiate, discharge, reprocess (stage loops over samples vectorise)
        for r in range(n_r):
            p = reactors.period[r, t]
            on = reactors.on[r, p]
            rows = reactors.rows[r, p]
            c, m = core[r], run[r]
            if t >= ctl_from and t >= caps.first:
                row = reactors.control_row[r]
                go = ctl[row, t - ctl_from]
                for s in range(n):
                    power = go[s] * throttle(caps, row, t, s)
                    c[s] += rows[s] * power
                    m[s] += on * power
            elif t >= ctl_from:
                go = ctl[reactors.control_row[r], t - ctl_from]
                for s in range(n):
                    c[s] += rows[s] * go[s]
                    m[s] += on * go[s]
            else:
                for s in range(n):
                    c[s] += rows[s]
                    m[s] += on
            kind = reactors.discharge[r, t]
            if kind > 0:  # a recorded discharge: whole core, or a partial one
                recorded = reactors.separated[r, t]
                partial = reactors.partial_kg[reactors.partial_row[r, t]]
                for s in range(n):
                    moved = c[s] if kind == 1 else min(c[s], partial[s])
                    campaign = recorded if recorded >= 0 else t + reactors.lag[r, s]
                    _discharge(r, s, moved, kind == 1, campaign, stocks, next_due)
            elif on > 0.0 and t > reactors.auto_from[r]:  # later cores: each cycle of operation
                cycle = reactors.cycle[r]
                for s in range(n):
                    if m[s] >= cycle[s]:
                        _discharge(r, s, c[s], True, t + reactors.lag[r, s], stocks, next_due)
            if t >= next_due[r]:
                low = NEVER
                yields = reactors.separation_yield[r]
                for s in range(n):
                    if t >= due[r, s] and (rcl < 0 or t < ctl_from or ctl[rcl, t - ctl_from, s]):
                        pu_sep[s] += spent[r, s] * yields[s]
                        spent[r, s] = 0.0
                        due[r, s] = NEVER
                    low = min(low, due[r, s])
                next_due[r] = low
        # enrichment: separative work into weapon-grade uranium, within the uranium feed; capacity
        # grows linearly while a plant runs, within what centrifuge production can add
        for s in range(n):
            made_now[s] = 0.0
            adding[s] = 0.0
            made_hidden[s] = 0.0
        controlled = t >= ctl_from
        for e in range(n_e):
            rows = enrichment.rows[e, enrichment.period[e, t]]
            factor, start, slope, on = e_factor[e], enrichment.start[e], enrichment.slope[e], running_e[e]
            grows = 1.0 if t >= enrichment.growth_from[e] else 0.0
            if controlled:
                go = ctl[enrichment.control_row[e], t - ctl_from]
                for s in range(n):
                    on[s] = (t >= start[s]) * go[s]
                if t >= caps.first:  # a capped plant makes its share and does not grow
                    for s in range(n):
                        on[s] *= throttle(caps, enrichment.control_row[e], t, s)
            else:
                for s in range(n):
                    on[s] = t >= start[s]
            for s in range(n):  # arithmetic on the 0/1 flag, so the loop vectorises
                made_now[s] += rows[s] * factor[s] * on[s]
                adding[s] += slope[s] * rows[s] * (on[s] >= 1.0) * grows
            if t >= caps.first:  # what undeclared plants make escapes the caps
                row = enrichment.control_row[e]
                for s in range(n):
                    made_hidden[s] += rows[s] * factor[s] * on[s] * (t < caps.declared_from[row, s])
        for s in range(n):
            share[s] = min(1.0, enrichment.added_cap[s] / adding[s]) if adding[s] > 0.0 else 1.0
            made = min(made_now[s], enrichment.feed_cap[s])
            heu_made[s] += made
            if made_hidden[s] > 0.0:
                caps.hidden_heu[s] += made * made_hidden[s] / made_now[s]
        for e in range(n_e):
            if t >= enrichment.growth_from[e]:
                factor, slope = e_factor[e], enrichment.slope[e]
                on = running_e[e]
                for s in range(n):
                    factor[s] += slope[s] * share[s] * (on[s] >= 1.0)
        if t >= first_ship:
            for s in range(n):
                if ship_month[s] == t:
                    pu_used[s] += ship_pu[s] * max(pu_sep[s] - pu_used[s] - caps.held_pu[s], 0.0)
                    heu_used[s] += ship_heu[s] * max(heu_made[s] - heu_used[s] - caps.held_heu[s], 0.0)
        if t >= ctl_from and tests.future_u.shape[0] > 0:
            allowed = ctl[tests.control_row, t - ctl_from]
            chance = tests.future_u[t - ctl_from]
            for s in range(n):
                if allowed[s] and chance[s] < tests.future_p[s]:
                    pu_used[s] += tests.device_pu[s]
                    heu_used[s] += tests.device_heu[s]
        k = tests.of_month[t]
        if k >= 0:
            for s in range(n):
                pu_used[s] += tests.pu[k, s]
                heu_used[s] += tests.heu[k, s]
        # stocks, warheads and histograms
        slot = t % slots
        total_pu = 0.0
        total_heu = 0.0
        future = t >= ctl_from
        keep = future and assembled.shape[0] > 0
        j = t - ctl_from
        capping = t >= caps.first
        for s in range(n):
            if capping and not sealed(caps, s, t):  # material stored under seal is back in use
                caps.held_pu[s] = 0.0
                caps.held_heu[s] = 0.0
            pu = max(pu_sep[s] - pu_used[s] - caps.held_pu[s], 0.0)
            heu = max(heu_made[s] - heu_used[s] - caps.held_heu[s], 0.0)
            if capping:
                pu, heu = cap_stocks(caps, s, t, pu, heu, weapons.per_pu[s], weapons.per_heu[s], stocks)
            ring_pu[slot, s] = pu
            ring_heu[slot, s] = heu
            wp = math.floor(pu * weapons.per_pu[s]) + math.floor(heu * weapons.per_heu[s])
            back = slot - weapons.lag[s]  # lag < slots, so one wrap is enough
            if back < 0:
                back += slots
            wa = math.floor(ring_pu[back, s] * weapons.util_pu[s]) + math.floor(
                ring_heu[back, s] * weapons.util_heu[s]
            )
            bin_pu[s] = kg_bin(pu, kg_floor, kg_inv_log_ratio, nkg)
            bin_heu[s] = kg_bin(heu, kg_floor, kg_inv_log_ratio, nkg)
            bin_wp[s] = min(int(wp), nc - 1)
            bin_wa[s] = min(int(wa), nc - 1)
            total_pu += pu
            total_heu += heu
            if keep:
                assembled[j, s] = wa
            if wp >= tallies.threshold and reach[s] == NEVER:
                reach[s] = t
            if base_mode == 1 and future:
                base[0, j, s] = pu
                base[1, j, s] = heu
                base[2, j, s] = wp
                base[3, j, s] = wa
            elif base_mode == 2 and future:
                bin_dpu[s] = _signed_kg(pu - base[0, j, s], kg_floor, kg_inv_log_ratio, nkg)
                bin_dheu[s] = _signed_kg(heu - base[1, j, s], kg_floor, kg_inv_log_ratio, nkg)
                bin_dwp[s] = _signed_count(wp - base[2, j, s], nc)
                bin_dwa[s] = _signed_count(wa - base[3, j, s], nc)
            if t == t1 - 1:
                final[0, s] = pu
                final[1, s] = heu
                final[2, s] = wp
                final[3, s] = wa
        # breakout, in the months it is evaluated: months to new material for N weapons from the
        # facilities' state (a separate loop, so the month's main loop stays lean)
        evaluate_breakout = tallies.breakout_months[t] or t == t1 - 1
        waited = has_wait and future
        if evaluate_breakout:  # stage loops over samples first (they vectorise), then per sample
            for s in range(n):
                bo_stock[s] = 0.0
                bo_lag[s] = NEVER_RESTART
            for r in range(n_r):
                y, c, sp, lg = reactors.separation_yield[r], core[r], spent[r], reactors.lag[r]
                rows = reactors.rows[r, reactors.period[r, t]]
                for s in range(n):
                    bo_stock[s] += (c[s] + sp[s]) * y[s]
                    bo_rate_r[r, s] = rows[s] * y[s]
                    bo_lag[s] = min(bo_lag[s], lg[s])
            for e in range(n_e):
                rows, factor, start = enrichment.rows[e, enrichment.period[e, t]], e_factor[e], enrichment.start[e]
                for s in range(n):
                    bo_rate_e[e, s] = rows[s] * factor[s] * (t >= start[s])
        for s in range(n if evaluate_breakout else 0):
            pu_stock = bo_stock[s]
            lag_pu = bo_lag[s]
            for r in range(n_r):
                waits_r[r] = controls.wait[reactors.control_row[r], j, s] if waited else 0
                rates_r[r] = bo_rate_r[r, s]
            for e in range(n_e):
                waits_e[e] = controls.wait[enrichment.control_row[e], j, s] if waited else 0
                rates_e[e] = bo_rate_e[e, s]
            total_e = rates_e.sum()
            if total_e > enrichment.feed_cap[s]:  # the feed limits the plants together
                rates_e *= enrichment.feed_cap[s] / total_e
            need_heu = tallies.breakout_weapons / weapons.per_heu[s]
            need_pu = tallies.breakout_weapons / weapons.per_pu[s] - pu_stock
            if waited:
                heu_path = time_to(need_heu, waits_e, rates_e, order_e)
                grow = time_to(need_pu, waits_r, rates_r, order_r)
            else:  # everything runs: need / total rate
                heu_path = need_heu / rates_e.sum() if rates_e.sum() > 0.0 else float(NEVER_RESTART)
                grow = 0.0 if need_pu <= 0.0 else (
                    need_pu / rates_r.sum() if rates_r.sum() > 0.0 else float(NEVER_RESTART))
            pu_path = float(NEVER_RESTART)
            if n_r > 0:
                separate = float(controls.wait[rcl, j, s]) if waited and rcl >= 0 else 0.0
                if grow < NEVER_RESTART and separate < NEVER_RESTART:
                    pu_path = max(grow, separate) + lag_pu
            months = min(heu_path, pu_path)
            if months >= NEVER_RESTART:  # no facility could ever make the material
                months = math.inf
                bin_bo[s] = nbo - 1
            else:
                bin_bo[s] = kg_bin(months, tallies.breakout_floor, tallies.breakout_inv_log_ratio, nbo)
            if t == t1 - 1:
                final[4, s] = months
        tallies.sum_pu[t] += total_pu
        tallies.sum_heu[t] += total_heu
        _count(tallies.pu[t], bin_pu)
        _count(tallies.heu[t], bin_heu)
        _count(tallies.warheads_possible[t], bin_wp)
        _count(tallies.warheads_assembled[t], bin_wa)
        if tallies.breakout_months[t] or t == t1 - 1:
            _count(tallies.breakout[t], bin_bo)
        if base_mode == 2 and t >= ctl_from:
            _count(pairing.pu[t], bin_dpu)
            _count(pairing.heu[t], bin_dheu)
            _count(pairing.warheads_possible[t], bin_dwp)
            _count(pairing.warheads_assembled[t], bin_dwa)
