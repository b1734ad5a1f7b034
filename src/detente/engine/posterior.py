"""Calibration: the history's parameters conditioned on the observations, by a sequential Monte
Carlo sampler, as a pool of posterior draws that runs resample from.

The likelihood of a history is a product over observed metric-months of a mixture over the
publishers describing it (one of them is right): each published range is read as its
publisher's 90 % interval, a normal measurement with standard deviation (high − low) / 3.29 (at
least 10 % of the centre: analysts round) combined in quadrature with the model's own structural
error (10 % of the observation's centre, judgement); a one-sided bound, or a ``possible`` figure
read as one, counts only beyond it (see :func:`~detente.engine.condition.implausibility`).
Likelihoods are raised to each observation's ``weight``.

The sampler (Del Moral, Doucet & Jasra 2006; adaptive tempering as in Jasra et al. 2011) works
on independent standard-normal coordinates that map to each parameter through its own
distribution (and the profile's rank correlations): it moves ``PARTICLES`` histories from the
prior to the posterior through tempered likelihoods ``L^β``, choosing each step of β so that the
effective sample size halves, resampling systematically, and rejuvenating with random-walk
Metropolis moves scaled by the population's covariance. It is seeded by ``CALIBRATION_SEED``
alone, so the pool is a function of the inputs: every run, block and worker draws from the same
pool, and comparisons stay paired (the pool is the history's, shared by every scenario).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

import numpy as np
from scipy import special

from .._version import __version__
from ..compile import plan as plan_module
from ..compile.plan import HistoryPool, Plan
from ..inputs.observations import Observations
from ..inputs.uncertain import Fixed, correlation_matrix, draw
from ..model import fissile, production
from . import condition, layout
from .streams import block_rng

PARTICLES = 4096
CALIBRATION_SEED = 20_241_231
MOVES = 6  # Metropolis rejuvenation steps after each resampling
SAMPLER_VERSION = 3  # bump when the sampler or what it stores changes (cached pools are keyed by it)
NOT_HISTORY = ("deal.", "value.", "sanction.", "future_tests.")  # profile inputs the history ignores
CONFLICT_SHARE = 0.001  # an observation fewer prior histories than this come near is in conflict with the prior
POOL_STREAM = 2**33  # the stream each sample's pool row is drawn from (beyond every scenario stream)


def assign(pool: HistoryPool, draws: dict[str, np.ndarray], seed: int, block: int) -> dict[str, np.ndarray]:
    """Replace the history's parameters in a block's ``draws`` by pool rows, one per sample,
    chosen from the block's own stream (so which row a sample gets depends on (seed, block) alone)."""
    n = len(next(iter(draws.values())))
    rows = (block_rng(seed, block, POOL_STREAM).random(n) * len(pool.values)).astype(np.int64)
    out = dict(draws)
    for j, name in enumerate(pool.names):
        out[name] = pool.values[rows, j]
    return out


def history_parameters(plan: Plan) -> list[str]:
    """The uncertain profile inputs the replay of the history depends on."""
    profile = plan.profile.parameters()
    return [k for k, spec in profile.items() if not k.startswith(NOT_HISTORY) and not isinstance(spec, Fixed)]


def log_likelihood(observations: Observations, plan: Plan, values: np.ndarray, months: list[int]) -> np.ndarray:
    """(n,) log of the product over metric-months of the mean over publishers of each one's
    measurement likelihood (normalised to 1 at the centre)."""
    groups: dict[tuple[int, str], list] = {}
    for o in observations.rows:
        groups.setdefault((plan.grid.index(o.month), o.metric), []).append(o)
    total = np.zeros(values.shape[-1])
    for (month, metric), rows in groups.items():
        x = values[months.index(month), condition.ROW[metric]]
        terms = np.array([-0.5 * condition.implausibility(x, *o.bounds, o.weight) ** 2 for o in rows])
        top = terms.max(axis=0)
        total += top + np.log(np.mean(np.exp(terms - top), axis=0))
    return total


