"""The compiled month loop (numba): one pass over months × samples that updates every stock
and adds each month's values straight into the run's histograms.

Months are the outer loop and samples the inner one, so a month's histogram rows stay in cache.
The physics is the same as :mod:`detente.model` (the tests check the two agree).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .months import NEVER


@njit(cache=True, nogil=True, error_model="numpy")
def kg_bin(x: float, floor: float, inv_log_ratio: float, size: int) -> int:
    """Log-spaced kilogram bin of ``x`` (see :class:`detente.accumulate.KgBins`)."""
    if x < floor:
        return 0
    i = 1 + int(math.log(x / floor) * inv_log_ratio)
    return i if i < size else size - 1


@njit(cache=True, nogil=True, error_model="numpy")
def _signed_kg(x: float, floor: float, inv_log_ratio: float, size: int) -> int:
    """Bin of a signed kg difference: ``size - 1`` is zero, above it positive log bins."""
    b = kg_bin(abs(x), floor, inv_log_ratio, size)
    return size - 1 + b if x >= 0 else size - 1 - b


@njit(cache=True, nogil=True, error_model="numpy")
def _signed_count(x: float, size: int) -> int:
    """Bin of a signed warhead difference: ``size - 1`` is zero, clipped at ±(size - 1)."""
    return min(max(int(x), 1 - size), size - 1) + size - 1


@njit(cache=True, nogil=True, error_model="numpy")
def _discharge(r, s, moved, full, campaign, core, run, spent, due, next_due):
    """Move ``moved`` kg from core to spent fuel; book a campaign unless one is pending."""
    core[r, s] -= moved
    spent[r, s] += moved
    if full:
        run[r, s] = 0.0
    if due[r, s] == NEVER:
        due[r, s] = campaign
        next_due[r] = min(next_due[r], campaign)


@njit(cache=True, nogil=True, error_model="numpy")
def _count(row, bins):
    """Add one to ``row`` at each index in ``bins``."""
    for i in range(bins.shape[0]):
        row[bins[i]] += 1


@njit(cache=True, nogil=True, error_model="numpy")
def run_months(
    t0, t1,
    r_rows, r_on, r_period, r_kind, r_sep, r_kgidx, kg_table, r_auto_from, r_cycle, r_lag, r_yield,
    e_rows, e_period, e_start, e_step, e_growth_from,
    test_of_month, test_pu, test_heu,
    per_pu, per_heu, util_pu, util_heu, lag,
    core, run, spent, due, pu_sep, heu_made, pu_used, heu_used, ring_pu, ring_heu, e_factor,
    cnt_pu, cnt_heu, cnt_wp, cnt_wa, sum_pu, sum_heu, final,
    kg_floor, kg_inv_log_ratio,
    ctl, ctl_from, r_fidx, e_fidx, rcl, ship_month, ship_pu, ship_heu,
    base, base_mode, d_pu, d_heu, d_wp, d_wa, threshold, reach,
    test_u, test_p, dev_pu, dev_heu, test_row, assembled,
):
    """Step months ``t0`` … ``t1 - 1`` for every sample, in place.

    Reactor discharge kinds: 0 none, 1 full core, 2 partial (``kg_table`` row ``r_kgidx``);
    ``r_sep`` is the recorded campaign month or -1 to use the sampled reprocessing lag. Bin
    indices of a month are gathered first and counted in a second, tight loop.

    Deals: from month ``ctl_from`` on, ``ctl[f, t - ctl_from, s]`` is 1 while facility ``f`` runs
    (reactors ``r_fidx``, enrichment ``e_fidx``, reprocessing plant ``rcl`` or -1); material
    leaves the country at ``ship_month``. ``base_mode`` 1 stores this run's values from
    ``ctl_from`` on in ``base`` (the baseline); 2 counts paired differences from ``base`` into
    the ``d_*`` histograms. ``reach`` records the first month warheads possible ≥ ``threshold``.
    From ``ctl_from`` on, a nuclear test happens when ``test_u[t - ctl_from, s] < test_p[s]`` and
    row ``test_row`` of ``ctl`` allows it, consuming ``dev_pu`` or ``dev_heu``; assembled warheads
    are written to ``assembled[t - ctl_from, s]`` (for the missile model).
    """
    n = pu_sep.shape[0]
    n_r = core.shape[0]
    n_e = e_factor.shape[0]
    slots = ring_pu.shape[0]
    nkg = cnt_pu.shape[1]
    nc = cnt_wp.shape[1]
    next_due = np.empty(n_r, dtype=np.int64)  # earliest pending campaign of each reactor
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
    for t in range(t0, t1):
        # reactors: irradiate, discharge, reprocess (stage loops over samples vectorise)
        for r in range(n_r):
            p = r_period[r, t]
            on = r_on[r, p]
            rows = r_rows[r, p]
            c, m = core[r], run[r]
            if t >= ctl_from:
                go = ctl[r_fidx[r], t - ctl_from]
                for s in range(n):
                    c[s] += rows[s] * go[s]
                    m[s] += on * go[s]
            else:
                for s in range(n):
                    c[s] += rows[s]
                    m[s] += on
            kind = r_kind[r, t]
            if kind > 0:  # a recorded discharge: whole core, or a partial one
                for s in range(n):
                    moved = c[s] if kind == 1 else min(c[s], kg_table[r_kgidx[r, t], s])
                    campaign = r_sep[r, t] if r_sep[r, t] >= 0 else t + r_lag[r, s]
                    _discharge(r, s, moved, kind == 1, campaign, core, run, spent, due, next_due)
            elif on > 0.0 and t > r_auto_from[r]:  # later cores: each cycle of operation
                cycle = r_cycle[r]
                for s in range(n):
                    if m[s] >= cycle[s]:
                        _discharge(r, s, c[s], True, t + r_lag[r, s], core, run, spent, due,
                                   next_due)
            if t >= next_due[r]:
                low = NEVER
                for s in range(n):
                    if t >= due[r, s] and (rcl < 0 or t < ctl_from or ctl[rcl, t - ctl_from, s]):
                        pu_sep[s] += spent[r, s] * r_yield[r, s]
                        spent[r, s] = 0.0
                        due[r, s] = NEVER
                    low = min(low, due[r, s])
                next_due[r] = low
        # enrichment: separative work into weapon-grade uranium
        for e in range(n_e):
            rows = e_rows[e, e_period[e, t]]
            factor = e_factor[e]
            start = e_start[e]
            if t >= e_growth_from[e]:
                step = e_step[e]
                for s in range(n):
                    factor[s] *= step[s]
            if t >= ctl_from:
                go = ctl[e_fidx[e], t - ctl_from]
                for s in range(n):
                    heu_made[s] += rows[s] * factor[s] * (t >= start[s]) * go[s]
            else:
                for s in range(n):
                    heu_made[s] += rows[s] * factor[s] * (t >= start[s])
        if t >= first_ship:
            for s in range(n):
                if ship_month[s] == t:
                    pu_used[s] += ship_pu[s] * max(pu_sep[s] - pu_used[s], 0.0)
                    heu_used[s] += ship_heu[s] * max(heu_made[s] - heu_used[s], 0.0)
        if t >= ctl_from and test_u.shape[0] > 0:
            allowed = ctl[test_row, t - ctl_from]
            chance = test_u[t - ctl_from]
            for s in range(n):
                if allowed[s] and chance[s] < test_p[s]:
                    pu_used[s] += dev_pu[s]
                    heu_used[s] += dev_heu[s]
        k = test_of_month[t]
        if k >= 0:
            for s in range(n):
                pu_used[s] += test_pu[k, s]
                heu_used[s] += test_heu[k, s]
        # stocks, warheads and histograms
        slot = t % slots
        total_pu = 0.0
        total_heu = 0.0
        future = t >= ctl_from
        keep = future and assembled.shape[0] > 0
        j = t - ctl_from
        for s in range(n):
            pu = max(pu_sep[s] - pu_used[s], 0.0)
            heu = max(heu_made[s] - heu_used[s], 0.0)
            ring_pu[slot, s] = pu
            ring_heu[slot, s] = heu
            wp = math.floor(pu * per_pu[s]) + math.floor(heu * per_heu[s])
            back = slot - lag[s]  # lag < slots, so one wrap is enough
            if back < 0:
                back += slots
            wa = math.floor(ring_pu[back, s] * util_pu[s]) + math.floor(
                ring_heu[back, s] * util_heu[s]
            )
            bin_pu[s] = kg_bin(pu, kg_floor, kg_inv_log_ratio, nkg)
            bin_heu[s] = kg_bin(heu, kg_floor, kg_inv_log_ratio, nkg)
            bin_wp[s] = min(int(wp), nc - 1)
            bin_wa[s] = min(int(wa), nc - 1)
            total_pu += pu
            total_heu += heu
            if keep:
                assembled[j, s] = wa
            if wp >= threshold and reach[s] == NEVER:
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
        sum_pu[t] += total_pu
        sum_heu[t] += total_heu
        _count(cnt_pu[t], bin_pu)
        _count(cnt_heu[t], bin_heu)
        _count(cnt_wp[t], bin_wp)
        _count(cnt_wa[t], bin_wa)
        if base_mode == 2 and t >= ctl_from:
            _count(d_pu[t], bin_dpu)
            _count(d_heu[t], bin_dheu)
            _count(d_wp[t], bin_dwp)
            _count(d_wa[t], bin_dwa)
