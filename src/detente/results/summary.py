"""The rows of ``Results.summary`` that are not read off a histogram: P(≥ 1 arrives), the deal
shares and P(design validated) at each date, and per-sample statistics at the horizon.
``results`` is a :class:`~detente.results.results.Results`."""

from __future__ import annotations

import numpy as np

from ..metrics import DEAL_EVENTS

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


def _stats(x: np.ndarray) -> list[float]:
    """Mean (NaN if any value is infinite) and the reported quantiles of per-sample values."""
    q = np.quantile(x, QUANTILES, method="inverted_cdf")
    mean = float(x.mean()) if np.isfinite(x).all() else np.nan
    return [mean, *q]


def deal_rows(results, dates: list[str], index: list[int]) -> list[list]:
    """P(≥ 1 arrives) per region, and the deal shares, at ``dates``."""
    rows = []
    blank = [np.nan] * len(QUANTILES)
    for region in results.regions:
        p = results.p_arrive(region).values[:, index]
        for i, scenario in enumerate(results.scenarios):
            rows += [[scenario, f"p_arrive:{region}", d, p[i, j], *blank]
                     for j, d in enumerate(dates) if not np.isnan(p[i, j])]
    for event in DEAL_EVENTS:
        p = results.probability(event).values[:, index]
        for i, scenario in enumerate(results.scenarios):
            if results.has_deal(scenario):
                rows += [[scenario, f"p_{event}", d, p[i, j], *blank] for j, d in enumerate(dates)]
    return rows + design_rows(results, dates, index)


def design_rows(results, dates: list[str], index: list[int]) -> list[list]:
    """P(design validated) per design at ``dates`` from the data date, and its paired change with
    the bounds of its 90 % interval in ``p5`` and ``p95`` (quartiles and median are undefined for
    a change in a probability)."""
    rows = []
    for design in results.designs:
        p = results.p_design(design).values[:, index]
        paired = results.delta_p_design(design) if results.baseline else None
        for i, scenario in enumerate(results.scenarios):
            for j, d in enumerate(dates):
                if np.isnan(p[i, j]):
                    continue
                rows.append([scenario, f"p_design:{design}", d, p[i, j], *[np.nan] * len(QUANTILES)])
                if paired is not None and scenario != results.baseline:
                    at = paired.isel(scenario=i, date=index[j])
                    rows.append([scenario, f"delta:p_design:{design}", d, float(at["change"]), float(at["low"]),
                                 np.nan, np.nan, np.nan, float(at["high"])])
    return rows


def horizon_rows(results) -> list[list]:
    """Per-sample summaries at the horizon: months to a reliable ICBM, to the threshold, of
    production halted and of the deal, with their paired changes."""
    rows = []
    end = results.months[-1]
    blank = [np.nan] * len(QUANTILES)
    base = results.baseline
    reliable = results.reliable_icbm_month()
    base_month = reliable.get(base) if base else None
    for scenario, month in reliable.items():
        start = results.start(scenario)
        value = np.nan if month is None else max(results.months.index(month) - results.months.index(start), 0)
        rows.append([scenario, "months_to_reliable_icbm", end, value, *blank])
        if base and scenario != base:
            later = np.inf if month is None else results.months.index(month)
            sooner = np.inf if base_month is None else results.months.index(base_month)
            rows.append([scenario, "delta:months_to_reliable_icbm", end, 0.0 if later == sooner else later - sooner,
                         *blank])
    n = results.attrs.get("threshold", 0)
    known = results.horizon_metrics
    labels = {"months_to_threshold": f"months_to_{n}_warheads", "months_halted": "months_halted",
              "deal_months": "deal_months", "crises": "crises",
              **{m: m for m in known if m.startswith(("flights:", "warheads_by_design:"))}}
    with_change = ("months_to_threshold", "crises", *(m for m in labels if m.startswith("flights:")))
    for metric, label in labels.items():
        if metric not in known:
            continue
        values = results.horizon(metric).values.astype(float)
        for i, scenario in enumerate(results.scenarios):
            x = values[i]
            if np.isnan(x).all():
                continue
            if metric == "months_to_threshold":
                x = np.where(np.isnan(x), np.inf, x)  # not reached by the horizon
            rows.append([scenario, label, end, *_stats(x)])
            if metric in with_change and base is not None and scenario != base:
                b = values[results.scenarios.index(base)]
                b = np.where(np.isnan(b), np.inf, b)
                with np.errstate(invalid="ignore"):
                    d = np.where(np.isinf(x) & np.isinf(b), 0.0, x - b)
                rows.append([scenario, f"delta:{label}", end, *_stats(d)])
    return rows
