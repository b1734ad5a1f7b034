"""Throughput and peak memory.

Run with ``make bench``. Prints, for the DPRK no-deal baseline 1986 → 2040 monthly,
sample-months per second (per scenario) and the peak resident memory of the largest process,
for 10⁵ and 10⁶ samples on 1 and 2 worker processes — for the fissile-material model with its
deal machinery (``missiles=False``, the foundation's benchmark) and for the full model with
missiles and reach — then the wall time of ``compare kimball-2018 mount-2019 all-first no-deal``
with 10⁵ samples (default horizon), and the cost of conditioning the history on the bundled
observations: the calibration itself (sequential Monte Carlo, in a fresh cache) and a 10⁵-sample
run with and without the calibrated history (the throughput rows run the unconditioned prior,
so they compare with earlier releases); and the analyses of ``detente analyze``: Sobol' indices
of kimball-2018's paired change in warheads possible at 2037-12 from at least 10⁵ model runs
(by family, and by parameter), PAWN on a 20,000-sample run, and PRIM on the same run; and the time
to draw the report of three scenarios, its figures for slides, the reach map and the A4 PDF.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

COMPARED = ["no-deal", "kimball-2018", "mount-2019", "all-first"]
# run one case in a fresh process and add the peak memory of the largest process it started
_MEASURE = """
import resource, subprocess, sys
script, samples, workers, missiles, conditioned = sys.argv[1:]
out = subprocess.run([sys.executable, script, "--child", samples, workers, missiles, conditioned],
                     check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
print(out + "," + str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024))
"""


def compare_child(samples: int, workers: int) -> None:
    import detente

    detente.compare(COMPARED[1:], samples=4096)  # compile kernels (cached on disk)
    start = time.perf_counter()
    detente.compare(COMPARED[1:], samples=samples, workers=workers, seed=1, observations=None)
    print(f"{samples},{workers},{time.perf_counter() - start:.3f}")


def calibration_child() -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as cache:
        os.environ["DETENTE_CACHE"] = cache
        import detente
        from detente.engine.posterior import calibrate

        plan = detente.check("no-deal", missiles=False, horizon="2030-12")
        calibrate(plan, detente.observations(), particles=512)  # compile the kernels
        start = time.perf_counter()
        pool = calibrate(plan, detente.observations())
        print(f"{time.perf_counter() - start:.3f},{pool.stages},{pool.ancestors}")


def analyses_child(workers: int) -> None:
    import detente
    from detente.analysis.discover import discover
    from detente.analysis.outcome import parse_conditions
    from detente.analysis.pawn import pawn
    from detente.analysis.sobol import sobol

    sobol("kimball-2018", "delta:warheads_possible@2037", base=64)  # compile the kernels, calibrate
    for by, base in (("family", 2**14), ("parameter", 2**10)):
        start = time.perf_counter()
        found = sobol("kimball-2018", "delta:warheads_possible@2037", by=by, base=base, workers=workers)
        print(f"sobol,{by},{found.runs},{time.perf_counter() - start:.3f},{len(found.table)}")
    r = detente.compare(["kimball-2018"], samples=20_000, horizon="2037-12", missiles=False, workers=workers)
    start = time.perf_counter()
    found = pawn(r, "kimball-2018")
    print(f"pawn,,{len(r.draws)},{time.perf_counter() - start:.3f},{len(found.table)}")
    start = time.perf_counter()
    boxes = discover(r, "kimball-2018", parse_conditions("delta:warheads_possible@2037 < -100")).boxes
    print(f"prim,,20000,{time.perf_counter() - start:.3f},{len(boxes)}")


def figures_child() -> None:
    import tempfile
    from pathlib import Path

    import detente
    from detente.report import write_report
    from detente.report.pdf import browser, print_pdf
    from detente.results import charts
    from detente.results.reach_map import reach_map

    r = detente.compare(["kimball-2018", "mount-2019"], samples=20_000, seed=1)
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        write_report(r, Path(folder) / "report.html")
        print(f"report,{time.perf_counter() - start:.3f}")
        start = time.perf_counter()
        write_report(r, Path(folder) / "report.html", figures=Path(folder) / "figures")
        print(f"figures,{time.perf_counter() - start:.3f},{len(list(Path(folder, 'figures').glob('*.png')))}")
        reach_map(r)  # the coastlines read once per process
        start = time.perf_counter()
        charts.svg(reach_map(r))
        print(f"map,{time.perf_counter() - start:.3f}")
        try:
            browser()
        except detente.InputError:
            return
        start = time.perf_counter()
        print_pdf(Path(folder) / "report.html", Path(folder) / "report.pdf")
        print(f"pdf,{time.perf_counter() - start:.3f}")


def child(samples: int, workers: int, missiles: int, conditioned: int) -> None:
    import detente
    from detente.months import MonthGrid, parse_month

    observations = "profile" if conditioned else None
    detente.simulate(samples=4096, horizon="2040-12", observations=observations)  # compile the kernels
    start = time.perf_counter()
    r = detente.simulate(samples=samples, horizon="2040-12", workers=workers, seed=1, missiles=bool(missiles),
                         observations=observations)
    elapsed = time.perf_counter() - start
    months = MonthGrid(parse_month("1986-01"), parse_month("2040-12")).size
    print(f"{samples},{workers},{elapsed:.3f},{samples * months / elapsed:.4g},{r.attrs['samples']}")
    assert bool(r.attrs["conditioned_on"]) == bool(conditioned)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, nargs="*", default=[100_000, 1_000_000])
    parser.add_argument("--workers", type=int, nargs="*", default=[1, 2])
    parser.add_argument("--child", nargs=4, type=int, help=argparse.SUPPRESS)
    parser.add_argument("--compare-child", nargs=2, type=int, help=argparse.SUPPRESS)
    parser.add_argument("--calibration-child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--analyses-child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--only-analyses", action="store_true", help="Only the analyses' timings.")
    parser.add_argument("--only-figures", action="store_true", help="Only the report and figures' timings.")
    parser.add_argument("--figures-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.figures_child:
        figures_child()
        return
    if args.analyses_child:
        analyses_child(args.analyses_child)
        return
    if args.calibration_child:
        calibration_child()
        return
    if args.child:
        child(*args.child)
        return
    if args.compare_child:
        compare_child(*args.compare_child)
        return
    def measure(samples: int, workers: int, missiles: int, conditioned: int) -> list[str]:
        return subprocess.run(
            [sys.executable, "-c", _MEASURE, __file__, str(samples), str(workers), str(missiles), str(conditioned)],
            check=True, capture_output=True, text=True,
        ).stdout.strip().splitlines()[-1].split(",")

    if args.only_analyses:
        analyses(args.workers)
        return
    if args.only_figures:
        figures()
        return
    for missiles, title in ((0, "fissile material, warheads and deal machinery (missiles=False)"),
                            (1, "full model: plus missiles and reach")):
        print(f"\nDPRK baseline 1986-01 → 2040-12, {title}, prior (unconditioned)")
        print(f"{'samples':>10} {'workers':>7} {'seconds':>8} {'sample-months/s':>16} {'peak MiB':>9}")
        for samples in args.samples:
            for workers in args.workers:
                _, _, seconds, rate, _, peak = measure(samples, workers, missiles, 0)
                print(f"{samples:>10,} {workers:>7} {float(seconds):>8.2f} {float(rate):>16.3g} "
                      f"{float(peak):>9.0f}")
    out = subprocess.run([sys.executable, __file__, "--calibration-child"], check=True, capture_output=True,
                         text=True).stdout.strip().splitlines()[-1]
    seconds, stages, ancestors = out.split(",")
    print(f"\ncalibrating the history to the bundled observations (4,096 particles, cold cache): "
          f"{float(seconds):.1f} s, {stages} stages, {int(ancestors):,} distinct prior draws")
    print("a run on the calibrated history (pool cached) against the prior, 10⁵ samples, full model, 1 worker:")
    for conditioned in (0, 1):
        _, _, seconds, _, _, peak = measure(100_000, 1, 1, conditioned)
        label = "conditioned" if conditioned else "prior      "
        print(f"  {label} {float(seconds):6.2f} s, peak {float(peak):.0f} MiB")
    print(f"\ncompare {' '.join(COMPARED[1:])} (baseline {COMPARED[0]}), 10⁵ samples:")
    for workers in args.workers:
        out = subprocess.run(
            [sys.executable, __file__, "--compare-child", "100000", str(workers)],
            check=True, capture_output=True, text=True,
        ).stdout.strip().splitlines()[-1]
        print(f"  {workers} worker(s): {float(out.split(',')[2]):.1f} s")
    analyses(args.workers)
    figures()


def figures() -> None:
    """Time drawing the report of kimball-2018, mount-2019 and no-deal (20,000 samples; the
    simulation excluded), its figures for slides, the map, and the A4 PDF, in a fresh process."""
    print("\nreport of kimball-2018 mount-2019 no-deal, 20,000 samples (drawing only):")
    lines = subprocess.run([sys.executable, __file__, "--figures-child"], check=True, capture_output=True,
                           text=True).stdout.strip().splitlines()
    for line in lines:
        kind, seconds, *rest = line.split(",")
        what = {"report": "HTML report (inline SVG)", "map": "reach map as SVG", "pdf": "A4 PDF with headless Chromium",
                "figures": f"report and {rest[0] if rest else ''} PNG+SVG figures"}.get(kind)
        if what:
            print(f"  {what:<48} {float(seconds):6.1f} s")


def analyses(workers: list[int]) -> None:
    """Time the analyses on the most workers asked for, in a fresh process."""
    print(f"\nanalyses of kimball-2018, delta:warheads_possible@2037 ({max(workers)} workers):")
    lines = subprocess.run([sys.executable, __file__, "--analyses-child", str(max(workers))], check=True,
                           capture_output=True, text=True).stdout.strip().splitlines()
    for line in lines[-4:]:
        kind, by, runs, seconds, listed = line.split(",")
        what = {"sobol": f"Sobol' by {by}: {int(runs):,} model runs", "pawn": "PAWN on 20,000 samples (given data)",
                "prim": "PRIM scenario discovery on 20,000 samples"}[kind]
        print(f"  {what:<48} {float(seconds):6.1f} s, {listed} listed")


if __name__ == "__main__":
    main()
