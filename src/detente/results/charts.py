"""Charts for reports, slides and notebooks (matplotlib, object-oriented API): fan charts over
time, deal outcomes, what drives the result. Each returns its Axes; :func:`svg` inlines one in
HTML. Nothing here changes matplotlib's global state (backend or rcParams): a figure made
without ``ax`` is a plain :class:`matplotlib.figure.Figure`, never registered with pyplot."""

from __future__ import annotations

import functools
import io
import textwrap
from pathlib import Path

import matplotlib
import numpy as np
from matplotlib.figure import Figure

from ..metrics import metric as metric_of

STYLE = {"svg.fonttype": "none", "font.size": 9, "axes.spines.top": False, "axes.spines.right": False}
# Okabe & Ito's colour-blind-safe palette
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")


def label(name: str) -> str:
    m = metric_of(name)
    text = m.label
    if m.per_region:
        text = f"{text} to {name.rsplit(':', 1)[1].replace('_', ' ').upper()}"
    return f"{text} ({m.unit})" if m.unit == "kg" else text


def colours(names: list[str]) -> dict[str, str]:
    return {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(names)}


def styled(draw):
    """Run a drawing function under the charts' style, restoring the caller's rcParams after."""

    @functools.wraps(draw)
    def wrapper(*args, **kwargs):
        with matplotlib.rc_context(STYLE):
            return draw(*args, **kwargs)

    return wrapper


def new_axes(width: float, height: float):
    """Axes on a new Figure that pyplot does not track (so nothing leaks into a notebook)."""
    return Figure(figsize=(width, height), dpi=110).add_subplot()


def _starts(results) -> dict[str, np.datetime64]:
    return {s: np.datetime64(results.start(s), "M") for s in results.scenarios}


@styled
def fan_chart(results, metric: str, ax=None, since: str | None = None):
    """5–95 % and 25–75 % bands and the median of ``metric`` for every scenario."""
    if ax is None:
        ax = new_axes(7.2, 3.4)
    q = results.quantiles(metric)
    dates = np.array(results.months, dtype="datetime64[M]")
    keep = dates >= np.datetime64(since, "M") if since else np.ones(len(dates), bool)
    colour = colours(results.scenarios)
    for scenario in results.scenarios:
        band = q.sel(scenario=scenario).values[keep]
        ok = np.isfinite(band[:, 2])
        if not ok.any():
            continue
        x = dates[keep][ok].astype("datetime64[D]").astype(object)
        b = band[ok]
        c = colour[scenario]
        ax.fill_between(x, b[:, 0], b[:, 4], color=c, alpha=0.12, linewidth=0)
        ax.fill_between(x, b[:, 1], b[:, 3], color=c, alpha=0.25, linewidth=0)
        ax.plot(x, b[:, 2], color=c, linewidth=1.6, label=scenario, marker="o" if ok.sum() < 40 else None,
                markersize=3)
    for start in set(_starts(results).values()):
        if not since or start >= np.datetime64(since, "M"):
            ax.axvline(start.astype("datetime64[D]").astype(object), color="0.4", linestyle="--", linewidth=0.8)
    ax.set_title(label(metric), loc="left", fontsize=10)
    ax.set_ylim(bottom=0)
    ax.grid(axis="y", color="0.9")
    ax.legend(frameon=False, fontsize=8, loc="upper left")
    return ax


