"""Missiles and reach (compiled with numba): reliability that grows with flight tests, launchers,
and the warheads deliverable to each target region.

Per class, the lead type's per-flight failure chance starts at a draw from its beta-binomial
posterior ``q_now`` and falls with further flights ``k`` along a growth curve
``q(k) = q_inf + (q_now − q_inf) · (k / k_now)^(−growth)``; flights accrue at the class's test
rate unless a moratorium holds. A class counts as deployed once its lead type has flown
``deploy_after_flights`` times. Launchers grow at a yearly rate from the data date.

Deliverable warheads to a region: assembled warheads are allotted to the classes that reach it
(sampled range ≥ distance), most effective first, at most one per launcher; each arrives with
probability reliability × test-to-combat derating × re-entry × pre-launch survival, and for the
defended US homeland a share leaks through interceptors (saturated beyond interceptors ÷ shots
per warhead). Reported per sample: the expected number and P(at least one arrives).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit


@njit(cache=True, nogil=True, error_model="numpy")
def _log_bin(x: float, floor: float, inv_log_ratio: float, size: int) -> int:
    if x < floor:
        return 0
    i = 1 + int(math.log(x / floor) * inv_log_ratio)
    return i if i < size else size - 1


@njit(cache=True, nogil=True, error_model="numpy")
def run_missiles(
    t0, t1, today, k_now, q_now, q_inf, growth, rate, deploy_k, effect, launchers0, launcher_step,
    reach_km, distance_km, defended, pk, interceptors, shots, icbm, flight_ok, flight_row,
    assembled, cnt_deliver, cnt_reliability, sum_arrive, final_deliver, final_arrive, final_rel,
    base, base_mode, cnt_delta, floor, inv_log_ratio,
):
    """Months ``t0`` … ``t1 - 1`` (``assembled`` and ``flight_ok`` start at ``t0``).

    Per class (C, n): ``k_now`` flights so far, ``q_now`` failure chance now, ``q_inf``,
    ``growth``, ``rate`` flights per month, ``deploy_k``, ``effect`` (derating × re-entry ×
    survival), ``launchers0``, ``launcher_step`` (monthly factor), ``reach_km``. Regions (J,):
    ``distance_km``, ``defended``. ``flight_ok[flight_row[c], i, s]`` is 1 while class ``c`` may
    fly. Outputs histograms by region and month, ICBM reliability histograms, sums of
    P(at least one arrives), and per-sample values in the last month. ``base_mode`` 1 stores
    expected deliveries in ``base``; 2 counts paired differences into ``cnt_delta``.
    """
    n_c, n = q_now.shape
    n_j = distance_km.shape[0]
    nkg = cnt_deliver.shape[2]
    nrel = cnt_reliability.shape[1]
    k = np.empty(n_c)
    p = np.empty(n_c)
    cap = np.empty(n_c)
    order = np.empty(n_c, dtype=np.int64)
    for s in range(n):
        for c in range(n_c):
            k[c] = k_now[c, s]
        for t in range(t0, t1):
            i = t - t0
            for c in range(n_c):
                if flight_ok[flight_row[c], i, s]:
                    k[c] += rate[c, s]
                ratio = k[c] / k_now[c, s] if k_now[c, s] > 0 else 1.0
                q = q_inf[c, s] + (q_now[c, s] - q_inf[c, s]) * ratio ** (-growth[c, s])
                reliability = 1.0 - q
                if c == icbm:
                    b = min(int(reliability * (nrel - 1)), nrel - 1)
                    cnt_reliability[t, max(b, 0)] += 1
                    if t == t1 - 1:
                        final_rel[s] = reliability
                p[c] = reliability * effect[c, s]
                grown = launchers0[c, s] * launcher_step[c, s] ** max(t - today, 0)
                cap[c] = math.floor(grown) if k[c] >= deploy_k[c, s] else 0.0
            # most effective classes first (selection sort over a handful of classes)
            for c in range(n_c):
                order[c] = c
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
                    if reach_km[c, s] < distance_km[j] or left <= 0.0:
                        continue
                    sent = min(left, cap[c])
                    left -= sent
                    rvs += sent
                    expected += sent * p[c]
                leak = 1.0
                if defended[j] and rvs > 0.0:
                    engaged = min(1.0, interceptors[s] / shots / rvs)
                    leak = 1.0 - engaged * (1.0 - (1.0 - pk[s]) ** shots)
                none = 1.0
                left = assembled[i, s]
                for a in range(n_c):
                    c = order[a]
                    if reach_km[c, s] < distance_km[j] or left <= 0.0:
                        continue
                    sent = min(left, cap[c])
                    left -= sent
                    none *= (1.0 - p[c] * leak) ** sent
                expected *= leak
                cnt_deliver[j, t, _log_bin(expected, floor, inv_log_ratio, nkg)] += 1
                sum_arrive[j, t] += 1.0 - none
                if base_mode == 1:
                    base[j, i, s] = expected
                elif base_mode == 2:
                    d = expected - base[j, i, s]
                    bb = _log_bin(abs(d), floor, inv_log_ratio, nkg)
                    cnt_delta[j, t, nkg - 1 + bb if d >= 0 else nkg - 1 - bb] += 1
                if t == t1 - 1:
                    final_deliver[j, s] = expected
                    final_arrive[j, s] = 1.0 - none
