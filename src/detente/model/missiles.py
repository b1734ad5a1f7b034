"""Missiles and reach (compiled with numba): reliability that grows with flight tests, launchers,
and the warheads deliverable to each target region.

Per class, the lead type's per-flight failure chance starts at a draw from its beta-binomial
posterior ``q_now`` and falls with further flights ``k`` along a growth curve
``q(k) = q_inf + (q_now − q_inf) · (k / k_now)^(−growth)``; the re-entry shortfall (full-range
re-entry was never demonstrated by an ICBM) shrinks along the same curve. Flights accrue at the
class's test rate unless a moratorium holds. "Reliability" below is flight × re-entry: the
chance a launched missile delivers its warhead in a test. A class counts as deployed once its lead type has flown
``deploy_after_flights`` times. Launchers grow at a yearly rate from the data date.

Deliverable warheads to a region: assembled warheads are allotted to the classes that reach it
(sampled range ≥ distance), most effective first, at most one per launcher; each arrives with
probability reliability × test-to-combat derating × re-entry × pre-launch survival, and for the
defended US homeland a share leaks through interceptors (saturated beyond interceptors ÷ shots
per warhead). Reported per sample: the expected number and P(at least one arrives).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from ._jit import kernel


class Classes(NamedTuple):
    """Per missile class (C, n): the lead type's reliability growth, launchers and range."""

    k_now: np.ndarray  # flights so far
    q_now: np.ndarray  # per-flight failure chance now
    q_inf: np.ndarray  # failure chance of a mature design
    rv_now: np.ndarray  # re-entry chance now
    growth: np.ndarray  # exponent of the growth curve
    rate: np.ndarray  # flight tests per month
    deploy_k: np.ndarray  # flights before the class counts as deployed
    effect: np.ndarray  # test-to-combat derating × pre-launch survival
    launchers0: np.ndarray  # launchers at the data date
    launcher_step: np.ndarray  # monthly launcher growth factor
    reach_km: np.ndarray  # range, km
    flight_row: np.ndarray  # (C,) int64 row of the deal's controls allowing the class's flights
    icbm: int  # row of the ICBM class, or -1
    icbm_table: np.ndarray  # (M + 1, n) float32 ICBM delivery chance after m months of testing


class Targets(NamedTuple):
    """Target regions (J) and homeland missile defence."""

    distance_km: np.ndarray  # (J,) from the launch site
    defended: np.ndarray  # (J,) bool within the homeland missile defence
    pk: np.ndarray  # (n,) per-shot kill chance of an interceptor
    interceptors: np.ndarray  # (n,)
    shots: int  # interceptors fired per warhead


class Deliveries(NamedTuple):
    """What the missile kernel writes."""

    reliability: np.ndarray  # (T, B) int32 histogram of ICBM reliability per grid month
    evaluate: np.ndarray  # (M,) int64 output row of a month whose deliveries are evaluated, or -1
    expected: np.ndarray  # (J, E, n) float32 expected warheads arriving
    arrive: np.ndarray  # (J, E, n) float32 P(at least one arrives)
    final_reliability: np.ndarray  # (n,) ICBM reliability in the last month


@kernel
def delivery(m, k_now, q_now, q_inf, rv_now, growth, rate):
    """Chance one missile delivers its warhead after ``m`` months of flight testing: powered-
    flight reliability ``1 − q`` times re-entry ``rv``, where flights shrink both shortfalls
    along the same curve, ``q = q_inf + (q_now − q_inf)·r`` and ``1 − rv = (1 − rv_now)·r``
    with ``r = ((k_now + m·rate) / k_now)^(−growth)``."""
    shrink = math.exp(-growth * math.log1p(m * rate / max(k_now, 1e-9)))
    return (1.0 - q_inf - (q_now - q_inf) * shrink) * (1.0 - (1.0 - rv_now) * shrink)


def delivery_table(k_now, q_now, q_inf, rv_now, growth, rate, months: int) -> np.ndarray:
    """:func:`delivery` for ``m = 0 … months`` and every sample, ``(months + 1, n)``
    (vectorised numpy, float32), for a class whose reliability is reported every month."""
    f32 = np.float32  # ample for shares; halves the work of the transcendental functions
    m = np.arange(months + 1, dtype=f32)[:, None]
    shrink = m * (rate / np.maximum(k_now, 1e-9)).astype(f32)
    shrink += 1.0
    np.log(shrink, out=shrink)
    shrink *= -growth.astype(f32)
    np.exp(shrink, out=shrink)
    flight = 1.0 - q_inf.astype(f32) - (q_now - q_inf).astype(f32) * shrink
    rv = 1.0 - (1.0 - rv_now).astype(f32) * shrink
    return flight * rv


