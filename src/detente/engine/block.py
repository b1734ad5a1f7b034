"""The block runner: one block of samples through every stage, for every scenario.

Stages: draw the parameters; step the shared history (months up to the profile's data date)
once; then for each scenario, on a copy of that state and the same uniforms (common random
numbers): its deal path (which facilities and activities are stopped each month), the material
month loop under that path, the warhead designs its nuclear tests validate, the missile model on
the assembled warheads, and the rate of militarised crises. The baseline runs first so paired
differences can be counted as the others run.
"""

from __future__ import annotations

import numpy as np

from ..compile.plan import Plan
from ..histograms import count_rows, log_bin, signed_log_bin
from ..inputs.uncertain import draw
from ..metrics import CRISIS_BINS, DELIVER_BINS
from ..model.crisis import crisis_rate
from ..model.deal import run_deal
from ..model.designs import arming, test_months, validated_from
from ..model.fissile import Controls, run_months
from ..model.missiles import NEVER_ARMED, run_missiles
from ..months import NEVER
from . import layout
from .accumulate import HISTORY, BlockOutput, Tally
from .design import Design
from .posterior import assign
from .streams import Shared, parameter_streams, shared_uniforms

MATERIAL = ("pu_kg", "heu_kg", "warheads_possible", "warheads_assembled", "breakout_months")  # rows of ``final``
LONG_RANGE = ("irbm", "icbm")  # missile classes whose flight tests raise the crisis rate


def simulate_block(plan: Plan, seed: int, block: int, n: int, tallies: dict[str, Tally],
                   design: Design | None = None) -> BlockOutput:
    """Simulate block ``block`` (``n`` samples) for every scenario, adding histogram counts to
    ``tallies`` (keys: each scenario name and ``HISTORY`` for months before the branch); with a
    ``design``, the samples' inputs and chance draws are the design's (see :mod:`.design`)."""
    if design is None:
        draws = draw(plan.parameters, parameter_streams(seed, block), n, plan.profile.correlations)
        if plan.pool is not None:  # the history's parameters from the posterior given what is known
            draws = assign(plan.pool, draws, seed, block)
        chance = block
    else:
        draws = design.values(plan.parameters, block, tuple(plan.profile.correlations))
        if plan.pool is not None:
            rows = design.pool_rows(block, len(plan.pool.values))
            draws.update({name: plan.pool.values[rows, j] for j, name in enumerate(plan.pool.names)})
        chance = design.locate(block)[2]
    size, branch = plan.grid.size, plan.branch
    reactors, enrichment = layout.reactors(plan, draws, n), layout.enrichment(plan, draws, n)
    weapons = layout.weapons(draws)
    sums = {"pu_kg": np.zeros(size), "heu_kg": np.zeros(size)}
    final = np.zeros((len(MATERIAL), n))
    stocks = layout.initial_stocks(plan, n)
    history = tallies[HISTORY]
    run_months(0, branch, reactors, enrichment, weapons, layout.tests(plan, draws, n), stocks,
               layout.no_controls(plan, n), layout.no_caps(plan, n), layout.tallies(plan, history, sums, final, n),
               layout.pairing(history, n))
    shared = shared_uniforms(seed, chance, n, size - branch, any(deal is not None for deal in plan.deals))
    tests = layout.tests(plan, draws, n, shared.tests)
    paired = plan.baseline is not None
    base = np.zeros((4, size - branch, n)) if paired else None  # Pu, HEU, warheads possible, assembled
    base_deliveries = None
    if paired and plan.with_missiles:
        base_deliveries = np.zeros((len(plan.missiles.regions), len(plan.evaluation_months), n),
                              dtype=np.float32)
    classes = layout.missile_classes(plan, draws) if plan.with_missiles else None
    needed, per_missile, enables = layout.design_inputs(plan, draws)
    base_validated = np.zeros_like(needed, dtype=np.int64)
    crisis = layout.crisis_draws(draws) if plan.profile.crisis is not None else None
    base_crisis = np.zeros((len(plan.evaluation_months), n), dtype=np.float32) if crisis is not None else None
    order = list(range(len(plan.scenarios)))
    if paired:
        order.remove(plan.baseline)
        order.insert(0, plan.baseline)
    out = BlockOutput({}, {}, {})
    for k in order:
        scenario, deal = plan.scenarios[k], plan.deals[k]
        tally = tallies[scenario.name]
        mode = 0 if not paired else (1 if k == plan.baseline else 2)
        path = None
        limits = layout.no_limits(plan, n) if classes is not None else None
        if deal is None:
            controls, caps = layout.no_controls(plan, n, branch), layout.no_caps(plan, n)
        else:
            own = (draw(deal.parameters, parameter_streams(seed, block, f"{scenario.name}."), n) if design is None
                   else design.values(deal.parameters, block))
            path, controls, caps, first, start, done = deal_path(plan, deal, draws, own, n, shared)
            if classes is not None:
                limits = layout.launcher_limits(plan, deal, classes, {**draws, **own}, start, done, path.collapse,
                                                shared.never, n)
            out.draws.update(own)
        scenario_sums = {m: v.copy() for m, v in sums.items()}
        reached = np.full(n, NEVER, dtype=np.int64)
        assembled = np.zeros((size - branch, n), dtype=np.float32)
        run_months(branch, size, reactors, enrichment, weapons, tests, layout.copy_stocks(stocks), controls, caps,
                   layout.tallies(plan, tally, scenario_sums, final, n, assembled, reached),
                   layout.pairing(tally, n, mode, base))
        values = {m: final[i].astype(np.float32) for i, m in enumerate(MATERIAL)}
        tested = test_months(controls.running[plan.control_row("nuclear-tests")], shared.tests, tests.future_p)
        validated = validated_from(tested, needed, plan.design_requires)
        design_stage(plan, validated, base_validated, tally, mode)
        begin = plan.grid.index(scenario.start)
        if classes is not None:
            values.update(missile_stage(plan, classes, arming(validated, enables, per_missile), limits, draws,
                                        controls.running, assembled, tally, scenario_sums, base_deliveries, mode))
            values.update(by_design(plan, validated, per_missile, values.pop("mated")))
        if crisis is not None:
            collapse = path.collapse if path is not None else np.full(n, NEVER, dtype=np.int64)
            calm = path.calm if path is not None else np.zeros((size - branch, n), dtype=np.float32)
            long_range = sum(controls.running[plan.control_row(f"flights:{c}")].astype(np.float32)
                             for c in LONG_RANGE) / len(LONG_RANGE)
            rate = crisis_rate(branch, crisis, calm, collapse, tested, long_range)
            values["crises"] = (rate[begin - branch:].sum(axis=0, dtype=np.float64) / 12.0).astype(np.float32)
            values["crisis_per_year"] = rate[-1].copy()
            crisis_stage(plan, rate, tally, base_crisis, mode)
        values["months_to_threshold"] = np.where(
            reached == NEVER, np.nan, np.maximum(reached - begin, 0)).astype(np.float32)
        if path is not None:
            for name, counts in (("in_force", path.in_force), ("cheated", path.cheated_by),
                                 ("detected", path.detected_by)):
                tally[f"deal:{name}"][branch:] += counts
            lasted = np.where(path.collapse < size, path.collapse - first, np.inf)
            values["months_halted"] = path.halted_all.astype(np.float32)
            for j, f in enumerate(plan.profile.facilities):
                values[f"facility_months_halted:{f.id}"] = path.halted[j].astype(np.float32)
            values["deal_months"] = np.where(first < size, lasted, np.nan).astype(np.float32)
            values["collapsed"] = (path.collapse < size).astype(np.float32)
            values["cheated"] = path.cheated.astype(np.float32)
            values["detected"] = path.detected.astype(np.float32)
            values["relief"] = path.relief[-1].copy()
        out.sums[scenario.name] = scenario_sums
        out.horizon[scenario.name] = values
    out.draws.update(draws)
    return out


