"""Results of a run: per-month distributions of every metric for every scenario.

Quantiles come from the merged histograms (exact for warhead counts, within 0.5 % for kg);
means from exact sums. ``quantiles`` returns xarray, ``summary`` pandas; ``to_netcdf`` and
``to_csv`` write them with the run's metadata (seed, samples, version, input hash, created_at).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
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
    specs: dict = field(default_factory=dict)  # parameter → its distribution spec (with sources)

    @property
    def metrics(self) -> list[str]:
        return list(self.bins)

    @property
    def baseline(self) -> str | None:
        """The scenario paired differences are taken against, if any."""
        return self.attrs.get("baseline") or None

    def _check_metric(self, metric: str) -> None:
        if metric not in self.bins:
            raise InputError(f"unknown metric {metric!r}; known: {', '.join(self.bins)}",
                             field="metric")

    def quantiles(self, metric: str, qs: Sequence[float] = QUANTILES) -> xr.DataArray:
        """``scenario × date × quantile`` of ``metric`` (NaN where a scenario lacks it, e.g. the
        baseline's own paired difference)."""
        self._check_metric(metric)
        empty = np.full((len(self.months), len(qs)), np.nan)
        data = np.stack([
            quantiles(self.counts[s][metric], self.bins[metric], np.asarray(qs))
            if metric in self.counts[s] else empty
            for s in self.scenarios
        ])
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
            plain = metric.removeprefix("delta:")
            if metric not in self.counts[s]:
                rows.append(np.full(len(self.months), np.nan))
            elif plain in ("pu_kg", "heu_kg"):  # exact sums; a paired mean is a difference of means
                total = self.sums[s][plain] - (self.sums[self.baseline][plain] if plain != metric else 0)
                counted = self.counts[s][metric].sum(axis=-1) > 0
                rows.append(np.where(counted, total / samples, np.nan))
            else:
                rows.append(mean_from_counts(self.counts[s][metric], self.bins[metric]))
        return xr.DataArray(np.stack(rows), dims=("scenario", "date"),
                            coords={"scenario": self.scenarios, "date": self._dates()},
                            name=metric, attrs={"units": _units(metric)})

    def horizon(self, metric: str) -> xr.DataArray:
        """Per-sample value at the horizon, ``scenario × draw`` (NaN where a scenario lacks it).

        Metrics: the binned ones, ``months_to_threshold`` (months from the scenario start until
        warheads possible reach the run's threshold; NaN if not by the horizon) and, for deals,
        ``months_halted``, ``deal_months`` (from the first phase to collapse or the horizon),
        ``collapsed``, ``cheated`` and ``detected`` (0/1).
        """
        known = {m for v in self.horizon_values.values() for m in v}
        if metric not in known:
            raise InputError(f"unknown metric {metric!r}; known: {', '.join(sorted(known))}",
                             field="metric")
        size = len(next(iter(self.horizon_values.values()))["pu_kg"])
        data = np.stack([self.horizon_values[s].get(metric, np.full(size, np.nan, np.float32))
                         for s in self.scenarios])
        return xr.DataArray(data, dims=("scenario", "draw"),
                            coords={"scenario": self.scenarios}, name=metric)

    def probability(self, event: str) -> xr.DataArray:
        """``scenario × date`` share of samples with the deal ``in_force``, or that have
        ``cheated`` or been ``detected`` by each month (NaN for scenarios without a deal)."""
        rows = []
        for s in self.scenarios:
            counts = self.counts[s].get(f"deal:{event}")
            has_deal = "deal_months" in self.horizon_values[s]
            rows.append(counts / self.attrs["samples"] if has_deal else np.full(len(self.months), np.nan))
        return xr.DataArray(np.stack(rows), dims=("scenario", "date"),
                            coords={"scenario": self.scenarios, "date": self._dates()},
                            name=f"p_{event}")

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
        """Tidy table: scenario, metric, date, mean, p5, p25, p50, p75, p95.

        Binned metrics (and their paired ``delta:`` forms, scenario minus baseline) at each date;
        for deals ``p_in_force``, ``p_cheated``, ``p_detected`` (the share in ``mean``); at the
        horizon, per-sample metrics such as ``months_to_<N>_warheads`` and ``months_halted``.
        """
        dates = self.check_dates(dates)
        index = [self.months.index(d) for d in dates]
        rows = []
        for metric in metrics or self.metrics:
            q = self.quantiles(metric).values[:, index, :]
            mean = self.mean(metric).values[:, index]
            for i, scenario in enumerate(self.scenarios):
                if metric not in self.counts[scenario]:
                    continue
                for j, date in enumerate(dates):
                    rows.append([scenario, metric, date, mean[i, j], *q[i, j]])
        if metrics is None:
            rows += self._deal_rows(dates, index)
            if self.months[-1] in dates:
                rows += self._horizon_rows()
        return pd.DataFrame(rows, columns=COLUMNS)

    def p_arrive(self, region: str) -> xr.DataArray:
        """``scenario × date`` chance that at least one warhead arrives in ``region``, in the
        months deliveries are evaluated (yearly from the scenario start, and the horizon; NaN
        elsewhere)."""
        key = f"p_arrive:{region}"
        if key not in self.sums[self.scenarios[0]]:
            raise InputError(f"unknown region {region!r}; known: {self.attrs.get('regions', '')}",
                             field="region")
        data = np.stack([self.sums[s][key] / self.attrs["samples"] for s in self.scenarios])
        started = np.stack([self.counts[s][f"deliverable:{region}"].sum(axis=-1) > 0 for s in self.scenarios])
        return xr.DataArray(np.where(started, data, np.nan), dims=("scenario", "date"),
                            coords={"scenario": self.scenarios, "date": self._dates()}, name=key)

    def reliable_icbm_month(self, level: float = 0.8, chance: float = 0.5) -> dict[str, str | None]:
        """First month in which P(ICBM reliability ≥ ``level``) exceeds ``chance``, per scenario."""
        out = {}
        if "icbm_reliability" not in self.bins:  # run without the missile model
            return out
        edges = self.bins["icbm_reliability"].lower_edges()
        for s in self.scenarios:
            counts = self.counts[s]["icbm_reliability"]
            total = counts.sum(axis=-1)
            above = counts[:, edges >= level - 1e-12].sum(axis=-1)
            with np.errstate(invalid="ignore", divide="ignore"):
                share = np.where(total > 0, above / total, 0.0)
            hit = np.flatnonzero(share > chance)
            out[s] = self.months[hit[0]] if hit.size else None
        return out

    def _deal_rows(self, dates: list[str], index: list[int]) -> list[list]:
        rows = []
        for region in self.attrs.get("regions", "").split(","):
            if not region:
                continue
            p = self.p_arrive(region).values[:, index]
            for i, scenario in enumerate(self.scenarios):
                rows += [[scenario, f"p_arrive:{region}", d, p[i, j], *[np.nan] * 5]
                         for j, d in enumerate(dates) if not np.isnan(p[i, j])]
        for event in ("in_force", "cheated", "detected"):
            p = self.probability(event).values[:, index]
            for i, scenario in enumerate(self.scenarios):
                if not np.isnan(p[i]).all():
                    rows += [[scenario, f"p_{event}", d, p[i, j], *[np.nan] * 5]
                             for j, d in enumerate(dates)]
        return rows

    def _horizon_rows(self) -> list[list]:
        rows = []
        end = self.months[-1]
        reliable = self.reliable_icbm_month()
        base_month = reliable.get(self.baseline) if self.baseline else None
        for scenario, month in reliable.items():
            start = self._start(scenario)
            value = np.nan if month is None else max(self.months.index(month) - self.months.index(start), 0)
            rows.append([scenario, "months_to_reliable_icbm", end, value, *[np.nan] * 5])
            if self.baseline and scenario != self.baseline:
                later = np.inf if month is None else self.months.index(month)
                sooner = np.inf if base_month is None else self.months.index(base_month)
                delay = 0.0 if later == sooner else later - sooner
                rows.append([scenario, "delta:months_to_reliable_icbm", end, delay, *[np.nan] * 5])
        n = self.attrs.get("threshold", 0)
        names = {"months_to_threshold": f"months_to_{n}_warheads", "months_halted": "months_halted",
                 "deal_months": "deal_months"}
        base = self.baseline
        known = {m for v in self.horizon_values.values() for m in v}
        for metric, label in names.items():
            if metric not in known:
                continue
            values = self.horizon(metric).values.astype(float)
            for i, scenario in enumerate(self.scenarios):
                x = values[i]
                if np.isnan(x).all():
                    continue
                if metric == "months_to_threshold":
                    x = np.where(np.isnan(x), np.inf, x)  # not reached by the horizon
                rows.append([scenario, label, end, *_stats(x)])
                if metric == "months_to_threshold" and base is not None and scenario != base:
                    b = np.where(np.isnan(values[self.scenarios.index(base)]), np.inf,
                                 values[self.scenarios.index(base)])
                    with np.errstate(invalid="ignore"):
                        d = np.where(np.isinf(x) & np.isinf(b), 0.0, x - b)
                    rows.append([scenario, f"delta:{label}", end, *_stats(d)])
        return rows

    def records(self, dates: Sequence[str] | None = None) -> list[dict]:
        """JSON-ready records ``{scenario, metric, date, mean, p5, …, p95}`` (null where a value
        is undefined or beyond the horizon)."""
        frame = self.summary(dates)
        return [
            {k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in row.items()}
            for row in frame.to_dict(orient="records")
        ]

    def to_csv(self, path: str | Path, dates: Sequence[str] | None = None) -> Path:
        path = Path(path)
        self.summary(dates).to_csv(path, index=False, float_format="%.6g")
        return path

    def to_tidy_csv(self, path: str | Path, dates: Sequence[str] | None = None) -> Path:
        """Long-format CSV: scenario, metric, date, quantile, value (``mean`` as quantile "mean")."""
        frame = self.summary(dates)
        tidy = frame.melt(id_vars=["scenario", "metric", "date"], var_name="quantile", value_name="value")
        tidy["quantile"] = tidy["quantile"].map(
            {"mean": "mean", "p5": "0.05", "p25": "0.25", "p50": "0.5", "p75": "0.75", "p95": "0.95"})
        tidy = tidy.dropna(subset=["value"]).sort_values(["scenario", "metric", "date", "quantile"])
        path = Path(path)
        tidy.to_csv(path, index=False, float_format="%.6g")
        return path

    def _repr_html_(self) -> str:
        """A summary table for notebooks: headline metrics at a few dates."""
        dates = [d for d in self.default_dates() if d >= self.attrs.get("start", "")][-4:]
        frame = self.summary(dates, metrics=["warheads_possible", "pu_kg", "heu_kg"])
        frame = frame.assign(**{"median (90 %)": [
            f"{r.p50:,.1f} ({r.p5:,.1f}–{r.p95:,.1f})" for r in frame.itertuples()]})
        table = frame.pivot_table(index=["scenario", "date"], columns="metric", values="median (90 %)",
                                  aggfunc="first")
        head = (f"<p><b>Détente results</b> — {self.attrs['samples']:,} samples, seed {self.attrs['seed']}, "
                f"{self.attrs['start']} to {self.attrs['horizon']}</p>")
        return head + table.to_html()

    def plot(self, metric: str = "warheads_possible", ax=None):
        """Fan chart of ``metric`` (5–95 % and 25–75 % bands, median) per scenario; returns the
        matplotlib Axes."""
        from .report.charts import fan_chart

        return fan_chart(self, metric, ax=ax)

    def to_dataset(self) -> xr.Dataset:
        """All months' quantiles and means, per-sample horizon values, and run metadata."""
        data = {}
        for metric in self.metrics:
            key = metric.replace(":", "_")
            data[key] = self.quantiles(metric)
            data[f"{key}_mean"] = self.mean(metric)
            if metric in self.horizon_values[self.scenarios[0]]:
                data[f"{key}_at_horizon"] = self.horizon(metric)
        for event in ("in_force", "cheated", "detected"):
            data[f"p_{event}"] = self.probability(event)
        attrs = {k: (v if isinstance(v, int | float | str) else str(v))
                 for k, v in self.attrs.items()}
        return xr.Dataset(data, attrs=attrs)

    def to_netcdf(self, path: str | Path) -> Path:
        path = Path(path)
        self.to_dataset().to_netcdf(path, engine="h5netcdf")
        return path

    def _start(self, scenario: str) -> str:
        starts = dict(item.split("=") for item in self.attrs["scenario_starts"].split(","))
        return starts[scenario]

    def _dates(self) -> np.ndarray:
        return np.array(self.months, dtype="datetime64[M]").astype("datetime64[ns]")


def _stats(x: np.ndarray) -> list[float]:
    """Mean (NaN if any value is infinite) and the reported quantiles of per-sample values."""
    q = np.quantile(x, QUANTILES, method="inverted_cdf")
    mean = float(x.mean()) if np.isfinite(x).all() else np.nan
    return [mean, *q]


def _units(metric: str) -> str:
    return "kg" if metric.endswith("_kg") else "warheads"


def overflowed(results: Results) -> list[str]:
    """Metrics whose top count bin was reached (quantiles there are lower bounds)."""
    out = []
    for metric, spec in results.bins.items():
        if isinstance(spec, CountBins) and any(
            results.counts[s][metric][:, -1].any() for s in results.scenarios if metric in results.counts[s]
        ):
            out.append(metric)
    return out
