"""Charts for reports, slides and notebooks (matplotlib): fan charts over time, deal outcomes,
what drives the result. Each returns a Figure or Axes; :func:`svg` inlines one in HTML."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

plt.rcParams.update({"svg.fonttype": "none", "font.size": 9, "axes.spines.top": False,
                     "axes.spines.right": False, "figure.dpi": 110})

LABELS = {
    "warheads_possible": "Warheads possible (material on hand)",
    "warheads_assembled": "Warheads assembled",
    "pu_kg": "Separated plutonium on hand (kg)",
    "heu_kg": "Weapon-grade uranium on hand (kg)",
    "icbm_reliability": "ICBM reliability (flight × re-entry)",
}


def label(metric: str) -> str:
    if metric.startswith("deliverable:"):
        return f"Warheads deliverable to {metric.split(':', 1)[1].replace('_', ' ').upper()} (expected)"
    return LABELS.get(metric, metric)


def colours(names: list[str]) -> dict[str, str]:
    cycle = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    return {name: cycle[i % len(cycle)] for i, name in enumerate(names)}


def _starts(results) -> dict[str, np.datetime64]:
    pairs = (item.split("=") for item in results.attrs["scenario_starts"].split(","))
    return {name: np.datetime64(month, "M") for name, month in pairs}


def fan_chart(results, metric: str, ax=None, since: str | None = None):
    """5–95 % and 25–75 % bands and the median of ``metric`` for every scenario."""
    if ax is None:
        _, ax = plt.subplots(figsize=(7.2, 3.4))
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


def probability_chart(results, event: str = "in_force", ax=None):
    """Share of samples with the deal in force (or cheated / detected) over time."""
    if ax is None:
        _, ax = plt.subplots(figsize=(7.2, 3.0))
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


def importance_chart(names: list[str], rho: np.ndarray, title: str, ax=None):
    """Horizontal bars of rank correlations (inputs that drive the headline metric)."""
    if ax is None:
        _, ax = plt.subplots(figsize=(7.2, 0.28 * len(names) + 0.8))
    y = np.arange(len(names))[::-1]
    ax.barh(y, rho, color=["#c0392b" if r > 0 else "#2c7fb8" for r in rho])
    ax.set_yticks(y, names, fontsize=8)
    ax.axvline(0, color="0.3", linewidth=0.8)
    ax.set_xlim(-1, 1)
    ax.set_xlabel("Spearman rank correlation")
    ax.set_title(title, loc="left", fontsize=10)
    return ax


def svg(ax_or_fig) -> str:
    """The figure as an inline <svg> element (no XML header); closes the figure."""
    fig = getattr(ax_or_fig, "figure", ax_or_fig)
    fig.tight_layout()
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg")
    plt.close(fig)
    text = buffer.getvalue()
    return text[text.index("<svg"):]


def save(ax_or_fig, folder, name: str, close: bool = True) -> list:
    """Write PNG and SVG files of a figure for slides."""
    from pathlib import Path

    fig = getattr(ax_or_fig, "figure", ax_or_fig)
    fig.tight_layout()
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"{name}.png", folder / f"{name}.svg"]
    fig.savefig(paths[0], dpi=200)
    fig.savefig(paths[1])
    if close:
        plt.close(fig)
    return paths
