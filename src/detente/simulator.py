"""One block of samples: draw the parameters, lay them out as arrays, and run the compiled
month loop (:mod:`detente.kernel`) for the shared history and then for each scenario.

Each month every reactor adds plutonium to its core; cores are discharged on the recorded dates
(and, after the last recorded one, each ``cycle_months`` of operation); spent fuel waits in the
pool until a reprocessing campaign separates it. Enrichment plants add weapon-grade uranium
from their separative capacity. Nuclear tests consume material.

The history (months before the earliest scenario start) is stepped once and shared by every
scenario; each scenario continues from a copy of the state (common random numbers).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np

from .accumulate import CountBins, KgBins, SignedCountBins, SignedKgBins
from .deal_plan import MAX_TRIGGERS, DealPath, simulate_deal
from .kernel import run_months
from .model.production import reactor_pu_kg_per_year, swu_per_kg
from .months import NEVER, format_month
from .plan import Plan
from .reach import evaluation_months, missile_arrays, missile_tallies, run_reach
from .uncertain import draw

COUNT_BINS = CountBins(2048)
KG_BINS = KgBins()
METRICS = ("pu_kg", "heu_kg", "warheads_possible", "warheads_assembled")
BINS = {
    "pu_kg": KG_BINS,
    "heu_kg": KG_BINS,
    "warheads_possible": COUNT_BINS,
    "warheads_assembled": COUNT_BINS,
}
DELTA_BINS = {
    "delta:pu_kg": SignedKgBins(KG_BINS),
    "delta:heu_kg": SignedKgBins(KG_BINS),
    "delta:warheads_possible": SignedCountBins(COUNT_BINS.size),
    "delta:warheads_assembled": SignedCountBins(COUNT_BINS.size),
}
DEAL_COUNTS = ("in_force", "cheated", "detected")  # samples per month, under "deal:<name>"
HISTORY = "(history)"
STATE = (  # the kernel's state arrays, in order (see Block.initial_state)
    "core", "months_run", "spent", "due", "pu_separated", "heu_made", "pu_used", "heu_used",
    "ring_pu", "ring_heu", "enrichment_growth",
)

Tally = dict[str, np.ndarray]  # metric → (months, bins) int64 counts


def new_tally(months: int, deltas: bool = False, regions: int = 0) -> Tally:
    """Zeroed counts for one scenario: metric histograms, optional paired-difference
    histograms, per-month deal counts and (with ``regions``) the missile model's counts."""
    tally = {m: np.zeros((months, BINS[m].size), dtype=np.int32) for m in METRICS}
    if deltas:
        tally.update({m: np.zeros((months, b.size), dtype=np.int32) for m, b in DELTA_BINS.items()})
    tally.update({f"deal:{m}": np.zeros(months, dtype=np.int64) for m in DEAL_COUNTS})
    if regions:
        tally.update(missile_tallies(months, regions, deltas))
    return tally


def block_rng(seed: int, block: int, stream: int) -> np.random.Generator:
    """Random stream ``stream`` of block ``block``: fixed by (seed, block, stream) alone."""
    sequence = np.random.SeedSequence(seed, spawn_key=(block, stream))
    return np.random.Generator(np.random.PCG64(sequence))


@dataclass
class BlockOutput:
    """What one block contributes besides its histogram counts."""

    sums: dict[str, dict[str, np.ndarray]]  # scenario → kg metric → (months,) float64
    horizon: dict[str, dict[str, np.ndarray]]  # scenario → metric → (n,) float32
    draws: dict[str, np.ndarray]  # parameter → (n,)


