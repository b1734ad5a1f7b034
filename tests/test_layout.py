"""The house by stage: imports run one way, Results read back what they wrote, the public test
helpers and the conformance battery, and the bugs the old floor plan let in."""

from __future__ import annotations

import ast
import html
import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from test_cli import run_cli

import detente
from detente.testing import assert_results_identical, check_facility_kinds, check_measure_kinds

PACKAGE = Path(detente.__file__).parent
# the faces, top first: a face may import a face below it, never one above (nor itself back)
FACES = ("detente.cli", "detente.web", "detente.report", "detente.analysis")


def _module(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports() -> dict[str, set[str]]:
    """Module → package modules it imports (at any depth: function-level imports count too)."""
    modules = {_module(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        found = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                base = package.split(".")
                if node.level:
                    base = base[:len(base) - node.level + 1]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                for alias in node.names:  # `from . import layout` imports the module detente.engine.layout
                    sub = f"{target}.{alias.name}"
                    found.add(sub if sub in modules else target)
            elif isinstance(node, ast.Import):
                found.update(a.name for a in node.names)
        graph[name] = {m for m in found if m in modules and m != name}
    return graph


def test_imports_form_no_circle():
    graph = _imports()
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        if state.get(node) == 1:
            pytest.fail("import circle: " + " → ".join([*path, node]))
        if state.get(node) == 2:
            return
        state[node] = 1
        for nxt in graph[node]:
            visit(nxt, [*path, node])
        state[node] = 2

    for module in graph:
        visit(module, [])


def test_nothing_imports_the_package_face_or_a_face_above_it():
    def face(module: str) -> int | None:
        return next((i for i, f in enumerate(FACES) if module == f or module.startswith(f + ".")), None)

    for module, targets in _imports().items():
        if module == "detente":
            continue
        assert "detente" not in targets, f"{module} imports the package face"
        for target in targets:
            mine, theirs = face(module), face(target)
            if theirs is None:
                continue
            assert mine is not None and mine <= theirs, f"{module} imports the face {target}"


def test_results_round_trip_through_netcdf(tmp_path):
    results = detente.compare(["kimball-2018"], samples=3000, seed=2, horizon="2036-12")
    back = detente.Results.from_netcdf(results.to_netcdf(tmp_path / "r.nc"))
    assert_results_identical(results, back, ignore_attrs=())
    assert back.attrs == results.attrs and back.regions == results.regions == ["rok", "japan", "okinawa", "guam",
                                                                              "alaska", "hawaii", "us_west", "us_east"]
    assert back.summary().equals(results.summary())
    assert back.specs == results.specs and back.reliable_icbm_month() == results.reliable_icbm_month()
    for metric in results.metrics:
        assert np.array_equal(back.quantiles(metric, [0.1, 0.9]), results.quantiles(metric, [0.1, 0.9]),
                              equal_nan=True), metric


def test_results_carry_units_and_coordinates(small_run):
    ds = small_run.dataset
    for name, variable in ds.data_vars.items():
        assert "units" in variable.attrs, name
    assert ds["horizon_icbm_reliability"].attrs["units"] == "1"  # a probability, not warheads
    assert small_run.quantiles("icbm_reliability").attrs["units"] == "1"
    assert {"scenario", "date", "sample", "region", "parameter"} <= set(ds.dims)
    assert small_run.start("no-deal") == "2027-01" and "scenario_starts" not in ds.attrs


@pytest.mark.parametrize("name, check", [*check_facility_kinds(detente.load_profile("dprk")),
                                         *check_measure_kinds(detente.load_profile("dprk"))],
                         ids=lambda x: x if isinstance(x, str) else "")
def test_conformance(name, check):
    check()


def test_the_battery_catches_a_kind_that_misbehaves():
    """The battery's checks can fail: a profile whose reactor lacks a measure value fails."""
    profile = detente.load_profile("dprk")
    values = profile.values.model_copy(update={"measures": {k: v for k, v in profile.values.measures.items()
                                                            if k != "ctbt"}})
    broken = profile.model_copy(update={"values": values})
    checks = dict(check_measure_kinds(broken))
    with pytest.raises(detente.InputError, match="no value for 'ctbt'"):
        checks["measure:ctbt:compiles"]()


# -- the six bugs of the old floor plan ------------------------------------------------------------
def test_editor_offers_only_flight_classes_that_validate(tmp_path):
    from fastapi.testclient import TestClient

    from detente.web import create_app

    app = create_app(tmp_path / "data")
    page = TestClient(app).get("/editor").text
    words = re.search(r'<script type="application/json" id="vocabulary">(.*?)</script>', page, re.S)[1]
    offered = json.loads(html.unescape(words))["classes"]
    assert offered and "slv" not in offered
    for missile_class in offered:
        text = {"name": "x", "title": "x", "start": "2027-01", "phases": [{
            "id": "p", "name": "p", "start": {"at": "signature"},
            "duration_months": {"dist": "fixed", "value": 1, "judgement": True, "basis": "test"},
            "measures": [{"kind": "flight-test-moratorium", "classes": [missile_class]}]}]}
        detente.check([detente.Scenario.model_validate(text)])
    app.state.jobs.shutdown()


def test_validate_refuses_what_run_refuses(monkeypatch, capsys, tmp_path):
    early = tmp_path / "early.yaml"
    early.write_text("name: early\ntitle: An early start\nstart: 2020-01\n")
    code, _, err = run_cli(monkeypatch, capsys, "validate", str(early))
    assert code == 2 and "start" in err and "before the profile's data date" in err
    code, _, err = run_cli(monkeypatch, capsys, "run", str(early), "--samples", "10")
    assert code == 2 and "before the profile's data date" in err


def test_plotting_leaves_matplotlib_state_alone():
    script = textwrap.dedent("""
        import matplotlib
        matplotlib.use("svg")
        before = {k: repr(v) for k, v in matplotlib.rcParams.items()}
        import detente, detente.report
        results = detente.simulate(samples=300, horizon="2030-12", missiles=False)
        ax = results.plot("pu_kg")
        after = {k: repr(v) for k, v in matplotlib.rcParams.items()}
        changed = sorted(k for k in before if before[k] != after[k])
        import matplotlib.pyplot as plt
        print(matplotlib.get_backend(), changed, len(plt.get_fignums()), ax.get_ylabel(), ax.figure.get_suptitle())
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert out.split()[0] == "svg", out
    assert "[] 0 kg Separated plutonium on hand" in out, out


def test_error_messages_print_verbatim(monkeypatch, capsys, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(textwrap.dedent("""\
        name: bad
        title: Unknown facility
        start: 2027-01
        phases:
          - id: disable-elwr
            name: Disable the ELWR
            start: {at: signature}
            duration_months: {dist: fixed, value: 6, judgement: true, basis: test}
            measures:
              - {kind: disable, facilities: [atlantis]}
    """))
    code, _, err = run_cli(monkeypatch, capsys, "validate", str(bad))
    assert code == 2 and "phases[disable-elwr].measures[0].facilities" in err
    bad.write_text("name: Bad Name\ntitle: x\nstart: 2027-01\n")
    code, _, err = run_cli(monkeypatch, capsys, "validate", str(bad))
    assert code == 2 and "name: use lower-case letters, digits and dashes, starting with a letter or digit " \
                         "(e.g. phase-2)" in err


def test_input_hash_covers_every_input():
    base = detente.check("mount-2019", horizon="2040-12")
    assert detente.check("mount-2019", horizon="2040-12").input_hash() == base.input_hash()
    assert detente.check("mount-2019", horizon="2040-12", threshold=150).input_hash() != base.input_hash()
    assert detente.check("mount-2019", horizon="2040-12", missiles=False).input_hash() != base.input_hash()
    force = base.missiles
    first = force.defences[0]
    layer = first.model_copy(update={"shots_per_warhead": first.shots_per_warhead + 1})
    changed = force.model_copy(update={"defences": [layer, *force.defences[1:]]})
    other = detente.check("mount-2019", horizon="2040-12", missile_evidence=changed)
    assert other.input_hash() != base.input_hash()


def test_repr_fits_a_screen(small_run):
    text = repr(small_run)
    assert len(text) < 300 and "\n" not in text and "10,000 samples" in text


def test_results_json_records_survive_the_move(small_run):
    records = small_run.records(["2030-01"])
    json.dumps(records, allow_nan=False)
    assert {r["metric"] for r in records} >= {"pu_kg", "deliverable:guam", "p_arrive:guam", "icbm_reliability"}
