"""Missiles and reach (compiled with numba): reliability that grows with flight tests, re-entry
that grows only with full-range flights, warhead designs that arm classes, launchers, layered
missile defences, and the warheads deliverable to each target region.

Per class, the lead type's per-flight failure chance starts at a draw from its beta-binomial
posterior ``q_now`` and falls with further flights ``k`` along a growth curve
``q(k) = q_inf + (q_now − q_inf) · (k / k_now)^(−growth)``; the re-entry shortfall shrinks along
the same exponent but only with full-range flights ``k_f`` (a share of the flights):
``(1 − rv) = (1 − rv_now) · ((1 + k_f) / (1 + k_f,now))^(−growth)`` — lofted flights prove the
engines, not re-entry at ICBM speed. Flights accrue at the class's test rate unless a moratorium
holds; when a halt ends, the class makes up a share of the flights it forwent over the next
months (the catch-up). "Reliability" below is flight × re-entry. A class counts as deployed once
its lead type has flown ``deploy_after_flights`` times, and armed once a warhead design validated
for it exists (``Arming``); a validated multiple-warhead design multiplies its warheads per missile.
Launchers grow at a yearly rate from the data date, within any ceiling a deal sets.

Deliverable warheads to a region, *if the whole arsenal were aimed there*: assembled warheads are
allotted to the armed classes that reach it, most effective first, at most one missile per
launcher; each arrives with probability reliability × test-to-combat derating × pre-launch
survival, times the share that gets past the region's defence layers, which act in turn, outer
first, each on what got past the ones before it (a layer engages, of the warheads within its
footprint, up to ``interceptors ÷ shots``, each killed with ``1 − (1 − pk·derating)^shots``).
Reported per sample: the expected number and P(at least one arrives). The *additive allocation*
splits one arsenal across regions by a targeting rule: each region is aimed at by the
shortest-range class given warheads that reaches it (long-range missiles are kept for the targets
only they can reach), each class's warheads spread evenly over its regions, and a layer's
interceptors are shared evenly by the regions it defends.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from ._jit import inner, kernel

NEVER_ARMED = 2**40  # a month index beyond any grid: no validated design arms the class


class Classes(NamedTuple):
    """Per missile class (C, n): the lead type's reliability growth, launchers and range."""

    k_now: np.ndarray  # flights so far
    kf_now: np.ndarray  # full-range flights so far
    q_now: np.ndarray  # per-flight failure chance now
    q_inf: np.ndarray  # failure chance of a mature design
    rv_now: np.ndarray  # re-entry chance now
    growth: np.ndarray  # exponent of the growth curve
    rate: np.ndarray  # flight tests per month
    full_share: np.ndarray  # share of future flights on a full-range trajectory
    catch_up: np.ndarray  # share of forgone flights made up after a halt ends
    catch_months: int  # … spread over this many months
    deploy_k: np.ndarray  # flights before the class counts as deployed
    effect: np.ndarray  # test-to-combat derating × pre-launch survival
    launchers0: np.ndarray  # launchers at the data date
    launcher_step: np.ndarray  # monthly launcher growth factor
    reach_km: np.ndarray  # range, km
    flight_row: np.ndarray  # (C,) int64 row of the deal's controls allowing the class's flights
    # types flown least (X), which a catch-up after a halt tests instead of the lead
    extra_class: np.ndarray  # (X,) int64 the class of each
    extra_k_now: np.ndarray  # (X, n) flights so far
    extra_kf_now: np.ndarray  # (X, n) full-range flights so far
    extra_q_now: np.ndarray  # (X, n) per-flight failure chance now
    extra_reach: np.ndarray  # (X, n) range, km
    icbm: int  # row of the ICBM class, or -1
    icbm_table: np.ndarray  # (M + 1, n) float32 ICBM delivery chance after m months of testing


class Arming(NamedTuple):
    """Per class (C, n), from the warhead designs a scenario's nuclear tests validate."""

    armed_from: np.ndarray  # int64 month (from t0) a validated design first arms the class
    multi_from: np.ndarray  # int64 month a validated multiple-warhead design arms it
    multi_k: np.ndarray  # warheads per missile from then on