@styled
def backtest_chart(results, rows, metric: str, ax=None):
    """The history's 5–95 % and 25–75 % bands and median of ``metric`` (the first scenario: every
    scenario shares it) up to the data date, with each published range as an error bar coloured by
    publisher (``rows``: :func:`detente.analysis.backtest.score`'s per-observation table)."""
    if ax is None:
        ax = new_axes(7.2, 3.2)
    mine = rows[rows["metric"] == metric]
    q = results.quantiles(metric).sel(scenario=results.scenarios[0])
    dates = np.array(results.months, dtype="datetime64[M]")
    first = np.datetime64(min(mine["date"]), "M") - 24 if len(mine) else dates[0]
    keep = (dates >= first) & (dates <= np.datetime64(results.start(results.scenarios[0]), "M"))
    x = dates[keep].astype("datetime64[D]").astype(object)
    band = q.values[keep]
    ax.fill_between(x, band[:, 0], band[:, 4], color="0.55", alpha=0.18, linewidth=0, label="model 5–95 %")
    ax.fill_between(x, band[:, 1], band[:, 3], color="0.55", alpha=0.32, linewidth=0, label="model 25–75 %")
    ax.plot(x, band[:, 2], color="0.25", linewidth=1.4, label="model median")
    publishers = list(dict.fromkeys(mine["publisher"]))
    colour = colours(publishers)
    for k, publisher in enumerate(publishers):
        sub = mine[mine["publisher"] == publisher]
        when = (np.array(sub["date"], dtype="datetime64[M]").astype("datetime64[D]")
                + np.timedelta64(25 * k, "D")).astype(object)  # side by side when publishers share a month
        low = sub["low"].fillna(0.0).to_numpy(float)
        high = sub["high"].to_numpy(float)
        mid = np.where(np.isfinite(high), 0.5 * (low + high), low)
        ax.errorbar(when, mid, yerr=[mid - low, np.where(np.isfinite(high), high - mid, 0.0)], fmt="o",
                    markersize=3, capsize=2, color=colour[publisher], linewidth=1.1, label=publisher)
    ax.set_title(f"{label(metric)}: the history against published estimates", loc="left", fontsize=10)
    ax.set_ylim(bottom=0)
    ax.grid(axis="y", color="0.9")
    ax.legend(frameon=False, fontsize=7, loc="upper left", ncol=2)
    return ax


@styled
def probability_chart(results, event: str = "in_force", ax=None):
    """Share of samples with the deal in force (or cheated / detected) over time."""
    if ax is None:
        ax = new_axes(7.2, 3.0)
    p = results.probability(event)
    dates = np.array(results.months, dtype="datetime64[M]")
    colour = colours(results.scenarios)
    first = min(_starts(results).values())
    keep = dates >= first
    for scenario in results.scenarios:
        values = p.sel(scenario=scenario).values[keep]
        if np.isnan(values).all():
            continue
        ax.plot(dates[keep].astype("datetime64[D]").astype(object), values, color=colour[scenario], label=scenario)
    ax.set_ylim(0, 1.02)
    ax.set_title({"in_force": "P(deal still in force)", "cheated": "P(cheating has occurred)",
                  "detected": "P(cheating detected)"}[event], loc="left", fontsize=10)
    ax.grid(axis="y", color="0.9")
    ax.legend(frameon=False, fontsize=8)
    return ax


@styled
def sensitivity_chart(sensitivity, ax=None):
    """Horizontal bars of each listed input's indices: Sobol' total (and first-order) with their
    95 % intervals, or PAWN against its chance level."""
    table = sensitivity.table
    if ax is None:
        ax = new_axes(7.2, 0.3 * max(len(table), 1) + 1.0)
    y = np.arange(len(table))[::-1]
    names = list(table["input"])
    if sensitivity.method == "PAWN":
        ax.barh(y, table["PAWN"], color=PALETTE[0])
        if len(table):
            ax.axvline(float(table["threshold"].iloc[0]), color="0.4", linestyle=":", linewidth=1)
        ax.set_xlabel("PAWN index (median KS distance; dotted: the 1 % chance level)")
    else:
        ax.barh(y + 0.2, table["ST"], height=0.4, xerr=table["ST_conf"], color=PALETTE[0], label="total")
        ax.barh(y - 0.2, table["S1"], height=0.4, xerr=table["S1_conf"], color=PALETTE[1], label="first-order")
        ax.set_xlabel("Sobol' index (share of the outcome's variance; bars: 95 % intervals)")
        ax.legend(frameon=False, fontsize=8, loc="lower right")
    ax.set_yticks(y, names, fontsize=8)
    ax.axvline(0, color="0.3", linewidth=0.8)
    ax.set_title(textwrap.fill(f"What drives the {sensitivity.outcome}", 80), loc="left", fontsize=10)
    return ax


