"""Deal dynamics per sample, month by month (compiled with numba).

A deal's phases start and complete on dates fixed before the loop (their slippage is drawn).
Each month, until the deal collapses:

* value accrues to each side as phases progress: what the DPRK has given (measures) and
  received (incentives); the imbalance ``I = (G − R) / (G + R)`` raises the DPRK's walk-away
  hazard when positive and the other side's when negative: ``h = base · exp(β · max(±I, 0))``;
  both also fall with the value a side receives, and the other side's while compliance can be
  confirmed; tension-reduction measures in force lower both; a verification dispute multiplies
  them for a few months;
* covert production at a restricted plant is a choice weighed against the chance and cost of
  being caught (see :func:`run_deal`); a detection ends the deal, suspends relief or is resolved;
* outside shocks (the profile's) and the scenario's own triggers may be ruled a breach, and so may
  a satellite launch while a flight-test moratorium whose scope for space launches was never
  agreed is in force (the DPRK launches at its programme's rate, holding launches permitted).

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

# rows of the shared uniform array: hazards, disputes, detection and its response, triggers
# (two rows each), outside shocks (two rows), the cheating decision and which plant
U_DPRK, U_US, U_DISPUTE, U_DETECT, U_RESPONSE, U_TRIGGER = 0, 1, 2, 3, 4, 5
NEVER_RESTART = 32_000  # months to restart a dismantled facility that is never rebuilt


@kernel
def shock_rows(triggers: int) -> tuple[int, int, int, int]:
    """Rows of the shock, shock-breach, cheating and which-plant uniforms after ``triggers``."""
    first = U_TRIGGER + 2 * triggers
    return first, first + 1, first + 2, first + 3


class Phases(NamedTuple):
    """A deal's phases (P, in dependency order) for ``n`` samples; F control rows."""

    start: np.ndarray  # (P, n) int64 grid month each phase starts
    done: np.ndarray  # (P, n) int64 grid month it is complete
    given: np.ndarray  # (P, n) value of the DPRK's measures (million USD/yr equivalent)
    received: np.ndarray  # (P, n) value of the incentives it receives
    tension: np.ndarray  # (P,) tension-reduction weight of a completed phase
    informs: np.ndarray  # (P,) 1.0 where compliance can be confirmed (verification, or measures seen from afar)
    disputed_start: np.ndarray  # (P,) 1.0 where a moratorium of unsettled space-launch scope binds from the start
    disputed_done: np.ndarray  # (P,) … once the phase is complete
    level_start: np.ndarray  # (P, F) int64 restriction a phase imposes from its start (0 … 4)
    level_done: np.ndarray  # (P, F) int64 restriction it imposes once complete
    until_start: np.ndarray  # (P, F) int64 grid month the restriction from the start lapses (a sunset), or NEVER
    until_done: np.ndarray  # (P, F) int64 … the restriction once complete
    pending_start: np.ndarray  # (P, F) uint8 1: the restriction applies only once the row is declared
    pending_done: np.ndarray  # (P, F) uint8
    test_delay_start: np.ndarray  # (P, n) int64 months before tests resume after a collapse (CTBT) from the start
    test_delay_done: np.ndarray  # (P, n) int64 … once the phase is complete (test-site closure)
    received_snap: np.ndarray  # (P, n) value of incentives reimposed for good on a detection (snap-back)
    tension_until: np.ndarray  # (P,) int64 grid month the phase's tension reduction lapses, or NEVER
    goodwill_start: np.ndarray  # (P,) 1.0 where a DPRK confidence-building step is done at the start
    goodwill_done: np.ndarray  # (P,) … once the phase is complete
    us_goodwill: np.ndarray  # (P,) 1.0 where the other side's confidence-building step arrives with the phase
    settled_start: np.ndarray  # (P,) 1.0 where a space-launch ban settles a moratorium's scope from the start
    settled_done: np.ndarray  # (P,)


