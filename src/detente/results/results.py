"""Results of a run: an xarray Dataset (schema in ``docs/results.md``) and the questions an
analyst asks of it — quantiles, means, probabilities, per-sample values at the horizon.

Quantiles come from the merged histograms (exact for warhead counts, within 0.5 % for kg);
kg means from exact sums. ``to_netcdf`` writes the whole Dataset and ``from_netcdf`` reads it
back into the same Results.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr
from pydantic import TypeAdapter
from scipy.stats import norm

from ..errors import InputError
from ..histograms import beyond, mean_from_counts, quantiles
from ..inputs.uncertain import Spec
from ..metrics import DEAL_EVENTS, METRICS, SUMMED, Metric, metric
from ..months import format_month, parse_month
from .build import SCHEMA, var
from .summary import QUANTILES, deal_rows, horizon_rows

COLUMNS = ["scenario", "metric", "date", "mean", "p5", "p25", "p50", "p75", "p95", "beyond_range"]
_SPEC = TypeAdapter(Spec)


class Results:
    """Distributions over time for each scenario; build with :func:`detente.simulate`, or read
    a saved run with :meth:`Results.from_netcdf`. ``dataset`` is the underlying xarray Dataset."""

    def __init__(self, dataset: xr.Dataset):
        if dataset.attrs.get("schema") != SCHEMA:
            raise InputError(f"not a Détente results dataset of schema {SCHEMA!r}", field="schema")
        self.dataset = dataset
        self.scenarios: list[str] = [str(s) for s in dataset["scenario"].values]
        self.months: list[str] = [format_month(parse_month(str(d)[:7])) for d in dataset["date"].values]
        self.regions: list[str] = [str(r) for r in dataset["region"].values] if "region" in dataset.coords else []
        self.facilities: list[str] = [str(f) for f in dataset["facility"].values]
        self.attrs: dict = dict(dataset.attrs)
        self._quantiles: dict[tuple, xr.DataArray] = {}  # read off the histograms once per metric and levels

    # -- what the run holds --------------------------------------------------------------
    @property
    def baseline(self) -> str | None:
        """The scenario paired differences are taken against, if any."""
        return self.attrs.get("baseline") or None

    @property
    def metrics(self) -> list[str]:
        """Every histogram metric (per-region ones as ``deliverable:<region>``)."""
        out = []
        for name, m in METRICS.items():
            if f"counts_{var(name)}" in self.dataset:
                out += [f"{name}:{r}" for r in self.regions] if m.per_region else [name]
        return out

    @property
    def horizon_metrics(self) -> list[str]:
        """Metrics with a value per sample at the horizon."""
        out = []
        for name in self.dataset.data_vars:
            if name.startswith("horizon_"):
                base = name.removeprefix("horizon_")
                per = METRICS[base].per
                out += [f"{base}:{x}" for x in self._labels(per)] if per else [base]
        return out

    @property
    def draws(self) -> dict[str, np.ndarray]:
        """Parameter → its draws for the first samples (those sensitivity analysis uses)."""
        draws = self.dataset["draws"]
        if draws.sizes["kept_sample"] == 0:
            return {}
        return {str(p): draws.values[i] for i, p in enumerate(draws["parameter"].values)}

    @property
    def specs(self) -> dict:
        """Parameter → its distribution spec (with sources or judgement basis)."""
        return {str(p): _SPEC.validate_python(json.loads(str(text)))
                for p, text in zip(self.dataset["parameter"].values, self.dataset["parameter_spec"].values,
                                   strict=True)}

    def _labels(self, per: str) -> list[str]:
        if per == "region":
            return self.regions
        return [str(x) for x in self.dataset[per].values] if per in self.dataset.coords else []

    @property
    def facility_names(self) -> dict[str, str]:
        """Facility id → its name (for plain parameter labels)."""
        return dict(zip(self.facilities, [str(n) for n in self.dataset["facility_name"].values], strict=True))

    @property
    def designs(self) -> list[str]:
        """The warhead designs the profile tracks (empty if none)."""
        return self._labels("design")

    def title(self, scenario: str) -> str:
        """A scenario's title in plain words (its name, for files written before titles were kept)."""
        if "scenario_title" not in self.dataset.coords:
            return scenario
        return str(self.dataset["scenario_title"].sel(scenario=scenario).values)

    def start(self, scenario: str) -> str:
        """A scenario's start month, ``"YYYY-MM"``."""
        return str(self.dataset["start"].sel(scenario=scenario).values)[:7]

    def has_deal(self, scenario: str) -> bool:
        return bool(self.dataset["has_deal"].sel(scenario=scenario))

    def has(self, metric_name: str, scenario: str) -> bool:
        """Whether ``scenario`` has a metric (the baseline has no paired difference)."""
        m = self._metric(metric_name)
        return not (m.paired and scenario == self.baseline)

    # -- reading distributions -------------------------------------------------------------
    def _metric(self, name: str) -> Metric:
        try:
            m = metric(name)
        except KeyError:
            m = None
        key = f"counts_{var(m.name)}" if m is not None else None
        if m is None or key not in self.dataset or (m.per_region and name.split(":")[-1] not in self.regions):
            raise InputError(f"unknown metric {name!r}; known: {', '.join(self.metrics)}", field="metric")
        return m

    def counts(self, name: str) -> xr.DataArray:
        """``scenario × date × bin`` histogram of a binned metric (samples per bin)."""
        m = self._metric(name)
        counts = self.dataset[f"counts_{var(m.name)}"]
        return counts.sel(region=name.split(":")[-1]) if m.per_region else counts

    def quantiles(self, name: str, qs: Sequence[float] = QUANTILES) -> xr.DataArray:
        """``scenario × date × quantile`` of a metric (NaN where a scenario lacks it, e.g. the
        baseline's own paired difference, or in months without any value)."""
        key = (name, tuple(qs))
        if key in self._quantiles:
            return self._quantiles[key].copy()
        m = self._metric(name)
        counts = self.counts(name)
        data = quantiles(counts.values, m.bins, np.asarray(qs), counts[counts.dims[-1]].values, _open_value(m))
        for i, s in enumerate(self.scenarios):
            if not self.has(name, s):
                data[i] = np.nan
        found = xr.DataArray(data, dims=("scenario", "date", "quantile"),
                             coords={"scenario": self.scenarios, "date": self.dataset["date"].values,
                                     "quantile": list(qs)},
                             name=name, attrs={"units": m.unit, "long_name": m.label})
        self._quantiles[key] = found
        return found.copy()

    def mean(self, name: str) -> xr.DataArray:
        """``scenario × date`` mean of a metric (kg from exact sums; a paired mean is the
        difference of the means)."""
        m = self._metric(name)
        plain = m.name.removeprefix("delta:")
        n = self.attrs["samples"]
        counts = self.counts(name)
        index = counts[counts.dims[-1]].values
        counts = counts.values
        if plain in SUMMED:
            total = self.dataset[f"sum_{plain}"].values.copy()
            if m.paired:
                total = total - self.dataset[f"sum_{plain}"].sel(scenario=self.baseline).values
            counted = counts.sum(axis=-1) > 0
            data = np.where(counted, total / n, np.nan)
        else:
            data = mean_from_counts(counts, m.bins, index, _open_value(m))
        for i, s in enumerate(self.scenarios):
            if not self.has(name, s):
                data[i] = np.nan
        return xr.DataArray(data, dims=("scenario", "date"),
                            coords={"scenario": self.scenarios, "date": self.dataset["date"].values},
                            name=name, attrs={"units": m.unit, "long_name": m.label})

    def horizon(self, name: str) -> xr.DataArray:
        """Per-sample value at the horizon, ``scenario × sample`` (NaN where a scenario lacks it).

        Metrics: the material ones, ``months_to_threshold`` (months from the scenario start until
        warheads possible reach the run's threshold; NaN if not by the horizon), with missiles
        ``icbm_reliability``, ``deliverable:<region>``, ``p_arrive:<region>``, and for deals
        ``months_halted``, ``deal_months`` (from the first phase to collapse; inf while in force),
        ``collapsed``, ``cheated`` and ``detected`` (0/1).
        """
        if name not in self.horizon_metrics:
            raise InputError(f"unknown metric {name!r}; known: {', '.join(self.horizon_metrics)}",
                             field="metric")
        base, _, label = name.partition(":")
        values = self.dataset[f"horizon_{base}"]
        values = values.sel({METRICS[base].per: label}) if label else values
        return values.rename(name)

    def probability(self, event: str) -> xr.DataArray:
        """``scenario × date`` share of samples with the deal ``in_force``, or that have
        ``cheated`` or been ``detected`` by each month (NaN for scenarios without a deal)."""
        if event not in DEAL_EVENTS:
            raise InputError(f"unknown event {event!r}; known: {', '.join(DEAL_EVENTS)}", field="event")
        share = self.dataset[f"deal_{event}"] / self.attrs["samples"]
        return share.where(self.dataset["has_deal"]).rename(f"p_{event}").assign_attrs(units="1")

    def p_design(self, design: str) -> xr.DataArray:
        """``scenario × date`` share of samples with a warhead design validated (NaN before the
        profile's data date, where scenarios have not yet branched)."""
        if design not in self.designs:
            raise InputError(f"unknown design {design!r}; known: {', '.join(self.designs) or 'none'}",
                             field="design")
        counts = self.dataset["design_validated"].sel(design=design)
        share = counts / self.attrs["samples"]
        return share.where(self._branched()).rename(f"p_design:{design}").assign_attrs(units="1")

    def delta_p_design(self, design: str, level: float = 0.9) -> xr.Dataset:
        """Paired change in P(design validated) vs the baseline, ``scenario × date``: ``change``
        and the ``low``/``high`` bounds of its ``level`` interval (Monte Carlo error of the paired
        difference: samples validated only here count +1, only in the baseline −1)."""
        if self.baseline is None or "design_gained" not in self.dataset:
            raise InputError("a paired change needs a baseline", field="baseline")
        self.p_design(design)  # checks the name
        n = self.attrs["samples"]
        gained = self.dataset["design_gained"].sel(design=design) / n
        lost = self.dataset["design_lost"].sel(design=design) / n
        change = gained - lost
        spread = np.sqrt(np.maximum(gained + lost - change**2, 0.0) / n) * norm.ppf(0.5 + level / 2)
        out = xr.Dataset({"change": change, "low": change - spread, "high": change + spread})
        keep = self._branched() & (self.dataset["scenario"] != self.baseline)
        return out.where(keep)

    def _branched(self) -> xr.DataArray:
        """Months from the branch on (where any sample was counted for the scenario)."""
        counts = self.counts("warheads_possible")
        return counts.sum(counts.dims[-1]) > 0

    def p_arrive(self, region: str) -> xr.DataArray:
        """``scenario × date`` chance that at least one warhead arrives in ``region``, in the
        months deliveries are evaluated (yearly from the scenario start, and the horizon; NaN
        elsewhere)."""
        if region not in self.regions:
            raise InputError(f"unknown region {region!r}; known: {', '.join(self.regions)}", field="region")
        share = self.dataset["sum_p_arrive"].sel(region=region) / self.attrs["samples"]
        counts = self.counts(f"deliverable:{region}")
        started = counts.sum(counts.dims[-1]) > 0
        return share.where(started).rename(f"p_arrive:{region}").assign_attrs(units="1")

    def reliable_icbm_month(self, level: float = 0.8, chance: float = 0.5) -> dict[str, str | None]:
        """First month in which P(ICBM reliability ≥ ``level``) exceeds ``chance``, per scenario
        (empty for a run without the missile model)."""
        if "icbm_reliability" not in self.metrics:
            return {}
        counts = self.counts("icbm_reliability")
        edges = counts[f"{counts.dims[-1]}_lower"].values
        counts = counts.values
        total = counts.sum(axis=-1)
        above = counts[..., edges >= level - 1e-12].sum(axis=-1)
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(total > 0, above / total, 0.0)
        out = {}
        for i, s in enumerate(self.scenarios):
            hit = np.flatnonzero(share[i] > chance)
            out[s] = self.months[hit[0]] if hit.size else None
        return out

    def beyond(self, name: str) -> xr.DataArray:
        """``scenario × date`` share of samples beyond a binned metric's histogram range (counted
        in an open end bin): where a quantile falls there it is NaN, and so is the mean."""
        m = self._metric(name)
        counts = self.counts(name)
        data = beyond(counts.values, m.bins, counts[counts.dims[-1]].values)
        if m.name == "breakout_months":
            data = np.zeros_like(data)  # the top bin is "never", a value, not a loss of range
        return xr.DataArray(data, dims=("scenario", "date"),
                            coords={"scenario": self.scenarios, "date": self.dataset["date"].values},
                            name=f"{name} beyond range", attrs={"units": "1", "long_name": (
                                f"share of samples beyond the histogram range of {m.label[0].lower()}{m.label[1:]}")})

    def overflowed(self) -> list[str]:
        """Binned metrics with samples beyond their histogram's range in some month (quantiles
        and means that depend on them are NaN there)."""
        return [name for name in self.metrics if bool((self.beyond(name).values > 0).any())]

    # -- tables ----------------------------------------------------------------------------
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
                raise InputError(f"{month} is outside the run ({self.months[0]} to {self.months[-1]})",
                                 field="dates")
            out.append(month)
        return out

    def summary(self, dates: Sequence[str] | None = None, metrics: Sequence[str] | None = None) -> pd.DataFrame:
        """Tidy table: scenario, metric, date, mean, p5, p25, p50, p75, p95, beyond_range.

        Binned metrics (and their paired ``delta:`` forms, scenario minus baseline) at each date;
        for deals ``p_in_force``, ``p_cheated``, ``p_detected`` (the share in ``mean``); at the
        horizon, per-sample metrics such as ``months_to_<N>_warheads`` and ``months_halted``.
        ``beyond_range`` is the share of samples beyond the histogram's range; a quantile that
        falls there, and then the mean, is NaN rather than a capped number.
        ``date`` is a datetime (the month's first day), as in :meth:`quantiles`;
        :meth:`summary_table` gives the same rows with ``"YYYY-MM"`` labels.
        """
        frame = self.summary_table(dates, metrics)
        return frame.assign(date=pd.to_datetime(frame["date"], format="%Y-%m"))

    def summary_table(self, dates: Sequence[str] | None = None, metrics: Sequence[str] | None = None) -> pd.DataFrame:
        """:meth:`summary` with dates as ``"YYYY-MM"`` labels: what JSON and CSV exports write."""
        dates = self.check_dates(dates)
        index = [self.months.index(d) for d in dates]
        rows = []
        for name in metrics or self.metrics:
            q = self.quantiles(name).values[:, index, :]
            mean = self.mean(name).values[:, index]
            out = self.beyond(name).values[:, index]
            for i, scenario in enumerate(self.scenarios):
                if not self.has(name, scenario):
                    continue
                rows += [[scenario, name, date, mean[i, j], *q[i, j], out[i, j]] for j, date in enumerate(dates)]
        if metrics is None:  # exact values: nothing beyond a range
            exact = deal_rows(self, dates, index) + (horizon_rows(self) if self.months[-1] in dates else [])
            rows += [[*row, 0.0] for row in exact]
        return pd.DataFrame(rows, columns=COLUMNS)

    def records(self, dates: Sequence[str] | None = None) -> list[dict]:
        """JSON-ready records ``{scenario, metric, date, mean, p5, …, p95, beyond_range}`` (null
        where a value is undefined, beyond the horizon, or beyond the histogram's range: see
        :meth:`beyond`)."""
        frame = self.summary_table(dates)
        return [{k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in row.items()}
                for row in frame.to_dict(orient="records")]

    def to_csv(self, path: str | Path, dates: Sequence[str] | None = None) -> Path:
        path = Path(path)
        self.summary_table(dates).to_csv(path, index=False, float_format="%.6g")
        return path

    def to_tidy_csv(self, path: str | Path, dates: Sequence[str] | None = None) -> Path:
        """Long-format CSV: scenario, metric, date, quantile, value (``mean`` as quantile "mean")."""
        frame = self.summary_table(dates)
        tidy = frame.melt(id_vars=["scenario", "metric", "date"], var_name="quantile", value_name="value")
        tidy["quantile"] = tidy["quantile"].map(
            {"mean": "mean", "p5": "0.05", "p25": "0.25", "p50": "0.5", "p75": "0.75", "p95": "0.95"})
        tidy = tidy.dropna(subset=["value"]).sort_values(["scenario", "metric", "date", "quantile"])
        path = Path(path)
        tidy.to_csv(path, index=False, float_format="%.6g")
        return path

    # -- files -----------------------------------------------------------------------------
    def quantile_dataset(self, qs: Sequence[float] = QUANTILES) -> xr.Dataset:
        """Quantiles (``<metric>``: scenario × [region ×] date × quantile), means (``<metric>_mean``)
        and the share beyond the histogram's range (``<metric>_beyond_range``, where the others are
        NaN) of every binned metric, for readers without Détente."""
        data = {}
        for name, m in METRICS.items():
            if f"counts_{var(name)}" not in self.dataset:
                continue
            names = [f"{name}:{r}" for r in self.regions] if m.per_region else [name]
            q = [self.quantiles(n, qs) for n in names]
            mean = [self.mean(n) for n in names]
            out = [self.beyond(n) for n in names]
            if m.per_region:
                q, mean, out = ([xr.concat(x, dim=xr.DataArray(self.regions, dims="region"))] for x in (q, mean, out))
            attrs = {"units": m.unit, "long_name": m.label, "derived": "from the histogram counts_" + var(name)}
            data[var(name)] = q[0].rename(None).assign_attrs(attrs)
            data[f"{var(name)}_mean"] = mean[0].rename(None).assign_attrs(attrs)
            data[f"{var(name)}_beyond_range"] = out[0].rename(None).assign_attrs(
                {**out[0].attrs, "derived": attrs["derived"]})
        found = xr.Dataset(data)
        if "quantile" in found.coords:
            found["quantile"].attrs.update(long_name="quantile of the samples", units="1")
        return found

    def to_netcdf(self, path: str | Path) -> Path:
        """Write the whole Dataset (NetCDF-4, compressed) and, for readers without Détente, the
        quantiles and means of every metric; return the path."""
        path = Path(path)
        full = xr.merge([self.dataset, self.quantile_dataset()], combine_attrs="override")
        encoding = {name: {"zlib": True, "complevel": 1} for name in full.data_vars
                    if full[name].dtype.kind in "iuf"}
        full.to_netcdf(path, engine="h5netcdf", encoding=encoding)
        return path

    @classmethod
    def from_netcdf(cls, path: str | Path) -> Results:
        """Read Results written by :meth:`to_netcdf` (every metric, coordinate and attribute)."""
        path = Path(path)
        if not path.is_file():
            raise InputError("no such file", file=str(path))
        try:
            with xr.open_dataset(path, engine="h5netcdf") as opened:
                dataset = opened.load()
        except (OSError, ValueError) as exc:
            raise InputError(f"not a NetCDF file Détente can read: {exc}", file=str(path)) from None
        if dataset.attrs.get("schema") != SCHEMA:
            raise InputError(f"not Détente results of schema {SCHEMA!r}", file=str(path))
        dataset = dataset.drop_vars([n for n in dataset.data_vars if "derived" in dataset[n].attrs])
        dataset = dataset.drop_dims([d for d in ("quantile",) if d in dataset.dims])
        for name in ("scenario", "scenario_title", "region", "parameter", "parameter_spec", "parameter_unit",
                     "region_name", "facility",
                     "facility_name", "design", "design_name", "missile_class"):
            if name in dataset.coords and dataset[name].dtype.kind == "O":
                dataset[name] = dataset[name].astype(str)
        return cls(dataset)

    # -- display ---------------------------------------------------------------------------
    def __repr__(self) -> str:
        a = self.attrs
        size = sum(v.nbytes for v in self.dataset.data_vars.values()) / 2**20
        return (f"<detente.Results {', '.join(self.scenarios)}; {a['samples']:,} samples, seed {a['seed']}, "
                f"{self.months[0]} to {self.months[-1]}; baseline {self.baseline or '—'}; "
                f"{len(self.metrics)} metrics; {size:,.0f} MiB>")

    def _repr_html_(self) -> str:
        """For notebooks: what each deal buys in one sentence, then the headline levels."""
        from .buys import answers

        found = answers(self) if self.baseline else []
        lead = "".join(f"<li>{html.escape(a.sentence())}</li>" for a in found)
        dates = [d for d in self.default_dates() if d >= min(self.start(s) for s in self.scenarios)][-4:]
        frame = self.summary_table(dates, metrics=["warheads_possible", "pu_kg", "heu_kg"])
        frame = frame.assign(**{"median (90 %)": [
            f"{r.p50:,.1f} ({r.p5:,.1f}–{r.p95:,.1f})" for r in frame.itertuples()]})
        table = frame.pivot_table(index=["scenario", "date"], columns="metric", values="median (90 %)",
                                  aggfunc="first")
        head = (f"<p><b>Détente results</b> — {self.attrs['samples']:,} samples, seed {self.attrs['seed']}, "
                f"{self.attrs['start']} to {self.attrs['horizon']}</p>")
        return head + (f"<p><b>What each deal buys</b></p><ul>{lead}</ul>" if lead else "") + table.to_html()

    def plot(self, what: str = "warheads_possible", ax=None, **options):
        """A chart of the run, with the credit line when it makes its own figure: ``"buys"``
        (warheads averted over time per deal), ``"exceedance"`` (chance of averting at least N;
        ``date=``), ``"map"`` (missile reach and arrival chances; ``date=``), or a metric's fan
        chart (``"pu_kg"``, ``"deliverable:guam"``, …; ``since=``). Returns the matplotlib Axes
        (the Figure for the map)."""
        from . import charts

        if what == "map":
            from .reach_map import reach_map

            drawn = reach_map(self, fig=ax, **options)
        elif what == "buys":
            drawn = charts.buys_chart(self, ax=ax)
        elif what == "exceedance":
            drawn = charts.exceedance_chart(self, ax=ax, **options)
        else:
            drawn = charts.fan_chart(self, what, ax=ax, **options)
        if ax is None:
            charts.credit(drawn, self.attrs)
        return drawn


def _open_value(m: Metric) -> float:
    """What a quantile in an open end bin reads as: breakout's top bin means "never" (∞);
    elsewhere the value is unknown (NaN)."""
    return np.inf if m.name == "breakout_months" else np.nan
