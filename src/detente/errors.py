"""Exceptions raised by Détente.

``DetenteError`` is the root. ``InputError`` means the user's input (a profile, a scenario, a
command-line option) is wrong and says where; ``RunError`` means a simulation could not finish.
The CLI turns ``InputError`` into exit code 2 and any other error into exit code 1.
"""

from __future__ import annotations


class DetenteError(Exception):
    """Base class of every error Détente raises on purpose."""


class InputError(DetenteError, ValueError):
    """Bad input: names the file, the field path and the reason."""

    def __init__(self, reason: str, *, file: str | None = None, field: str | None = None):
        self.file = file
        self.field = field
        self.reason = reason
        where = ": ".join(part for part in (file, field) if part)
        super().__init__(f"{where}: {reason}" if where else reason)


class RunError(DetenteError, RuntimeError):
    """A simulation failed for a reason other than bad input."""