class Tied(NamedTuple):
    """Incentives (Q) received in full from the month a named measure binds."""

    phase: np.ndarray  # (Q,) int64 the measure's phase
    at_start: np.ndarray  # (Q,) uint8 1: the measure binds at its phase's start, else once complete
    value: np.ndarray  # (Q, n) million USD/yr
    snapback: np.ndarray  # (Q,) uint8 reimposed for good on a detection
    goodwill: np.ndarray  # (Q,) uint8 a confidence-building step of the other side's


class Restricted(NamedTuple):
    """What the control rows are."""

    declared_at: np.ndarray  # (F, n) int64 grid month from which a row counts as declared (NEVER: never)
    production: np.ndarray  # (F,) bool a facility that makes fissile material
    exists: np.ndarray  # (F, n) bool the facility exists in a sample
    ntm: np.ndarray  # (F, n) monthly chance national technical means see covert operation of the row
    test_row: int  # the row of nuclear tests


class Verification(NamedTuple):
    detect: np.ndarray  # (P, F, n) monthly detection chance at each row while the phase has started
    detect_declared: np.ndarray  # (P, F, n) … at rows covered once a declaration has declared them
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
    temptation: np.ndarray  # monthly chance of starting covert production where it could not be caught
    horizon: np.ndarray  # months over which the DPRK weighs the chance of being caught
    covert_gain: np.ndarray  # value of covert production (million USD/yr equivalent)
    suspend_on_detection: np.ndarray  # chance a detection not ending the deal suspends relief
    suspension_months: np.ndarray
    confidence: np.ndarray  # US hazard × (1 − confidence) while informing verification is in force
    commitment_scale: np.ndarray  # a side's hazard × S / (S + what it receives): value at stake keeps it in
    dispute_background: np.ndarray  # share of a regime's dispute rate while the DPRK conceals nothing
    shock_chance: np.ndarray  # monthly chance of an outside shock (launch, exercises, new government)
    shock_breach: np.ndarray  # chance a shock ends the deal
    launch_chance: np.ndarray  # monthly chance of a satellite launch the DPRK holds outside a disputed moratorium
    launch_breach: np.ndarray  # chance such a launch is ruled a breach
    goodwill: np.ndarray  # a side's hazard × (1 − this) once the other has taken a confidence-building step
    restart: np.ndarray  # (5, n) int64 months to restart after collapse, by level
    never_rebuilt: np.ndarray  # (n,) bool a dismantled facility is never rebuilt


class DealDraws(NamedTuple):
    uniforms: np.ndarray  # (5 + 2K + 4, M, n) float32, rows U_* and shock_rows (common to every scenario)


class DealPath(NamedTuple):
    """One scenario's deal for one block (written by :func:`run_deal`)."""

    running: np.ndarray  # (F, M, n) uint8 1 while a control row runs
    calm: np.ndarray  # (M, n) float32 tension reduction in force (0 … 1; 0 once the deal collapsed)
    relief: np.ndarray  # (M, n) float32 value the DPRK receives in force (million USD/yr; 0 once collapsed)
    in_force: np.ndarray  # (M,) int64 samples with the deal in force
    wait: np.ndarray  # (F, M, n) int16 months a row would need to run again if the deal ended now
    cheated_by: np.ndarray  # (M,) int64 samples in which covert production has taken place
    detected_by: np.ndarray  # (M,) int64
    collapse: np.ndarray  # (n,) int64 grid month of collapse, or NEVER
    cheated: np.ndarray  # (n,) bool covert production took place
    detected: np.ndarray  # (n,) bool
    halted: np.ndarray  # (F, n) int64 months each row was stopped
    halted_all: np.ndarray  # (n,) int64 months with every existing production facility stopped


