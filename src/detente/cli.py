"""The ``detente`` command line (typer + rich).

Exit codes: 0 success, 2 bad input (the message names file, field and reason), 1 any other
failure. Set ``DETENTE_DEBUG=1`` to see a traceback for failures of the second kind.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import warnings
from collections.abc import Collection, Iterable, Sequence
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.cells import cell_len
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from ._version import __version__
from .api import check, parameters, simulate
from .api import observations as api_observations
from .errors import DetenteError, InputError
from .inputs.bibliography import load_bibliography
from .inputs.loading import read_yaml
from .inputs.profile import load_profile
from .inputs.scenario import Scenario, load_scenario
from .months import format_month, parse_month
from .results import tables
from .results.results import Results

app = typer.Typer(
    no_args_is_help=True,
    help="Détente: what does a deal with North Korea buy? Sourced Monte Carlo projections.",
)
out = Console()
err = Console(stderr=True)

HEADLINE = ("pu_kg", "heu_kg", "warheads_possible")
UNITS = {"pu_kg": "kg", "heu_kg": "kg", "warheads_possible": "warheads"}
LABELS = {
    "pu_kg": "Pu (kg)",
    "heu_kg": "HEU (kg)",
    "warheads_possible": "Warheads possible",
    "warheads_assembled": "Warheads assembled",
}


def _print_version(asked: bool) -> None:
    if asked:
        out.print(f"detente {__version__}", highlight=False)
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[bool, typer.Option("--version", callback=_print_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """Détente: what does a deal with North Korea buy? Sourced Monte Carlo projections."""


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


class SchemaKind(StrEnum):
    scenario = "scenario"
    profile = "profile"


class SourceFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    bibtex = "bibtex"


def main() -> None:
    """Entry point: run the app and map errors to exit codes. Messages print verbatim."""
    try:
        app(prog_name="detente", standalone_mode=False)  # the name in usage lines and completion scripts
    except InputError as exc:
        _error("error:", str(exc))
        sys.exit(2)
    except (typer.Abort, KeyboardInterrupt):
        err.print("aborted", markup=False, highlight=False)
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
        _error("internal error:", f"{kind}{exc}")
        sys.exit(1)


def _error(label: str, message: str) -> None:
    """``label`` in bold red, then ``message`` exactly as written (brackets are not markup)."""
    err.print(Text(label, style="bold red"), Text(message), highlight=False, soft_wrap=True)


def _show_table(title: str, header: Sequence[str], rows: Iterable[Sequence[str]], *, key: int = 1,
                caption: str | None = None, left: Collection[str] = (), whole: bool = False) -> None:
    """Print a table whose first ``key`` columns name each row (left-aligned, as are ``left``
    headers; the others are numbers, right-aligned, each cell kept on one line if ``whole``). No
    number is cut at any terminal width: cells wrap only between words, and when the table is
    still too wide the other columns go on in further tables, each repeating the naming columns."""
    rows = [list(row) for row in rows]
    text = [i < key or h in left for i, h in enumerate(header)]

    def longest(cells: list[str], split) -> int:
        return max((cell_len(part) for cell in cells for part in split(cell)), default=1)

    least, most = [], []  # the width each column needs to break no word (nor, with `whole`, a number), and at most
    for i, head in enumerate(header):
        cells = [row[i] for row in rows]
        unbroken = str.splitlines if whole and not text[i] else str.split
        least.append(max(longest([head], str.split), longest(cells, unbroken)))
        most.append(longest([head, *cells], str.splitlines))

    def room(columns: list[int]) -> int:
        return out.width - 1 - 3 * len(columns)  # a border and two spaces of padding a column

    parts = [list(range(key))]
    for i in range(key, len(header)):
        if len(parts[-1]) > key and sum(least[j] for j in [*parts[-1], i]) > room([*parts[-1], i]):
            parts.append(list(range(key)))
        parts[-1].append(i)
    for k, columns in enumerate(parts):
        widths = _narrow([least[i] for i in columns], [most[i] for i in columns], room(columns))
        table = Table(title=title if k == 0 else f"{title} (continued)", caption=caption if k == len(parts) - 1
                      else None)
        for n, i in enumerate(columns):
            table.add_column(header[i], justify="left" if text[i] else "right", width=widths[n] if widths else None)
        for row in rows:
            table.add_row(*[row[i] for i in columns])
        out.print(table)


def _narrow(least: list[int], most: list[int], room: int) -> list[int] | None:
    """Column widths within ``room``, the widest narrowed first and none below its ``least``;
    ``None`` when every column fits at its ``most`` (rich lays them out)."""
    if sum(most) <= room:
        return None
    widths = list(most)
    for _ in range(sum(most) - max(room, sum(least))):
        i = max(range(len(widths)), key=lambda j: widths[j] if widths[j] > least[j] else -1)
        widths[i] -= 1
    return widths


def _two_lines(cell: str) -> str:
    """``median (p5–p95)`` with the interval under the median."""
    return cell.replace(" (", "\n(", 1)


def _dates(text: str | None) -> list[str] | None:
    """``--dates`` split and checked as months (whether they lie in the run is checked after it)."""
    dates = [d.strip() for d in text.split(",") if d.strip()] if text else None
    for date in dates or ():
        try:
            parse_month(date)
        except ValueError as exc:
            raise InputError(str(exc), field="--dates") from None
    return dates


def _writable(path: Path | None, field: str, suffixes: tuple[str, ...] = (), folder: bool = False) -> None:
    """Refuse, before any simulation, an output path that could not be written: a wrong suffix, a
    missing or read-only parent folder, a folder where a file is meant (or a file where a folder is)."""
    if path is None:
        return
    if suffixes and path.suffix.lower() not in suffixes:
        raise InputError(f"{path}: use a file name ending {' or '.join(suffixes)}", field=field)
    if path.exists() and path.is_dir() != folder:
        raise InputError(f"{path} is {'a file' if folder else 'a folder'}; give {'a folder' if folder else 'a file'}",
                         field=field)
    target = path if folder and path.exists() else path.parent
    if not target.is_dir():
        raise InputError(f"the folder {target} does not exist", field=field)
    if not os.access(target, os.W_OK | os.X_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise InputError(f"{path} cannot be written (permission denied)", field=field)


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


def _conditioning(observations: Path | None, prior: bool) -> str | None:
    """What ``--observations`` and ``--prior`` ask the history to be conditioned on."""
    if prior and observations is not None:
        raise InputError("give --observations or --prior, not both", field="--prior")
    return None if prior else (str(observations) if observations is not None else "profile")


def _simulate(samples: int, quiet: bool, **options) -> Results:
    """``detente.simulate`` with a progress bar on a terminal; says what the history was
    conditioned on, and any observation the model cannot reach."""
    bar, tick = _progress(samples, quiet)
    if bar:
        bar.start()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            results = simulate(samples=samples, progress=tick, **options)
    finally:
        if bar:
            bar.stop()
    for warning in caught:
        err.print(f"warning: {warning.message}", markup=False, highlight=False)
    if results.attrs.get("conditioned_on") and not quiet:
        err.print(f"history conditioned on {results.attrs['conditioned_on']} ({results.attrs['calibration']}); "
                  "--prior for the unconditioned model", markup=False, highlight=False)
    return results


def _emit(results: Results, dates: list[str], fmt: Format, out_path: Path | None, table) -> None:
    """Write ``--out`` if asked, then print JSON, CSV or the ``table``."""
    if out_path:
        _write(results, out_path, dates)
    if fmt == Format.json:
        print(json.dumps(results.records(dates), indent=1))
    elif fmt == Format.csv:
        sys.stdout.write(results.summary_table(dates).to_csv(index=False, float_format="%.6g"))
    else:
        table(results, dates)


OUT_SUFFIXES = (".nc", ".csv", ".json")


def _write(results: Results, path: Path, dates: list[str] | None) -> None:
    suffix = path.suffix.lower()
    if suffix == ".nc":
        results.to_netcdf(path)
    elif suffix == ".csv":
        results.to_csv(path, dates)
    else:  # .json (the suffix was checked before the run)
        path.write_text(json.dumps(results.records(dates), indent=1))


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
    observations: Annotated[Path | None, typer.Option(
        help="Condition the history on these published estimates (CSV) instead of the profile's.")] = None,
    prior: Annotated[bool, typer.Option("--prior", help="The unconditioned model (no observations).")] = False,
    missiles: Annotated[bool, typer.Option(help="Run the missile and reach model too.")] = True,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Project fissile material and warheads for one scenario (default: the no-deal baseline)."""
    _writable(out_path, "--out", OUT_SUFFIXES)
    wanted = _dates(dates)
    results = _simulate(samples, quiet or fmt != Format.table, scenarios=scenario, profile=profile,
                        seed=seed, horizon=horizon, workers=workers, missiles=missiles,
                        observations=_conditioning(observations, prior))
    _emit(results, results.check_dates(wanted), fmt, out_path, _print_table)


