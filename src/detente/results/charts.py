"""Charts for reports, slides and notebooks (matplotlib, object-oriented API): fan charts over
time, deal outcomes, what drives the result. Each returns its Axes; :func:`svg` inlines one in
HTML. Nothing here changes matplotlib's global state (backend or rcParams): a figure made
without ``ax`` is a plain :class:`matplotlib.figure.Figure`, never registered with pyplot."""

from __future__ import annotations

import functools
import html
import io
import textwrap
from pathlib import Path

import matplotlib
import numpy as np
from matplotlib.dates import AutoDateLocator, DateFormatter
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import PercentFormatter

from ..metrics import metric as metric_of
from ..parameters import describe
from .palette import BASELINE, HISTORY, PALETTE, colours

# publishers of published estimates: Okabe and Ito's colours, apart from the scenario palette
PUBLISHERS = ("#000000", "#E69F00", "#56B4E9", "#009E73", "#CC79A7", "#0072B2", "#D55E00", "#999999")
STYLE = {"svg.fonttype": "none", "font.size": 9, "axes.spines.top": False, "axes.spines.right": False}
CREDIT = "credit"  # gid of the credit line on a figure


def label(name: str) -> str:
    """A metric's plain label (per-region ones name the region)."""
    m = metric_of(name)
    text = m.label
    if m.per_region and ":" in name:
        text = f"{text} to {name.rsplit(':', 1)[1].replace('_', ' ').upper()}"
    return text


def axis_label(name: str) -> str:
    """The y-axis label of a metric: its unit in words."""
    if name == "warheads_possible":
        return "warheads' worth of material"
    unit = metric_of(name).unit
    return {"1": "probability", "kg": "kg", "months": "months"}.get(unit, unit)


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


def credit(fig_or_ax, attrs: dict) -> None:
    """Add the credit line (Détente version, seed, samples, data date) at the figure's foot."""
    fig = getattr(fig_or_ax, "figure", fig_or_ax)
    if any(t.get_gid() == CREDIT for t in fig.texts):
        return
    data = f" · data to {attrs['data_date']}" if attrs.get("data_date") else ""
    fig.text(0.01, 0.005, f"Model estimate, Détente {attrs['version']} · seed {attrs['seed']} · "
             f"{attrs['samples']:,} samples{data} · profile {attrs['profile']}", fontsize=6.5, color="0.4",
             ha="left", va="bottom", gid=CREDIT)


def first_start(results) -> np.datetime64:
    """The earliest scenario start: where the shared history ends."""
    return min(np.datetime64(results.start(s), "M") for s in results.scenarios)


def _x(dates: np.ndarray):
    return dates.astype("datetime64[D]").astype(object)


def window(results, since: str | None = "auto") -> np.datetime64:
    """The first month a time chart shows: with ``"auto"``, as much history before the earliest
    start as there is future after it (at least ten years), so the history does not squeeze the
    future; ``None``: the whole run."""
    first = np.datetime64(results.months[0], "M")
    if since is None:
        return first
    if since != "auto":
        return max(first, np.datetime64(since, "M"))
    start = first_start(results)
    future = (np.datetime64(results.months[-1], "M") - start).astype(int)
    return max(first, start - max(future, 120))


def _mark_start(ax, start: np.datetime64, text: bool = True) -> None:
    ax.axvline(_x(start), color="0.35", linestyle="--", linewidth=0.8)
    if text:
        ax.annotate(f"deal starts {str(start)[:7]}", (_x(start), 1.0), xycoords=("data", "axes fraction"),
                    xytext=(3, -2), textcoords="offset points", fontsize=7, color="0.3", va="top")