@kernel
def run_deal(t0, t1, phases, tied, restricted, verification, triggers, behaviour, draws, path):
    """Simulate grid months ``t0`` … ``t1 - 1`` of a deal for every sample, writing ``path``.

    Restriction levels: 0 none, 1 freeze, 2 disable, 3 dismantle, 4 moratorium (an activity).
    A phase's declaratory measures bind from its start, its physical ones once it is complete.
    On collapse a row runs again after ``behaviour.restart[level]`` months (a dismantled one
    never, where ``never_rebuilt``); a moratorium lapses at once, except that nuclear tests wait
    for the longest delay the deal's CTBT step or test-site closure set (withdrawal notice, a
    site made ready again). A restriction with a sunset lapses on its date (the row runs again
    after its level's restart delay); one waiting on a declaration binds once the row is declared.
    Relief tied to a measure arrives in full when that measure binds; snap-back relief is
    reimposed for good on a detection that does not end the deal. The output arrays start at ``t0``.

    Covert production is a choice: each month, at every plant a deal restricts that could still
    run in secret (an undeclared one, or a frozen one), the DPRK starts producing with hazard
    ``temptation · (1 − P) / (1 + stake · P)``, where ``P = 1 − (1 − d)^horizon`` is the chance
    of being caught within its horizon at the plant's monthly detection chance ``d`` (the best
    verification covering it, or national technical means) and ``stake`` is what it receives
    (million USD/yr) over what covert production gains it. A detection ends the deal with
    ``walk_on_detection``; otherwise relief is suspended (``suspend_on_detection``) or the
    dispute is resolved, and either way production at the exposed plants stops.
    """
    start, done, given, received = phases.start, phases.done, phases.given, phases.received
    tension, level_start, level_done, informs = phases.tension, phases.level_start, phases.level_done, phases.informs
    declared_at, production = restricted.declared_at, restricted.production
    exists, ntm, test_row = restricted.exists, restricted.ntm, restricted.test_row
    delay_start, delay_done = phases.test_delay_start, phases.test_delay_done
    detect, dispute_rate = verification.detect, verification.dispute
    trig_rate, trig_breach = triggers.chance, triggers.breach
    base_d, base_u, beta = behaviour.dprk_hazard, behaviour.us_hazard, behaviour.reciprocity
    relief, dmult, dmonths = behaviour.tension_relief, behaviour.dispute_multiplier, behaviour.dispute_months
    walk, restart, never = behaviour.walk_on_detection, behaviour.restart, behaviour.never_rebuilt
    uniforms = draws.uniforms
    ctl, wait, in_force = path.running, path.wait, path.in_force
    cheated_by, detected_by, collapse = path.cheated_by, path.detected_by, path.collapse
    cheated, detected, halted, halted_all = path.cheated, path.detected, path.halted, path.halted_all
    n_p, n = start.shape
    n_f = level_done.shape[1]
    n_k = trig_rate.shape[0]
    n_q = tied.phase.shape[0]
    until_start, until_done = phases.until_start, phases.until_done
    declares = verification.detect_declared.size > 0 and verification.detect_declared.max() > 0.0
    pending_start, pending_done = phases.pending_start, phases.pending_done
    u_shock, u_shock_breach, u_cheat, u_which = shock_rows(n_k)
    lv = np.zeros(n_f, dtype=np.int64)
    cheat = np.zeros(n_f, dtype=np.bool_)
    caught = np.zeros(n_f, dtype=np.bool_)
    seen = np.zeros(n_f)  # monthly detection chance of covert operation at each row
    hazard = np.zeros(n_f)
    for s in range(n):
        first = NEVER
        for p in range(n_p):
            first = min(first, start[p, s])
        gone = NEVER
        dispute_until = -1
        suspend_until = -1
        hold = 0  # months tests wait after a collapse
        snapped = False  # snap-back relief reimposed
        for f in range(n_f):
            lv[f] = 0
            cheat[f] = False
            caught[f] = False
        for t in range(t0, t1):
            i = t - t0
            live = gone == NEVER
            if live and t >= first:
                g = 0.0
                r = 0.0
                calm = 0.0
                confident = 0.0
                rate = 0.0
                contested = 0.0
                settled = 0.0
                dprk_goodwill = 0.0
                us_goodwill = 0.0
                hold = 0
                for f in range(n_f):
                    lv[f] = 0
                    seen[f] = ntm[f, s]
                for p in range(n_p):
                    if t < start[p, s]:
                        continue
                    hold = max(hold, delay_start[p, s])
                    span = done[p, s] - start[p, s] + 1
                    progress = min(1.0, (t - start[p, s] + 1) / span)
                    g += given[p, s] * progress
                    r += received[p, s] * progress
                    if not snapped:
                        r += phases.received_snap[p, s] * progress
                    rate = max(rate, dispute_rate[p, s])
                    confident = max(confident, informs[p])
                    contested = max(contested, phases.disputed_start[p])
                    settled = max(settled, phases.settled_start[p])
                    dprk_goodwill = max(dprk_goodwill, phases.goodwill_start[p])
                    for f in range(n_f):
                        level = level_start[p, f]
                        if level > 0 and t < until_start[p, f] + restart[level, s] and (
                                pending_start[p, f] == 0 or t >= declared_at[f, s]):
                            lv[f] = max(lv[f], level)
                        seen[f] = max(seen[f], detect[p, f, s])
                        if declares and t >= declared_at[f, s]:
                            seen[f] = max(seen[f], verification.detect_declared[p, f, s])
                    if t >= done[p, s]:
                        if t < phases.tension_until[p]:
                            calm = min(1.0, calm + tension[p])
                        contested = max(contested, phases.disputed_done[p])
                        settled = max(settled, phases.settled_done[p])
                        dprk_goodwill = max(dprk_goodwill, phases.goodwill_done[p])
                        us_goodwill = max(us_goodwill, phases.us_goodwill[p])
                        hold = max(hold, delay_done[p, s])
                        for f in range(n_f):
                            level = level_done[p, f]
                            if level > 0 and t < until_done[p, f] + restart[level, s] and (
                                    pending_done[p, f] == 0 or t >= declared_at[f, s]):
                                lv[f] = max(lv[f], level)
                for q in range(n_q):  # relief tied to a measure: in full once that measure binds
                    p = tied.phase[q]
                    binds = start[p, s] if tied.at_start[q] else done[p, s]
                    if t >= binds and not (snapped and tied.snapback[q]):
                        r += tied.value[q, s]
                        if tied.goodwill[q]:
                            us_goodwill = 1.0
                if settled > 0.0:  # a space-launch ban settles what a moratorium left open
                    contested = 0.0
                if t < suspend_until:
                    r = 0.0  # relief suspended after a detection
                imbalance = (g - r) / (g + r) if g + r > 0.0 else 0.0
                # covert production: a choice that weighs the chance and the cost of being caught
                total = 0.0
                stake = r / behaviour.covert_gain[s]
                for f in range(n_f):
                    hazard[f] = 0.0
                    could = production[f] and exists[f, s] and not cheat[f] and not caught[f]
                    if could and 0 < lv[f] < 4 and (t < declared_at[f, s] or lv[f] == 1):
                        p_caught = 1.0 - (1.0 - seen[f]) ** behaviour.horizon[s]
                        hazard[f] = behaviour.temptation[s] * (1.0 - p_caught) / (1.0 + stake * p_caught)
                        total += hazard[f]
                if total > 0.0 and uniforms[u_cheat, i, s] < 1.0 - math.exp(-total):
                    pick = uniforms[u_which, i, s] * total
                    for f in range(n_f):
                        pick -= hazard[f]
                        if hazard[f] > 0.0 and (pick <= 0.0 or f == n_f - 1):
                            cheat[f] = True
                            cheated[s] = True
                            break
                miss = 1.0
                for f in range(n_f):
                    if cheat[f]:
                        miss *= 1.0 - seen[f]
                factor = 1.0 - relief[s] * calm
                concealing = False
                for f in range(n_f):
                    concealing = concealing or cheat[f]
                if not concealing:  # intrusive verification is disputed most where there is something to hide
                    rate *= behaviour.dispute_background[s]
                if t < dispute_until:
                    factor *= dmult[s]
                elif uniforms[U_DISPUTE, i, s] < rate:
                    dispute_until = t + 1 + int(round(dmonths[s]))
                if miss < 1.0 and uniforms[U_DETECT, i, s] < 1.0 - miss:
                    detected[s] = True
                    response = uniforms[U_RESPONSE, i, s]
                    if response < walk[s]:
                        gone = t
                    else:
                        snapped = True  # snap-back relief is reimposed whatever else the response
                        if response < walk[s] + (1.0 - walk[s]) * behaviour.suspend_on_detection[s]:
                            suspend_until = t + 1 + int(round(behaviour.suspension_months[s]))
                        dispute_until = t + 1 + int(round(dmonths[s]))
                        for f in range(n_f):  # the exposed plants stop
                            if cheat[f]:
                                cheat[f] = False
                                caught[f] = True
                for k in range(n_k):
                    event = uniforms[U_TRIGGER + 2 * k, i, s] < trig_rate[k, s]
                    if event and uniforms[U_TRIGGER + 2 * k + 1, i, s] < trig_breach[k, s]:
                        gone = t
                # one uniform for the month's outside event: a shock, else a launch of disputed scope
                u = uniforms[u_shock, i, s]
                ruled = uniforms[u_shock_breach, i, s]
                if u < behaviour.shock_chance[s]:
                    if ruled < behaviour.shock_breach[s]:
                        gone = t
                elif contested > 0.0 and u < behaviour.shock_chance[s] + behaviour.launch_chance[s] \
                        and ruled < behaviour.launch_breach[s]:
                    gone = t
                scale = behaviour.commitment_scale[s]
                h_d = base_d[s] * math.exp(beta[s] * max(imbalance, 0.0)) * factor * scale / (scale + r)
                h_u = base_u[s] * math.exp(beta[s] * max(-imbalance, 0.0)) * factor * scale / (scale + g)
                if not detected[s]:  # a detection ends the confidence verification gave
                    h_u *= 1.0 - behaviour.confidence[s] * confident
                h_u *= 1.0 - behaviour.goodwill[s] * dprk_goodwill  # goodwill steps lower the other side's hazard
                h_d *= 1.0 - behaviour.goodwill[s] * us_goodwill
                walks_d = uniforms[U_DPRK, i, s] < 1.0 - math.exp(-h_d)
                walks_u = uniforms[U_US, i, s] < 1.0 - math.exp(-h_u)
                if walks_d or walks_u:
                    gone = t
                if gone == NEVER:
                    in_force[i] += 1
                    path.calm[i, s] = calm  # tension reduction in force this month
                    path.relief[i, s] = r
                else:
                    collapse[s] = gone
            stopped_all = True
            any_production = False
            for f in range(n_f):
                restricted_now = lv[f] > 0 and not cheat[f]
                rebuilt = not (never[s] and lv[f] == 3)
                delay = max(restart[lv[f], s], hold) if f == test_row else restart[lv[f], s]
                lapsed = gone != NEVER and rebuilt and t >= gone + delay
                run = 0 if restricted_now and not lapsed else 1
                ctl[f, i, s] = run
                if run:
                    wait[f, i, s] = 0
                elif not rebuilt:
                    wait[f, i, s] = NEVER_RESTART
                elif gone == NEVER:
                    wait[f, i, s] = min(delay, NEVER_RESTART)
                else:
                    wait[f, i, s] = min(gone + delay - t, NEVER_RESTART)
                if run == 0 and exists[f, s]:
                    halted[f, s] += 1
                if production[f] and exists[f, s]:
                    any_production = True
                    if run:
                        stopped_all = False
            if any_production and stopped_all:
                halted_all[s] += 1
            if cheated[s]:
                cheated_by[i] += 1
            if detected[s]:
                detected_by[i] += 1
