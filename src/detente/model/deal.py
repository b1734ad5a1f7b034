"""Deal dynamics per sample, month by month (compiled with numba).

A deal's phases start and complete on dates fixed before the loop (their slippage is drawn).
Each month, until the deal collapses:

* value accrues to each side as phases progress: what the DPRK has given (measures) and
  received (incentives); the imbalance ``I = (G − R) / (G + R)`` raises the DPRK's walk-away
  hazard when positive and the other side's when negative: ``h = base · exp(β · max(±I, 0))``;
* tension-reduction measures in force lower both hazards; a verification dispute (started at
  random by intrusive verification) multiplies them for a few months;
* an undeclared facility that a completed phase restricts may keep running (cheating); each
  month it may be detected — by the verification covering it, or by national technical means —
  and a detection ends the deal with some probability, otherwise starts a dispute;
* outside triggers (a satellite launch) happen at a rate and may be ruled a breach.

On collapse every restriction lapses: facilities restart after the delay of their restriction
(freeze < disable < dismantle, which may be never). All uniforms come from arrays shared by
every scenario of a run (common random numbers).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from ..months import NEVER

LEVELS = {"freeze": 1, "disable": 2, "dismantle": 3}
# rows of the shared uniform array
U_DPRK, U_US, U_DISPUTE, U_DETECT, U_WALK, U_TRIGGER = 0, 1, 2, 3, 4, 5


@njit(cache=True, nogil=True, error_model="numpy")
def run_deal(
    t0, t1, start, done, given, received, tension, level, undeclared, production, exists,
    detect, dispute_rate, trig_rate, trig_breach,
    base_d, base_u, beta, relief, dmult, dmonths, walk, ntm, pcheat, restart, never,
    uniforms, u_cheat,
    ctl, in_force, cheated_by, detected_by, collapse, cheated, detected, halted,
):
    """Simulate months ``t0`` … ``t1 - 1`` of a deal for every sample.

    Shapes: ``start``/``done``/``given``/``received`` (P, n); ``level`` (P, F) restriction a
    completed phase imposes (0 none, 1 freeze, 2 disable, 3 dismantle); ``detect`` (P, F, n)
    monthly detection chance at each facility while the phase's verification is in force;
    ``dispute_rate`` (P, n); ``exists`` (F, n) whether a facility exists in a sample (only an
    existing one can be run in secret); ``trig_*`` (K, n); ``restart`` (4, n) months by level;
    ``uniforms`` (5 + 2K, t1 - t0, n); ``u_cheat`` (F, n). Outputs: ``ctl`` (F, t1 - t0, n)
    1 = running; per-month counts ``in_force``, ``cheated_by``, ``detected_by``; per sample
    ``collapse`` month, ``cheated``/``detected`` flags and ``halted`` production months.
    """
    n_p, n = start.shape
    n_f = level.shape[1]
    n_k = trig_rate.shape[0]
    lv = np.zeros(n_f, dtype=np.int64)
    cheat = np.zeros(n_f, dtype=np.bool_)
    for s in range(n):
        first = NEVER
        for p in range(n_p):
            first = min(first, start[p, s])
        gone = NEVER
        dispute_until = -1
        for f in range(n_f):
            lv[f] = 0
            cheat[f] = False
        for t in range(t0, t1):
            i = t - t0
            live = gone == NEVER
            if live and t >= first:
                g = 0.0
                r = 0.0
                calm = 0.0
                for f in range(n_f):
                    lv[f] = 0
                rate = 0.0
                for p in range(n_p):
                    if t < start[p, s]:
                        continue
                    span = done[p, s] - start[p, s] + 1
                    progress = min(1.0, (t - start[p, s] + 1) / span)
                    g += given[p, s] * progress
                    r += received[p, s] * progress
                    rate += dispute_rate[p, s]
                    if t >= done[p, s]:
                        calm = min(1.0, calm + tension[p])
                        for f in range(n_f):
                            lv[f] = max(lv[f], level[p, f])
                imbalance = (g - r) / (g + r) if g + r > 0.0 else 0.0
                # cheating at undeclared facilities a completed phase restricts
                miss = 1.0
                for f in range(n_f):
                    if (lv[f] > 0 and undeclared[f] and exists[f, s] and not cheat[f]
                            and u_cheat[f, s] < pcheat[s]):
                        cheat[f] = True
                        cheated[s] = True
                    if cheat[f]:
                        best = ntm[s]
                        for p in range(n_p):
                            if t >= start[p, s]:
                                best = max(best, detect[p, f, s])
                        miss *= 1.0 - best
                factor = 1.0 - relief[s] * calm
                if t < dispute_until:
                    factor *= dmult[s]
                elif uniforms[U_DISPUTE, i, s] < rate:
                    dispute_until = t + int(dmonths[s])
                if miss < 1.0 and not detected[s] and uniforms[U_DETECT, i, s] < 1.0 - miss:
                    detected[s] = True
                    if uniforms[U_WALK, i, s] < walk[s]:
                        gone = t
                    else:
                        dispute_until = t + int(dmonths[s])
                for k in range(n_k):
                    event = uniforms[U_TRIGGER + 2 * k, i, s] < trig_rate[k, s]
                    if event and uniforms[U_TRIGGER + 2 * k + 1, i, s] < trig_breach[k, s]:
                        gone = t
                h_d = base_d[s] * math.exp(beta[s] * max(imbalance, 0.0)) * factor
                h_u = base_u[s] * math.exp(beta[s] * max(-imbalance, 0.0)) * factor
                walks_d = uniforms[U_DPRK, i, s] < 1.0 - math.exp(-h_d)
                walks_u = uniforms[U_US, i, s] < 1.0 - math.exp(-h_u)
                if walks_d or walks_u:
                    gone = t
                if gone == NEVER:
                    in_force[i] += 1
                else:
                    collapse[s] = gone
            stopped = False
            for f in range(n_f):
                restricted = lv[f] > 0 and not cheat[f]
                lapsed = gone != NEVER and not (never[s] and lv[f] == 3) and t >= gone + restart[lv[f], s]
                run = 0 if restricted and not lapsed else 1
                ctl[f, i, s] = run
                if run == 0 and production[f]:
                    stopped = True
            if stopped:
                halted[s] += 1
            if cheated[s]:
                cheated_by[i] += 1
            if detected[s]:
                detected_by[i] += 1
