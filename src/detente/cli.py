"""The ``detente`` command line (typer + rich).

Exit codes: 0 success, 2 bad input (the message names file, field and reason), 1 any other
failure. Set ``DETENTE_DEBUG=1`` to see a traceback for failures of the second kind.
"""

from __future__ import annotations

import json
import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn
from rich.table import Table

from .errors import DetenteError, InputError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Détente: what does a deal with North Korea buy? Sourced Monte Carlo projections.",
)
out = Console()
err = Console(stderr=True)

HEADLINE = ("pu_kg", "heu_kg", "warheads_possible")
LABELS = {
    "pu_kg": "Pu (kg)",
    "heu_kg": "HEU (kg)",
    "warheads_possible": "Warheads possible",
    "warheads_assembled": "Warheads assembled",
}


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


def main() -> None:
    """Entry point: run the app and map errors to exit codes."""
    try:
        app(standalone_mode=False)
    except InputError as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False)
        sys.exit(2)
    except (typer.Abort, KeyboardInterrupt):
        err.print("aborted")
        sys.exit(1)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except Exception as exc:  # click usage errors carry their own exit code
        code = getattr(exc, "exit_code", None)
        if code is not None and hasattr(exc, "show"):
            exc.show()
            sys.exit(code)
        if os.environ.get("DETENTE_DEBUG"):
            raise
        kind = "" if isinstance(exc, DetenteError) else f"{type(exc).__name__}: "
        err.print(f"[bold red]internal error:[/] {kind}{exc}", highlight=False)
        sys.exit(1)


def _dates(text: str | None) -> list[str] | None:
    return [d.strip() for d in text.split(",") if d.strip()] if text else None


def _fmt(value: float, metric: str) -> str:
    if value != value or value in (float("inf"), float("-inf")):  # NaN, or beyond the horizon
        return "–"
    value = value + 0.0  # no "-0"
    if metric == "share":
        return f"{value:.2f}"
    if metric == "months":
        return f"{value:,.0f}"
    return f"{value:,.0f}" if metric.startswith("warheads") or value >= 100 else f"{value:,.1f}"


def _progress(total: int, quiet: bool):
    if quiet or not err.is_terminal:
        return None, None
    bar = Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
    )
    task = bar.add_task("simulating", total=total)
    return bar, lambda n: bar.advance(task, n)


def _simulate(samples: int, quiet: bool, **options):
    """``detente.simulate`` with a progress bar on a terminal."""
    from .api import simulate

    bar, tick = _progress(samples, quiet)
    if bar:
        bar.start()
    try:
        return simulate(samples=samples, progress=tick, **options)
    finally:
        if bar:
            bar.stop()


def _emit(results, dates: list[str], fmt: Format, out_path: Path | None, table) -> None:
    """Write ``--out`` if asked, then print JSON, CSV or the ``table``."""
    if out_path:
        _write(results, out_path, dates)
    if fmt == Format.json:
        print(json.dumps(results.records(dates), indent=1))
    elif fmt == Format.csv:
        sys.stdout.write(results.summary(dates).to_csv(index=False, float_format="%.6g"))
    else:
        table(results, dates)


def _write(results, path: Path, dates: list[str] | None) -> None:
    suffix = path.suffix.lower()
    if suffix == ".nc":
        results.to_netcdf(path)
    elif suffix == ".csv":
        results.to_csv(path, dates)
    elif suffix == ".json":
        path.write_text(json.dumps(results.records(dates), indent=1))
    else:
        raise InputError("use a .nc, .csv or .json file name", field="--out")


