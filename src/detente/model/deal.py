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
from typing import NamedTuple

import numpy as np

from ..months import NEVER
from ._jit import kernel

# rows of the shared uniform array
U_DPRK, U_US, U_DISPUTE, U_DETECT, U_WALK, U_TRIGGER = 0, 1, 2, 3, 4, 5


class Phases(NamedTuple):
    """A deal's phases (P, in dependency order) for ``n`` samples; F control rows."""

    start: np.ndarray  # (P, n) int64 grid month each phase starts
    done: np.ndarray  # (P, n) int64 grid month it is complete
    given: np.ndarray  # (P, n) value of the DPRK's measures (million USD/yr equivalent)
    received: np.ndarray  # (P, n) value of the incentives it receives
    tension: np.ndarray  # (P,) tension-reduction weight of a completed phase
    level: np.ndarray  # (P, F) int64 restriction a completed phase imposes (0 … 4)


class Restricted(NamedTuple):
    """What the control rows are."""

    undeclared: np.ndarray  # (F,) bool an undeclared facility
    production: np.ndarray  # (F,) bool a facility that makes fissile material
    exists: np.ndarray  # (F, n) bool the facility exists in a sample


class Verification(NamedTuple):
    detect: np.ndarray  # (P, F, n) monthly detection chance at each row while the phase has started
    dispute: np.ndarray  # (P, n) monthly chance a verification dispute starts


class Triggers(NamedTuple):
    chance: np.ndarray  # (K, n) monthly chance of the outside event
    breach: np.ndarray  # (K, n) chance it is ruled a breach


class Behaviour(NamedTuple):
    """The profile's behavioural draws, per sample (n,)."""

    dprk_hazard: np.ndarray  # monthly walk-away hazard of a balanced deal
    us_hazard: np.ndarray
    reciprocity: np.ndarray  # β in base · exp(β · one-sided imbalance)
    tension_relief: np.ndarray  # hazards × (1 − relief) with tension reduction in force
    dispute_multiplier: np.ndarray
    dispute_months: np.ndarray
    walk_on_detection: np.ndarray
    ntm_detection: np.ndarray  # monthly detection by national technical means
    cheat_undeclared: np.ndarray  # chance an undeclared restricted facility keeps running
    restart: np.ndarray  # (5, n) int64 months to restart after collapse, by level
    never_rebuilt: np.ndarray  # (n,) bool a dismantled facility is never rebuilt


class DealDraws(NamedTuple):
    uniforms: np.ndarray  # (5 + 2K, M, n) float32, rows U_* (common to every scenario)
    cheat: np.ndarray  # (F, n) uniforms for the cheating decision


class DealPath(NamedTuple):
    """One scenario's deal for one block (written by :func:`run_deal`)."""

    running: np.ndarray  # (F, M, n) uint8 1 while a control row runs
    in_force: np.ndarray  # (M,) int64 samples with the deal in force
    cheated_by: np.ndarray  # (M,) int64 samples in which cheating has happened
    detected_by: np.ndarray  # (M,) int64
    collapse: np.ndarray  # (n,) int64 grid month of collapse, or NEVER
    cheated: np.ndarray  # (n,) bool
    detected: np.ndarray  # (n,) bool
    halted: np.ndarray  # (n,) int64 months with some production facility stopped


@kernel
def run_deal(t0, t1, phases, restricted, verification, triggers, behaviour, draws, path):
    """Simulate grid months ``t0`` … ``t1 - 1`` of a deal for every sample, writing ``path``.

    Restriction levels: 0 none, 1 freeze, 2 disable, 3 dismantle, 4 moratorium (an activity);
    on collapse a row runs again after ``behaviour.restart[level]`` months (a dismantled one
    never, where ``never_rebuilt``). An undeclared facility that a completed phase restricts
    may keep running (cheating); the output arrays start at ``t0``.
    """
    start, done, given, received = phases.start, phases.done, phases.given, phases.received
    tension, level = phases.tension, phases.level
    undeclared, production, exists = restricted.undeclared, restricted.production, restricted.exists
    detect, dispute_rate = verification.detect, verification.dispute
    trig_rate, trig_breach = triggers.chance, triggers.breach
    base_d, base_u, beta = behaviour.dprk_hazard, behaviour.us_hazard, behaviour.reciprocity
    relief, dmult, dmonths = behaviour.tension_relief, behaviour.dispute_multiplier, behaviour.dispute_months
    walk, ntm, pcheat = behaviour.walk_on_detection, behaviour.ntm_detection, behaviour.cheat_undeclared
    restart, never = behaviour.restart, behaviour.never_rebuilt
    uniforms, u_cheat = draws.uniforms, draws.cheat
    ctl, in_force, cheated_by, detected_by = path.running, path.in_force, path.cheated_by, path.detected_by
    collapse, cheated, detected, halted = path.collapse, path.cheated, path.detected, path.halted
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
