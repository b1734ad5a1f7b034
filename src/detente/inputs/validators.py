"""Range checks for uncertain specs, used as pydantic annotations."""

from __future__ import annotations

import math
from typing import Annotated

from pydantic import AfterValidator

from .uncertain import Spec, _Spec


def within(low: float | None = None, high: float | None = None, tail: float = 0.0):
    """Validator: every value the spec can produce lies in [low, high] (with ``tail``, all but
    that share at the top: an unbounded lognormal may reach past a sanity bound so rarely that it
    never matters, while a typed-in 10¹⁹ is refused)."""

    def check(spec: _Spec) -> _Spec:
        lo, hi = spec.quantile(0.0), spec.quantile(1.0 - tail)
        if math.isnan(lo) or math.isnan(hi):
            raise ValueError("values must be numbers, not NaN")
        if low is not None and lo < low:
            raise ValueError(f"values must be ≥ {low:g}; this distribution reaches {lo:g}")
        if high is not None and hi > high and (low, high) == (0, 1):
            raise ValueError(f"a chance or share is a fraction from 0 to 1 (50 % is 0.5); this distribution "
                             f"reaches {hi:g}")
        if high is not None and hi > high:
            raise ValueError(f"values must be ≤ {high:g}; this distribution reaches {hi:g}")
        return spec

    return AfterValidator(check)


NonNegative = Annotated[Spec, within(0)]
# a span of months the model can hold (the longest grid is 1,500 months; beyond it a delay is "never")
Months = Annotated[Spec, within(0, 1500, tail=1e-9)]
PerYear = Annotated[Spec, within(0, 1000, tail=1e-9)]  # a rate of events a year (at most about three a day)
Fraction = Annotated[Spec, within(0, 1)]
Positive = Annotated[Spec, within(1e-9)]
