"""Mergeable per-month histograms.

Warhead counts go into exact integer bins; kilograms into log-spaced bins with 0.5 % relative
width. Counts from many blocks (or workers) add up exactly, so quantiles never depend on how a
run was split. Quantiles use the inverted-CDF rule (the smallest value whose CDF reaches q), with
linear interpolation inside a kilogram bin.

A histogram's end bins can be open: values beyond the range are counted there (``open_bins``). A
quantile or mean that depends on where inside an open bin its samples lie is not known, so it is
reported as ``open_value`` (NaN unless the caller knows better) instead of a wrong number.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class CountBins:
    """Integers 0 … size-2 exactly; the last bin holds everything ≥ size-1 (overflow)."""

    size: int = 4096

    def lower_edges(self) -> np.ndarray:
        return np.arange(self.size, dtype=float)

    def upper_edges(self) -> np.ndarray:
        return np.arange(self.size, dtype=float)

    def centres(self) -> np.ndarray:
        return np.arange(self.size, dtype=float)

    def open_bins(self) -> tuple[int, ...]:
        return (self.size - 1,)

    interpolate = False


@dataclass(frozen=True)
class KgBins:
    """Bin 0 is [0, floor); bin i ≥ 1 is [floor·r^(i-1), floor·r^i) with r = 1 + resolution."""

    floor: float = 0.01
    resolution: float = 0.005
    size: int = 3700  # up to ~1e6 kg

    @property
    def log_ratio(self) -> float:
        return math.log1p(self.resolution)

    def lower_edges(self) -> np.ndarray:
        i = np.arange(self.size, dtype=float)
        return np.where(i == 0, 0.0, self.floor * np.exp((i - 1) * self.log_ratio))

    def upper_edges(self) -> np.ndarray:
        i = np.arange(self.size, dtype=float)
        return self.floor * np.exp(i * self.log_ratio)

    def centres(self) -> np.ndarray:
        return 0.5 * (self.lower_edges() + self.upper_edges())

    def open_bins(self) -> tuple[int, ...]:
        return (self.size - 1,)  # values above the range are clipped into the top bin

    interpolate = True
    zero = 0  # the bin read as exactly zero


@dataclass(frozen=True)
class SignedCountBins:
    """Integer differences −(half−1) … half−1; bin ``half - 1`` is zero."""

    half: int = 2048

    @property
    def size(self) -> int:
        return 2 * self.half - 1

    def lower_edges(self) -> np.ndarray:
        return np.arange(self.size, dtype=float) - (self.half - 1)

    upper_edges = lower_edges
    centres = lower_edges

    def open_bins(self) -> tuple[int, ...]:
        return (0, self.size - 1)

    interpolate = False


@dataclass(frozen=True)
class SignedKgBins:
    """Kilogram differences: the KgBins mirrored around zero (bin ``half.size - 1`` is zero)."""

    half: KgBins = KgBins()

    @property
    def size(self) -> int:
        return 2 * self.half.size - 1

    def lower_edges(self) -> np.ndarray:
        lo, hi = self.half.lower_edges(), self.half.upper_edges()
        return np.concatenate([-hi[:0:-1], [-self.half.floor], lo[1:]])

    def upper_edges(self) -> np.ndarray:
        lo, hi = self.half.lower_edges(), self.half.upper_edges()
        return np.concatenate([-lo[:0:-1], [self.half.floor], hi[1:]])

    def centres(self) -> np.ndarray:
        return 0.5 * (self.lower_edges() + self.upper_edges())

    def open_bins(self) -> tuple[int, ...]:
        return (0, self.size - 1)

    interpolate = True

    @property
    def zero(self) -> int:
        return self.half.size - 1


@dataclass(frozen=True)
class UnitBins:
    """A share in [0, 1] in ``size - 1`` equal bins (the last holds exactly 1)."""

    size: int = 1001

    def lower_edges(self) -> np.ndarray:
        return np.arange(self.size, dtype=float) / (self.size - 1)

    def upper_edges(self) -> np.ndarray:
        return np.minimum(np.arange(1, self.size + 1, dtype=float) / (self.size - 1), 1.0)

    def centres(self) -> np.ndarray:
        return 0.5 * (self.lower_edges() + self.upper_edges())

    def open_bins(self) -> tuple[int, ...]:
        return ()  # a share cannot leave [0, 1]

    interpolate = True


Bins = CountBins | KgBins | SignedCountBins | SignedKgBins | UnitBins


def quantiles(counts: np.ndarray, bins: Bins, qs: np.ndarray, index: np.ndarray | None = None,
              open_value: float = np.nan) -> np.ndarray:
    """Quantiles from histograms ``counts`` (..., k) → (..., len(qs)); NaN where empty, and
    ``open_value`` where a quantile falls in one of the bins' open end bins.

    ``index`` (k,) says which of the ``bins`` the last axis holds (default: all of them, in
    order): a histogram trimmed to the bins that hold any sample gives the same quantiles."""
    counts = np.asarray(counts)
    index = np.arange(bins.size) if index is None else np.asarray(index)
    cdf = np.cumsum(counts, axis=-1)
    total = cdf[..., -1:]
    out = np.full(counts.shape[:-1] + (len(qs),), np.nan)
    lower, upper = bins.lower_edges()[index], bins.upper_edges()[index]
    zero = np.flatnonzero(index == getattr(bins, "zero", -1))
    zero = int(zero[0]) if zero.size else -1
    for j, q in enumerate(qs):
        target = q * total  # smallest bin whose cdf reaches q·N (inverted CDF)
        k = np.argmax(cdf >= np.maximum(target, 1e-12) - 1e-9 * total, axis=-1)
        if bins.interpolate:  # linear inside the bin; bin 0 (< floor) reads as zero
            before = np.take_along_axis(cdf, k[..., None], -1)[..., 0] - np.take_along_axis(
                counts, k[..., None], -1
            )[..., 0]
            inside = np.take_along_axis(counts, k[..., None], -1)[..., 0]
            with np.errstate(invalid="ignore", divide="ignore"):
                frac = np.clip((target[..., 0] - before) / inside, 0, 1)
            value = lower[k] + (upper[k] - lower[k]) * frac
            value = np.where(k == zero, 0.0, value)
        else:
            value = lower[k]
        value = np.where(np.isin(index[k], bins.open_bins()), open_value, value)
        out[..., j] = np.where(total[..., 0] > 0, value, np.nan)
    return out


def beyond(counts: np.ndarray, bins: Bins, index: np.ndarray | None = None) -> np.ndarray:
    """Share of samples (..., k) → (...) counted in an open end bin, i.e. beyond the bins' range
    (0 where empty)."""
    counts = np.asarray(counts)
    index = np.arange(bins.size) if index is None else np.asarray(index)
    total = counts.sum(axis=-1)
    out = counts[..., np.isin(index, bins.open_bins())].sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, out / np.maximum(total, 1), 0.0)


def mean_from_counts(counts: np.ndarray, bins: Bins, index: np.ndarray | None = None,
                     open_value: float = np.nan) -> np.ndarray:
    """Mean of a histogram (exact for CountBins), ``open_value`` where any sample lies in an open
    end bin; ``index`` as in :func:`quantiles` (the sum runs over every bin, so trimming does not
    change a bit)."""
    if index is not None:
        full = np.zeros(counts.shape[:-1] + (bins.size,), dtype=counts.dtype)
        full[..., index] = counts
        counts = full
    total = counts.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = (counts * bins.centres()).sum(axis=-1) / total
    return np.where(counts[..., list(bins.open_bins())].any(axis=-1), open_value, mean)


def log_bin(x: np.ndarray, bins: KgBins) -> np.ndarray:
    """Log-bin indices of non-negative values (vectorised; matches :class:`KgBins`' edges)."""
    with np.errstate(divide="ignore"):
        i = 1 + np.floor(np.log(np.maximum(x, 0.0) / bins.floor) / bins.log_ratio)
    return np.clip(np.where(x < bins.floor, 0, i), 0, bins.size - 1).astype(np.int64)


def signed_log_bin(d: np.ndarray, bins: KgBins) -> np.ndarray:
    """Bin indices of signed values in :class:`SignedKgBins` around ``bins`` (vectorised)."""
    half = bins.size - 1
    return np.where(d >= 0, half + log_bin(np.abs(d), bins), half - log_bin(np.abs(d), bins))


def trim(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The contiguous run of bins (last axis) holding any sample, and their bin indices."""
    used = np.flatnonzero(counts.reshape(-1, counts.shape[-1]).any(axis=0))
    lo, hi = (int(used[0]), int(used[-1])) if used.size else (0, 0)
    return counts[..., lo:hi + 1], np.arange(lo, hi + 1)


def count_rows(index: np.ndarray, size: int) -> np.ndarray:
    """(J, months, n) bin indices → (J, months, size) int32 counts."""
    rows = index.shape[0] * index.shape[1]
    flat = index.reshape(rows, -1) + (np.arange(rows, dtype=np.int64) * size)[:, None]
    counts = np.bincount(flat.ravel(), minlength=rows * size)
    return counts.reshape(index.shape[0], index.shape[1], size).astype(np.int32)