@styled
def sweep_chart(sweep, ax=None):
    """The median and 90 % interval of the outcome at each value of a lever (or each reading) and,
    below it (on a new figure), the paired change of the mean from the first value with ± 2 s.e."""
    table = sweep.table
    change = None
    if ax is None:
        fig = Figure(figsize=(7.2, 4.6), dpi=110)
        ax, change = fig.subplots(2, 1, sharex=True, height_ratios=(3, 2))
    x = np.arange(len(table))
    ax.fill_between(x, table["low"], table["high"], color=PALETTE[0], alpha=0.2, linewidth=0, label="90 % of samples")
    ax.plot(x, table["median"], marker="o", color=PALETTE[0], label="median")
    ax.errorbar(x, table["mean"], yerr=2 * table["mean_se"], fmt="none", ecolor="0.3", capsize=3,
                label="mean ± 2 Monte Carlo s.e.")
    ax.set_ylabel(textwrap.fill(sweep.outcome, 40), fontsize=8)
    ax.axhline(0, color="0.5", linewidth=0.8)
    ax.legend(frameon=False, fontsize=8)
    bottom = ax
    if change is not None:
        change.errorbar(x, table["change"], yerr=2 * table["change_se"], marker="o", color=PALETTE[5], capsize=3)
        change.axhline(0, color="0.5", linewidth=0.8)
        change.set_ylabel(textwrap.fill(f"mean change vs {table['value'].iloc[0]} (paired, ± 2 s.e.)", 30),
                          fontsize=8)
        bottom = change
    bottom.set_xticks(x, list(table["value"]), fontsize=8)
    bottom.set_xlabel(sweep.lever)
    return ax


@styled
def tradeoff_chart(discovery, ax=None):
    """PRIM's peeling trajectory: coverage against density, coloured by inputs restricted."""
    t = discovery.tradeoff
    if ax is None:
        ax = new_axes(5.6, 3.6)
    dots = ax.scatter(t["coverage"], t["density"], s=14, c=t["res_dim"], cmap="viridis")
    ax.figure.colorbar(dots, ax=ax, label="inputs restricted")
    for box in discovery.boxes[:1]:
        ax.scatter([box.coverage], [box.density], s=80, facecolors="none", edgecolors="k", label="box reported")
        ax.legend(frameon=False, fontsize=7, loc="lower left")
    ax.set_xlabel("coverage (share of the cases of interest inside the box)")
    ax.set_ylabel("density (share of the box that is of interest)")
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    ax.set_title(textwrap.fill(f"Where {discovery.condition}", 60), loc="left", fontsize=10)
    return ax


@styled
def robustness_chart(robustness, ax=None):
    """Each deal's mean regret (and, with a goal, the share of samples meeting it)."""
    t = robustness.table
    if ax is None:
        ax = new_axes(7.2, 0.35 * len(t) + 1.0)
    y = np.arange(len(t))[::-1]
    column = "satisficing" if "satisficing" in t else "mean_regret"
    ax.barh(y, t[column], color=PALETTE[2] if column == "satisficing" else PALETTE[5])
    ax.set_yticks(y, list(t["deal"]), fontsize=8)
    ax.set_xlabel(f"share of samples meeting: {robustness.goal}" if column == "satisficing"
                  else f"mean regret: {robustness.outcome}", fontsize=8)
    if column == "satisficing":
        ax.set_xlim(0, 1)
    return ax


@styled
def svg(ax_or_fig) -> str:
    """The figure as an inline <svg> element (no XML header)."""
    fig = getattr(ax_or_fig, "figure", ax_or_fig)
    fig.tight_layout()
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg")
    text = buffer.getvalue()
    return text[text.index("<svg"):]


@styled
def save(ax_or_fig, folder: Path | str, name: str) -> list[Path]:
    """Write PNG (200 dpi) and SVG files of a figure for slides."""
    fig = getattr(ax_or_fig, "figure", ax_or_fig)
    fig.tight_layout()
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"{name}.png", folder / f"{name}.svg"]
    fig.savefig(paths[0], dpi=200)
    fig.savefig(paths[1])
    return paths
