"""Analyses (sensitivity, discovery, sweeps, robustness) as a terminal table, plain words, a chart
and one self-contained HTML page — the same content for the CLI, the report and the web app."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from importlib import resources

import jinja2

from .._version import __version__
from ..analysis.discover import Discovery
from ..analysis.robust import Robustness
from ..analysis.sobol import Sensitivity
from ..analysis.sweep import Sweep
from ..results import charts

Analysis = Sensitivity | Discovery | Sweep | Robustness
MINUS = "\u2212"


def number(x: float, digits: int = 0) -> str:
    """A number with a true minus sign."""
    return f"{x:,.{digits}f}".replace("-", MINUS)


@dataclass(frozen=True)
class Presented:
    title: str
    lines: list[str]  # plain words, most important first
    header: list[str]
    rows: list[list[str]]


def _sensitivity(a: Sensitivity) -> Presented:
    t = a.table
    if a.method == "PAWN":
        rows = [[r.input, r.family, f"{r.PAWN:.3f}"] for r in t.itertuples()]
        header = ["input", "family", "PAWN"]
        lines = [f"PAWN indices of the {a.outcome}; {a.note}."]
    else:
        by_family = bool(len(t)) and (t["input"] == t["family"]).all()
        rows = [[r.input, *([] if by_family else [r.family]), f"{number(r.S1, 2)} ± {r.S1_conf:.2f}",
                 f"{number(r.ST, 2)} ± {r.ST_conf:.2f}"] for r in t.itertuples()]
        header = ["family" if by_family else "input", *([] if by_family else ["family"]), "first-order",
                  "total"]
        lines = [f"Sobol' indices of the {a.outcome}, from {a.runs:,} model runs: the share of its variance due "
                 "to each input alone (first-order) and with its interactions (total), ± the half-width of a "
                 "95 % bootstrap interval."]
        if len(t):
            top = t.iloc[0]
            lines.append(f"The largest total index is {top['input']} ({top['ST']:.0%} of the variance, ± "
                         f"{top['ST_conf']:.0%}). 'chance' is the months' random events — the part no assumption "
                         "decides.")
        lines.append("Inputs the outcome never changed with in any run are not listed"
                     + (f"; {a.note}." if a.note else "."))
    return Presented(f"What drives the {a.outcome}", lines, header, rows)


def _discovery(a: Discovery) -> Presented:
    lines = [f"{a.condition[0].upper()}{a.condition[1:]} in {a.share:.0%} of {a.samples:,} samples."]
    if a.boxes:
        lines += [box.describe(a.condition) for box in a.boxes]
    else:
        lines.append("No box of input ranges raises its share much: it turns on the months' chance events (when "
                     "and whether the deal breaks down) more than on any assumption.")
    rows = [[f"{i + 1}", "; ".join(f"{n} {r}" for n, r in b.ranges().items()),
             f"{b.coverage:.0%}", f"{b.density:.0%}", f"{b.mass:.0%}"] for i, b in enumerate(a.boxes)]
    return Presented(f"Where {a.condition}", lines, ["box", "input ranges", "coverage", "density", "mass"], rows)


def _sweep(a: Sweep) -> Presented:
    t = a.table
    rows = [[r.value, number(r.median), f"{number(r.low)} to {number(r.high)}", f"{number(r.mean, 1)} ± "
             f"{2 * r.mean_se:.1f}", f"{number(r.change, 1)} ± {2 * r.change_se:.1f}",
             "–" if r.p_in_force != r.p_in_force else f"{r.p_in_force:.0%}"] for r in t.itertuples()]
    lines = [f"{a.outcome[0].upper()}{a.outcome[1:]} for each value of {a.lever}, on shared draws "
             f"({a.samples:,} samples): rows differ by the lever alone, so the paired change from the first row is "
             "known far more precisely than each row's level."]
    if len(t) > 1:
        lines.append(f"Medians run from {number(t['median'].min())} to {number(t['median'].max())}; a typical 90 % "
                     f"interval is {number((t['high'] - t['low']).median())} wide.")
    return Presented(f"{a.lever}", lines, ["value", "median", "90 % of samples", "mean ± 2 s.e.",
                                           f"mean vs {t['value'].iloc[0]} (paired) ± 2 s.e.",
                                           "P(in force) at the horizon"], rows)


def _robustness(a: Robustness) -> Presented:
    t = a.table
    header = ["deal", "median", "mean regret", "90th-percentile regret", "best in"]
    rows = [[r.deal, number(r.median), number(r.mean_regret, 1), number(r.p90_regret, 1), f"{r.best_share:.0%}"]
            for r in t.itertuples()]
    if "satisficing" in t:
        header.append("meets the goal")
        for row, share in zip(rows, t["satisficing"], strict=True):
            row.append(f"{share:.0%}")
    lines = [f"Regret: per sample, how far each deal falls short of the best of these deals in that same sample, "
             f"on the {a.outcome}. 'Best in' counts ties for each deal tied."]
    if a.goal:
        lines.append(f"Goal: {a.goal}. {t.iloc[0]['deal']} meets it in {t.iloc[0]['satisficing']:.0%} of samples, "
                     "the most of these deals.")
    return Presented("Which deal holds up across futures", lines, header, rows)


def present(analysis: Analysis) -> Presented:
    """The analysis as a title, plain words, and a table of strings."""
    kind = {Sensitivity: _sensitivity, Discovery: _discovery, Sweep: _sweep, Robustness: _robustness}
    return kind[type(analysis)](analysis)


def as_json(analysis: Analysis) -> dict:
    """The analysis as JSON-ready data: title, findings (plain words) and its table's records
    (for scenario discovery, the boxes)."""
    shown = present(analysis)
    if isinstance(analysis, Discovery):
        table = [{"limits": {n: [lo, hi] for n, (lo, hi, _) in b.limits.items()}, "coverage": b.coverage,
                  "density": b.density, "mass": b.mass} for b in analysis.boxes]
    else:
        table = [{k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in row.items()}
                 for row in analysis.table.to_dict("records")]
    return {"title": shown.title, "findings": shown.lines, "table": table}


def chart(analysis: Analysis):
    """The analysis's chart (matplotlib Axes), or None if it has nothing to draw."""
    if isinstance(analysis, Sensitivity):
        return charts.sensitivity_chart(analysis) if len(analysis.table) else None
    if isinstance(analysis, Discovery):
        return charts.tradeoff_chart(analysis) if len(analysis.tradeoff) else None
    if isinstance(analysis, Sweep):
        return charts.sweep_chart(analysis)
    return charts.robustness_chart(analysis)


def render_analysis(analysis: Analysis, command: str) -> str:
    """One self-contained HTML page of the analysis (chart inline as SVG)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(resources.files("detente.report") / "templates")),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
    )
    ax = chart(analysis)
    return env.get_template("analysis.html.j2").render(
        shown=present(analysis), svg=charts.svg(ax) if ax is not None else "", command=command,
        version=__version__, generated=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"))