@kernel
def run_missiles(t0, t1, today, classes, targets, running, assembled, out):
    """Grid months ``t0`` … ``t1 - 1``; ``running`` (the deal's controls) and ``assembled``
    warheads (M, n) start at ``t0``. ``running[classes.flight_row[c], i, s]`` is 1 while class
    ``c`` may fly. Counts ICBM reliability into ``out.reliability[t]`` every month; in the months
    where ``out.evaluate[i] >= 0`` writes, per region and sample, the expected warheads arriving
    and P(at least one arrives) to that row of ``out.expected`` and ``out.arrive``.
    """
    k_now, q_now, q_inf, rv_now, growth = classes.k_now, classes.q_now, classes.q_inf, classes.rv_now, classes.growth
    rate, deploy_k, effect = classes.rate, classes.deploy_k, classes.effect
    launchers0, launcher_step, reach_km = classes.launchers0, classes.launcher_step, classes.reach_km
    flight_row, icbm, icbm_table = classes.flight_row, classes.icbm, classes.icbm_table
    distance_km, defended, pk = targets.distance_km, targets.defended, targets.pk
    interceptors, shots = targets.interceptors, targets.shots
    flight_ok = running
    cnt_reliability, evaluate, final_rel = out.reliability, out.evaluate, out.final_reliability
    expected_out, arrive_out = out.expected, out.arrive
    n_c, n = k_now.shape
    n_j = distance_km.shape[0]
    nrel = cnt_reliability.shape[1]
    months = np.zeros((n_c, n), dtype=np.int64)  # months of flight testing since the branch
    kill = np.empty(n)  # chance a salvo of `shots` interceptors stops one warhead
    for s in range(n):
        kill[s] = 1.0 - (1.0 - pk[s]) ** shots
    p = np.empty(n_c)
    log_miss = np.empty(n_c)  # log(1 - p): a warhead of this class fails to arrive
    cap = np.empty(n_c)
    order = np.empty(n_c, dtype=np.int64)
    sent = np.empty(n_c)
    for t in range(t0, t1):
        i = t - t0
        row = evaluate[i]
        for c in range(n_c):  # flight tests this month (stage loops over samples)
            allowed = flight_ok[flight_row[c], i]
            counter = months[c]
            for s in range(n):
                counter[s] += allowed[s]
        if icbm >= 0:
            for s in range(n):
                reliability = icbm_table[months[icbm, s], s]
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
                chance = delivery(m, k_now[c, s], q_now[c, s], q_inf[c, s], rv_now[c, s], growth[c, s], rate[c, s])
                p[c] = min(chance * effect[c, s], 1.0 - 1e-12)
                log_miss[c] = math.log1p(-p[c])
                deployed = k_now[c, s] + m * rate[c, s] >= deploy_k[c, s]
                cap[c] = math.floor(launchers0[c, s] * launcher_step[c, s] ** grown) if deployed else 0.0
                order[c] = c
            # most effective classes first (selection sort over a handful of classes)
            for a in range(n_c):
                best = a
                for b2 in range(a + 1, n_c):
                    if p[order[b2]] > p[order[best]]:
                        best = b2
                order[a], order[best] = order[best], order[a]
            for j in range(n_j):
                left = assembled[i, s]
                expected = 0.0
                rvs = 0.0
                for a in range(n_c):
                    c = order[a]
                    sent[c] = 0.0
                    if reach_km[c, s] < distance_km[j] or left <= 0.0:
                        continue
                    sent[c] = min(left, cap[c])
                    left -= sent[c]
                    rvs += sent[c]
                    expected += sent[c] * p[c]
                leak = 1.0
                if defended[j] and rvs > 0.0:
                    leak = 1.0 - min(1.0, interceptors[s] / shots / rvs) * kill[s]
                log_none = 0.0
                for c in range(n_c):
                    if sent[c] > 0.0:
                        miss = log_miss[c] if leak == 1.0 else math.log1p(-p[c] * leak)
                        log_none += sent[c] * miss
                expected_out[j, row, s] = expected * leak
                arrive_out[j, row, s] = 1.0 - math.exp(log_none)