class _Model:
    """Maps standard-normal coordinates to parameter values and scores their histories."""

    def __init__(self, plan: Plan, observations: Observations, n: int):
        self.plan, self.observations, self.n = plan, observations, n
        specs = plan.parameters
        # the other inputs at one prior draw: the observed history does not depend on them
        self.base = draw(specs, np.random.Generator(np.random.PCG64(CALIBRATION_SEED)), n, plan.profile.correlations)
        self.months = condition.observed_months(observations, plan)
        self.names = self._informed(history_parameters(plan))
        self.specs = [specs[k] for k in self.names]
        linked = [c for c in plan.profile.correlations if c.a in self.names and c.b in self.names]
        self.linked = list(dict.fromkeys(x for c in linked for x in (c.a, c.b)))
        self.index = [self.names.index(x) for x in self.linked]
        self.chol = np.linalg.cholesky(correlation_matrix(self.linked, linked)) if self.linked else None

    def _informed(self, candidates: list[str], n: int = 256) -> list[str]:
        """The candidates the observed history depends on: redrawing one alone changes it (the
        rest keep their priors in every run); parameters correlated with an informed one join it."""
        base = {k: v[:n] for k, v in self.base.items()}
        other = draw(self.plan.parameters, np.random.Generator(np.random.PCG64(CALIBRATION_SEED + 1)), n,
                     self.plan.profile.correlations)
        reference = condition.history_values(self.plan, base, self.months, n)
        informed = set()
        for name in candidates:
            changed = dict(base, **{name: other[name]})
            if not np.array_equal(condition.history_values(self.plan, changed, self.months, n), reference):
                informed.add(name)
        for c in self.plan.profile.correlations:
            if {c.a, c.b} & informed:
                informed |= {c.a, c.b} & set(candidates)
        return [k for k in candidates if k in informed]

    def values(self, e: np.ndarray) -> np.ndarray:
        """(n, H) parameter values of coordinates ``e``."""
        z = e.copy()
        if self.chol is not None:
            z[:, self.index] = e[:, self.index] @ self.chol.T
        u = np.clip(special.ndtr(z), 1e-12, 1 - 1e-12)
        return np.column_stack([spec.ppf(u[:, j]) for j, spec in enumerate(self.specs)])

    def history(self, e: np.ndarray) -> np.ndarray:
        """(months, 3, n) the observed metrics of the histories at coordinates ``e``."""
        draws = dict(self.base)
        values = self.values(e)
        for j, name in enumerate(self.names):
            draws[name] = values[:, j]
        return condition.history_values(self.plan, draws, self.months, self.n)

    def log_likelihood(self, e: np.ndarray) -> np.ndarray:
        return log_likelihood(self.observations, self.plan, self.history(e), self.months)


def _systematic(weights: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    n = len(weights)
    positions = (rng.random() + np.arange(n)) / n
    return np.minimum(np.searchsorted(np.cumsum(weights), positions), n - 1)


def _next_beta(loglik: np.ndarray, beta: float) -> tuple[float, np.ndarray, float]:
    """The next temperature whose incremental weights keep half the effective sample size."""
    def weights(b: float) -> tuple[np.ndarray, float]:
        w = np.exp((b - beta) * (loglik - loglik.max()))
        w /= w.sum()
        return w, 1.0 / np.sum(w**2)

    n = len(loglik)
    w, ess = weights(1.0)
    if ess >= n / 2:
        return 1.0, w, ess
    low, high = beta, 1.0
    for _ in range(60):
        mid = 0.5 * (low + high)
        if weights(mid)[1] >= n / 2:
            low = mid
        else:
            high = mid
    w, ess = weights(low)
    return low, w, ess


def calibrate(plan: Plan, observations: Observations, particles: int = PARTICLES) -> HistoryPool:
    """Run the sampler (see the module docstring) and return the posterior pool."""
    model = _Model(plan, observations, particles)
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(CALIBRATION_SEED, spawn_key=(1,))))
    h = len(model.names)
    e = rng.standard_normal((particles, h))
    prior_history = model.history(e)
    loglik = log_likelihood(observations, plan, prior_history, model.months)
    conflicts = []  # prior-data conflict (Evans & Moshonov 2006): observations almost no prior history reaches
    for i, o in enumerate(observations.rows):
        x = prior_history[model.months.index(plan.grid.index(o.month)), condition.ROW[o.metric]]
        low, high = o.bounds
        if np.mean(condition.implausibility(x, low, high, o.weight) <= condition.CONFLICT) < CONFLICT_SHARE:
            conflicts.append(i)
    ancestor = np.arange(particles)  # which prior particle each one descends from
    beta, stages, acceptance, ess = 0.0, 0, 1.0, float(particles)
    scale = 2.38 / np.sqrt(h)
    while beta < 1.0:
        new, w, ess = _next_beta(loglik, beta)
        beta, stages = new, stages + 1
        keep = _systematic(w, rng)
        e, loglik, ancestor = e[keep], loglik[keep], ancestor[keep]
        cov = np.cov(e.T) + 1e-9 * np.eye(h)
        chol = np.linalg.cholesky(cov)
        for _ in range(MOVES):
            proposal = e + scale * rng.standard_normal((particles, h)) @ chol.T
            proposed = model.log_likelihood(proposal)
            log_ratio = beta * (proposed - loglik) - 0.5 * (np.sum(proposal**2, 1) - np.sum(e**2, 1))
            accepted = np.log(rng.random(particles)) < log_ratio
            e[accepted], loglik[accepted] = proposal[accepted], proposed[accepted]
            acceptance = float(accepted.mean())
            scale *= np.exp(acceptance - 0.25)  # aim for about a quarter accepted
    pool = model.values(e)
    unique = len(np.unique(pool, axis=0))
    return HistoryPool(tuple(model.names), pool, float(ess), unique, stages, acceptance, tuple(conflicts),
                       len(np.unique(ancestor)))


