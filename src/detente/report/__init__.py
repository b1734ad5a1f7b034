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
import numpy as np

from ..analysis.backtest import score
from ..analysis.outcome import Outcome
from ..analysis.pawn import pawn
from ..analysis.robust import robustness_of
from ..api import observations
from ..inputs.bibliography import load_bibliography
from ..metrics import DEAL_EVENTS
from ..results import buys, charts, palette, tables
from ..results.reach_map import reach_map
from .analysis import present

CORE = ("warheads_possible", "pu_kg", "heu_kg")
TOP_DRIVERS = 12


def _appendix(results) -> list[dict]:
    sources = load_bibliography().by_id()
    rows = []
    specs = results.specs
    for table_row in tables.parameter_rows(specs, results.facility_names):
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
        rows.append({"name": name, "label": table_row["label"], "unit": table_row["unit"],
                     "dist": table_row["distribution"], "range": table_row["range90"], "sources": cites,
                     "judgement": judgement, "note": note})
    return rows


def _same_panels(results, regions: list[str]) -> list[list[str]]:
    """Regions grouped where their deliverable-warhead quantiles are identical (one chart each)."""
    groups: list[tuple[np.ndarray, list[str]]] = []
    for region in regions:
        q = results.quantiles(f"deliverable:{region}").values
        for values, names in groups:
            if np.array_equal(values, q, equal_nan=True):
                names.append(region)
                break
        else:
            groups.append((q, [region]))
    return [names for _, names in groups]


def _region_names(regions: list[str]) -> str:
    return ", ".join(r.replace("_", " ").upper() for r in regions)


def build(results, title: str | None = None, figures: Path | None = None) -> dict:
    """Everything the template shows; with ``figures``, also write each chart as PNG and SVG
    (each with the credit line)."""
    chart_list = []

    def add(kind: str, key: str, ax, caption: str) -> None:
        charts.credit(ax, results.attrs)
        if figures is not None:
            charts.save(ax, figures, key.replace(":", "-"))
        chart_list.append({"kind": kind, "key": key, "svg": charts.svg(ax, caption), "caption": caption})

    colour = palette.colours(results.scenarios, results.baseline)
    answers = buys.answers(results) if results.baseline else []
    if answers:
        add("buys", "buys", charts.buys_chart(results),
            f"Warheads' worth of material averted: {results.baseline} − deal on the same draws, each January "
            "from the deal start and at the horizon. Dot: median; thick bar: 25–75 % of futures; thin: 5–95 %.")
        add("buys", "exceedance", charts.exceedance_chart(results, answers[0].date),
            f"Share of modelled futures in which the deal averts at least N warheads' worth of material by "
            f"{answers[0].date}. The drop from N = 0 to 1 is the futures in which it averts nothing (it collapsed "
            "early, or its limits did not bind).")
    fan = "Grey: the shared history. From the deal start: median (line), 25–75 % (dark band) and 5–95 % " \
          "(light band) of futures; dashed: the baseline's median."
    for metric in CORE:
        add("fan", metric, charts.fan_chart(results, metric), fan)
    for group in _same_panels(results, results.regions):
        key = "deliverable:" + "+".join(group)
        add("fan", key, charts.fan_chart(results, f"deliverable:{group[0]}",
                                         title=f"{charts.label('deliverable')} to {_region_names(group)}"),
            "Expected warheads arriving if the whole force were aimed there, evaluated each January."
            + (f" Identical for {_region_names(group)}, so shown once." if len(group) > 1 else ""))
    if results.regions:
        add("map", "reach_map", reach_map(results),
            "Range of each missile class's longest-range type from the launch site (ring: median; band: 5–95 %), "
            "on an azimuthal equidistant map centred there, and the chance at least one warhead arrives in each "
            "target region at the date shown, for the baseline and up to two deals. Coastlines: GSHHG "
            "(Wessel and Smith), crude resolution.")
    if "icbm_reliability" in results.metrics:
        add("fan", "icbm_reliability", charts.fan_chart(results, "icbm_reliability"),
            "Chance an ICBM delivers its warhead in a test: flight reliability × re-entry.")
    if "crisis_per_year" in results.metrics:
        add("threat", "crisis_per_year", charts.fan_chart(results, "crisis_per_year"),
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
            top = replace(found, table=found.table.head(TOP_DRIVERS), outcome=f"{found.outcome}, {scenario}")
            shown = (f"The top {TOP_DRIVERS} of the {len(found.table)} inputs listed" if len(found.table) > TOP_DRIVERS
                     else f"All {len(found.table)} inputs above the chance level")
            add("drivers", f"drivers:{scenario}", charts.sensitivity_chart(top, owners=results.facility_names,
                                                                           colour=colour[scenario]),
                f"PAWN index of each input over {found.note}; only inputs that can affect this scenario are "
                f"tried. {shown}. Sobol' indices: detente analyze sensitivity.")
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
        "answers": [{"scenario": a.scenario, "title": a.title, "sentence": a.sentence(), "colour": colour[a.scenario]}
                    for a in answers],
        "answer_date": answers[0].date if answers else None,
        "colours": colour,
        "buys": tables.buys(results, horizons, summary),
        "horizons": horizons,
        "regions": [{"region": r["region"].replace("_", " ").upper(),
                     "cells": [c["text"] + (f" · Δ {c['delta']}" if c["delta"] else "") for c in r["cells"]]}
                    for r in tables.regions(results, results.months[-1], summary)],
        "reliable": reliable,
        "beyond_range": tables.beyond_range(results),
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
