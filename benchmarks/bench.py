"""Throughput and peak memory.

Run with ``make bench``. Prints, for the DPRK no-deal baseline 1986 → 2040 monthly,
sample-months per second (per scenario) and the peak resident memory of the largest process,
for 10⁵ and 10⁶ samples on 1 and 2 worker processes — for the fissile-material model with its
deal machinery (``missiles=False``, the foundation's benchmark) and for the full model with
missiles and reach — then the wall time of ``compare kimball-2018 mount-2019 all-first no-deal``
with 10⁵ samples (default horizon).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

COMPARED = ["no-deal", "kimball-2018", "mount-2019", "all-first"]
# run one case in a fresh process and add the peak memory of the largest process it started
_MEASURE = """
import resource, subprocess, sys
script, samples, workers, missiles = sys.argv[1:]
out = subprocess.run([sys.executable, script, "--child", samples, workers, missiles],
                     check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
print(out + "," + str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024))
"""


def compare_child(samples: int, workers: int) -> None:
    import detente

    detente.compare(COMPARED[1:], samples=4096)  # compile kernels (cached on disk)
    start = time.perf_counter()
    detente.compare(COMPARED[1:], samples=samples, workers=workers, seed=1)
    print(f"{samples},{workers},{time.perf_counter() - start:.3f}")


def child(samples: int, workers: int, missiles: int) -> None:
    import detente
    from detente.months import MonthGrid, parse_month

    detente.simulate(samples=4096, horizon="2040-12")  # compile the kernels (cached on disk)
    start = time.perf_counter()
    detente.simulate(samples=samples, horizon="2040-12", workers=workers, seed=1, missiles=bool(missiles))
    elapsed = time.perf_counter() - start
    months = MonthGrid(parse_month("1986-01"), parse_month("2040-12")).size
    print(f"{samples},{workers},{elapsed:.3f},{samples * months / elapsed:.4g}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, nargs="*", default=[100_000, 1_000_000])
    parser.add_argument("--workers", type=int, nargs="*", default=[1, 2])
    parser.add_argument("--child", nargs=3, type=int, help=argparse.SUPPRESS)
    parser.add_argument("--compare-child", nargs=2, type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    if args.compare_child:
        compare_child(*args.compare_child)
        return
    for missiles, title in ((0, "fissile material, warheads and deal machinery (missiles=False)"),
                            (1, "full model: plus missiles and reach")):
        print(f"\nDPRK baseline 1986-01 → 2040-12, {title}")
        print(f"{'samples':>10} {'workers':>7} {'seconds':>8} {'sample-months/s':>16} {'peak MiB':>9}")
        for samples in args.samples:
            for workers in args.workers:
                out = subprocess.run(
                    [sys.executable, "-c", _MEASURE, __file__, str(samples), str(workers), str(missiles)],
                    check=True, capture_output=True, text=True,
                ).stdout.strip().splitlines()[-1]
                _, _, seconds, rate, peak = out.split(",")
                print(f"{samples:>10,} {workers:>7} {float(seconds):>8.2f} {float(rate):>16.3g} "
                      f"{float(peak):>9.0f}")
    print(f"\ncompare {' '.join(COMPARED[1:])} (baseline {COMPARED[0]}), 10⁵ samples:")
    for workers in args.workers:
        out = subprocess.run(
            [sys.executable, __file__, "--compare-child", "100000", str(workers)],
            check=True, capture_output=True, text=True,
        ).stdout.strip().splitlines()[-1]
        print(f"  {workers} worker(s): {float(out.split(',')[2]):.1f} s")


if __name__ == "__main__":
    main()