class Block:
    """Arrays for ``n`` samples with parameter ``draws``, ready for the kernel."""

    def __init__(self, plan: Plan, draws: dict[str, np.ndarray], n: int):
        self.plan, self.n = plan, n
        size = plan.grid.size
        reactors = plan.reactors
        n_r = len(reactors)
        rows = max((len(rp.facility.operation) for rp in reactors), default=0) + 1
        self.r_rows = np.zeros((n_r, rows, n))
        self.r_on = np.zeros((n_r, rows))
        self.r_period = np.zeros((n_r, size), dtype=np.int64)
        self.r_kind = np.zeros((n_r, size), dtype=np.int64)
        self.r_sep = np.full((n_r, size), -1, dtype=np.int64)
        self.r_kgidx = np.zeros((n_r, size), dtype=np.int64)
        kg_rows = [np.zeros(n)]
        for r, rp in enumerate(reactors):
            f = rp.facility
            rate = reactor_pu_kg_per_year(
                draws[f"{f.id}.power_mwt"],
                draws[f"{f.id}.capacity_factor"],
                draws[f"{f.id}.g_pu_per_mwd"],
            ) * (draws[f"{f.id}.weapons_use"] / 12.0)
            for i, period in enumerate(f.operation):
                self.r_rows[r, i] = draws[f"{f.id}.operation.{format_month(period.start)}"] * rate
                self.r_on[r, i] = 1.0
            # rows beyond the facility's periods stay zero ("not operating")
            self.r_period[r] = np.where(rp.period_of_month >= len(f.operation), rows - 1,
                                        rp.period_of_month)
            for month, (separated, kg) in rp.discharges.items():
                self.r_kind[r, month] = 2 if kg else 1
                if separated is not None:
                    self.r_sep[r, month] = separated
                if kg:
                    self.r_kgidx[r, month] = len(kg_rows)
                    kg_rows.append(draws[kg])
        self.kg_table = np.vstack(kg_rows)
        self.r_auto_from = np.array([rp.auto_from for rp in reactors], dtype=np.int64)
        self.r_cycle = _stack([draws[f"{rp.facility.id}.cycle_months"] for rp in reactors], n)
        self.r_lag = np.rint(
            _stack([draws[f"{rp.facility.id}.reprocessing_lag_months"] for rp in reactors], n)
        ).astype(np.int64)
        self.r_yield = _stack([draws[f"{rp.facility.id}.separation_yield"] for rp in reactors], n)

        per_kg = swu_per_kg(draws["assays.product"], draws["assays.feed"], draws["assays.tails"])
        plants = plan.enrichment
        rows = max((len(ep.facility.capacity) for ep in plants), default=0) + 1
        self.e_rows = np.zeros((len(plants), rows, n))
        self.e_period = np.zeros((len(plants), size), dtype=np.int64)
        for e, ep in enumerate(plants):
            f = ep.facility
            scale = draws[f"{f.id}.exists"] * (1 - draws[f"{f.id}.leu_share"]) / (12.0 * per_kg)
            for i, period in enumerate(f.capacity):
                swu = draws[f"{f.id}.swu_per_year.{format_month(period.start)}"]
                self.e_rows[e, i] = swu * scale
            self.e_period[e] = np.where(ep.period_of_month >= len(f.capacity), rows - 1,
                                        ep.period_of_month)
        self.e_start = np.rint(
            _stack([draws[f"{ep.facility.id}.start"] for ep in plants], n)
        ).astype(np.int64) - plan.grid.start
        self.e_step = np.exp(
            np.log1p(_stack([draws[f"{ep.facility.id}.growth_per_year"] for ep in plants], n))
            / 12.0
        )
        self.e_growth_from = np.array([ep.growth_from for ep in plants], dtype=np.int64)

        self.test_of_month = np.full(size, -1, dtype=np.int64)
        self.test_pu = np.zeros((max(len(plan.tests), 1), n))
        self.test_heu = np.zeros_like(self.test_pu)
        for k, test in enumerate(plan.tests):
            self.test_of_month[test.month] = k
            uses_pu = draws[f"{test.stem}.uses_pu"]
            self.test_pu[k] = uses_pu * draws[f"{test.stem}.pu_kg"]
            self.test_heu[k] = (1 - uses_pu) * draws[f"{test.stem}.heu_kg"]

        self.per_pu = 1.0 / draws["weapons.pu_kg"]
        self.per_heu = 1.0 / draws["weapons.heu_kg"]
        self.util_pu = draws["weapons.utilisation"] * self.per_pu
        self.util_heu = draws["weapons.utilisation"] * self.per_heu
        self.lag = np.rint(draws["weapons.lag_months"]).astype(np.int64)
        self.r_fidx, self.e_fidx = plan.reactor_facility, plan.enrichment_facility
        self.rcl = plan.reprocessing_facility
        self.test_chance = 1.0 - np.exp(-draws["future_tests.per_year"] / 12.0)
        uses_pu = draws["future_tests.uses_pu"]
        self.dev_pu = uses_pu * draws["future_tests.pu_kg"]
        self.dev_heu = (1 - uses_pu) * draws["future_tests.heu_kg"]
        self.test_row = len(plan.profile.facilities)  # the "nuclear-tests" control row

    def initial_state(self) -> list[np.ndarray]:
        n, n_r, n_e = self.n, self.r_rows.shape[0], self.e_rows.shape[0]
        slots = self.plan.lag_slots
        return [
            np.zeros((n_r, n)),  # core
            np.zeros((n_r, n)),  # months run since discharge
            np.zeros((n_r, n)),  # spent fuel Pu
            np.full((n_r, n), NEVER, dtype=np.int64),  # next campaign month
            np.zeros(n),  # Pu separated
            np.zeros(n),  # HEU made
            np.zeros(n),  # Pu used in tests
            np.zeros(n),  # HEU used in tests
            np.zeros((slots, n)),  # ring of on-hand Pu
            np.zeros((slots, n)),  # ring of on-hand HEU
            np.ones((n_e, n)),  # enrichment growth factor
        ]

    def run(self, state, t0: int, t1: int, tally: Tally, sums: dict, final: np.ndarray,
            path: DealPath | None = None, base: np.ndarray | None = None, base_mode: int = 0,
            reach: np.ndarray | None = None, tests: np.ndarray | None = None,
            assembled: np.ndarray | None = None, ctl: np.ndarray | None = None) -> None:
        """Step months ``t0`` … ``t1 - 1``, adding into ``tally`` and ``sums``.

        ``path`` carries a deal's facility controls and shipments from ``t0`` on; ``base_mode``
        1 stores this run in ``base``, 2 counts paired differences against it.
        """
        n, n_f = self.n, len(self.plan.production)
        ctl_from = t0
        if path is not None:
            ctl, ship, ship_pu, ship_heu = path.ctl, path.ship_month, path.ship_pu, path.ship_heu
        else:
            if ctl is None:  # the shared history: no controls
                ctl, ctl_from = np.ones((n_f, 0, n), dtype=np.uint8), self.plan.grid.size
            ship, ship_pu, ship_heu = np.full(n, NEVER, dtype=np.int64), np.zeros(n), np.zeros(n)
        if base is None:
            base = np.zeros((4, 0, n))
        if reach is None:
            reach = np.full(n, NEVER, dtype=np.int64)
        deltas = [tally.get(m, tally["pu_kg"][:0]) for m in DELTA_BINS]
        if tests is None:
            tests = np.zeros((0, n), dtype=np.float32)
        if assembled is None:
            assembled = np.zeros((0, n), dtype=np.float32)
        run_months(
            t0, t1,
            self.r_rows, self.r_on, self.r_period, self.r_kind, self.r_sep, self.r_kgidx,
            self.kg_table, self.r_auto_from, self.r_cycle, self.r_lag, self.r_yield,
            self.e_rows, self.e_period, self.e_start, self.e_step, self.e_growth_from,
            self.test_of_month, self.test_pu, self.test_heu,
            self.per_pu, self.per_heu, self.util_pu, self.util_heu, self.lag,
            *state,
            tally["pu_kg"], tally["heu_kg"], tally["warheads_possible"],
            tally["warheads_assembled"], sums["pu_kg"], sums["heu_kg"], final,
            KG_BINS.floor, 1.0 / KG_BINS.log_ratio,
            ctl, ctl_from, self.r_fidx, self.e_fidx, self.rcl, ship, ship_pu, ship_heu,
            base, base_mode, *deltas, float(self.plan.threshold), reach,
            tests, self.test_chance, self.dev_pu, self.dev_heu, self.test_row, assembled,
        )