def deal_path(plan: Plan, deal, draws, own, n: int, shared: Shared):
    """Run a scenario's deal dynamics from the branch; return its path, the material kernel's
    controls (material shipped out when the ship-out phase completes in force) and caps, the grid
    month each sample's first phase starts, and when each phase starts and completes."""
    inputs, path, start, done = layout.deal_inputs(plan, deal, draws, own, n, shared)
    run_deal(plan.branch, plan.grid.size, *inputs, path)
    ship_month, ship_pu, ship_heu = np.full(n, NEVER, dtype=np.int64), np.zeros(n), np.zeros(n)
    if deal.ship is not None:
        phase, pu, heu = deal.ship
        ship_month = np.where(path.collapse > done[phase], done[phase], NEVER)
        ship_pu, ship_heu = own[pu], own[heu]
    first = start.min(axis=0) if deal.phases else np.full(n, NEVER, dtype=np.int64)
    controls = Controls(running=path.running, wait=path.wait, start=plan.branch, ship_month=ship_month,
                        ship_pu=ship_pu, ship_heu=ship_heu)
    _, _, restricted, *_ = inputs
    caps = layout.caps(plan, deal, {**draws, **own}, start, done, path.collapse, restricted.declared_at, n)
    return path, controls, caps, first, start, done


