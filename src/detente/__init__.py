"""Détente: what does a deal with North Korea buy? Monte Carlo projections of fissile material
and warheads from facility histories, under scenarios compared on common random numbers."""

__version__ = "0.1.0"

from .api import compare, simulate  # noqa: E402
from .errors import DetenteError, InputError, RunError  # noqa: E402
from .profile import Profile, load_profile  # noqa: E402
from .results import Results  # noqa: E402
from .scenario import Scenario, load_scenario  # noqa: E402

__all__ = [
    "DetenteError",
    "InputError",
    "Profile",
    "Results",
    "RunError",
    "Scenario",
    "compare",
    "load_profile",
    "load_scenario",
    "simulate",
]