def central_draws(plan: Plan, n: int = 1) -> dict[str, np.ndarray]:
    """Every parameter at its median: the 'central parameters' used to check calibration."""
    return {name: np.full(n, spec.central()) for name, spec in plan.parameters.items()}


def _stack(rows: list[np.ndarray], n: int) -> np.ndarray:
    return np.vstack(rows) if rows else np.zeros((0, n))


def scenario_rng(seed: int, block: int, name: str) -> np.random.Generator:
    """A scenario's own stream: the same whichever other scenarios run beside it."""
    return block_rng(seed, block, 2 + zlib.crc32(name.encode()))


def simulate_block(plan: Plan, seed: int, block: int, n: int, tallies: dict[str, Tally]
                   ) -> BlockOutput:
    """Simulate block ``block`` (``n`` samples) for every scenario, adding histogram counts to
    ``tallies`` (keys: each scenario name and ``HISTORY`` for months before the branch)."""
    draws = draw(plan.parameters, block_rng(seed, block, 0), n, plan.profile.correlations)
    model = Block(plan, draws, n)
    size, branch = plan.grid.size, plan.branch
    sums = {"pu_kg": np.zeros(size), "heu_kg": np.zeros(size)}
    final = np.zeros((len(METRICS), n))
    state = model.initial_state()
    model.run(state, 0, branch, tallies[HISTORY], sums, final)
    shared = block_rng(seed, block, 1)  # uniforms common to every scenario
    u_tests = shared.random((size - branch, n), dtype=np.float32)
    if any(deal is not None for deal in plan.deals):
        uniforms = shared.random((5 + 2 * MAX_TRIGGERS, size - branch, n), dtype=np.float32)
        u_cheat = shared.random((len(plan.production), n))
        u_never = shared.random(n)
    base = np.zeros((4, size - branch, n)) if plan.baseline is not None else None
    regions = len(plan.missiles.regions)
    evaluated = len(evaluation_months(plan))
    base_reach = np.zeros((regions, evaluated, n), dtype=np.float32) if plan.baseline is not None else None
    arrays = missile_arrays(plan, draws) if plan.reach else None
    order = list(range(len(plan.scenarios)))
    if plan.baseline is not None:
        order.remove(plan.baseline)
        order.insert(0, plan.baseline)
    out = BlockOutput({}, {}, {})
    for k in order:
        scenario, deal = plan.scenarios[k], plan.deals[k]
        mine = [a.copy() for a in state]
        path = None
        own = {}
        if deal is not None:
            own = draw(deal.parameters, scenario_rng(seed, block, scenario.name), n)
            path = simulate_deal(plan, deal, draws, own, n, uniforms, u_cheat, u_never)
        mode = 0 if base is None else (1 if k == plan.baseline else 2)
        scenario_sums = {m: v.copy() for m, v in sums.items()}
        reach = np.full(n, NEVER, dtype=np.int64)
        tally = tallies[scenario.name]
        assembled = np.zeros((size - branch, n), dtype=np.float32)
        ctl = path.ctl if path is not None else np.ones(
            (len(plan.production), size - branch, n), dtype=np.uint8)  # nothing stopped
        model.run(mine, branch, size, tally, scenario_sums, final, path, base, mode, reach, u_tests,
                  assembled, ctl)
        out.sums[scenario.name] = scenario_sums
        values = {m: final[i].astype(np.float32) for i, m in enumerate(METRICS)}
        if arrays is not None:
            values.update(run_reach(plan, arrays, draws, ctl, assembled, tally, scenario_sums,
                                    base_reach, mode))
        begin = plan.grid.index(scenario.start)
        values["months_to_threshold"] = np.where(
            reach == NEVER, np.nan, np.maximum(reach - begin, 0)).astype(np.float32)
        if path is not None:
            for i, m in enumerate(DEAL_COUNTS):
                tally[f"deal:{m}"][branch:] += (path.in_force, path.cheated_by, path.detected_by)[i]
            lasted = np.where(path.collapse < size, path.collapse - path.first_start, np.inf)
            values["months_halted"] = path.halted.astype(np.float32)
            values["deal_months"] = np.where(path.first_start < size, lasted, np.nan).astype(np.float32)
            values["collapsed"] = (path.collapse < size).astype(np.float32)
            values["cheated"] = path.cheated.astype(np.float32)
            values["detected"] = path.detected.astype(np.float32)
            out.draws.update({f"{name}": v for name, v in own.items()})
        out.horizon[scenario.name] = values
    out.draws.update(draws)
    return out