@styled
def fan_chart(results, metric: str, ax=None, since: str | None = "auto", title: str | None = None):
    """The history once in grey, then each scenario's median, 25–75 % and 5–95 % bands from the
    earliest start: one panel per scenario with the baseline's median dashed for reference (or, on
    a given ``ax``, every scenario's median and 5–95 % band together). Returns the first Axes."""
    q = results.quantiles(metric)
    dates = np.array(results.months, dtype="datetime64[M]")
    first = window(results, since)
    start = first_start(results)
    shown = [s for s in results.scenarios if np.isfinite(q.sel(scenario=s).values[dates >= start, 2]).any()]
    colour = colours(results.scenarios, results.baseline)
    if ax is None:
        n = max(len(shown), 1)
        cols = n if n <= 3 else 2
        rows = -(-n // cols)
        fig = Figure(figsize=(7.2, 2.5 * rows + 0.9), dpi=110)
        axes = list(np.ravel(fig.subplots(rows, cols, sharey=True, squeeze=False)))
        for extra in axes[n:]:
            extra.set_visible(False)
        panels = list(zip(axes[:n], [[s] for s in shown] or [[]], strict=False))
    else:
        axes, panels = [ax], [(ax, shown)]
    past = (dates >= first) & (dates <= start)
    history = q.sel(scenario=results.scenarios[0]).values[past]
    ok = np.isfinite(history[:, 2])
    if ok.sum() < 24:  # a metric evaluated only from about the start: no history to show
        ok[:] = False
        first = max(first, start - 12)
    reliable = results.reliable_icbm_month() if metric == "icbm_reliability" else {}
    labelled = next((p for p, names in panels if names and names != [results.baseline]), axes[0])
    base = q.sel(scenario=results.baseline).values if results.baseline in shown else None
    future = dates >= start
    for panel, names in panels:
        if ok.any():  # every scenario shares the history up to the earliest start
            x = _x(dates[past][ok])
            panel.fill_between(x, history[ok, 0], history[ok, 4], facecolor=HISTORY, alpha=0.18, linewidth=0,
                               hatch="////", edgecolor="0.6")
            panel.fill_between(x, history[ok, 1], history[ok, 3], color=HISTORY, alpha=0.3, linewidth=0)
            panel.plot(x, history[ok, 2], color=HISTORY, linewidth=1.4)
        for scenario in names:
            band = q.sel(scenario=scenario).values[future]
            good = np.isfinite(band[:, 2])
            x, b, c = _x(dates[future][good]), band[good], colour[scenario]
            marker = "o" if good.sum() < 40 else None
            panel.fill_between(x, b[:, 0], b[:, 4], color=c, alpha=0.16 if len(names) == 1 else 0.1, linewidth=0)
            if len(names) == 1:
                panel.fill_between(x, b[:, 1], b[:, 3], color=c, alpha=0.32, linewidth=0)
            panel.plot(x, b[:, 2], color=c, linewidth=1.7, marker=marker, markersize=3, label=scenario)
        if base is not None and names and names != [results.baseline] and len(names) == 1:
            good = np.isfinite(base[future, 2])
            panel.plot(_x(dates[future][good]), base[future][good, 2], color=BASELINE, linestyle=(0, (4, 2)),
                       linewidth=1.1, label=f"{results.baseline} median")
        _mark_start(panel, start, text=panel is labelled)
        if metric == "icbm_reliability":  # the headline's threshold, and where each median crosses it
            panel.axhline(0.8, color="0.3", linestyle=":", linewidth=0.9)
            for scenario in names:
                if reliable.get(scenario):
                    when = np.datetime64(reliable[scenario], "M")
                    panel.plot([_x(when)], [0.8], "o", color=colour[scenario], markeredgecolor="black",
                               markersize=5, zorder=5)
        if len(names) == 1:
            panel.set_title(names[0], loc="left", fontsize=9, color=colour[names[0]], fontweight="bold")
        panel.set_xlim(_x(first), _x(dates[-1]))
        panel.set_ylim(bottom=0)
        panel.grid(axis="y", color="0.9")
        panel.xaxis.set_major_locator(AutoDateLocator(minticks=3, maxticks=5 if len(panels) > 1 else 8))
        panel.xaxis.set_major_formatter(DateFormatter("%Y"))
    axes[0].set_ylabel(axis_label(metric))
    handles = [Line2D([], [], color="0.25", linewidth=1.7, label="median"),
               Patch(color="0.25", alpha=0.4, label="25–75 %"), Patch(color="0.25", alpha=0.16, label="5–95 %")]
    if ok.any():
        handles.append(Patch(facecolor=HISTORY, alpha=0.4, hatch="////", edgecolor="0.5", label="history (shared)"))
    if base is not None and len(shown) > 1 and ax is None:
        handles.append(Line2D([], [], color=BASELINE, linestyle=(0, (4, 2)), label=f"{results.baseline} median"))
    if metric == "icbm_reliability":
        handles += [Line2D([], [], color="0.3", linestyle=":", label="reliable (0.8)"),
                    Line2D([], [], color="0.6", marker="o", markeredgecolor="black", linewidth=0,
                           label="reliable more likely than not")]
    fig = axes[0].figure
    if ax is None:  # the key in a row of its own under the title, clear of every curve
        fig.suptitle(title or label(metric), x=0.01, ha="left", fontsize=10)
        fig.legend(handles=handles, frameon=False, fontsize=7, loc="upper left", ncol=len(handles),
                   bbox_to_anchor=(0.0, 0.95))
        width, height = fig.get_size_inches()  # fixed margins in inches: tight_layout costs a draw per figure
        fig.subplots_adjust(left=0.62 / width, right=1 - 0.22 / width, bottom=0.5 / height, top=1 - 0.95 / height,
                            wspace=0.12, hspace=0.45)
        fig._detente_layout = any(t.get_gid() == CREDIT for t in fig.texts)
        fig._detente_fixed = True
    else:
        handles = [Line2D([], [], color=colour[s], linewidth=1.7, label=s) for s in shown] + handles[2:]
        axes[0].legend(handles=handles, frameon=True, framealpha=0.85, edgecolor="none", fontsize=7,
                       loc="upper left")
        axes[0].set_title(title or label(metric), loc="left", fontsize=10)
    return axes[0]


@styled
def buys_chart(results, ax=None):
    """What each deal buys over time: warheads averted (baseline − deal, paired) each year from the
    deal start, median (dot), 25–75 % (thick) and 5–95 % (thin) of samples, deals side by side."""
    from .buys import averted, deals

    names = deals(results)
    if ax is None:
        ax = new_axes(7.2, 3.2)
    colour = colours(results.scenarios, results.baseline)
    width = 0.7 / max(len(names), 1)
    for k, scenario in enumerate(names):
        frame = averted(results, scenario)
        years = frame[frame["date"].str.endswith("-01") | (frame["date"] == results.months[-1])]
        x = np.array([int(d[:4]) + (int(d[5:]) - 1) / 12 for d in years["date"]]) + (k - (len(names) - 1) / 2) * width
        c = colour[scenario]
        ax.vlines(x, years["p5"], years["p95"], color=c, linewidth=1.0)
        ax.vlines(x, years["p25"], years["p75"], color=c, linewidth=3.2)
        ax.plot(x, years["p50"], "o", color=c, markersize=3.6, markeredgecolor="white", markeredgewidth=0.5,
                label=scenario)
    ax.axhline(0, color="0.4", linewidth=0.8)
    ax.set_ylabel(f"warheads averted vs {results.baseline}")
    ax.set_title("What each deal buys: warheads' worth of material averted", loc="left", fontsize=10)
    ax.grid(axis="y", color="0.9")
    handles = [Line2D([], [], color=colour[s], marker="o", linewidth=0, label=s) for s in names]
    handles += [Line2D([], [], color="0.3", linewidth=3.2, label="25–75 %"),
                Line2D([], [], color="0.3", linewidth=1.0, label="5–95 %")]
    ax.legend(handles=handles, frameon=True, framealpha=0.85, edgecolor="none", fontsize=7, loc="upper left")
    return ax


@styled
def exceedance_chart(results, date: str | None = None, ax=None):
    """The chance each deal averts at least N warheads at ``date`` (default: the answers' date)."""
    from .buys import deals, exceedance, headline_date

    date = date or headline_date(results)
    if ax is None:
        ax = new_axes(7.2, 3.2)
    colour = colours(results.scenarios, results.baseline)
    right = 10
    for scenario in deals(results):
        curve = exceedance(results, scenario, date)
        ax.step(curve["warheads"], curve["chance"], where="post", color=colour[scenario], linewidth=1.7,
                label=scenario)
        right = max(right, int(curve["warheads"].to_numpy()[curve["chance"].to_numpy() >= 0.002].max(initial=0)) + 5)
    ax.set_xlim(0, right)
    ax.set_ylim(0, 1.02)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0, symbol=" %"))
    ax.set_xlabel(f"warheads averted by {date} (at least)")
    ax.set_ylabel("chance")
    ax.set_title(f"Share of modelled futures in which a deal averts at least N warheads by {date}", loc="left",
                 fontsize=10)
    ax.grid(color="0.92")
    ax.legend(frameon=True, framealpha=0.85, edgecolor="none", fontsize=7, loc="upper right")
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
    every = sorted(set(rows["publisher"]))  # the same colour for a publisher in every chart
    colour = {p: PUBLISHERS[every.index(p) % len(PUBLISHERS)] for p in publishers}
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
    ax.set_ylabel(axis_label(metric))
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
    colour = colours(results.scenarios, results.baseline)
    first = first_start(results)
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
def sensitivity_chart(sensitivity, ax=None, owners: dict[str, str] | None = None, colour: str = PALETTE[0]):
    """Horizontal bars of each listed input's indices: Sobol' total (and first-order) with their
    95 % intervals, or PAWN against its chance level. Inputs are named in plain words
    (``owners``: facility id → name); ``colour``: the scenario's."""
    table = sensitivity.table
    if ax is None:
        ax = new_axes(7.2, 0.45 * max(len(table), 1) + 1.1)
    y = np.arange(len(table))[::-1]
    names = [textwrap.fill(textwrap.shorten(describe(n, owners).label, 90, placeholder="…"), 46,
                           break_on_hyphens=False) if "." in n else n for n in table["input"]]
    if sensitivity.method == "PAWN":
        ax.barh(y, table["PAWN"], color=colour)
        if len(table):
            ax.axvline(float(table["threshold"].iloc[0]), color="0.4", linestyle=":", linewidth=1)
        ax.set_xlabel("how far the outcome's distribution moves as this input varies\n"
                      "(PAWN: median Kolmogorov–Smirnov distance; dotted: chance alone exceeds it 1 % of the time)",
                      fontsize=8)
    else:
        ax.barh(y + 0.2, table["ST"], height=0.4, xerr=table["ST_conf"], color=PALETTE[0], label="total")
        ax.barh(y - 0.2, table["S1"], height=0.4, xerr=table["S1_conf"], color=PALETTE[1], label="first-order")
        ax.set_xlabel("Sobol' index (share of the outcome's variance; bars: 95 % intervals)")
        ax.legend(frameon=False, fontsize=8, loc="lower right")
    ax.set_yticks(y, names, fontsize=7.5)
    ax.axvline(0, color="0.3", linewidth=0.8)
    outcome = sensitivity.outcome[:1].lower() + sensitivity.outcome[1:]
    ax.set_title(textwrap.fill(f"What drives the {outcome}", 64, break_on_hyphens=False), loc="left", fontsize=10)
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


