"""The tables every face shows — what each deal buys, deliverable warheads by region, the
comparison dates, the parameter table — and the number formats they share. The CLI, the report
and the web app take their tables from here."""

from __future__ import annotations

import math

from ..metrics import DEAL_EVENTS, metric
from ..months import format_month, parse_month
from ..parameters import describe
from .results import Results


# -- notes -----------------------------------------------------------------------------------
def beyond_range(results: Results) -> list[str]:
    """A sentence per binned metric with samples beyond its histogram's range: from when, how
    many at most, and that the quantiles and means depending on them are left blank."""
    notes = []
    for name in results.overflowed():
        share = results.beyond(name).values.max(axis=0)  # the largest share over scenarios, by month
        first = results.months[int((share > 0).argmax())]
        m = metric(name)
        notes.append(f"{m.label} ({name}): from {first}, up to {share.max():.1%} of samples lie beyond the range its "
                     f"histogram counts exactly; quantiles and means that depend on them are left blank "
                     "(null in JSON and CSV) rather than shown at the cap.")
    return notes


# -- number formats ------------------------------------------------------------------------
def number(value: float | None, unit: str = "") -> str:
    """A value as a reader wants it: whole warheads and months, kg to 3 significant figures
    (one decimal below 100), shares to two decimals, negatives with a true minus sign; "–" for
    undefined or beyond the horizon."""
    if value is None or not math.isfinite(value):
        return "–"
    value = value + 0.0  # no "-0"
    if unit == "share":
        text = f"{value:.2f}"
    elif unit in ("months", "warheads"):
        text = f"{value:,.0f}"
    else:
        text = f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.1f}"
    if text.startswith("-") and not any(c in "123456789" for c in text):
        text = text[1:]  # "-0.0" after rounding is 0
    return text.replace("-", "−")  # a true minus sign


def interval(row, unit: str = "", scale: float = 1.0) -> str:
    """``median (p5–p95)`` of a summary row; ``scale`` −1 flips a paired difference into what a
    deal averts."""
    if row is None:
        return "–"
    lo, mid, hi = row["p5"] * scale, row["p50"] * scale, row["p95"] * scale
    if scale < 0:
        lo, hi = hi, lo
    dash = " to " if lo < 0 or hi < 0 else "–"  # an en dash only between unsigned numbers
    return f"{number(mid, unit)} ({number(lo, unit)}{dash}{number(hi, unit)})"


def percent(value: float | None) -> str:
    return "–" if value is None or not math.isfinite(value) else f"{value:.0%}"


# -- dates ---------------------------------------------------------------------------------
def compare_dates(results: Results) -> list[str]:
    """5 and 10 years after the earliest scenario start, and the horizon."""
    start = min(parse_month(results.start(s)) for s in results.scenarios)
    wanted = [format_month(start + 60), format_month(start + 120), results.months[-1]]
    return [d for d in dict.fromkeys(wanted) if d in results.months]


def report_dates(results: Results) -> list[str]:
    """Every January, the comparison dates and the horizon, in order."""
    return sorted(set(results.default_dates()) | set(compare_dates(results)))


def evaluated(results: Results, date: str) -> bool:
    """Whether deliveries were evaluated in ``date`` (each January from the start, the horizon)."""
    if not results.regions:
        return False
    counts = results.counts(f"deliverable:{results.regions[0]}").values[0]
    return bool(counts[results.months.index(date)].sum() > 0)


# -- what each deal buys ---------------------------------------------------------------------
class Summary:
    """Rows of ``results.summary_table(dates)`` by (scenario, metric, date)."""

    def __init__(self, results: Results, dates: list[str]):
        frame = results.summary_table(dates)
        self.frame = frame
        self.rows = {(r["scenario"], r["metric"], r["date"]): r for r in frame.to_dict(orient="records")}

    def get(self, scenario: str, metric: str, date: str) -> dict | None:
        return self.rows.get((scenario, metric, date))


def buys(results: Results, dates: list[str], summary: Summary | None = None) -> list[dict]:
    """What each deal buys at each date: warheads possible, warheads averted (paired), Pu, HEU
    and the deal shares, as formatted cells."""
    summary = summary or Summary(results, dates)
    rows = []
    for date in dates:
        for scenario in results.scenarios:
            def get(metric, scenario=scenario, date=date):
                return summary.get(scenario, metric, date)

            row = {"date": date, "scenario": scenario,
                   "warheads": interval(get("warheads_possible"), "warheads"),
                   "averted": interval(get("delta:warheads_possible"), "warheads", -1.0),
                   "pu": interval(get("pu_kg"), "kg"), "heu": interval(get("heu_kg"), "kg"),
                   "breakout": interval(get("breakout_months"), "kg")}
            for event in DEAL_EVENTS:
                share = get(f"p_{event}")
                row[event] = percent(share["mean"]) if share else "–"
            rows.append(row)
    return rows