class Limits(NamedTuple):
    """A deal's launcher ceilings per class (C, n), binding from a month until they lapse."""

    limit: np.ndarray  # float64 launchers allowed (inf: no limit)
    binds_from: np.ndarray  # int64 grid month the limit binds, or NEVER
    binds_until: np.ndarray  # int64 grid month it lapses


def unlimited(classes: int, n: int) -> Limits:
    """No launcher limits for ``classes`` classes and ``n`` samples."""
    never = np.full((classes, n), 2**60, dtype=np.int64)
    return Limits(limit=np.full((classes, n), np.inf), binds_from=never, binds_until=never.copy())


class Targets(NamedTuple):
    """Target regions (J) and missile-defence layers (L)."""

    distance_km: np.ndarray  # (J,) from the launch site
    covers: np.ndarray  # (J, K) int64 the layers defending each region, padded with -1
    signature: np.ndarray  # (J,) int64 regions with the same defence layers share a number
    engages: np.ndarray  # (L, C) bool the layer can engage the class
    since: np.ndarray  # (L,) int64 grid month the layer enters service
    kill: np.ndarray  # (L, n) chance a salvo of `shots` interceptors kills a warhead in combat
    coverage: np.ndarray  # (L, n) share of the warheads aimed at a region that fly within the layer's footprint
    interceptors: np.ndarray  # (L, n)
    shots: np.ndarray  # (L,) int64 interceptors fired per warhead


class Deliveries(NamedTuple):
    """What the missile kernel writes."""

    reliability: np.ndarray  # (T, B) int32 histogram of ICBM reliability per grid month
    evaluate: np.ndarray  # (M,) int64 output row of a month whose deliveries are evaluated, or -1
    expected: np.ndarray  # (J, E, n) float32 expected warheads arriving if all were aimed at the region
    arrive: np.ndarray  # (J, E, n) float32 P(at least one arrives), likewise
    allocated: np.ndarray  # (J, E, n) float32 expected arriving under the additive allocation
    final_reliability: np.ndarray  # (n,) ICBM reliability in the last month
    flights: np.ndarray  # (C, n) expected flight tests from t0 to the last month
    mated: np.ndarray  # (C, n) warheads on each class's missiles at the last evaluation (additive)


@kernel
def delivery(m, k_now, kf_now, q_now, q_inf, rv_now, growth, rate, full_share):
    """Chance one missile delivers its warhead after ``m`` months of flight testing: powered-
    flight reliability ``1 − q`` times re-entry ``rv``, ``q = q_inf + (q_now − q_inf)·r`` with
    ``r = ((k_now + m·rate) / k_now)^(−growth)`` and ``1 − rv = (1 − rv_now)·r_f`` with
    ``r_f = ((1 + kf_now + m·rate·full_share) / (1 + kf_now))^(−growth)``."""
    shrink = math.exp(-growth * math.log1p(m * rate / max(k_now, 1e-9)))
    shrink_rv = math.exp(-growth * math.log1p(m * rate * full_share / (1.0 + kf_now)))
    return (1.0 - q_inf - (q_now - q_inf) * shrink) * (1.0 - (1.0 - rv_now) * shrink_rv)


def delivery_table(k_now, kf_now, q_now, q_inf, rv_now, growth, rate, full_share, months: int) -> np.ndarray:
    """:func:`delivery` for ``m = 0 … months`` and every sample, ``(months + 1, n)``
    (vectorised numpy, float32), for a class whose reliability is reported every month."""
    f32 = np.float32  # ample for shares; halves the work of the transcendental functions
    m = np.arange(months + 1, dtype=f32)[:, None]

    def shrink(per_month):
        out = m * per_month.astype(f32)
        out = np.log1p(out, out=out)
        out *= -growth.astype(f32)
        return np.exp(out, out=out)

    flight = 1.0 - q_inf.astype(f32) - (q_now - q_inf).astype(f32) * shrink(rate / np.maximum(k_now, 1e-9))
    rv = 1.0 - (1.0 - rv_now).astype(f32) * shrink(rate * full_share / (1.0 + kf_now))
    return flight * rv


