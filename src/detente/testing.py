"""Public test helpers: compare Results exactly, a conformance battery that every facility kind
and every measure kind of a profile must pass (the same checks, whatever the kind), a deal's
copy without verification, and how long deals last.

Use them in your own tests of profiles and scenarios::

    from detente.testing import assert_results_identical, check_facility_kinds, check_measure_kinds
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import xarray as xr
import yaml

from .inputs.scenario import load_scenario
from .results.results import Results


def assert_results_identical(a: Results, b: Results, scenarios: list[str] | None = None,
                             ignore_attrs: tuple[str, ...] = ("created_at",)) -> None:
    """Every histogram, sum, per-sample value and draw of ``scenarios`` (default: all) equal to
    the last bit, NaN equal to NaN, with the same coordinates and attributes (but for
    ``ignore_attrs``). Raises ``AssertionError`` naming the first difference."""
    left, right = a.dataset, b.dataset
    if scenarios is not None:
        left, right = left.sel(scenario=scenarios), right.sel(scenario=scenarios)
        names = [n for n in left.data_vars if "scenario" in left[n].dims]
        left, right = left[names], right[names]
    assert set(left.data_vars) == set(right.data_vars), (
        f"variables differ: {sorted(set(left.data_vars) ^ set(right.data_vars))}")
    for name in left.data_vars:
        la, ra = _common_bins(left[name], right[name])
        assert la.dims == ra.dims, f"{name}: dims {la.dims} != {ra.dims}"
        assert np.array_equal(la.values, ra.values, equal_nan=la.dtype.kind == "f"), f"{name}: values differ"
    for name in left.coords:
        if not any(d.endswith("_bin") for d in left[name].dims):
            xr.testing.assert_equal(left[name], right[name])
    if scenarios is None:
        keep = {k: v for k, v in a.attrs.items() if k not in ignore_attrs}
        other = {k: v for k, v in b.attrs.items() if k not in ignore_attrs}
        assert keep == other, f"attributes differ: {set(keep.items()) ^ set(other.items())}"


def _common_bins(left: xr.DataArray, right: xr.DataArray) -> tuple[xr.DataArray, xr.DataArray]:
    """Histograms are stored trimmed to the bins that hold a sample (over all the scenarios of a
    run): put both on the union of their bins, empty bins holding zero."""
    for dim in [d for d in left.dims if d.endswith("_bin")]:
        union = np.union1d(left[dim].values, right[dim].values)
        left = left.drop_vars([f"{dim}_lower", f"{dim}_upper"]).reindex({dim: union}, fill_value=0)
        right = right.drop_vars([f"{dim}_lower", f"{dim}_upper"]).reindex({dim: union}, fill_value=0)
    return left, right


# -- the conformance battery ------------------------------------------------------------------
def facility_kinds(profile) -> dict[str, list[str]]:
    """Facility ids of a profile by kind."""
    out: dict[str, list[str]] = {}
    for f in profile.facilities:
        out.setdefault(f.kind, []).append(f.id)
    return out


def _plan(profile, scenario_text: dict):
    from .api import check
    from .inputs.scenario import Scenario

    scenario = Scenario.model_validate(scenario_text)
    return check([scenario], profile=profile, horizon="2040-12")


def check_facility_kinds(profile) -> Iterator[tuple[str, Callable[[], None]]]:
    """(name, check) for every facility of the profile: a freeze naming it compiles and
    restricts exactly its own control row; its parameters carry sources or a judgement."""
    params = profile.parameters()
    start = f"{profile.today // 12:04d}-{profile.today % 12 + 1:02d}"
    for facility in profile.facilities:
        def restricts_itself(facility=facility):
            text = {"name": "conformance", "title": "t", "start": start, "phases": [{
                "id": "p", "name": "p", "start": {"at": "signature"},
                "duration_months": {"dist": "fixed", "value": 1, "judgement": True, "basis": "test"},
                "measures": [{"kind": "freeze", "facilities": [facility.id]}]}]}
            plan = _plan(profile, text)
            level = plan.deals[0].level_done[0]
            row = plan.control_row(facility.id)
            assert level[row] > 0, f"{facility.id}: a freeze naming it does not restrict it"
            assert (np.delete(level, row) == 0).all(), f"{facility.id}: a freeze naming it restricts other rows"

        def parameters_are_sourced(facility=facility):
            mine = {k: v for k, v in params.items() if k.startswith(f"{facility.id}.")}
            for name, spec in mine.items():
                assert spec.source or (spec.judgement and spec.basis), f"{name}: no source and no judgement basis"

        yield f"{facility.kind}:{facility.id}:restricts-itself", restricts_itself
        yield f"{facility.kind}:{facility.id}:parameters-sourced", parameters_are_sourced


def check_measure_kinds(profile) -> Iterator[tuple[str, Callable[[], None]]]:
    """(name, check) for every measure kind: a phase holding it alone compiles against the
    profile, and the profile has a value for it (reciprocity weighs it; a confidence-building
    step's value is in the profile's ``confidence_building`` table)."""
    from .inputs.vocabulary import FACILITY_MEASURES, MEASURE_KINDS

    start = f"{profile.today // 12:04d}-{profile.today % 12 + 1:02d}"
    ours = [g.id for g in profile.confidence_building if g.side == "dprk"]
    examples = {"flight-test-moratorium": {"classes": ["icbm"]}, "cap": {"stock": "warheads", "limit": 20},
                "missile-production-halt": {"classes": ["icbm"]}, "missile-elimination": {"classes": ["icbm"]},
                "confidence-building": {"action": ours[0] if ours else "none"},
                "ship-out": {"pu_share": {"dist": "fixed", "value": 1, "judgement": True, "basis": "test"},
                             "heu_share": {"dist": "fixed", "value": 1, "judgement": True, "basis": "test"}}}
    for kind in MEASURE_KINDS:
        def compiles(kind=kind):
            measure = {"kind": kind, **examples.get(kind, {})}
            if kind in FACILITY_MEASURES:
                measure["all_facilities"] = True
            text = {"name": "conformance", "title": "t", "start": start, "phases": [{
                "id": "p", "name": "p", "start": {"at": "signature"},
                "duration_months": {"dist": "fixed", "value": 1, "judgement": True, "basis": "test"},
                "measures": [measure]}]}
            plan = _plan(profile, text)
            assert plan.deals[0].phases == 1
            if kind != "confidence-building":
                assert kind in profile.values.measures, f"the profile has no value for measure {kind!r}"

        yield f"measure:{kind}:compiles", compiles


def without_verification(name: str, folder: Path | str) -> Path:
    """Write a copy of scenario ``name`` with every verification block removed (named
    ``<name>-unverified``) into ``folder``; it shares every other input with the original."""
    data = yaml.safe_load(Path(load_scenario(name).file).read_text())
    data["name"] = f"{data['name']}-unverified"
    for phase in data["phases"]:
        phase["verification"] = []
    path = Path(folder) / f"{data['name']}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    return path


def survival_median(results: Results, scenario: str) -> float:
    """Median months a scenario's deal lasted, counting deals that never collapsed as infinite."""
    months = results.horizon("deal_months").sel(scenario=scenario).values
    collapsed = results.horizon("collapsed").sel(scenario=scenario).values > 0
    return float(np.median(np.where(collapsed, months, np.inf)))