def missile_stage(plan: Plan, classes, armed, limits, draws, running: np.ndarray, assembled: np.ndarray, tally: Tally,
                  sums: dict, base: np.ndarray | None, mode: int) -> dict[str, np.ndarray]:
    """Run the missile kernel from the branch and bin its output (vectorised); return per-sample
    values at the horizon (and ``mated``, warheads per class). ``mode`` 1 stores expected
    deliveries in ``base`` (the baseline), 2 counts paired differences from it."""
    n = assembled.shape[1]
    out = layout.deliveries(plan, tally["icbm_reliability"], n)
    run_missiles(plan.branch, plan.grid.size, plan.grid.index(plan.profile.today), classes, armed, limits,
                 layout.targets(plan, draws), running, assembled, out)
    rows = plan.evaluation_months
    tally["deliverable"][:, rows] += count_rows(log_bin(out.expected, DELIVER_BINS), DELIVER_BINS.size)
    tally["allocated"][:, rows] += count_rows(log_bin(out.allocated, DELIVER_BINS), DELIVER_BINS.size)
    sums["p_arrive"] = np.zeros((len(plan.missiles.regions), plan.grid.size))
    sums["p_arrive"][:, rows] = out.arrive.sum(axis=-1, dtype=np.float64)
    if mode == 1:
        base[...] = out.expected
    elif mode == 2:
        signed = signed_log_bin(out.expected - base, DELIVER_BINS)
        tally["delta:deliverable"][:, rows] += count_rows(signed, 2 * DELIVER_BINS.size - 1)
    values = {"icbm_reliability": out.final_reliability.astype(np.float32), "mated": out.mated}
    for j, region in enumerate(plan.missiles.regions):
        values[f"deliverable:{region.id}"] = out.expected[j, -1].copy()  # not a view: blocks add up
        values[f"p_arrive:{region.id}"] = out.arrive[j, -1].copy()
        values[f"allocated:{region.id}"] = out.allocated[j, -1].copy()
    for c, cls in enumerate(plan.missiles.classes):
        values[f"flights:{cls.id}"] = out.flights[c].astype(np.float32)
    return values


def design_stage(plan: Plan, validated: np.ndarray, base: np.ndarray, tally: Tally, mode: int) -> None:
    """Count, per month from the branch, the samples with each design validated and, paired, those
    that have it validated and the baseline not (gained) or the reverse (lost); ``mode`` 1 stores
    the baseline's validation months in ``base``."""
    months, branch = plan.grid.size - plan.branch, plan.branch
    if mode == 1:
        base[...] = validated

    def by_month(at: np.ndarray) -> np.ndarray:  # samples whose event month ≤ each month
        return np.cumsum(np.bincount(np.minimum(at, months), minlength=months + 1)[:months])

    for d, design in enumerate(plan.profile.designs):
        tally[f"design:{design.id}"][branch:] += by_month(validated[d])
        if mode == 2:
            v, b = validated[d], base[d]
            gained, lost = v < b, b < v
            tally[f"design_gained:{design.id}"][branch:] += by_month(v[gained]) - by_month(b[gained])
            tally[f"design_lost:{design.id}"][branch:] += by_month(b[lost]) - by_month(v[lost])


def by_design(plan: Plan, validated: np.ndarray, per_missile: np.ndarray, mated: np.ndarray
              ) -> dict[str, np.ndarray]:
    """Warheads on missiles at the horizon by design: each class's warheads are of the
    multiple-warhead design validated first, if one is validated by then, else of the design
    validated first that arms it (``per_missile`` (D, n) warheads per missile of each design)."""
    designs = plan.profile.designs
    last = plan.grid.size - 1 - plan.branch
    out = {f"warheads_by_design:{d.id}": np.zeros(mated.shape[1], dtype=np.float32) for d in designs}
    for c, cls in enumerate(plan.missiles.classes):
        arms = [k for k, d in enumerate(designs) if cls.id in d.classes]
        if not arms:
            continue
        months = np.where(validated[arms] <= last, validated[arms], NEVER_ARMED)  # (A, n)
        multi = np.where(per_missile[arms] > 1.0, months, NEVER_ARMED)
        pick = np.where(multi.min(axis=0) < NEVER_ARMED, multi.argmin(axis=0), months.argmin(axis=0))
        for a, k in enumerate(arms):
            mine = (pick == a) & (months[a] < NEVER_ARMED)
            out[f"warheads_by_design:{designs[k].id}"] += np.where(mine, mated[c], 0.0).astype(np.float32)
    return out


def crisis_stage(plan: Plan, rate: np.ndarray, tally: Tally, base: np.ndarray, mode: int) -> None:
    """Bin the crisis rate at the evaluation months (and, paired, its change from the baseline)."""
    rows = plan.evaluation_months
    at = rate[rows - plan.branch]
    tally["crisis_per_year"][rows] += count_rows(log_bin(at, CRISIS_BINS)[None], CRISIS_BINS.size)[0]
    if mode == 1:
        base[...] = at
    elif mode == 2:
        signed = signed_log_bin(at - base, CRISIS_BINS)[None]
        tally["delta:crisis_per_year"][rows] += count_rows(signed, 2 * CRISIS_BINS.size - 1)[0]


def central_draws(plan: Plan, n: int = 1) -> dict[str, np.ndarray]:
    """Every parameter at its median: the 'central parameters' used to check calibration."""
    return {name: np.full(n, spec.central()) for name, spec in plan.parameters.items()}
