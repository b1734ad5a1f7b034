"""The command line: output formats, exit codes, and no tracebacks on bad input."""

import json
import re
import sys

import pytest

import detente
from detente import cli
from detente.schema import path as schema_path


def run_cli(monkeypatch, capsys, *args):
    monkeypatch.setattr(sys, "argv", ["detente", *args])
    with pytest.raises(SystemExit) as info:
        cli.main()
        raise SystemExit(0)
    captured = capsys.readouterr()
    return info.value.code, captured.out, captured.err


def test_run_json_records(monkeypatch, capsys):
    code, out, _ = run_cli(monkeypatch, capsys, "run", "--samples", "2000", "--horizon",
                           "2030-12", "--format", "json", "--dates", "2010-01,2030-12")
    assert code == 0
    records = json.loads(out)
    assert {r["metric"] for r in records} >= {
        "pu_kg", "heu_kg", "warheads_possible", "warheads_assembled"}
    assert {r["date"] for r in records} == {"2010-01", "2030-12"}
    first = records[0]
    assert list(first) == ["scenario", "metric", "date", "mean", "p5", "p25", "p50", "p75", "p95", "beyond_range"]
    assert first["p5"] <= first["p50"] <= first["p95"]


def test_run_table_and_out_file(monkeypatch, capsys, tmp_path):
    target = tmp_path / "r.csv"
    code, out, _ = run_cli(monkeypatch, capsys, "run", "--samples", "1000", "--horizon",
                           "2030-12", "--out", str(target), "--quiet")
    assert code == 0
    assert "Warheads possible" in out and "2030-01" in out
    assert target.read_text().startswith("scenario,metric,date")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "--samples", "1000000000000"], "samples"),
        (["run", "--horizon", "1999-01"], "horizon"),
        (["run", "--dates", "2050-01", "--samples", "100", "--horizon", "2030-12"], "dates"),
        (["validate", "/nonexistent.yaml"], "no such file"),
        (["run", "not-a-scenario"], "no bundled scenario"),
        (["run", "../profiles/dprk"], "no bundled scenario"),
        (["run", "README.md"], "no bundled scenario named 'README.md' (scenario files end in .yaml)"),
    ],
)
def test_bad_input_exit_2_without_traceback(monkeypatch, capsys, args, message):
    code, _, err = run_cli(monkeypatch, capsys, *args)
    assert code == 2
    assert message in err
    assert "Traceback" not in err


