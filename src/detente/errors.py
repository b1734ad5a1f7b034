"""Every exception Détente raises on purpose, in one tree under ``DetenteError``.

``InputError`` means the user's input (a profile, a scenario, an option, a request) is wrong and
says where; ``RunError`` that a simulation could not finish; ``Cancelled`` that a run was stopped
on request; ``NotFound``, ``Conflict`` and ``TooManyRuns`` are what the web app answers with 404,
409 and 429. The CLI turns ``InputError`` into exit code 2 and any other error into exit code 1.
"""

from __future__ import annotations


class DetenteError(Exception):
    """Base class of every error Détente raises on purpose."""


class InputError(DetenteError, ValueError):
    """Bad input: names the file, the field path and the reason; ``problems`` lists every
    (field, reason) found at once (the first is ``field`` and the head of ``reason``)."""

    def __init__(self, reason: str, *, file: str | None = None, field: str | None = None,
                 problems: list[tuple[str | None, str]] | None = None):
        self.file = file
        self.field = field
        self.reason = reason
        self.problems = problems if problems is not None else [(field, reason)]
        where = ": ".join(part for part in (file, field) if part)
        super().__init__(f"{where}: {reason}" if where else reason)


class RunError(DetenteError, RuntimeError):
    """A simulation failed for a reason other than bad input."""


class Cancelled(DetenteError):
    """A run was cancelled (raised from its progress callback)."""


class NotFound(DetenteError, LookupError):
    """No such scenario or run."""


class Conflict(DetenteError):
    """The request clashes with what is stored (a name taken, a run already finished)."""


class TooManyRuns(DetenteError):
    """The limit of concurrent runs is reached."""