def cache_key(plan: Plan, observations: Observations) -> str:
    """SHA-256 of everything the pool depends on: the profile except how deals behave, the grid
    start, the observations, the package version, the sampler's settings and the source of every
    module the replay of the history runs through."""
    code = hashlib.sha256()
    for module in (fissile, production, layout, condition, plan_module):
        code.update(Path(module.__file__).read_bytes())
    code.update(Path(__file__).read_bytes())
    payload = {
        "profile": plan.profile.model_dump(mode="json", exclude={"dynamics", "values", "sanctions"}),
        "grid": plan.grid.start,
        "observations": [[o.month, o.metric, o.low, o.high, o.kind, o.weight] for o in observations.rows],
        "sampler": [SAMPLER_VERSION, PARTICLES, CALIBRATION_SEED, MOVES],
        "version": __version__,
        "code": code.hexdigest(),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def cache_dir() -> Path:
    return Path(os.environ.get("DETENTE_CACHE") or Path.home() / ".cache" / "detente") / "posterior"


_MEMORY: dict[str, HistoryPool] = {}


def posterior(plan: Plan, observations: Observations) -> HistoryPool:
    """The calibrated pool for ``plan`` and ``observations``: from memory, the disk cache, or by
    running the sampler (a few seconds) and caching it."""
    key = cache_key(plan, observations)
    if key in _MEMORY:
        return _MEMORY[key]
    path = cache_dir() / f"{key}.npz"
    result = None
    if path.is_file():
        try:
            with np.load(path, allow_pickle=False) as f:
                result = HistoryPool(tuple(str(x) for x in f["names"]), f["values"], float(f["ess"]),
                                     int(f["unique"]), int(f["stages"]), float(f["acceptance"]),
                                     tuple(int(x) for x in f["conflicts"]), int(f["ancestors"]))
        except Exception:  # noqa: BLE001 - a damaged or foreign cache file is recomputed, never trusted
            result = None
    if result is None:
        result = calibrate(plan, observations)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, partial = tempfile.mkstemp(dir=path.parent, suffix=".npz")  # one of its own per process
            with os.fdopen(handle, "wb") as out:
                np.savez_compressed(out, names=np.array(result.names), values=result.values, ess=result.ess,
                                    unique=result.unique, stages=result.stages, acceptance=result.acceptance,
                                    conflicts=np.array(result.conflicts, dtype=np.int64), ancestors=result.ancestors)
            Path(partial).replace(path)
        except OSError:
            pass  # no writable cache: the pool is recomputed next time
    _MEMORY[key] = result
    return result
