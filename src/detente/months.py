"""Months as integers: ``year * 12 + (month - 1)``, and the monthly grid of a run."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated

import numpy as np
from pydantic import BeforeValidator, WithJsonSchema

NEVER = np.int64(1) << 60  # a grid month that never comes (no campaign pending, no collapse, …)

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def parse_month(text: str) -> int:
    """``"YYYY-MM"`` → absolute month number. Raises ``ValueError`` with a plain reason."""
    match = _MONTH.match(str(text).strip())
    if not match:
        raise ValueError(f"{text!r} is not a month written as YYYY-MM")
    year, month = int(match[1]), int(match[2])
    if not 1 <= month <= 12:
        raise ValueError(f"{text!r} has month {month}; months run from 01 to 12")
    if not 1900 <= year <= 2200:
        raise ValueError(f"{text!r} has year {year}; Détente models 1900–2200")
    return year * 12 + month - 1


def _month_field(value: object) -> object:
    if isinstance(value, str):
        return parse_month(value)
    raise ValueError("write months as 'YYYY-MM'")


MONTH_SCHEMA = {"type": "string", "pattern": r"^\d{4}-(0[1-9]|1[0-2])$", "description": "a month, YYYY-MM"}
# a "YYYY-MM" field of an input file (a month number once read)
Month = Annotated[int, BeforeValidator(_month_field), WithJsonSchema(MONTH_SCHEMA)]


def format_month(month: int) -> str:
    """Absolute month number → ``"YYYY-MM"``."""
    year, index = divmod(int(month), 12)
    return f"{year:04d}-{index + 1:02d}"


@dataclass(frozen=True)
class MonthGrid:
    """Months ``start`` … ``end`` inclusive (absolute month numbers)."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(
                f"horizon {format_month(self.end)} is before the start {format_month(self.start)}"
            )

    @property
    def size(self) -> int:
        return self.end - self.start + 1

    def index(self, month: int) -> int:
        """Position of an absolute month on the grid (may fall outside 0 … size-1)."""
        return int(month) - self.start

    def labels(self) -> list[str]:
        return [format_month(m) for m in range(self.start, self.end + 1)]

    def datetimes(self) -> np.ndarray:
        """Grid months as ``datetime64[M]``."""
        return np.array(self.labels(), dtype="datetime64[M]")