def _never_simulates(monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("simulated before checking the output paths")
    monkeypatch.setattr(cli, "_simulate", fail)


@pytest.mark.parametrize(("args", "field"), [
    (["run", "--out", "{tmp}/missing/r.nc"], "--out"),
    (["run", "--out", "{tmp}/r.txt"], "--out"),
    (["compare", "kimball-2018", "--out", "{tmp}"], "--out"),
    (["report", "no-deal", "-o", "{tmp}/missing/r.html"], "--output"),
    (["report", "no-deal", "-o", "{tmp}/r.pdf"], "--output"),
    (["report", "no-deal", "-o", "{tmp}/r.html", "--figures", "{tmp}/file.txt"], "--figures"),
    (["report", "no-deal", "-o", "{tmp}/r.html", "--csv", "{tmp}/file.txt/r.csv"], "--csv"),
    (["run", "--dates", "2030-13"], "--dates"),
    (["compare", "kimball-2018", "--dates", "soon"], "--dates"),
])
def test_output_paths_and_dates_are_checked_before_any_simulation(monkeypatch, capsys, tmp_path, args, field):
    """A path that cannot be written, or a malformed date, is an exit-2 error naming the option —
    before the simulation, not after it."""
    (tmp_path / "file.txt").write_text("x")
    _never_simulates(monkeypatch)
    code, _, err = run_cli(monkeypatch, capsys, *[a.replace("{tmp}", str(tmp_path)) for a in args])
    assert code == 2 and field in err and "Traceback" not in err


def test_params_lists_every_parameter_with_basis(monkeypatch, capsys, profile):
    code, out, _ = run_cli(monkeypatch, capsys, "params", "--format", "json")
    assert code == 0
    rows = json.loads(out)
    from detente.inputs.missiles import load_missiles

    expected = [*profile.parameters(), *load_missiles("dprk").parameters()]
    assert [r["parameter"] for r in rows] == expected
    assert all(r["basis"] for r in rows)
    cf = next(r for r in rows if r["parameter"] == "yongbyon-5mwe.capacity_factor")
    assert cf["distribution"] == "PERT(0.5, 0.73, 0.9)"


def test_sources_and_validate(monkeypatch, capsys):
    code, out, _ = run_cli(monkeypatch, capsys, "sources", "--format", "json")
    assert code == 0 and any(s["id"] == "hecker2005" for s in json.loads(out))
    from detente.inputs.bibliography import EVIDENCE

    code, out, _ = run_cli(monkeypatch, capsys, "validate", str(EVIDENCE / "profiles" / "dprk.yaml"))
    assert code == 0 and "ok" in out


def test_version(monkeypatch, capsys):
    code, out, _ = run_cli(monkeypatch, capsys, "--version")
    assert code == 0 and out.strip() == f"detente {detente.__version__}"


def test_packaging_states_ranges_and_pins():
    """Ranges in pyproject.toml (so Détente can join an environment), exact pins in constraints.txt,
    one version everywhere, and the license and citation files the metadata names."""
    import tomllib
    from pathlib import Path

    root = Path(__file__).parent.parent
    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    assert not any("==" in d for d in project["dependencies"] + project["optional-dependencies"]["dev"])
    pins = {line.split("==")[0].lower() for line in (root / "constraints.txt").read_text().splitlines()
            if "==" in line}
    for dependency in project["dependencies"]:
        name = dependency.split(">")[0].split("<")[0].split("=")[0].strip().lower()
        assert name in pins or name.replace("-", "_") in pins, name
    assert project["license"] == "Apache-2.0" and (root / "LICENSE").read_text().lstrip().startswith("Apache License")
    assert f'version: "{detente.__version__}"' in (root / "CITATION.cff").read_text()


@pytest.mark.parametrize(("args", "field"), [
    (["serve", "--port", "99999"], "--port"),
    (["serve", "--port", "0"], "--port"),
    (["serve", "--host", "999.1.1.1"], "--host"),
    (["serve", "--data-dir", "README.md"], "--data-dir"),
])
def test_serve_refuses_bad_addresses_before_starting(monkeypatch, capsys, args, field):
    import detente.web

    def never(**kwargs):
        raise AssertionError("the server started")
    monkeypatch.setattr(detente.web, "serve", never)
    code, _, err = run_cli(monkeypatch, capsys, *args)
    assert code == 2 and field in err and "Traceback" not in err



@pytest.mark.parametrize(("name", "value"), [
    ("DETENTE_MAX_SAMPLES", "lots"), ("DETENTE_MAX_SAMPLES", "0"), ("DETENTE_MAX_RUNS", "-1"),
    ("DETENTE_MAX_RUNS", "1000"), ("DETENTE_MAX_BODY", "1e6"), ("DETENTE_MAX_BODY", "10"),
])
def test_serve_refuses_bad_limits_in_the_environment_before_starting(monkeypatch, capsys, tmp_path, name, value):
    """A bad DETENTE_MAX_* value is an input error (exit 2) naming that setting, before uvicorn runs."""
    import uvicorn

    def never(*args, **kwargs):
        raise AssertionError("the server started")
    monkeypatch.setattr(uvicorn, "run", never)
    monkeypatch.setenv(name, value)
    code, _, err = run_cli(monkeypatch, capsys, "serve", "--port", "8765", "--data-dir", str(tmp_path))
    assert code == 2 and name in err and "Traceback" not in err
    others = {"DETENTE_MAX_SAMPLES", "DETENTE_MAX_BODY", "DETENTE_MAX_RUNS"} - {name}
    assert not any(other in err for other in others)


def test_cli_prints_the_schema_and_refuses_other_kinds(monkeypatch, capsys):
    code, out, _ = run_cli(monkeypatch, capsys, "schema", "scenario")
    assert code == 0 and out == schema_path("scenario").read_text()
    code, _, err = run_cli(monkeypatch, capsys, "schema", "deal")
    assert code == 2 and "scenario" in err and "profile" in err and "Traceback" not in err


def test_shell_completion_script(monkeypatch, capsys):
    """``--show-completion SHELL`` prints the script (the shell is named, not detected, as typer's
    own tests do); ``--install-completion`` is offered beside it."""
    monkeypatch.setenv("_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION", "1")
    code, out, _ = run_cli(monkeypatch, capsys, "--show-completion", "bash")
    assert code == 0 and "complete -o default -F _detente_completion detente" in out
    assert "_DETENTE_COMPLETE=complete_bash" in out
    monkeypatch.delenv("_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION")
    code, out, _ = run_cli(monkeypatch, capsys, "--help")
    assert code == 0 and "--install-completion" in out


@pytest.fixture(scope="module")
def drawn():
    """Results the width test prints at each width (one simulation per command)."""
    return {}


@pytest.mark.parametrize("width", [80, 100])
@pytest.mark.parametrize("args", [
    ["compare", "kimball-2018", "mount-2019", "--horizon", "2035-01", "--dates", "2035-01"],
    ["run", "mount-2019", "--horizon", "2030-12", "--dates", "2010-01,2030-12"]])
def test_tables_print_every_number_whole_at_80_and_100_columns(monkeypatch, capsys, drawn, args, width):
    """At 80 and 100 columns no cell is cut: every word of every interval printed appears whole,
    nothing is elided ('…') and no line is wider than the terminal."""
    from rich.console import Console

    from detente.results import tables

    simulate, shown = cli._simulate, []

    def once(*a, **kw):
        key = " ".join(args)
        if key not in drawn:
            drawn[key] = simulate(*a, **kw)
        return drawn[key]

    def interval(*a, **kw):
        shown.append(real(*a, **kw))
        return shown[-1]

    real = tables.interval
    monkeypatch.setattr(cli, "_simulate", once)
    monkeypatch.setattr(tables, "interval", interval)
    monkeypatch.setattr(cli, "out", Console(width=width))
    code, out, _ = run_cli(monkeypatch, capsys, *args, "--samples", "400", "--quiet")
    assert code == 0 and shown
    words = set(re.split(r"[\s│┃]+", out))
    assert "…" not in out
    assert max(len(line) for line in out.splitlines()) <= width
    assert not [w for text in shown for w in text.split() if w not in words]
