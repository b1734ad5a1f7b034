"""Golden-number gate for refactors that must not change any number.

``python benchmarks/golden.py save FILE`` records, for three scenarios (the no-deal baseline,
kimball-2018, all-first) × two seeds × the missile model on and off, every metric's quantiles
and means over all months, the deal probabilities and every per-sample horizon value;
``python benchmarks/golden.py check FILE`` recomputes them and exits 1 unless every array is
identical (``np.array_equal``, NaN equal to NaN).
"""

from __future__ import annotations

import sys

import numpy as np

import detente

SCENARIOS = ["kimball-2018", "all-first"]
SEEDS = (0, 7)
SAMPLES = 5_000  # one full block of 4,096 and a partial one


def collect() -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for seed in SEEDS:
        for missiles in (True, False):
            r = detente.compare(SCENARIOS, baseline="no-deal", samples=SAMPLES, seed=seed,
                                horizon="2042-12", missiles=missiles)
            key = f"s{seed}-m{int(missiles)}"
            for metric in r.metrics:
                out[f"{key}/quantiles/{metric}"] = r.quantiles(metric).values
                out[f"{key}/mean/{metric}"] = r.mean(metric).values
            for event in ("in_force", "cheated", "detected"):
                out[f"{key}/probability/{event}"] = r.probability(event).values
            for metric in _horizon_metrics(r):
                out[f"{key}/horizon/{metric}"] = r.horizon(metric).values
    return out


def _horizon_metrics(results) -> list[str]:
    if hasattr(results, "horizon_metrics"):
        return sorted(results.horizon_metrics)
    return sorted({m for v in results.horizon_values.values() for m in v})  # before the layout change


def main() -> int:
    action, path = sys.argv[1:3]
    values = collect()
    if action == "save":
        np.savez_compressed(path, **values)
        print(f"saved {len(values)} arrays to {path}")
        return 0
    saved = np.load(path)
    missing = sorted(set(saved.files) - set(values))
    changed = [k for k in saved.files if k in values
               and not np.array_equal(saved[k], values[k], equal_nan=True)]
    for key in missing:
        print(f"missing: {key}")
    for key in changed:
        print(f"changed: {key}")
    print(f"{len(saved.files) - len(missing) - len(changed)} of {len(saved.files)} arrays identical")
    return 1 if missing or changed else 0


if __name__ == "__main__":
    sys.exit(main())
