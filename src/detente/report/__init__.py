"""One self-contained HTML report of a run: fan charts, what each deal buys, deal outcomes,
what drives the result, every assumption with its source, and how to reproduce the numbers.
Charts are inline SVG; the file makes no network request."""

from __future__ import annotations

import datetime as dt
import html
from importlib import resources
from pathlib import Path

import jinja2
import numpy as np

from ..analysis.sensitivity import rank_importance
from ..bibliography import load_bibliography
from ..months import format_month
from . import charts

CORE = ("warheads_possible", "pu_kg", "heu_kg")


def _fmt(x: float, digits: int = 0) -> str:
    if x is None or not np.isfinite(x):
        return "–"
    return f"{x + 0.0:,.{digits}f}"


def _interval(row, scale: float = 1.0, digits: int = 0) -> str:
    lo, mid, hi = row["p5"] * scale, row["p50"] * scale, row["p95"] * scale
    if scale < 0:
        lo, hi = hi, lo
    return f"{_fmt(mid, digits)} ({_fmt(lo, digits)}–{_fmt(hi, digits)})"


def _horizons(results) -> list[str]:
    starts = [item.split("=")[1] for item in results.attrs["scenario_starts"].split(",")]
    first = min(starts)
    year = int(first[:4])
    wanted = [f"{year + 5}{first[4:]}", f"{year + 10}{first[4:]}", results.months[-1]]
    return [d for d in dict.fromkeys(wanted) if d in results.months]


def _buys(results, dates: list[str]) -> list[dict]:
    frame = results.summary(dates)
    rows = []
    for date in dates:
        for scenario in results.scenarios:
            mine = frame[(frame.scenario == scenario) & (frame.date == date)].set_index("metric")
            row = {"date": date, "scenario": scenario}
            row["warheads"] = _interval(mine.loc["warheads_possible"])
            row["averted"] = (_interval(mine.loc["delta:warheads_possible"], -1.0)
                              if "delta:warheads_possible" in mine.index else "–")
            row["pu"] = _interval(mine.loc["pu_kg"], digits=1)
            row["heu"] = _interval(mine.loc["heu_kg"])
            for event in ("in_force", "cheated", "detected"):
                key = f"p_{event}"
                row[event] = f"{mine.loc[key, 'mean']:.0%}" if key in mine.index else "–"
            rows.append(row)
    return rows


def _regions(results, date: str) -> list[dict]:
    frame = results.summary([date])
    rows = []
    for region in results.attrs.get("regions", "").split(","):
        row = {"region": region.replace("_", " ").upper(), "cells": []}
        for scenario in results.scenarios:
            mine = frame[(frame.scenario == scenario)].set_index("metric")
            key = f"deliverable:{region}"
            if key not in mine.index or not np.isfinite(mine.loc[key, "p50"]):
                row["cells"].append("–")
                continue
            text = f"{_interval(mine.loc[key], digits=1)} · P(≥1) {mine.loc[f'p_arrive:{region}', 'mean']:.0%}"
            if f"delta:{key}" in mine.index:
                text += f" · Δ {_interval(mine.loc[f'delta:{key}'], digits=1)}"
            row["cells"].append(text)
        rows.append(row)
    return rows


def _appendix(results) -> list[dict]:
    sources = load_bibliography().by_id()
    rows = []
    for name, spec in results.specs.items():
        lo, hi = spec.quantile(0.05), spec.quantile(0.95)
        span = (f"{format_month(round(lo))} – {format_month(round(hi))}" if spec.unit == "month"
                else f"{lo:.4g} – {hi:.4g}")
        cites = []
        for sid in spec.source:
            src = sources.get(sid)
            if src is None:
                cites.append(html.escape(sid))
            elif src.url:
                cites.append(f'<a href="{html.escape(src.url)}">{html.escape(src.citation())}</a>')
            else:
                cites.append(html.escape(src.citation()))
        judgement = spec.basis if spec.judgement else ""
        note = "" if spec.judgement else spec.basis or ""
        rows.append({"name": name, "dist": spec.describe(), "range": span, "sources": cites,
                     "judgement": judgement, "note": note})
    return rows


def build(results, title: str | None = None, figures: Path | None = None) -> dict:
    """Everything the template shows; with ``figures``, also write each chart as PNG and SVG."""
    since = str(int(results.attrs["start"][:4]) + 20) + "-01" if results.attrs["start"] < "2000" else None
    chart_list = []

    def add(kind: str, key: str, ax, caption: str) -> None:
        if figures is not None:
            charts.save(ax, figures, key.replace(":", "-"), close=False)
        chart_list.append({"kind": kind, "key": key, "svg": charts.svg(ax), "caption": caption})

    for metric in CORE:
        add("fan", metric, charts.fan_chart(results, metric),
            "Median (line), 25–75 % (dark band) and 5–95 % (light band) across samples; dashed: deal start.")
    for region in results.attrs.get("regions", "").split(","):
        if region:
            add("fan", f"deliverable:{region}", charts.fan_chart(results, f"deliverable:{region}", since=since),
                "Expected warheads arriving if the whole force were aimed there, evaluated each January.")
    add("fan", "icbm_reliability", charts.fan_chart(results, "icbm_reliability", since=since),
        "Chance an ICBM delivers its warhead in a test: flight reliability × re-entry.")
    deals = [s for s in results.scenarios if "deal_months" in results.horizon_values[s]]
    if deals:
        for event in ("in_force", "cheated", "detected"):
            add("outcome", f"p_{event}", charts.probability_chart(results, event), "Share of samples.")
    drivers = []
    for scenario in results.scenarios:
        ranked, what = rank_importance(results, scenario)
        if ranked:
            add("drivers", f"drivers:{scenario}",
                charts.importance_chart([n for n, _ in ranked], np.array([r for _, r in ranked]),
                                        f"{scenario}: what drives the {what}"),
                f"Spearman rank correlation over the first {len(next(iter(results.draws.values()))):,} samples.")
            drivers.append(scenario)
    horizons = _horizons(results)
    reliable = results.reliable_icbm_month()
    return {
        "title": title or "Détente: " + ", ".join(results.scenarios),
        "scenarios": results.scenarios,
        "baseline": results.baseline,
        "attrs": results.attrs,
        "charts": chart_list,
        "buys": _buys(results, horizons),
        "horizons": horizons,
        "regions": _regions(results, results.months[-1]),
        "reliable": reliable,
        "appendix": _appendix(results),
        "generated": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def render_report(results, title: str | None = None, figures: Path | None = None) -> str:
    """The report as one self-contained HTML page."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(resources.files("detente.report") / "templates")),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
    )
    return env.get_template("report.html.j2").render(**build(results, title, figures))


def write_report(results, path: Path | str, title: str | None = None, figures: Path | None = None) -> Path:
    """Write the report (and, with ``figures``, PNG and SVG charts) and return its path."""
    path = Path(path)
    path.write_text(render_report(results, title, figures), encoding="utf-8")
    return path