@inner
def arrivals(j, s, t, sent, p, targets, stock, through, chance_of_none):
    """Expected warheads arriving in region ``j`` when ``sent[c]`` warheads fly on each class,
    and (if ``chance_of_none``) log P(none arrives), else 0. The region's layers act in turn,
    outer first, each on the warheads that got past the ones before it: a layer engages the
    share ``coverage`` of them that fly within its footprint, up to ``interceptors × stock ÷
    shots`` (``stock`` (L,): the share of its interceptors defending this region), each killed
    with its salvo chance. ``through`` is scratch (C,): the share of each class's warheads left."""
    covers, engages, since = targets.covers, targets.engages, targets.since
    n_k = covers.shape[1]
    n_c = sent.shape[0]
    for c in range(n_c):
        through[c] = 1.0
    for k in range(n_k):
        layer = covers[j, k]
        if layer < 0:
            break
        if t < since[layer]:
            continue
        load = 0.0
        for c in range(n_c):
            if engages[layer, c]:
                load += sent[c] * through[c]
        if load <= 0.0:
            continue
        inside = targets.coverage[layer, s] * load
        engaged = min(1.0, targets.interceptors[layer, s] * stock[layer] / targets.shots[layer] / inside)
        killed = targets.coverage[layer, s] * engaged * targets.kill[layer, s]
        for c in range(n_c):
            if engages[layer, c]:
                through[c] *= 1.0 - killed
    expected = 0.0
    log_none = 0.0
    for c in range(n_c):
        if sent[c] <= 0.0:
            continue
        expected += sent[c] * p[c] * through[c]
        if chance_of_none:
            log_none += sent[c] * math.log1p(-p[c] * through[c])
    return expected, log_none


@inner
def twin(j, mask, signature):
    """An earlier region reached by the same classes under the same defences (its deliveries are
    the same), or -1."""
    for j2 in range(j):
        if mask[j2] == mask[j] and signature[j2] == signature[j]:
            return j2
    return -1


