"""Uncertain inputs: distribution specs that sample fast and say where their numbers come from.

Every spec has explicit fields (``dist: pert, low: 2, mode: 4, high: 7``), a list of ``source``
ids from the bundled bibliography and, for judgement-based values, ``judgement: true`` with a
one-line ``basis``. Numbers may be written as months (``"2009-07"``) for dates; they become
absolute month numbers (see :mod:`detente.months`).

Sampling is vectorised: ``spec.sample(rng, n)`` draws directly; ``spec.ppf(u)`` maps uniforms
through the inverse CDF, which :func:`draw` uses for rank-correlated inputs (Gaussian copula).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    WithJsonSchema,
    model_validator,
)
from scipy import special, stats

from ..months import MONTH_SCHEMA, format_month, parse_month


def _number(value: object) -> object:
    if isinstance(value, str):
        try:
            return float(parse_month(value))
        except ValueError:
            return value
    return value


# a number, or a month YYYY-MM in a spec with `unit: month`
Num = Annotated[float, BeforeValidator(_number), WithJsonSchema({"anyOf": [{"type": "number"}, MONTH_SCHEMA]})]

_Z95 = float(special.ndtri(0.95))


@cache
def _beta_grid(a: float, b: float) -> tuple[np.ndarray, np.ndarray]:
    """CDF of Beta(a, b) on a fine grid, for a fast inverse by interpolation."""
    x = 0.5 - 0.5 * np.cos(np.linspace(0.0, np.pi, 8193))  # dense near 0 and 1
    return special.betainc(a, b, x), x


def _beta_ppf(a: float, b: float, u: np.ndarray) -> np.ndarray:
    """Inverse CDF of Beta(a, b): interpolation on a cached grid (error < 1e-6 of the range)."""
    cdf, x = _beta_grid(a, b)
    return np.interp(u, cdf, x)


class _Spec(BaseModel):
    """Fields common to every distribution."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: list[str] = Field(default_factory=list)
    judgement: bool = False
    basis: str | None = None
    unit: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _strict_numbers(cls, data: Any) -> Any:
        """No silent coercion: ``true``/``false`` is not a number, and a month ``YYYY-MM`` is one
        only in a spec whose unit is ``month``."""
        if not isinstance(data, dict):
            return data
        for key, value in data.items():
            if key in ("source", "judgement", "basis", "unit", "dist", "note"):
                continue
            for x in value if isinstance(value, list) else [value]:
                if isinstance(x, bool):
                    raise ValueError(f"`{key}` must be a number, not {str(x).lower()}")
                if isinstance(x, str) and data.get("unit") != "month":
                    month = " (a month counts as a number only in a spec with `unit: month`)" \
                        if re.fullmatch(r"\d{4}-\d{2}", x.strip()) else ""
                    raise ValueError(f"`{key}` must be a number, not {x!r}{month}" if x.strip()
                                     else f"`{key}` is empty: give a number")
        return data

    @model_validator(mode="after")
    def _provenance(self, info: ValidationInfo) -> _Spec:
        known = (info.context or {}).get("sources")
        if known is not None:
            for sid in self.source:
                if sid not in known:
                    raise ValueError(f"unknown source id {sid!r} (not in the bibliography)")
        if self.judgement and not (self.basis and self.basis.strip()):
            raise ValueError("a judgement needs a one-line `basis` saying why")
        if not self.source and not self.judgement:
            raise ValueError("needs `source` ids, or `judgement: true` with a `basis`")
        for name, value in self:
            numbers = value if isinstance(value, list) else [value]
            for x in numbers:
                open_bound = name in ("low", "high") and isinstance(self, Normal) and not math.isnan(x)
                if isinstance(x, float) and not math.isfinite(x) and not open_bound:
                    raise ValueError(f"`{name}` must be a finite number")
        return self

    # -- interface -------------------------------------------------------------------------
    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` independent draws (float64)."""
        return self.ppf(rng.random(n))

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Inverse CDF at uniforms ``u``."""
        return np.asarray(self._frozen().ppf(u), dtype=float)

    def quantile(self, q: float) -> float:
        return float(self.ppf(np.array([q]))[0])

    def central(self) -> float:
        """The median: the value used for 'central parameters'."""
        return self.quantile(0.5)

    def describe(self) -> str:
        raise NotImplementedError

    def _frozen(self):  # pragma: no cover - every concrete spec overrides
        raise NotImplementedError

    def _fmt(self, x: float) -> str:
        if self.unit == "month":
            return format_month(round(x))
        return f"{x:.4g}"


class Fixed(_Spec):
    dist: Literal["fixed"] = "fixed"
    value: Num

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return np.full(n, self.value)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        return np.full(np.shape(u), self.value)

    def describe(self) -> str:
        return self._fmt(self.value)


class Uniform(_Spec):
    dist: Literal["uniform"]
    low: Num
    high: Num

    @model_validator(mode="after")
    def _order(self) -> Uniform:
        if not self.high > self.low:
            raise ValueError(f"high ({self.high:g}) must exceed low ({self.low:g})")
        return self

    def ppf(self, u: np.ndarray) -> np.ndarray:
        return self.low + (self.high - self.low) * np.asarray(u, dtype=float)

    def describe(self) -> str:
        return f"uniform({self._fmt(self.low)}, {self._fmt(self.high)})"


class _ThreePoint(_Spec):
    low: Num
    mode: Num
    high: Num

    @model_validator(mode="after")
    def _order(self) -> _ThreePoint:
        if not (self.low <= self.mode <= self.high and self.low < self.high):
            raise ValueError(
                f"need low ≤ mode ≤ high with low < high; got {self.low}, {self.mode}, {self.high}"
            )
        return self


class Triangular(_ThreePoint):
    dist: Literal["triangular"]

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.triangular(self.low, self.mode, self.high, n)

    def _frozen(self):
        scale = self.high - self.low
        return stats.triang((self.mode - self.low) / scale, loc=self.low, scale=scale)

    def describe(self) -> str:
        return f"triangular({self._fmt(self.low)}, {self._fmt(self.mode)}, {self._fmt(self.high)})"


class Pert(_ThreePoint):
    """Beta-PERT with the usual shape 4: mean = (low + 4·mode + high) / 6."""

    dist: Literal["pert"]
    shape: float = Field(4.0, gt=0)

    def _ab(self) -> tuple[float, float]:
        span = self.high - self.low
        a = 1 + self.shape * (self.mode - self.low) / span
        b = 1 + self.shape * (self.high - self.mode) / span
        return a, b

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        a, b = self._ab()
        return self.low + (self.high - self.low) * rng.beta(a, b, n)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        a, b = self._ab()
        return self.low + (self.high - self.low) * _beta_ppf(a, b, u)

    def describe(self) -> str:
        return f"PERT({self._fmt(self.low)}, {self._fmt(self.mode)}, {self._fmt(self.high)})"


class Normal(_Spec):
    """Normal, optionally truncated to [low, high]."""

    dist: Literal["normal"]
    mean: Num
    sd: float = Field(gt=0)
    low: Num = -math.inf
    high: Num = math.inf

    @model_validator(mode="after")
    def _order(self) -> Normal:
        if not self.high > self.low:
            raise ValueError(f"high ({self.high:g}) must exceed low ({self.low:g})")
        return self

    def _frozen(self):
        a, b = (self.low - self.mean) / self.sd, (self.high - self.mean) / self.sd
        return stats.truncnorm(a, b, loc=self.mean, scale=self.sd)

    def describe(self) -> str:
        text = f"normal({self._fmt(self.mean)}, sd {self.sd:.3g})"
        if math.isfinite(self.low) or math.isfinite(self.high):
            text += f" in [{self._fmt(self.low)}, {self._fmt(self.high)}]"
        return text


class LogNormal(_Spec):
    """Lognormal written as analysts do: a 90 % interval, ``p5`` to ``p95``."""

    dist: Literal["lognormal"]
    p5: float = Field(gt=0)
    p95: float = Field(gt=0)

    @model_validator(mode="after")
    def _order(self) -> LogNormal:
        if not self.p95 > self.p5:
            raise ValueError(f"p95 ({self.p95:g}) must exceed p5 ({self.p5:g})")
        return self

    def _mu_sigma(self) -> tuple[float, float]:
        lo, hi = math.log(self.p5), math.log(self.p95)
        return (lo + hi) / 2, (hi - lo) / (2 * _Z95)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        mu, sigma = self._mu_sigma()
        return rng.lognormal(mu, sigma, n)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        mu, sigma = self._mu_sigma()
        return np.exp(mu + sigma * special.ndtri(u))

    def describe(self) -> str:
        return f"lognormal, 90% in {self._fmt(self.p5)}–{self._fmt(self.p95)}"


class Beta(_Spec):
    dist: Literal["beta"]
    a: float = Field(gt=0)
    b: float = Field(gt=0)
    low: Num = 0.0
    high: Num = 1.0

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return self.low + (self.high - self.low) * rng.beta(self.a, self.b, n)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        return self.low + (self.high - self.low) * _beta_ppf(self.a, self.b, u)

    def describe(self) -> str:
        return f"beta({self.a:.3g}, {self.b:.3g})"


class Bernoulli(_Spec):
    """1 with probability ``p``, else 0."""

    dist: Literal["bernoulli"]
    p: float = Field(ge=0, le=1)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        return (np.asarray(u) >= 1 - self.p).astype(float)

    def describe(self) -> str:
        return f"bernoulli(p={self.p:.3g})"


class Discrete(_Spec):
    """One of ``values`` with the given ``weights`` (normalised)."""

    dist: Literal["discrete"]
    values: list[Num] = Field(min_length=1)
    weights: list[float] = Field(min_length=1)

    @model_validator(mode="after")
    def _shape(self) -> Discrete:
        if len(self.values) != len(self.weights):
            raise ValueError("`values` and `weights` must have the same length")
        if any(w < 0 for w in self.weights) or sum(self.weights) <= 0:
            raise ValueError("weights must be ≥ 0 and not all zero")
        return self

    def ppf(self, u: np.ndarray) -> np.ndarray:
        order = np.argsort(self.values)
        values = np.asarray(self.values, dtype=float)[order]
        cdf = np.cumsum(np.asarray(self.weights, dtype=float)[order])
        cdf /= cdf[-1]
        return values[np.minimum(np.searchsorted(cdf, u, side="right"), len(values) - 1)]

    def describe(self) -> str:
        total = sum(self.weights)
        parts = ", ".join(
            f"{self._fmt(v)}: {w / total:.2g}" for v, w in zip(self.values, self.weights, strict=True)
        )
        return f"discrete({parts})"


Spec = Annotated[
    Fixed | Uniform | Triangular | Pert | Normal | LogNormal | Beta | Bernoulli | Discrete,
    Field(discriminator="dist"),
]


class Correlation(BaseModel):
    """Rank (Spearman) correlation between two named parameters, imposed by a Gaussian copula."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    a: str
    b: str
    rho: float = Field(gt=-1, lt=1)
    basis: str = Field(min_length=1)
    source: list[str] = Field(default_factory=list)


def correlation_matrix(names: Sequence[str], pairs: Sequence[Correlation]) -> np.ndarray:
    """Pearson correlation of the copula normals that gives the requested rank correlations."""
    index = {name: i for i, name in enumerate(names)}
    matrix = np.eye(len(names))
    for pair in pairs:
        i, j = index[pair.a], index[pair.b]
        matrix[i, j] = matrix[j, i] = 2 * math.sin(math.pi * pair.rho / 6)
    return matrix


def correlated(names: Sequence[str], pairs: Sequence[Correlation], z: np.ndarray) -> np.ndarray:
    """Uniforms with the rank correlations of ``pairs`` from independent standard normals ``z``
    (one row per name; a Gaussian copula). Raises ``ValueError`` if the correlations are not
    jointly possible."""
    try:
        chol = np.linalg.cholesky(correlation_matrix(names, pairs))
    except np.linalg.LinAlgError as exc:
        raise ValueError("the correlations are not jointly possible") from exc
    return special.ndtr(chol @ z)


def draw(
    specs: Mapping[str, _Spec],
    rng: np.random.Generator | Callable[[str], np.random.Generator],
    n: int,
    correlations: Sequence[Correlation] = (),
) -> dict[str, np.ndarray]:
    """Draw ``n`` samples of every parameter, in a fixed order, honouring rank correlations.

    ``rng`` is one generator for all, or a function giving each parameter (and each group of
    correlated parameters, by their names joined with ``+``) a stream of its own — so adding,
    removing or renaming one parameter changes no other's draws.

    Raises ``ValueError`` if a correlation names an unknown parameter or the correlations are not
    jointly possible (the implied matrix is not positive definite).
    """
    linked = list(dict.fromkeys(name for c in correlations for name in (c.a, c.b)))
    for name in linked:
        if name not in specs:
            raise ValueError(f"correlation names unknown parameter {name!r}")
    out: dict[str, np.ndarray] = {}
    if linked:
        source = rng("+".join(linked)) if callable(rng) else rng
        u = correlated(linked, correlations, source.standard_normal((len(linked), n)))
        for name, row in zip(linked, u, strict=True):
            out[name] = specs[name].ppf(row)
    for name, spec in specs.items():
        if name not in out:
            out[name] = spec.sample(rng(name) if callable(rng) else rng, n)
    return {name: out[name] for name in specs}
