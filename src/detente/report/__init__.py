"""One self-contained HTML report of a run: fan charts, what each deal buys, deal outcomes,
what drives the result, every assumption with its source, and how to reproduce the numbers.
Charts are inline SVG; the file makes no network request."""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import replace
from importlib import resources
from pathlib import Path

import jinja2

from ..analysis.backtest import score
from ..analysis.outcome import Outcome
from ..analysis.pawn import pawn
from ..analysis.robust import robustness_of
from ..api import observations
from ..inputs.bibliography import load_bibliography
from ..metrics import DEAL_EVENTS
from ..results import charts, tables
from .analysis import present

CORE = ("warheads_possible", "pu_kg", "heu_kg")
TOP_DRIVERS = 12


def _appendix(results) -> list[dict]:
    sources = load_bibliography().by_id()
    rows = []
    specs = results.specs
    for table_row in tables.parameter_rows(specs):
        name = table_row["parameter"]
        spec = specs[name]
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
        rows.append({"name": name, "dist": table_row["distribution"], "range": table_row["range90"], "sources": cites,
                     "judgement": judgement, "note": note})
    return rows


def build(results, title: str | None = None, figures: Path | None = None) -> dict:
    """Everything the template shows; with ``figures``, also write each chart as PNG and SVG."""
    since = str(int(results.attrs["start"][:4]) + 20) + "-01" if results.attrs["start"] < "2000" else None
    chart_list = []

    def add(kind: str, key: str, ax, caption: str) -> None:
        if figures is not None:
            charts.save(ax, figures, key.replace(":", "-"))
        chart_list.append({"kind": kind, "key": key, "svg": charts.svg(ax), "caption": caption})

    for metric in CORE:
        add("fan", metric, charts.fan_chart(results, metric),
            "Median (line), 25–75 % (dark band) and 5–95 % (light band) across samples; dashed: deal start.")
    for region in results.regions:
        add("fan", f"deliverable:{region}", charts.fan_chart(results, f"deliverable:{region}", since=since),
            "Expected warheads arriving if the whole force were aimed there, evaluated each January.")
    if "icbm_reliability" in results.metrics:
        add("fan", "icbm_reliability", charts.fan_chart(results, "icbm_reliability", since=since),
            "Chance an ICBM delivers its warhead in a test: flight reliability × re-entry.")
    if "crisis_per_year" in results.metrics:
        add("threat", "crisis_per_year", charts.fan_chart(results, "crisis_per_year", since=since),
            "Expected militarised crises a year on the peninsula, evaluated each January from the start.")
    own = results.attrs.get("observations_file", "")  # the run's own file, else the profile's bundled ones
    known = observations(own or "profile", profile=results.attrs["profile"]) if results.attrs["start"] <= "1994-01" \
        else None
    backtest = None
    if known is not None:  # the replay of the history against the published estimates
        rows, months = score(results, known)
        for metric in ("pu_kg", "heu_kg", "warheads_possible"):
            add("backtest", f"backtest:{metric}", charts.backtest_chart(results, rows, metric),
                "Grey: the model's history (median, 25–75 % and 5–95 %); bars: published ranges by publisher.")
        backtest = {"coverage": rows["covered"].mean(), "centre": rows["centre"].mean(),
                    "sharpness": months["sharp"].mean(), "observations": len(rows), "months": len(months),
                    "file": known.describe()}
    deals = [s for s in results.scenarios if results.has_deal(s)]
    if deals:
        for event in DEAL_EVENTS:
            add("outcome", f"p_{event}", charts.probability_chart(results, event), "Share of samples.")
    for scenario in results.scenarios:
        found = pawn(results, scenario)
        if len(found.table):
            top = replace(found, table=found.table.head(TOP_DRIVERS), outcome=f"{found.outcome} ({scenario})")
            add("drivers", f"drivers:{scenario}", charts.sensitivity_chart(top),
                f"PAWN index of each input over {found.note}; only inputs that can affect this scenario are "
                f"tried. The top {TOP_DRIVERS} of {len(found.table)} listed. Sobol' indices: detente analyze "
                "sensitivity.")
    robust = None
    if results.baseline is not None and len(deals) >= 2:  # regret of each deal against the best, sample by sample
        found = robustness_of(results, deals, Outcome("warheads_possible", True, None))
        shown = present(found)
        robust = {"lines": shown.lines, "header": shown.header, "rows": shown.rows,
                  "deals": found.table["deal"].tolist()}
    horizons = tables.compare_dates(results)
    reliable = results.reliable_icbm_month()
    summary = tables.Summary(results, sorted({*horizons, results.months[-1]}))
    return {
        "title": title or "Détente: " + ", ".join(results.scenarios),
        "scenarios": results.scenarios,
        "baseline": results.baseline,
        "attrs": results.attrs,
        "charts": chart_list,
        "buys": tables.buys(results, horizons, summary),
        "horizons": horizons,
        "regions": [{"region": r["region"].replace("_", " ").upper(),
                     "cells": [c["text"] + (f" · Δ {c['delta']}" if c["delta"] else "") for c in r["cells"]]}
                    for r in tables.regions(results, results.months[-1], summary)],
        "reliable": reliable,
        "designs": results.designs,
        "threat": tables.threat(results, summary),
        "appendix": _appendix(results),
        "backtest": backtest,
        "robust": robust,
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
