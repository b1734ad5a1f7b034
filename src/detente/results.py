"""Results of a run: per-month distributions of every metric for every scenario.

Quantiles come from the merged histograms (exact for warhead counts, within 0.5 % for kg);
means from exact sums. ``quantiles`` returns xarray, ``summary`` pandas; ``to_netcdf`` and
``to_csv`` write them with the run's metadata (seed, samples, version, input hash, created_at).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from .accumulate import Bins, CountBins, mean_from_counts, quantiles
from .errors import InputError
from .months import format_month, parse_month

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
COLUMNS = ["scenario", "metric", "date", "mean", "p5", "p25", "p50", "p75", "p95"]


@dataclass
class Results:
    """Distributions over time; build with :func:`detente.simulate`."""

    scenarios: list[str]
    months: list[str]  # "YYYY-MM" of every grid month
    counts: dict[str, dict[str, np.ndarray]]  # scenario → metric → (months, bins)
    sums: dict[str, dict[str, np.ndarray]]  # scenario → kg metric → (months,) exact sums
    bins: dict[str, Bins]
    horizon_values: dict[str, dict[str, np.ndarray]]  # scenario → metric → (samples,)
    draws: dict[str, np.ndarray]  # parameter → (kept samples,)
    attrs: dict

    @property
    def metrics(self) -> list[str]:
        return list(self.bins)

    def _check_metric(self, metric: str) -> None:
        if metric not in self.bins:
            raise InputError(f"unknown metric {metric!r}; known: {', '.join(self.bins)}",
                             field="metric")

    def quantiles(self, metric: str, qs: Sequence[float] = QUANTILES) -> xr.DataArray:
        """``scenario × date × quantile`` of ``metric``."""
        self._check_metric(metric)
        data = np.stack([quantiles(self.counts[s][metric], self.bins[metric], np.asarray(qs))
                         for s in self.scenarios])
        return xr.DataArray(
            data,
            dims=("scenario", "date", "quantile"),
            coords={"scenario": self.scenarios, "date": self._dates(), "quantile": list(qs)},
            name=metric,
            attrs={"units": _units(metric)},
        )

    def mean(self, metric: str) -> xr.DataArray:
        """``scenario × date`` mean of ``metric``."""
        self._check_metric(metric)
        rows = []
        samples = self.attrs["samples"]
        for s in self.scenarios:
            total = self.sums[s].get(metric)  # kg metrics: exact sums; counts: histogram
            if total is None:
                rows.append(mean_from_counts(self.counts[s][metric], self.bins[metric]))
            else:
                rows.append(total / samples)
        return xr.DataArray(np.stack(rows), dims=("scenario", "date"),
                            coords={"scenario": self.scenarios, "date": self._dates()},
                            name=metric, attrs={"units": _units(metric)})

    def horizon(self, metric: str) -> xr.DataArray:
        """Per-sample value of ``metric`` at the horizon: ``scenario × draw``."""
        self._check_metric(metric)
        data = np.stack([self.horizon_values[s][metric] for s in self.scenarios])
        return xr.DataArray(data, dims=("scenario", "draw"),
                            coords={"scenario": self.scenarios}, name=metric)

    def default_dates(self) -> list[str]:
        """Every January on the grid, plus the horizon."""
        dates = [m for m in self.months if m.endswith("-01")]
        if self.months[-1] not in dates:
            dates.append(self.months[-1])
        return dates

    def check_dates(self, dates: Sequence[str] | None) -> list[str]:
        """Validate report dates (``YYYY-MM`` within the run); default every January."""
        if not dates:
            return self.default_dates()
        out = []
        for text in dates:
            try:
                month = format_month(parse_month(text))
            except ValueError as exc:
                raise InputError(str(exc), field="dates") from None
            if month not in self.months:
                raise InputError(
                    f"{month} is outside the run ({self.months[0]} to {self.months[-1]})",
                    field="dates",
                )
            out.append(month)
        return out

    def summary(self, dates: Sequence[str] | None = None,
                metrics: Sequence[str] | None = None) -> pd.DataFrame:
        """Tidy table: scenario, metric, date, mean, p5, p25, p50, p75, p95."""
        dates = self.check_dates(dates)
        index = [self.months.index(d) for d in dates]
        frames = []
        for metric in metrics or self.metrics:
            q = self.quantiles(metric).values[:, index, :]
            mean = self.mean(metric).values[:, index]
            for i, scenario in enumerate(self.scenarios):
                frame = pd.DataFrame(q[i], columns=COLUMNS[4:])
                frame.insert(0, "mean", mean[i])
                frame.insert(0, "date", dates)
                frame.insert(0, "metric", metric)
                frame.insert(0, "scenario", scenario)
                frames.append(frame)
        return pd.concat(frames, ignore_index=True)[COLUMNS]

    def records(self, dates: Sequence[str] | None = None) -> list[dict]:
        """JSON-ready records ``{scenario, metric, date, mean, p5, …, p95}``."""
        frame = self.summary(dates)
        return [
            {k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in row.items()}
            for row in frame.to_dict(orient="records")
        ]

    def to_csv(self, path: str | Path, dates: Sequence[str] | None = None) -> Path:
        path = Path(path)
        self.summary(dates).to_csv(path, index=False, float_format="%.6g")
        return path

    def to_dataset(self) -> xr.Dataset:
        """All months' quantiles and means, per-sample horizon values, and run metadata."""
        data = {}
        for metric in self.metrics:
            data[metric] = self.quantiles(metric)
            data[f"{metric}_mean"] = self.mean(metric)
            data[f"{metric}_at_horizon"] = self.horizon(metric)
        attrs = {k: (v if isinstance(v, int | float | str) else str(v))
                 for k, v in self.attrs.items()}
        return xr.Dataset(data, attrs=attrs)

    def to_netcdf(self, path: str | Path) -> Path:
        path = Path(path)
        self.to_dataset().to_netcdf(path, engine="h5netcdf")
        return path

    def _dates(self) -> np.ndarray:
        return np.array(self.months, dtype="datetime64[M]").astype("datetime64[ns]")


def _units(metric: str) -> str:
    return "kg" if metric.endswith("_kg") else "warheads"


def overflowed(results: Results) -> list[str]:
    """Metrics whose top count bin was reached (quantiles there are lower bounds)."""
    out = []
    for metric, spec in results.bins.items():
        if isinstance(spec, CountBins) and any(
            results.counts[s][metric][:, -1].any() for s in results.scenarios
        ):
            out.append(metric)
    return out
