"""Throughput and peak memory of the DPRK no-deal baseline, 1986 → 2040 monthly.

Run with ``make bench``. Prints sample-months per second (per scenario) and the peak resident
memory of the whole process tree, for 10⁵ and 10⁶ samples on 1 and 2 worker processes.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time


def child(samples: int, workers: int) -> None:
    import detente
    from detente.months import MonthGrid, parse_month

    detente.simulate(samples=4096, horizon="2040-12")  # compile the kernel (cached on disk)
    start = time.perf_counter()
    detente.simulate(samples=samples, horizon="2040-12", workers=workers, seed=1)
    elapsed = time.perf_counter() - start
    months = MonthGrid(parse_month("1986-01"), parse_month("2040-12")).size
    print(f"{samples},{workers},{elapsed:.3f},{samples * months / elapsed:.4g}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, nargs="*", default=[100_000, 1_000_000])
    parser.add_argument("--workers", type=int, nargs="*", default=[1, 2])
    parser.add_argument("--child", nargs=2, type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    print(f"{'samples':>10} {'workers':>7} {'seconds':>8} {'sample-months/s':>16} {'peak MiB':>9}")
    for samples in args.samples:
        for workers in args.workers:
            before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
            out = subprocess.run(
                [sys.executable, __file__, "--child", str(samples), str(workers)],
                check=True, capture_output=True, text=True,
            ).stdout.strip().splitlines()[-1]
            peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
            _, _, seconds, rate = out.split(",")
            peak_mib = max(peak, before) / 1024
            print(f"{samples:>10,} {workers:>7} {float(seconds):>8.2f} {float(rate):>16.3g} "
                  f"{peak_mib:>9.0f}")


if __name__ == "__main__":
    main()