def _layout(fig) -> None:
    """Tight layout, leaving room for the credit line; once per figure (``save`` then ``svg``); none
    for figures drawn with fixed margins."""
    credited = any(t.get_gid() == CREDIT for t in fig.texts)
    if getattr(fig, "_detente_fixed", False):  # margins already leave room for the credit line
        return
    if getattr(fig, "_detente_layout", None) != credited:
        fig.tight_layout(rect=(0, 0.035 if credited else 0, 1, 1))
        fig._detente_layout = credited


def _title(fig) -> str:
    texts = [fig.get_suptitle()]
    texts += [a.get_title(loc="left") or a.get_title() for a in fig.axes if a.get_visible()]
    return next((t for t in texts if t), "chart")


@styled
def svg(ax_or_fig, description: str = "") -> str:
    """The figure as an inline, accessible <svg> element (``role="img"``, its title and
    ``description`` as <title> and <desc>; no XML header)."""
    fig = getattr(ax_or_fig, "figure", ax_or_fig)
    _layout(fig)
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Title": _title(fig), "Description": description or None})
    text = buffer.getvalue()
    text = text[text.index("<svg"):]
    head = text.index(">") + 1
    about = f"<title>{html.escape(_title(fig))}</title>" + (f"<desc>{html.escape(description)}</desc>"
                                                            if description else "")
    return text[:head - 1] + ' role="img"' + text[head - 1:head] + about + text[head:]


@styled
def save(ax_or_fig, folder: Path | str, name: str) -> list[Path]:
    """Write PNG (200 dpi) and SVG files of a figure for slides."""
    fig = getattr(ax_or_fig, "figure", ax_or_fig)
    _layout(fig)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"{name}.png", folder / f"{name}.svg"]
    fig.savefig(paths[0], dpi=200)
    fig.savefig(paths[1], metadata={"Title": _title(fig)})
    return paths