def to_horizon(results: Results, summary: Summary | None = None) -> list[dict]:
    """Months until the threshold, the delay versus the baseline, months of production halted
    and how long the deal lasted, per scenario."""
    end = results.months[-1]
    summary = summary or Summary(results, [end])
    n = results.attrs["threshold"]
    rows = []
    for scenario in results.scenarios:
        cells = {key: interval(summary.get(scenario, metric, end), "months") for key, metric in (
            ("to_n", f"months_to_{n}_warheads"), ("delay", f"delta:months_to_{n}_warheads"),
            ("halted", "months_halted"), ("lasted", "deal_months"))}
        rows.append({"scenario": scenario, **cells})
    return rows


def threat(results: Results, summary: Summary | None = None) -> list[dict]:
    """At the horizon, per scenario: P(each warhead design validated) with its paired change
    (90 % interval), expected militarised crises from the start with the change, and expected
    ICBM flight tests with the change; cells formatted."""
    end = results.months[-1]
    summary = summary or Summary(results, [end])
    rows = []
    for scenario in results.scenarios:
        designs, short = [], []
        for design in results.designs:
            p = summary.get(scenario, f"p_design:{design}", end)
            d = summary.get(scenario, f"delta:p_design:{design}", end)
            text = percent(p["mean"]) if p else "–"
            short.append(text + (f" ({signed_percent(d['mean'])})" if d else ""))
            if d:
                text += f" (Δ {signed_percent(d['mean'])}; {signed_percent(d['p5'])} to {signed_percent(d['p95'])})"
            designs.append(text)
        cells = {key: interval(summary.get(scenario, metric, end)) for key, metric in (
            ("crises", "crises"), ("crises_change", "delta:crises"), ("icbm_flights", "flights:icbm"),
            ("icbm_flights_change", "delta:flights:icbm"))}
        rows.append({"scenario": scenario, "designs": designs, "designs_short": short, **cells})
    return rows


def signed_percent(value: float | None) -> str:
    """A change in a probability in percentage points, with a true minus sign."""
    if value is None or not math.isfinite(value):
        return "–"
    points = round(100 * value + 0.0)
    return f"{points:+d} pp".replace("-", "−")


def regions(results: Results, date: str, summary: Summary | None = None) -> list[dict]:
    """Deliverable warheads by region at ``date``: expected number (median, 90 %), P(≥ 1
    arrives) and the paired change, one cell per scenario."""
    summary = summary or Summary(results, [date])
    rows = []
    for region in results.regions:
        cells = []
        for scenario in results.scenarios:
            row = summary.get(scenario, f"deliverable:{region}", date)
            if row is None or not math.isfinite(row["p50"]):
                cells.append({"text": "–", "delta": None})
                continue
            arrive = summary.get(scenario, f"p_arrive:{region}", date)
            delta = summary.get(scenario, f"delta:deliverable:{region}", date)
            text = interval(row, "kg") + (f" · P(≥1) {percent(arrive['mean'])}" if arrive else "")
            cells.append({"text": text, "delta": interval(delta, "kg") if delta else None})
        rows.append({"region": region, "cells": cells})
    return rows


# -- the parameter table ---------------------------------------------------------------------
def parameter_rows(specs: dict, owners: dict[str, str] | None = None) -> list[dict]:
    """Every uncertain input: plain label, unit, distribution, 90 % range, sources and judgement
    basis (``owners``: facility id → name, for the labels)."""
    rows = []
    for name, spec in specs.items():
        about = describe(name, owners, spec.unit)
        lo, hi = spec.quantile(0.05), spec.quantile(0.95)
        span = (f"{format_month(round(lo))} – {format_month(round(hi))}" if spec.unit == "month"
                else f"{lo:.4g} – {hi:.4g}")
        basis = []
        if spec.source:
            basis.append("sources: " + ", ".join(spec.source))
        if spec.judgement:
            basis.append(f"judgement: {spec.basis}")
        elif spec.basis:
            basis.append(spec.basis)
        rows.append({"parameter": name, "label": about.label, "unit": about.unit, "distribution": spec.describe(),
                     "range90": span,
                     "sources": list(spec.source), "judgement": spec.judgement, "basis": "; ".join(basis)})
    return rows