@app.command()
def run(
    scenario: Annotated[str, typer.Argument(help="Bundled scenario name or a scenario file.")] = "no-deal",
    samples: Annotated[int, typer.Option(help="Monte Carlo samples.")] = 20_000,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same numbers).")] = 0,
    horizon: Annotated[str | None, typer.Option(help="Last month, YYYY-MM (default: start + 15 years).")] = None,
    workers: Annotated[int, typer.Option(help="Worker processes (numbers do not change).")] = 1,
    dates: Annotated[
        str | None, typer.Option(help="Report dates, e.g. 2010-01,2020-01 (default: every January).")
    ] = None,
    fmt: Annotated[Format, typer.Option("--format", help="table, json or csv on stdout.")] = Format.table,
    out_path: Annotated[Path | None, typer.Option("--out", help="Also write results to .nc, .csv or .json.")] = None,
    profile: Annotated[str, typer.Option(help="Bundled profile name or a profile file.")] = "dprk",
    missiles: Annotated[bool, typer.Option(help="Run the missile and reach model too.")] = True,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Project fissile material and warheads for one scenario (default: the no-deal baseline)."""
    results = _simulate(samples, quiet or fmt != Format.table, scenarios=scenario, profile=profile,
                        seed=seed, horizon=horizon, workers=workers, missiles=missiles)
    _emit(results, results.check_dates(_dates(dates)), fmt, out_path, _print_table)


def _print_table(results, dates: list[str]) -> None:
    frame = results.summary(dates, metrics=HEADLINE)
    for scenario in results.scenarios:
        table = Table(
            title=f"{scenario}: median (90 % interval)",
            caption=f"{results.attrs['samples']:,} samples · seed {results.attrs['seed']} · "
            f"profile {results.attrs['profile']} · Pu and HEU on hand, net of tests",
        )
        table.add_column("date")
        for metric in HEADLINE:
            table.add_column(LABELS[metric], justify="right")
        mine = frame[frame.scenario == scenario]
        for date in dates:
            cells = []
            for metric in HEADLINE:
                row = mine[(mine.metric == metric) & (mine.date == date)].iloc[0]
                cells.append(f"{_fmt(row.p50, metric)} ({_fmt(row.p5, metric)}–{_fmt(row.p95, metric)})")
            table.add_row(date, *cells)
        out.print(table)
    ends = [d for d in dates if _evaluated(results, d)][-1:]
    _print_regions(results, ends, results.summary(ends))
    from .results import overflowed

    for metric in overflowed(results):
        err.print(f"note: some samples of {metric} exceeded the histogram's top bin; "
                  "upper quantiles there are lower bounds")


@app.command()
def compare(
    scenarios: Annotated[list[str], typer.Argument(help="Scenario names or files (the baseline is added if missing).")],
    baseline: Annotated[str, typer.Option(help="Scenario the others are compared with.")] = "no-deal",
    samples: Annotated[int, typer.Option(help="Monte Carlo samples.")] = 20_000,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    horizon: Annotated[str | None, typer.Option(help="Last month, YYYY-MM (default: start + 15 years).")] = None,
    workers: Annotated[int, typer.Option(help="Worker processes (numbers do not change).")] = 1,
    dates: Annotated[
        str | None,
        typer.Option(help="Horizons to report, e.g. 2032-01,2037-01 (default: +5, +10 years, horizon)."),
    ] = None,
    threshold: Annotated[int, typer.Option(help="Report months until warheads possible reach this many.")] = 200,
    fmt: Annotated[Format, typer.Option("--format", help="table, json or csv on stdout.")] = Format.table,
    out_path: Annotated[Path | None, typer.Option("--out", help="Also write results to .nc, .csv or .json.")] = None,
    profile: Annotated[str, typer.Option(help="Bundled profile name or a profile file.")] = "dprk",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """What each deal buys: scenarios against a baseline on the same random draws."""
    loaded = _with_baseline(scenarios, baseline)
    results = _simulate(samples, quiet or fmt != Format.table, scenarios=loaded, profile=profile, seed=seed,
                        horizon=horizon, workers=workers, baseline=loaded[0].name, threshold=threshold)
    chosen = results.check_dates(_dates(dates) or _compare_dates(results, min(s.start for s in loaded)))
    _emit(results, chosen, fmt, out_path, _print_compare)


def _with_baseline(scenarios: list[str], baseline: str) -> list:
    """The baseline first, then the other scenarios (loaded)."""
    from .scenario import load_scenario

    return [load_scenario(s) for s in [baseline, *[s for s in scenarios if s != baseline]]]


def _compare_dates(results, start: int) -> list[str]:
    from .months import format_month

    wanted = [format_month(start + 60), format_month(start + 120), results.months[-1]]
    return [d for d in dict.fromkeys(wanted) if d in results.months]


def _cell(row, metric: str, scale: float = 1.0) -> str:
    lo, mid, hi = (row.p5 * scale, row.p50 * scale, row.p95 * scale)
    if scale < 0:
        lo, hi = hi, lo
    return f"{_fmt(mid, metric)} ({_fmt(lo, metric)}–{_fmt(hi, metric)})"


def _print_compare(results, dates: list[str]) -> None:
    frame = results.summary(dates)
    base = results.baseline
    n = results.attrs["threshold"]

    def pick(scenario, metric, date):
        rows = frame[(frame.scenario == scenario) & (frame.metric == metric) & (frame.date == date)]
        return rows.iloc[0] if len(rows) else None

    for date in dates:
        table = Table(title=f"{date}: median (90 % interval); paired differences vs {base}")
        for column in ("scenario", "warheads possible", "warheads averted", "Pu (kg)", "HEU (kg)",
                       "P(in force)", "P(cheated)", "P(detected)"):
            table.add_column(column, justify="left" if column == "scenario" else "right")
        for scenario in results.scenarios:
            averted = pick(scenario, "delta:warheads_possible", date)
            probs = [pick(scenario, f"p_{e}", date) for e in ("in_force", "cheated", "detected")]
            table.add_row(
                scenario,
                _cell(pick(scenario, "warheads_possible", date), "warheads"),
                _cell(averted, "warheads", -1.0) if averted is not None else "–",
                _cell(pick(scenario, "pu_kg", date), "kg"),
                _cell(pick(scenario, "heu_kg", date), "kg"),
                *[f"{p['mean']:.0%}" if p is not None else "–" for p in probs],
            )
        out.print(table)
    end = results.months[-1]
    table = Table(title=f"To the horizon ({end})")
    for column in ("scenario", f"months until {n} warheads", "delay vs baseline (months)",
                   "months production halted", "deal lasted (months)"):
        table.add_column(column, justify="left" if column == "scenario" else "right")
    for scenario in results.scenarios:
        cells = []
        for metric in (f"months_to_{n}_warheads", f"delta:months_to_{n}_warheads", "months_halted",
                       "deal_months"):
            row = pick(scenario, metric, end)
            cells.append("–" if row is None else _cell(row, "months"))
        table.add_row(scenario, *cells)
    out.print(table)
    _print_regions(results, [d for d in dates if _evaluated(results, d)], frame)
    out.print(f"{results.attrs['samples']:,} samples · seed {results.attrs['seed']} · "
              "differences are paired (same draws); '>' values beyond the horizon show as –")


def _evaluated(results, date: str) -> bool:
    regions = results.attrs.get("regions", "").split(",")
    counts = results.counts[results.scenarios[0]].get(f"deliverable:{regions[0]}")
    return counts is not None and counts[results.months.index(date)].sum() > 0


def _print_regions(results, dates: list[str], frame) -> None:
    """Deliverable warheads by region (expected number, 90 % interval, P(≥ 1 arrives))."""
    regions = [r for r in results.attrs.get("regions", "").split(",") if r]
    base = results.baseline
    for date in dates:
        table = Table(title=f"{date}: warheads deliverable by region — median (90 %) · P(≥1 arrives)"
                      + (f"; Δ vs {base}" if base else ""))
        table.add_column("region")
        for scenario in results.scenarios:
            table.add_column(scenario, justify="right")
        for region in regions:
            cells = []
            for scenario in results.scenarios:
                mine = frame[(frame.scenario == scenario) & (frame.date == date)]
                row = mine[mine.metric == f"deliverable:{region}"]
                p = mine[mine.metric == f"p_arrive:{region}"]
                d = mine[mine.metric == f"delta:deliverable:{region}"]
                if not len(row):
                    cells.append("–")
                    continue
                text = f"{_cell(row.iloc[0], 'kg')} · {p.iloc[0]['mean']:.0%}" if len(p) else _cell(row.iloc[0], "kg")
                if len(d):
                    text += f"\nΔ {_cell(d.iloc[0], 'kg')}"
                cells.append(text)
            table.add_row(region, *cells)
        out.print(table)
    reliable = results.reliable_icbm_month()
    if reliable:
        parts = [f"{s}: {m or 'not by ' + results.months[-1]}" for s, m in reliable.items()]
        out.print("First month P(ICBM reliability ≥ 0.8) > 0.5 — " + "; ".join(parts))


@app.command()
def report(
    scenarios: Annotated[list[str], typer.Argument(help="Scenario names or files (baseline added if missing).")],
    output: Annotated[Path, typer.Option("-o", "--output", help="The HTML file to write.")] = Path("report.html"),
    baseline: Annotated[str, typer.Option(help="Scenario the others are compared with.")] = "no-deal",
    samples: Annotated[int, typer.Option(help="Monte Carlo samples.")] = 20_000,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    horizon: Annotated[str | None, typer.Option(help="Last month, YYYY-MM (default: start + 15 years).")] = None,
    workers: Annotated[int, typer.Option(help="Worker processes (numbers do not change).")] = 1,
    title: Annotated[str | None, typer.Option(help="Report title.")] = None,
    figures: Annotated[Path | None, typer.Option(help="Also write every chart as PNG and SVG here.")] = None,
    csv: Annotated[Path | None, typer.Option(help="Also write a tidy CSV (scenario, metric, date, quantile, value).")
                   ] = None,
    netcdf: Annotated[Path | None, typer.Option(help="Also write the Results as NetCDF.")] = None,
    profile: Annotated[str, typer.Option(help="Bundled profile name or a profile file.")] = "dprk",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """One self-contained HTML report: charts, what each deal buys, outcomes, drivers, assumptions."""
    from .report import write_report

    if output.suffix.lower() not in (".html", ".htm"):
        raise InputError("the report is an .html file", field="--output")
    loaded = _with_baseline(scenarios, baseline)
    results = _simulate(samples, quiet, scenarios=loaded, profile=profile, seed=seed, horizon=horizon,
                        workers=workers, baseline=loaded[0].name if len(loaded) > 1 else None)
    if not quiet:
        err.print("drawing the report …")
    write_report(results, output, title=title, figures=figures)
    if csv:
        results.to_tidy_csv(csv)
    if netcdf:
        results.to_netcdf(netcdf)
    out.print(f"[green]wrote[/] {output}" + (f" and figures in {figures}" if figures else ""))


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address (default: this machine only).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    data_dir: Annotated[
        Path | None, typer.Option("--data-dir", help="Scenarios and runs (default ~/.detente).")
    ] = None,
) -> None:
    """Détente in a browser, with a JSON API under /api (DETENTE_TOKEN: require a token)."""
    from .web import serve as run_server

    run_server(host=host, port=port, data_dir=data_dir)


@app.command()
def params(
    profile: Annotated[str, typer.Option(help="Bundled profile name or a profile file.")] = "dprk",
    scenario: Annotated[list[str] | None, typer.Option(help="Also list a scenario's own inputs.")] = None,
    fmt: Annotated[Format, typer.Option("--format")] = Format.table,
) -> None:
    """Every uncertain input with its distribution, 90 % range and sources or judgement basis."""
    from .deal_plan import compile_deal
    from .missiles import load_missiles
    from .profile import load_profile
    from .scenario import load_scenario

    prof = load_profile(profile)
    specs = {**prof.parameters(), **load_missiles(prof.name).parameters()}
    for name in scenario or []:
        specs.update(compile_deal(load_scenario(name), prof, prof.start).parameters)
    rows = _parameter_rows(specs)
    if fmt == Format.json:
        print(json.dumps(rows, indent=1))
        return
    if fmt == Format.csv:
        import pandas as pd

        sys.stdout.write(pd.DataFrame(rows).to_csv(index=False))
        return
    table = Table(title=f"Parameters of profile {profile!r}")
    for column in ("parameter", "distribution", "90 % range", "basis"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(row["parameter"], row["distribution"], row["range90"], row["basis"])
    out.print(table)


def _parameter_rows(specs: dict) -> list[dict]:
    from .months import format_month

    rows = []
    for name, spec in specs.items():
        lo, hi = spec.quantile(0.05), spec.quantile(0.95)
        if spec.unit == "month":
            span = f"{format_month(round(lo))} – {format_month(round(hi))}"
        else:
            span = f"{lo:.4g} – {hi:.4g}"
        basis = []
        if spec.source:
            basis.append("sources: " + ", ".join(spec.source))
        if spec.judgement:
            basis.append(f"judgement: {spec.basis}")
        elif spec.basis:
            basis.append(spec.basis)
        rows.append({
            "parameter": name,
            "distribution": spec.describe(),
            "range90": span,
            "unit": spec.unit or "",
            "sources": list(spec.source),
            "judgement": spec.judgement,
            "basis": "; ".join(basis),
        })
    return rows


@app.command()
def sources(
    fmt: Annotated[Format, typer.Option("--format")] = Format.table,
) -> None:
    """The bundled bibliography."""
    from .bibliography import load_bibliography

    items = load_bibliography().sources
    if fmt != Format.table:
        rows = [s.model_dump() for s in items]
        if fmt == Format.json:
            print(json.dumps(rows, indent=1))
        else:
            import pandas as pd

            sys.stdout.write(pd.DataFrame(rows).to_csv(index=False))
        return
    table = Table(title="Sources")
    table.add_column("id", no_wrap=True)
    table.add_column("citation", overflow="fold")
    table.add_column("url", overflow="fold")
    for s in items:
        table.add_row(s.id, s.citation(), s.url or "")
    out.print(table)


@app.command()
def validate(
    file: Annotated[Path, typer.Argument(help="A profile or scenario YAML file.")],
    profile: Annotated[str, typer.Option(help="Profile a scenario is checked against.")] = "dprk",
) -> None:
    """Check a profile or scenario file; print what it holds or exactly what is wrong."""
    from .loading import read_yaml
    from .profile import load_profile
    from .scenario import load_scenario

    data = read_yaml(file)
    if isinstance(data, dict) and "facilities" in data:
        profile = load_profile(file)
        out.print(f"[green]ok[/]: profile {profile.name!r} with {len(profile.facilities)} "
                  f"facilities and {len(profile.parameters())} parameters")
    else:
        from .deal_plan import compile_deal
        from .months import format_month

        scenario = load_scenario(file)
        prof = load_profile(profile)
        compile_deal(scenario, prof, prof.start)  # facility, site and sanction names resolve
        out.print(f"[green]ok[/]: scenario {scenario.name!r} starting {format_month(scenario.start)} "
                  f"with {len(scenario.phases)} phases, checked against profile {prof.name!r}")
