"""Détente: what does a deal with North Korea buy? Monte Carlo projections of fissile material,
warheads and missiles from facility histories, under scenarios compared on common random numbers.

The public face: :func:`simulate`, :func:`compare`, :func:`check`, :func:`parameters`,
:func:`observations`,
:func:`load_profile`, :func:`load_scenario`, :class:`RunOptions`, :class:`Results` and the errors.
"""

from ._version import __version__
from .api import check, compare, observations, parameters, simulate
from .errors import Cancelled, Conflict, DetenteError, InputError, NotFound, RunError, TooManyRuns
from .inputs.profile import Profile, load_profile
from .inputs.scenario import Scenario, load_scenario
from .options import RunOptions
from .results.results import Results

__all__ = [
    "Cancelled",
    "Conflict",
    "DetenteError",
    "InputError",
    "NotFound",
    "Profile",
    "Results",
    "RunError",
    "RunOptions",
    "Scenario",
    "TooManyRuns",
    "__version__",
    "check",
    "compare",
    "load_profile",
    "load_scenario",
    "observations",
    "parameters",
    "simulate",
]
