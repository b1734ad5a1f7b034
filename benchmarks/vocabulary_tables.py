"""Regenerate the README's table of what a ceiling buys against a freeze, and what launcher limits
buy: variants of ``kimball-2018`` on the same draws, against the no-deal baseline.

``python benchmarks/vocabulary_tables.py`` prints the tables as Markdown (about three minutes on two
cores). Numbers, not timings: the seed and sample count are the README's.
"""

from __future__ import annotations

import copy
import tempfile
from pathlib import Path

import numpy as np
import yaml

import detente
from detente.inputs.scenario import load_scenario

SAMPLES, SEED, HORIZON = 20_000, 0, "2037-12"


def variant(base: dict, name: str, folder: str, first=None, extra=()) -> str:
    """A copy of ``base`` named ``name`` whose first phase's facility freeze is replaced by ``first``
    (None: kept) and which adds ``extra`` measures to the first phase."""
    data = copy.deepcopy(base)
    data["name"] = name
    halt = data["phases"][0]
    if first is not None:
        halt["measures"] = [m for m in halt["measures"] if m["kind"] != "freeze"] + list(first)
    halt["measures"] += list(extra)
    path = Path(folder) / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    return str(path)


def summary(r, name: str) -> tuple[str, str, str]:
    base = r.horizon("warheads_possible").sel(scenario="no-deal").values
    mine = r.horizon("warheads_possible").sel(scenario=name).values
    averted = base - mine
    lo, mid, hi = np.percentile(averted, [5, 50, 95])
    reach = (r.horizon("deliverable:us_east").sel(scenario="no-deal").values
             - r.horizon("deliverable:us_east").sel(scenario=name).values)
    in_force = 1.0 - r.horizon("collapsed").sel(scenario=name).values.mean()
    return f"{mid:.0f} ({lo:.0f} to {hi:.0f})", f"{np.median(reach):.1f}", f"{100 * in_force:.0f} %"


def main() -> None:
    base = yaml.safe_load(Path(load_scenario("kimball-2018").file).read_text())
    today = detente.simulate(["no-deal"], samples=SAMPLES, seed=SEED, horizon="2027-02", missiles=False)
    ceiling = int(np.median(today.horizon("warheads_possible").values) // 10 * 10)
    cap = {"kind": "cap", "stock": "warheads", "limit": ceiling}
    rows = {
        "kimball-2018: verified freeze of production (as published)": None,
        f"ceiling of {ceiling} warheads' worth instead of the freeze, excess removed": [cap],
        f"ceiling of {ceiling} instead of the freeze, excess declared and stored": [{**cap, "excess": "declared"}],
        f"freeze and a ceiling of {ceiling}": "both",
        "freeze, and ICBM launchers capped at 4": "launchers",
        "freeze, and the ICBM class eliminated": "eliminate",
    }
    with tempfile.TemporaryDirectory() as folder:
        paths, names = [], []
        for k, first in enumerate(rows.values()):
            name = f"variant-{k}"
            if first is None:
                paths.append("kimball-2018")
                names.append("kimball-2018")
                continue
            added = {"both": [cap], "launchers": [{"kind": "cap", "launchers": ["icbm"], "limit": 4}],
                     "eliminate": [{"kind": "missile-elimination", "classes": ["icbm"]}]}
            if isinstance(first, str):
                paths.append(variant(base, name, folder, extra=added[first]))
            else:
                paths.append(variant(base, name, folder, first))
            names.append(name)
        r = detente.compare(paths, samples=SAMPLES, seed=SEED, horizon=HORIZON)
    print(f"| deal (against no deal, {HORIZON[:4]}) | warheads averted, median (90 %) | "
          "fewer deliverable to Washington, median | P(in force) |\n|---|---:|---:|---:|")
    for (label, _), name in zip(rows.items(), names, strict=True):
        averted, reach, in_force = summary(r, name)
        print(f"| {label} | {averted} | {reach} | {in_force} |")


if __name__ == "__main__":
    main()
