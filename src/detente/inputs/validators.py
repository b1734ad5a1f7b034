"""Range checks for uncertain specs, used as pydantic annotations."""

from __future__ import annotations

import math
from typing import Annotated

from pydantic import AfterValidator

from .uncertain import Spec, _Spec


def within(low: float | None = None, high: float | None = None):
    """Validator: every value the spec can produce lies in [low, high]."""

    def check(spec: _Spec) -> _Spec:
        lo, hi = spec.quantile(0.0), spec.quantile(1.0)
        if math.isnan(lo) or math.isnan(hi):
            raise ValueError("values must be numbers, not NaN")
        if low is not None and lo < low:
            raise ValueError(f"values must be ≥ {low:g}; this distribution reaches {lo:g}")
        if high is not None and hi > high:
            raise ValueError(f"values must be ≤ {high:g}; this distribution reaches {hi:g}")
        return spec

    return AfterValidator(check)


NonNegative = Annotated[Spec, within(0)]
Fraction = Annotated[Spec, within(0, 1)]
Positive = Annotated[Spec, within(1e-9)]