def _print_table(results: Results, dates: list[str]) -> None:
    summary = tables.Summary(results, dates)
    for scenario in results.scenarios:
        _show_table(f"{scenario}: median (90 % interval)", ["date", *[LABELS[m] for m in HEADLINE]],
                    [[date, *[tables.interval(summary.get(scenario, m, date), UNITS[m]) for m in HEADLINE]]
                     for date in dates],
                    caption=f"{results.attrs['samples']:,} samples · seed {results.attrs['seed']} · "
                    f"profile {results.attrs['profile']} · Pu and HEU on hand, net of tests")
    ends = [d for d in dates if tables.evaluated(results, d)][-1:]
    _print_regions(results, ends)
    for note in tables.beyond_range(results):
        err.print(f"note: {note}", markup=False)


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
    observations: Annotated[Path | None, typer.Option(
        help="Condition the history on these published estimates (CSV) instead of the profile's.")] = None,
    prior: Annotated[bool, typer.Option("--prior", help="The unconditioned model (no observations).")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """What each deal buys: scenarios against a baseline on the same random draws."""
    _writable(out_path, "--out", OUT_SUFFIXES)
    wanted = _dates(dates)
    loaded = _with_baseline(scenarios, baseline)
    results = _simulate(samples, quiet or fmt != Format.table, scenarios=loaded, profile=profile, seed=seed,
                        horizon=horizon, workers=workers, baseline=loaded[0].name, threshold=threshold,
                        observations=_conditioning(observations, prior))
    chosen = results.check_dates(wanted or tables.compare_dates(results))
    _emit(results, chosen, fmt, out_path, _print_compare)


def _with_baseline(scenarios: list[str], baseline: str) -> list[Scenario]:
    """The baseline first, then the other scenarios (loaded)."""
    return [load_scenario(s) for s in [baseline, *[s for s in scenarios if s != baseline]]]


def _print_compare(results: Results, dates: list[str]) -> None:
    from .results.buys import answers

    summary = tables.Summary(results, sorted({*dates, results.months[-1]}))
    base = results.baseline
    if base:  # what each deal buys, first, in one sentence each
        out.print("[bold]What each deal buys[/]")
        for answer in answers(results):
            out.print(Text("• " + answer.sentence()))
    for date in dates:
        _show_table(f"{date}: median (90 % interval); paired differences vs {base}",
                    ["scenario", "warheads possible", "warheads averted", "Pu (kg)", "HEU (kg)", "breakout (months)",
                     "P(in force)", "P(cheated)", "P(detected)"],
                    [[row["scenario"], *map(_two_lines, (row[k] for k in ("warheads", "averted", "pu", "heu",
                                                                           "breakout"))),
                      row["in_force"], row["cheated"], row["detected"]]
                     for row in tables.buys(results, [date], summary)])
    _show_table(f"To the horizon ({results.months[-1]})",
                ["scenario", f"months until {results.attrs['threshold']} warheads", "delay vs baseline (months)",
                 "months all production halted", "deal lasted (months)"],
                [[row[k] for k in ("scenario", "to_n", "delay", "halted", "lasted")]
                 for row in tables.to_horizon(results, summary)])
    _print_threat(results, summary)
    _print_regions(results, [d for d in dates if tables.evaluated(results, d)])
    out.print(f"{results.attrs['samples']:,} samples · seed {results.attrs['seed']} · "
              "differences are paired (same draws); '>' values beyond the horizon show as –")


def _print_threat(results: Results, summary: tables.Summary) -> None:
    """Warhead designs validated, militarised crises and ICBM flights to the horizon (two narrow
    tables; designs validated in every sample of every scenario are named below, not shown)."""
    rows = tables.threat(results, summary)
    end = results.months[-1]
    open_designs = [k for k, d in enumerate(results.designs)
                    if any(summary.get(s, f"p_design:{d}", end) and summary.get(s, f"p_design:{d}", end)["mean"] < 1
                           for s in results.scenarios)]
    if open_designs:
        _show_table(f"Warhead designs validated by {end}: P (change vs baseline)",
                    ["scenario", *[results.designs[k] for k in open_designs]],
                    [[row["scenario"], *[row["designs_short"][k] for k in open_designs]] for row in rows])
        settled = [d for k, d in enumerate(results.designs) if k not in open_designs]
        if settled:
            out.print("Validated already in every sample: " + ", ".join(settled))
    if any(r["crises"] != "–" for r in rows):
        _show_table(f"Crises from the start and ICBM flights from the data date, to {end}: median (90 %)",
                    ["scenario", "crises", "Δ crises", "ICBM flights", "Δ ICBM flights"],
                    [[row[k] for k in ("scenario", "crises", "crises_change", "icbm_flights", "icbm_flights_change")]
                     for row in rows])


def _print_regions(results: Results, dates: list[str]) -> None:
    """Deliverable warheads by region (expected number, 90 % interval, P(≥ 1 arrives))."""
    base = results.baseline
    for date in dates:
        _show_table(f"{date}: warheads deliverable by region — median (90 %) · P(≥1 arrives)"
                    + (f"; Δ vs {base}" if base else ""), ["region", *results.scenarios],
                    [[row["region"], *[c["text"] + (f"\nΔ {c['delta']}" if c["delta"] else "") for c in row["cells"]]]
                     for row in tables.regions(results, date)])
    reliable = results.reliable_icbm_month()
    if reliable:
        parts = [f"{s}: {m or 'not by ' + results.months[-1]}" for s, m in reliable.items()]
        out.print("First month P(ICBM reliability ≥ 0.8) > 0.5 — " + "; ".join(parts))


@app.command()
def backtest(
    observations: Annotated[Path | None, typer.Option(
        help="Published estimates to score against and condition on (default: the profile's).")] = None,
    samples: Annotated[int, typer.Option(help="Monte Carlo samples drawn per run.")] = 20_000,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    workers: Annotated[int, typer.Option(help="Worker processes (numbers do not change).")] = 1,
    prior: Annotated[bool, typer.Option("--prior", help="Score the unconditioned model.")] = False,
    cross_validate: Annotated[bool, typer.Option(help="Also leave each publisher out in turn.")] = True,
    fmt: Annotated[Format, typer.Option("--format", help="table, json or csv on stdout.")] = Format.table,
    profile: Annotated[str, typer.Option(help="Bundled profile name or a profile file.")] = "dprk",
) -> None:
    """The replay of the history against published estimates: coverage, sharpness, and
    leave-one-publisher-out coverage."""
    import pandas as pd

    from .analysis.backtest import SHARP
    from .analysis.backtest import backtest as run_backtest

    known = api_observations(str(observations) if observations else "profile", profile=profile)
    if known is None:
        raise InputError("the profile has no bundled observations; give --observations FILE", field="--observations")
    result = run_backtest(known, profile=profile, samples=samples, seed=seed, workers=workers, prior=prior,
                          cross_validate=cross_validate)
    if fmt == Format.json:
        print(json.dumps({"conditioned_on": result.conditioned_on, "calibration": result.calibration,
                          "samples": result.samples, "coverage": result.coverage,
                          "centre_coverage": result.centre_coverage,
                          "sharpness": result.sharpness, "observations": result.rows.to_dict("records"),
                          "metric_months": result.months.to_dict("records"),
                          "held_out": result.held_out.to_dict("records")}, indent=1, default=float))
        return
    if fmt == Format.csv:
        sys.stdout.write(result.rows.to_csv(index=False, float_format="%.6g"))
        return
    _show_table("The replay of the history against published estimates",
                ["date", "metric", "publisher", "published", "model median (90 %)", "meets", "holds centre"],
                [[row.date, row.metric, row.publisher,
                  "–".join("" if pd.isna(x) else f"{x:g}" for x in (row.low, row.high)),
                  f"{row.p50:.0f} ({row.p5:.0f}–{row.p95:.0f})", "yes" if row.covered else "no",
                  "yes" if row.centre else "no"] for row in result.rows.itertuples()],
                key=3, caption=f"conditioned on {result.conditioned_on} · {result.samples:,} samples · seed {seed}")
    out.print(f"coverage: the 90 % interval meets {result.coverage:.0%} of the published ranges and holds the "
              f"centre of {result.centre_coverage:.0%}; "
              f"sharpness: no wider than {SHARP:g} × the published spread in {result.sharpness:.0%} "
              f"of {len(result.months)} metric-months")
    if len(result.held_out):
        _show_table("Leave one publisher out: condition on the others, score on it",
                    ["publisher", "observations", "meets", "holds centre"],
                    [[row.publisher, str(row.observations), f"{row.covered:.0%}", f"{row.centre:.0%}"]
                     for row in result.held_out.itertuples()])


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
    pdf: Annotated[Path | None, typer.Option(help="Also print the report to this PDF (A4; needs Chromium).")
                   ] = None,
    profile: Annotated[str, typer.Option(help="Bundled profile name or a profile file.")] = "dprk",
    observations: Annotated[Path | None, typer.Option(
        help="Condition the history on these published estimates (CSV) instead of the profile's.")] = None,
    prior: Annotated[bool, typer.Option("--prior", help="The unconditioned model (no observations).")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """One self-contained HTML report: what each deal buys, charts, outcomes, drivers, assumptions."""
    from .report import write_report  # the report's plotting libraries load only when asked
    from .report.pdf import browser, print_pdf

    _writable(output, "--output", (".html", ".htm"))
    _writable(figures, "--figures", folder=True)
    _writable(csv, "--csv", (".csv",))
    _writable(netcdf, "--netcdf", (".nc",))
    _writable(pdf, "--pdf", (".pdf",))
    if pdf:
        browser()  # before the run: a missing browser is found now, not after the simulation
    loaded = _with_baseline(scenarios, baseline)
    results = _simulate(samples, quiet, scenarios=loaded, profile=profile, seed=seed, horizon=horizon,
                        workers=workers, baseline=loaded[0].name if len(loaded) > 1 else None,
                        observations=_conditioning(observations, prior))
    if not quiet:
        err.print("drawing the report …")
    write_report(results, output, title=title, figures=figures)
    if csv:
        results.to_tidy_csv(csv)
    if netcdf:
        results.to_netcdf(netcdf)
    if pdf:
        print_pdf(output, pdf)
    out.print(f"[green]wrote[/] {output}" + (f" and {pdf}" if pdf else "") + (f" and figures in {figures}"
                                                                              if figures else ""))


analyze_app = typer.Typer(no_args_is_help=True, help="Which assumptions decide a deal: sensitivity, scenario "
                          "discovery, robustness across deals.")
app.add_typer(analyze_app, name="analyze")

TEXT_COLUMNS = ("input", "family", "value", "deal", "box", "input ranges")  # left-aligned; the rest are numbers
ANALYSIS_OUTPUTS = {"chart": (".png", ".svg"), "report": (".html", ".htm")}
Samples = Annotated[int, typer.Option(help="Monte Carlo samples.")]
Chart = Annotated[Path | None, typer.Option(help="Also write the chart (.png or .svg).")]
AnalysisReport = Annotated[Path | None, typer.Option("--report", help="Also write a self-contained HTML page.")]
Seed = Annotated[int, typer.Option(help="Random seed.")]
Workers = Annotated[int, typer.Option(help="Worker processes (numbers do not change).")]
ProfileName = Annotated[str, typer.Option(help="Bundled profile name or a profile file.")]
Prior = Annotated[bool, typer.Option("--prior", help="The unconditioned model (no observations).")]
Fmt = Annotated[Format, typer.Option("--format", help="table, json or csv on stdout.")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")]
Baseline = Annotated[str, typer.Option(help="Scenario paired changes are taken against.")]
OutcomeText = Annotated[str, typer.Option(help="METRIC[@YYYY or YYYY-MM]; delta: for what the deal changes.")]


def _counting(quiet: bool, total: int | None = None):
    """A progress bar whose total may be set once known; returns (bar, set_total, tick)."""
    if quiet or not err.is_terminal:
        return None, None, None
    bar = Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                   TimeRemainingColumn(), console=err, transient=True)
    task = bar.add_task("simulating", total=total)
    return bar, lambda n: bar.update(task, total=n), lambda n: bar.advance(task, n)


def _analysis_outputs(chart: Path | None, page: Path | None) -> None:
    _writable(chart, "--chart", ANALYSIS_OUTPUTS["chart"])
    _writable(page, "--report", ANALYSIS_OUTPUTS["report"])


def _show(analysis, fmt: Format, chart: Path | None, page: Path | None) -> None:
    """Print an analysis (table, JSON or CSV) and write its chart and HTML page if asked."""
    from .report.analysis import as_json, present, render_analysis
    from .report.analysis import chart as draw

    shown = present(analysis)
    if fmt == Format.json:
        print(json.dumps(as_json(analysis), indent=1, default=float))
    elif fmt == Format.csv:
        frame = analysis.table if hasattr(analysis, "table") else analysis.tradeoff
        sys.stdout.write(frame.to_csv(index=False, float_format="%.6g"))
    else:
        for line in shown.lines:
            out.print(line, highlight=False, markup=False)
        if shown.rows:
            _show_table(shown.title, shown.header, shown.rows, left=TEXT_COLUMNS, whole=True)
    ax = draw(analysis) if chart or page else None
    if chart and ax is not None:
        ax.figure.tight_layout()
        ax.figure.savefig(chart, dpi=200)
    if page:
        page.write_text(render_analysis(analysis, " ".join(["detente", *sys.argv[1:]])), encoding="utf-8")
    written = [str(p) for p in (chart, page) if p and (p != chart or ax is not None)]
    if written and fmt == Format.table:
        out.print(f"[green]wrote[/] {', '.join(written)}")


@analyze_app.command("sensitivity")
def analyze_sensitivity(
    scenario: Annotated[str, typer.Argument(help="Bundled scenario name or a scenario file.")],
    outcome: OutcomeText = "delta:warheads_possible",
    method: Annotated[str, typer.Option(help="sobol (its own design, run through the model) or pawn (the "
                                             "samples of one ordinary run, or of --results).")] = "sobol",
    by: Annotated[str, typer.Option(help="Sobol': indices by input 'family' or by 'parameter'.")] = "family",
    samples: Annotated[int | None, typer.Option(help="Sobol': base samples, a power of 2 (default 1,024; runs = "
                                                     "base × (inputs + 2)); PAWN: samples of the run (20,000).")
                       ] = None,
    baseline: Baseline = "no-deal",
    results_file: Annotated[Path | None, typer.Option("--results", help="PAWN on a stored run (.nc) instead.")
                            ] = None,
    seed: Seed = 0,
    workers: Workers = 1,
    profile: ProfileName = "dprk",
    prior: Prior = False,
    fmt: Fmt = Format.table,
    chart: Chart = None,
    page: AnalysisReport = None,
    quiet: Quiet = False,
) -> None:
    """Which inputs drive an outcome: Sobol' first-order and total indices with 95 % intervals, or
    PAWN indices from a run's samples. Only inputs that can affect the outcome are listed."""
    from .analysis.outcome import parse_outcome
    from .analysis.pawn import pawn
    from .analysis.sobol import sobol

    _analysis_outputs(chart, page)
    wanted = parse_outcome(outcome, "--outcome")
    if method not in ("sobol", "pawn"):
        raise InputError("must be 'sobol' or 'pawn'", field="--method")
    if method == "sobol":
        if results_file is not None:
            raise InputError("a stored run can only be analysed with --method pawn", field="--results")
        bar, total, tick = _counting(quiet or fmt != Format.table)
        if bar:
            bar.start()
        try:
            found = sobol(scenario, wanted, baseline=baseline, by=by, base=samples or 1024, seed=seed, workers=workers,
                          profile=profile, observations=None if prior else "profile", progress=tick, runs=total)
        finally:
            if bar:
                bar.stop()
    else:
        name = load_scenario(scenario).name if results_file is None else scenario
        if results_file is not None:
            results = Results.from_netcdf(results_file)
            if name not in results.scenarios:
                raise InputError(f"the run holds no scenario {name!r}; it holds {', '.join(results.scenarios)}",
                                 file=str(results_file))
        else:
            loaded = _with_baseline([scenario], baseline) if wanted.delta else [load_scenario(scenario)]
            results = _simulate(samples or 20_000, quiet or fmt != Format.table, scenarios=loaded, profile=profile,
                                seed=seed, horizon=wanted.month, workers=workers, missiles=wanted.missiles,
                                baseline=loaded[0].name if len(loaded) > 1 else None,
                                observations=_conditioning(None, prior))
        found = pawn(results, name, wanted)
    _show(found, fmt, chart, page)


@analyze_app.command("discover")
def analyze_discover(
    scenario: Annotated[str, typer.Argument(help="Bundled scenario name or a scenario file.")],
    when: Annotated[str, typer.Option(help="The condition, e.g. 'delta:warheads_possible@2037 > -20' "
                                           "(join several with 'and').")],
    samples: Samples = 20_000,
    baseline: Baseline = "no-deal",
    boxes: Annotated[int, typer.Option(help="Boxes to find, one after another.")] = 2,
    density: Annotated[float | None, typer.Option(help="Least density (share of a box's samples where the "
                                                       "condition holds) worth reporting, 0–1 (default: 1.25 × "
                                                       "its share in all samples).")] = None,
    results_file: Annotated[Path | None, typer.Option("--results", help="Search a stored run (.nc) instead.")
                            ] = None,
    seed: Seed = 0,
    workers: Workers = 1,
    profile: ProfileName = "dprk",
    prior: Prior = False,
    fmt: Fmt = Format.table,
    chart: Chart = None,
    page: AnalysisReport = None,
    quiet: Quiet = False,
) -> None:
    """Scenario discovery: the boxes of input ranges in which a condition on the outcome holds
    (PRIM), with their coverage and density, in plain words."""
    from .analysis.discover import discover
    from .analysis.outcome import one_month, parse_conditions

    _analysis_outputs(chart, page)
    conditions = parse_conditions(when, "--when")
    month = one_month([c.outcome for c in conditions], "--when")
    if density is not None and not 0 < density <= 1 or not 1 <= boxes <= 10:
        raise InputError("--density must be in (0, 1] and --boxes from 1 to 10", field="--density")
    if results_file is not None:
        results = Results.from_netcdf(results_file)
        name = scenario
    else:
        paired = any(c.outcome.delta for c in conditions)
        loaded = _with_baseline([scenario], baseline) if paired else [load_scenario(scenario)]
        name = loaded[-1].name
        results = _simulate(samples, quiet or fmt != Format.table, scenarios=loaded, profile=profile, seed=seed,
                            horizon=month, workers=workers, missiles=any(c.outcome.missiles for c in conditions),
                            baseline=loaded[0].name if paired else None, observations=_conditioning(None, prior))
    _show(discover(results, name, conditions, boxes=boxes, threshold=density), fmt, chart, page)


@analyze_app.command("robustness")
def analyze_robustness(
    deals: Annotated[list[str], typer.Argument(help="Two or more deals (names or files).")],
    outcome: Annotated[str, typer.Option(help="METRIC[@DATE] regret is measured on.")] = "delta:warheads_possible",
    goal: Annotated[str | None, typer.Option(help="What a deal must achieve in a sample, e.g. "
                                                  "'delta:warheads_possible@2037 <= -40 and icbm_reliability@2037 "
                                                  "< 0.8'.")] = None,
    better: Annotated[str, typer.Option(help="Whether 'lower' or 'higher' outcomes are better.")] = "lower",
    samples: Samples = 20_000,
    baseline: Baseline = "no-deal",
    seed: Seed = 0,
    workers: Workers = 1,
    fmt: Fmt = Format.table,
    chart: Chart = None,
    page: AnalysisReport = None,
    quiet: Quiet = False,
) -> None:
    """Which deal holds up across futures: per-sample regret against the best deal, and the share
    of samples meeting a goal, on shared draws."""
    from .analysis.outcome import parse_conditions, parse_outcome
    from .analysis.robust import robustness

    _analysis_outputs(chart, page)
    conditions = parse_conditions(goal, "--goal") if goal else []
    bar, _, tick = _counting(quiet or fmt != Format.table, samples)
    if bar:
        bar.start()
    try:
        found = robustness(deals, parse_outcome(outcome, "--outcome"), conditions, better=better, baseline=baseline,
                           samples=samples, seed=seed, workers=workers, progress=tick)
    finally:
        if bar:
            bar.stop()
    _show(found, fmt, chart, page)


@app.command()
def sweep(
    scenarios: Annotated[list[str], typer.Argument(help="A scenario (with --set), or several files that encode "
                                                        "one proposal (a deal family).")],
    setting: Annotated[str | None, typer.Option(
        "--set", help="PATH=V1,V2,… e.g. halt.verification0.detect_per_month=0.1,0.5,0.9")] = None,
    outcome: OutcomeText = "delta:warheads_possible",
    samples: Samples = 20_000,
    baseline: Baseline = "no-deal",
    seed: Seed = 0,
    workers: Workers = 1,
    fmt: Fmt = Format.table,
    chart: Chart = None,
    page: AnalysisReport = None,
    quiet: Quiet = False,
) -> None:
    """What each value of one deal lever buys, on shared draws — or several readings of one
    proposal side by side."""
    from .analysis.outcome import parse_outcome
    from .analysis.sweep import family, split_values
    from .analysis.sweep import sweep as run_sweep

    _analysis_outputs(chart, page)
    wanted = parse_outcome(outcome, "--outcome")
    options = {"baseline": baseline, "samples": samples, "seed": seed, "workers": workers}
    if setting is None and len(scenarios) < 2:
        raise InputError("give --set PATH=V1,V2,… or two or more scenario files", field="--set")
    if setting is not None:
        if len(scenarios) != 1:
            raise InputError("--set varies one scenario; give exactly one", field="--set")
        path, eq, settings = setting.partition("=")
        if not eq or not path.strip():
            raise InputError("write PATH=V1,V2,…", field="--set")
    bar, _, tick = _counting(quiet or fmt != Format.table, samples)
    if bar:
        bar.start()
    try:
        if setting is not None:
            found = run_sweep(scenarios[0], path.strip(), split_values(settings), wanted, progress=tick, **options)
        else:
            found = family(scenarios, wanted, progress=tick, **options)
    finally:
        if bar:
            bar.stop()
    _show(found, fmt, chart, page)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address (default: this machine only).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    data_dir: Annotated[
        Path | None, typer.Option("--data-dir", help="Scenarios and runs (default ~/.detente).")
    ] = None,
) -> None:
    """Détente in a browser, with a JSON API under /api (DETENTE_TOKEN: require a token)."""
    from .web import serve as run_server  # the web app's libraries load only when asked

    _listenable(host, port)
    if data_dir is not None and data_dir.exists() and not data_dir.is_dir():
        raise InputError(f"{data_dir} is a file; give a folder (it is created if missing)", field="--data-dir")
    run_server(host=host, port=port, data_dir=data_dir)


def _listenable(host: str, port: int) -> None:
    """Refuse, before the server starts, a port outside 1–65535 or a host that is no address."""
    if not 1 <= port <= 65_535:
        raise InputError(f"port {port} is outside 1–65535", field="--port")
    try:
        socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise InputError(f"{host!r} is not an address this machine can listen on ({exc})", field="--host") from None


@app.command()
def params(
    profile: Annotated[str, typer.Option(help="Bundled profile name or a profile file.")] = "dprk",
    scenario: Annotated[list[str] | None, typer.Option(help="Also list a scenario's own inputs.")] = None,
    fmt: Annotated[Format, typer.Option("--format")] = Format.table,
) -> None:
    """Every uncertain input with its distribution, 90 % range and sources or judgement basis."""
    specs = parameters([load_scenario(name) for name in scenario or []], profile=profile)
    rows = tables.parameter_rows(specs, {f.id: f.name for f in load_profile(profile).facilities})
    if fmt == Format.json:
        print(json.dumps(rows, indent=1))
        return
    if fmt == Format.csv:  # one value per cell: sources joined with "; ", judgement as true/false
        import pandas as pd

        frame = pd.DataFrame(rows).assign(sources=lambda f: f["sources"].str.join("; "),
                                          judgement=lambda f: f["judgement"].map({True: "true", False: "false"}))
        sys.stdout.write(frame.to_csv(index=False))
        return
    table = Table(title=f"Parameters of profile {profile!r}")
    for column in ("parameter", "distribution", "90 % range", "unit", "basis"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(f"{row['parameter']}\n[dim]{row['label']}[/dim]", row["distribution"], row["range90"],
                      row["unit"], row["basis"])
    out.print(table)


@app.command()
def sources(
    fmt: Annotated[SourceFormat, typer.Option("--format")] = SourceFormat.table,
) -> None:
    """The bundled bibliography (``--format bibtex`` for a reference manager)."""
    bibliography = load_bibliography()
    items = bibliography.sources
    if fmt == SourceFormat.bibtex:
        sys.stdout.write(bibliography.to_bibtex())
        return
    if fmt != SourceFormat.table:
        rows = [s.model_dump() for s in items]
        if fmt == SourceFormat.json:
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
def schema(
    kind: Annotated[SchemaKind, typer.Argument(help="Which files: scenario or profile.")],
) -> None:
    """The JSON Schema of scenario or profile files, for an editor's completion and checks."""
    from .schema import render

    sys.stdout.write(render(kind.value))


@app.command()
def validate(
    file: Annotated[Path, typer.Argument(help="A profile or scenario YAML file.")],
    profile: Annotated[str, typer.Option(help="Profile a scenario is checked against.")] = "dprk",
) -> None:
    """Check a profile or scenario file; print what it holds or exactly what is wrong."""
    data = read_yaml(file)
    if isinstance(data, dict) and "facilities" in data:
        prof = load_profile(file)
        out.print(f"ok: profile {prof.name!r} with {len(prof.facilities)} facilities and "
                  f"{len(prof.parameters())} parameters", markup=False, highlight=False)
        return
    scenario = load_scenario(file)
    plan = check(scenario, profile=profile)  # names, dates and horizon exactly as `detente run` checks them
    for warning in plan.warnings:
        _error("warning:", warning)
    out.print(f"ok: scenario {scenario.name!r} starting {format_month(scenario.start)} with "
              f"{len(scenario.phases)} phases, checked against profile {profile!r}", markup=False, highlight=False)
