"""The notebook-friendly entry points: ``simulate`` scenarios into Results, ``compare`` deals
with a baseline, ``check`` scenarios as a run would, and list their ``parameters``."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from .compile.deal import compile_deal
from .compile.plan import HistoryPool, Plan, compile_plan
from .engine.condition import CONFLICT
from .engine.posterior import CONFLICT_SHARE, posterior
from .engine.run import execute
from .errors import RunError
from .inputs.bibliography import EVIDENCE
from .inputs.missiles import MissileForce, load_missiles
from .inputs.observations import Observations, load_observations
from .inputs.profile import Profile, load_profile
from .inputs.scenario import Scenario, load_scenario
from .options import RunOptions
from .results.build import build_dataset
from .results.results import Results

Scenarios = Sequence[str | Scenario] | str | Scenario


def _scenarios(scenarios: Scenarios) -> list[Scenario]:
    if isinstance(scenarios, str | Scenario):
        scenarios = [scenarios]
    return [s if isinstance(s, Scenario) else load_scenario(s) for s in scenarios]


def _profile(profile: str | Profile) -> Profile:
    return profile if isinstance(profile, Profile) else load_profile(profile)


def _observations(observations: str | Path | Observations | None, profile: Profile) -> Observations | None:
    if observations is None or isinstance(observations, Observations):
        return observations
    if observations == "profile":  # the profile's bundled observations, if it has any
        bundled = EVIDENCE / "observations" / f"{profile.name}.csv"
        if not bundled.is_file():
            return None
        return replace(load_observations(str(bundled), profile.start, profile.today),
                       file=f"the bundled published estimates for {profile.name} (observations/{profile.name}.csv)")
    return load_observations(observations, profile.start, profile.today)


MIN_ANCESTORS = 50  # distinct prior draws a calibrated pool must descend from
MIN_ACCEPTANCE = 0.02  # Metropolis acceptance below which the sampler is stuck


def calibrated(plan: Plan) -> HistoryPool:
    """The posterior pool of ``plan``'s history given its observations (cached); warns of
    observations almost no prior history reaches and refuses a degenerate pool."""
    pool = posterior(plan, plan.observations)
    for i in pool.conflicts:
        o = plan.observations.rows[i]
        warnings.warn(f"observation in conflict with the model: {plan.observations.file}: line {o.line}: "
                      f"{o.metric} {o.date}: fewer than {CONFLICT_SHARE * 100:g} % of the prior's histories come "
                      f"within {CONFLICT:g} standard deviations of it", stacklevel=3)
    if pool.ancestors < MIN_ANCESTORS or pool.acceptance < MIN_ACCEPTANCE:
        raise RunError(f"calibrating to {plan.observations.describe()} collapsed ({pool.ancestors} distinct prior "
                       f"draws, acceptance {pool.acceptance:.0%}): the observations and the profile disagree; "
                       "check them, or run the prior (observations=None, --prior)")
    return pool


def _options(options: RunOptions | None, overrides: dict) -> RunOptions:
    if options is None:
        return RunOptions(**overrides)
    if overrides:
        return replace(options, **overrides)
    return options


def check(
    scenarios: Scenarios,
    *,
    profile: str | Profile = "dprk",
    baseline: str | None = None,
    options: RunOptions | None = None,
    missile_evidence: MissileForce | None = None,
    observations: str | Path | Observations | None = "profile",
    **overrides,
) -> Plan:
    """Check scenarios against the profile exactly as a run does — names of facilities, sites,
    sanctions and phases, start dates, the horizon — and return the compiled plan
    (``missile_evidence`` replaces the profile's bundled missile evidence; ``observations`` — the
    profile's bundled published estimates by default, a CSV file, or None for the unconditioned
    prior — are what the history is conditioned on). Raises
    :class:`~detente.InputError` naming the file, field and reason."""
    loaded = _scenarios(scenarios)
    prof = _profile(profile)
    opts = _options(options, overrides)
    return compile_plan(prof, loaded, missile_evidence or load_missiles(prof.name), opts.horizon, baseline,
                        opts.threshold, opts.missiles, _observations(observations, prof))


def simulate(
    scenarios: Scenarios = "no-deal",
    *,
    profile: str | Profile = "dprk",
    baseline: str | None = None,
    options: RunOptions | None = None,
    progress: Callable[[int], None] | None = None,
    observations: str | Path | Observations | None = "profile",
    missile_evidence: MissileForce | None = None,
    **overrides,
) -> Results:
    """Simulate scenarios (bundled names, file paths or ``Scenario`` objects) on common draws.

    Run options come as a :class:`~detente.RunOptions` or as keywords (``samples``, ``seed``,
    ``horizon`` "YYYY-MM", ``threshold``, ``missiles``, ``workers``, ``executor``). ``baseline``
    names the scenario paired differences are taken against (default: the one of kind
    ``baseline``, e.g. ``no-deal``, when it runs beside others); ``progress`` is called with the
    number of samples each finished block held; ``missile_evidence`` replaces the profile's
    bundled missile evidence. The history is conditioned on ``observations``
    (see :func:`check`): its parameters come from their posterior given the published estimates
    (calibrated once per set of inputs and cached; see :mod:`detente.engine.posterior`).
    """
    opts = _options(options, overrides)
    plan = check(scenarios, profile=profile, baseline=baseline, options=opts, observations=observations,
                 missile_evidence=missile_evidence)
    if plan.observations is not None:
        plan = replace(plan, pool=calibrated(plan))
    total = execute(plan, opts, progress)
    return Results(build_dataset(plan, total, opts))


def compare(
    scenarios: Scenarios,
    *,
    baseline: str | Scenario = "no-deal",
    **options,
) -> Results:
    """What each deal buys: ``simulate`` the baseline and the scenarios on the same draws, with
    paired differences (``delta:<metric>``, scenario minus baseline). ``options`` are those of
    :func:`simulate`."""
    base = baseline if isinstance(baseline, Scenario) else load_scenario(baseline)
    others = [s for s in _scenarios(scenarios) if s.name != base.name]
    return simulate([base, *others], baseline=base.name, **options)


def observations(which: str | Path | None = "profile", *, profile: str | Profile = "dprk") -> Observations | None:
    """The observations a run would condition on: the profile's bundled published estimates
    (``"profile"``), a CSV file, or None. Raises :class:`~detente.InputError` naming the file,
    line and column of a bad row."""
    return _observations(which, _profile(profile))


def parameters(scenarios: Scenarios = (), *, profile: str | Profile = "dprk") -> dict:
    """Every uncertain input by its stable name — the profile's, the missile evidence's and
    each scenario's own — as distribution specs with their sources or judgement basis."""
    prof = _profile(profile)
    specs = {**prof.parameters(), **load_missiles(prof.name).parameters()}
    for scenario in _scenarios(list(scenarios) if not isinstance(scenarios, str | Scenario) else scenarios):
        specs.update(compile_deal(scenario, prof, prof.start).parameters)
    return specs