@kernel
def run_missiles(t0, t1, today, classes, arming, limits, targets, running, assembled, out):
    """Grid months ``t0`` … ``t1 - 1``; ``running`` (the deal's controls) and ``assembled``
    warheads (M, n) start at ``t0``. ``running[classes.flight_row[c], i, s]`` is 1 while class
    ``c`` may fly; ``limits`` cap its launchers. Counts ICBM reliability into
    ``out.reliability[t]`` every month; in the months where ``out.evaluate[i] >= 0`` writes, per
    region and sample, the expected warheads arriving and P(at least one arrives) if all were aimed
    there, and the expected arriving under the additive allocation, to that row of
    ``out.expected``, ``out.arrive`` and ``out.allocated``.
    """
    k_now, kf_now, q_now, q_inf = classes.k_now, classes.kf_now, classes.q_now, classes.q_inf
    rv_now, growth, rate, full_share = classes.rv_now, classes.growth, classes.rate, classes.full_share
    deploy_k, effect, catch_up = classes.deploy_k, classes.effect, classes.catch_up
    launchers0, launcher_step, reach_km = classes.launchers0, classes.launcher_step, classes.reach_km
    flight_row, icbm, icbm_table = classes.flight_row, classes.icbm, classes.icbm_table
    armed_from, multi_from, multi_k = arming.armed_from, arming.multi_from, arming.multi_k
    distance_km = targets.distance_km
    cnt_reliability, evaluate, final_rel = out.reliability, out.evaluate, out.final_reliability
    n_c, n = k_now.shape
    n_j = distance_km.shape[0]
    nrel = cnt_reliability.shape[1]
    top = icbm_table.shape[0] - 1
    months = np.zeros((n_c, n))  # months of flight testing since t0, with catch-up months counted in
    n_x = classes.extra_class.shape[0]
    extras = np.zeros(n_c, dtype=np.int64)  # catch-up types per class
    for x in range(n_x):
        extras[classes.extra_class[x]] += 1
    extra_months = np.zeros((max(n_x, 1), n))  # … of each catch-up type (catch-up only)
    paused = np.zeros((n_c, n), dtype=np.int64)  # months of the current halt
    backlog = np.zeros((n_c, n))  # catch-up months still to fly
    surge = np.zeros((n_c, n))  # catch-up months flown per month
    p = np.empty(n_c)
    cap = np.empty(n_c)
    order = np.empty(n_c, dtype=np.int64)
    sent = np.empty(n_c)
    total = np.empty(n_c)
    owned = np.empty(n_c)
    reached = np.empty(n_c)
    share = np.empty(n_c)
    owner = np.empty(n_j, dtype=np.int64)
    reach = np.empty(n_c)  # range of the type carrying each class this month
    mask = np.empty(n_j, dtype=np.int64)  # bit c: class c reaches the region
    n_l = targets.shots.shape[0]
    whole = np.ones(max(n_l, 1))  # every layer's interceptors, when the whole arsenal is aimed at one region
    stock = np.ones(max(n_l, 1))
    through = np.empty(n_c)
    hit = np.zeros(n_j, dtype=np.bool_)
    for t in range(t0, t1):
        i = t - t0
        row = evaluate[i]
        for c in range(n_c):  # flight tests this month (stage loops over samples)
            allowed = running[flight_row[c], i]
            for s in range(n):
                if allowed[s]:
                    if paused[c, s] > 0:  # a halt ends: make up part of what it forwent
                        backlog[c, s] += catch_up[c, s] * paused[c, s]
                        surge[c, s] = backlog[c, s] / classes.catch_months
                        paused[c, s] = 0
                    extra = min(surge[c, s], backlog[c, s])
                    backlog[c, s] -= extra
                    months[c, s] += 1.0
                    if extras[c] == 0:
                        months[c, s] += extra
                    else:  # the types flown least are the ones tested fully
                        for x in range(n_x):
                            if classes.extra_class[x] == c:
                                extra_months[x, s] += extra / extras[c]
                else:
                    paused[c, s] += 1
        if icbm >= 0:
            for s in range(n):
                m = min(months[icbm, s], float(top))
                lo = int(m)  # between whole months of testing (catch-up months are fractional)
                reliability = icbm_table[lo, s] + (m - lo) * (icbm_table[min(lo + 1, top), s] - icbm_table[lo, s])
                b = min(int(reliability * (nrel - 1)), nrel - 1)
                cnt_reliability[t, max(b, 0)] += 1
                if t == t1 - 1:
                    final_rel[s] = reliability
        if row < 0:
            continue
        grown = max(t - today, 0)
        for s in range(n):
            for c in range(n_c):
                m = months[c, s]
                chance = delivery(m, k_now[c, s], kf_now[c, s], q_now[c, s], q_inf[c, s], rv_now[c, s],
                                  growth[c, s], rate[c, s], full_share[c, s])
                p[c] = min(chance * effect[c, s], 1.0 - 1e-12)
                deployed = k_now[c, s] + m * rate[c, s] >= deploy_k[c, s]
                reach[c] = reach_km[c, s]
                for x in range(n_x):  # a catch-up type, once deployed and better, carries the class
                    if classes.extra_class[x] != c:
                        continue
                    mx = extra_months[x, s]
                    if classes.extra_k_now[x, s] + mx * rate[c, s] < deploy_k[c, s]:
                        continue
                    other = delivery(mx, classes.extra_k_now[x, s], classes.extra_kf_now[x, s],
                                     classes.extra_q_now[x, s], q_inf[c, s], rv_now[c, s], growth[c, s], rate[c, s],
                                     full_share[c, s])
                    other = min(other * effect[c, s], 1.0 - 1e-12)
                    if not deployed or other > p[c]:
                        p[c], reach[c], deployed = other, classes.extra_reach[x, s], True
                per_missile = multi_k[c, s] if i >= multi_from[c, s] else 1.0
                cap[c] = 0.0
                if deployed and i >= armed_from[c, s]:
                    launchers = math.floor(launchers0[c, s] * launcher_step[c, s] ** grown)
                    if limits.binds_from[c, s] <= t < limits.binds_until[c, s]:
                        launchers = min(launchers, limits.limit[c, s])
                    cap[c] = launchers * per_missile
                order[c] = c
            # most effective classes first (selection sort over a handful of classes)
            for a in range(n_c):
                best = a
                for b2 in range(a + 1, n_c):
                    if p[order[b2]] > p[order[best]]:
                        best = b2
                order[a], order[best] = order[best], order[a]
            for j in range(n_j):  # which classes reach each region
                mask[j] = 0
                for c in range(n_c):
                    if reach[c] >= distance_km[j]:
                        mask[j] |= 1 << c
            for j in range(n_j):  # the whole arsenal aimed at region j
                same = twin(j, mask, targets.signature)
                if same >= 0:  # the same classes and the same defences as a region before it
                    out.expected[j, row, s] = out.expected[same, row, s]
                    out.arrive[j, row, s] = out.arrive[same, row, s]
                    continue
                left = assembled[i, s]
                for a in range(n_c):
                    c = order[a]
                    sent[c] = 0.0
                    if mask[j] >> c & 1 and left > 0.0:
                        sent[c] = min(left, cap[c])
                        left -= sent[c]
                expected, log_none = arrivals(j, s, t, sent, p, targets, whole, through, True)
                out.expected[j, row, s] = expected
                out.arrive[j, row, s] = 1.0 - math.exp(log_none)
            # additive allocation: one arsenal, each region to the shortest-range class given warheads
            # that reaches it; a layer's interceptors are shared evenly by the regions it defends
            left = assembled[i, s]
            for a in range(n_c):
                c = order[a]
                total[c] = min(left, cap[c]) if left > 0.0 else 0.0
                left -= total[c]
                owned[c] = 0.0
                reached[c] = 0.0
            for j in range(n_j):
                owner[j] = -1
                for c in range(n_c):
                    if mask[j] >> c & 1 and total[c] > 0.0:
                        reached[c] += 1.0
                        if owner[j] < 0 or reach[c] < reach[owner[j]]:
                            owner[j] = c
                if owner[j] >= 0:
                    owned[owner[j]] += 1.0
            for c in range(n_c):  # warheads per region; a class nowhere the shortest spreads over all it reaches
                spread = owned[c] if owned[c] > 0.0 else reached[c]
                share[c] = total[c] / spread if spread > 0.0 else 0.0
            for layer in range(n_l):
                stock[layer] = 0.0
            for j in range(n_j):
                hit[j] = False
                for c in range(n_c):
                    mine = owner[j] == c if owned[c] > 0.0 else mask[j] >> c & 1
                    hit[j] = hit[j] or (mine and total[c] > 0.0)
                if hit[j]:
                    for k in range(targets.covers.shape[1]):
                        layer = targets.covers[j, k]
                        if layer < 0:
                            break
                        stock[layer] += 1.0
            for layer in range(n_l):
                stock[layer] = 1.0 / stock[layer] if stock[layer] > 0.0 else 1.0
            for j in range(n_j):
                if not hit[j]:
                    out.allocated[j, row, s] = 0.0
                    continue
                same = twin(j, mask, targets.signature)
                if same >= 0 and owner[same] == owner[j] and hit[same]:
                    out.allocated[j, row, s] = out.allocated[same, row, s]
                    continue
                for c in range(n_c):
                    mine = owner[j] == c if owned[c] > 0.0 else mask[j] >> c & 1
                    sent[c] = share[c] if mine and total[c] > 0.0 else 0.0
                out.allocated[j, row, s] = arrivals(j, s, t, sent, p, targets, stock, through, False)[0]
            for c in range(n_c):
                out.mated[c, s] = total[c]
    for c in range(n_c):
        for s in range(n):
            out.flights[c, s] = months[c, s] * rate[c, s]
    for x in range(n_x):
        c = classes.extra_class[x]
        for s in range(n):
            out.flights[c, s] += extra_months[x, s] * rate[c, s]
