"""Bad input gets a clear error naming the file, the field path and the reason."""

import copy
from pathlib import Path

import pytest
import yaml

import detente
from detente.errors import InputError
from detente.inputs.profile import load_profile

BUNDLED = Path(detente.__file__).parent / "evidence" / "profiles" / "dprk.yaml"
J = {"judgement": True, "basis": "test"}


def write_profile(tmp_path, change):
    data = yaml.safe_load(BUNDLED.read_text())
    data = copy.deepcopy(data)
    change(data)
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    return path


def facility(data, fid):
    return next(f for f in data["facilities"] if f["id"] == fid)


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        (lambda d: facility(d, "yongbyon-5mwe")["power_mwt"].update(value=-25),
         "facilities[yongbyon-5mwe].power_mwt", "must be ≥"),
        (lambda d: facility(d, "yongbyon-5mwe")["power_mwt"].update(source=["nobody1999"]),
         "facilities[yongbyon-5mwe].power_mwt", "unknown source id 'nobody1999'"),
        (lambda d: facility(d, "yongbyon-5mwe")["operation"][0].update(end="1980-01"),
         "facilities[yongbyon-5mwe].operation[0]", "before start"),
        (lambda d: facility(d, "kangson")["capacity"][0]["swu_per_year"].update(p5=9000),
         "facilities[kangson].capacity[0].swu_per_year", "p95"),
        (lambda d: d["weapons"]["pu_kg"].update(source=[], judgement=False),
         "weapons.pu_kg", "source"),
        (lambda d: d["correlations"][0].update(a="no-such-plant.capacity_factor"),
         "(top level)", "unknown parameter 'no-such-plant.capacity_factor'"),
        (lambda d: facility(d, "yongbyon-5mwe")["discharges"][1].update(month="13/1994"),
         "facilities[yongbyon-5mwe].discharges[1].month", "YYYY-MM"),
    ],
)
def test_profile_errors_name_file_field_reason(tmp_path, change, field, reason):
    path = write_profile(tmp_path, change)
    with pytest.raises(InputError) as info:
        load_profile(path)
    assert info.value.file == str(path)
    assert info.value.field == field
    assert reason in info.value.reason


def test_unknown_facility(profile):
    with pytest.raises(KeyError, match="unknown facility 'yongbyon-50mwe'"):
        profile.facility("yongbyon-50mwe")


def test_broken_yaml_names_the_line(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("name: x\nfacilities: [\n  - id: a\n")
    with pytest.raises(InputError) as info:
        load_profile(path)
    assert info.value.file == str(path) and info.value.field.startswith("line ")


def test_missing_file():
    with pytest.raises(InputError, match="no such file"):
        load_profile("/nonexistent/profile.yaml")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"samples": 10**12}, "samples"),
        ({"samples": 0}, "samples"),
        ({"seed": -1}, "seed"),
        ({"horizon": "2040-13"}, "horizon"),
        ({"horizon": "2020-01"}, "horizon"),
        ({"horizon": "2199-01"}, "horizon"),
        ({"horizon": "2026-12"}, "horizon"),  # after the data date, before the scenario starts
    ],
)
def test_bad_run_requests(kwargs, field):
    with pytest.raises(InputError) as info:
        detente.simulate(**kwargs)
    assert info.value.field == field


def test_unknown_scenario():
    with pytest.raises(InputError, match="no bundled scenario named 'grand-bargain'"):
        detente.simulate("grand-bargain")


def test_bundled_profile_every_parameter_has_provenance(profile):
    for name, spec in profile.parameters().items():
        assert spec.source or (spec.judgement and spec.basis), name


# -- the input boundary: duplicate keys, alias bombs, nesting, long phase chains --------------

def test_duplicate_yaml_keys_are_an_error(tmp_path):
    path = tmp_path / "dup.yaml"
    path.write_text("name: dup\ntitle: dup\nstart: 2027-01\nphases: []\nphases: []\n")
    with pytest.raises(detente.InputError) as info:
        detente.load_scenario(str(path))
    assert "duplicate key 'phases'" in info.value.reason and "line 4" in info.value.reason
    assert info.value.field == "line 5"


def test_a_merge_key_bomb_is_refused(tmp_path):
    lines = ["a0: &a0 {x: 1, y: 2}"]
    for k in range(1, 24):  # each level merges the one before twice: 2^23 keys if expanded
        lines.append(f"a{k}: &a{k} {{p: *a{k - 1}, q: *a{k - 1}}}")
    lines.append("name: bomb")
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(detente.InputError) as info:
        detente.load_scenario(str(path))
    assert "expand this document beyond" in info.value.reason


def test_deep_nesting_is_refused(tmp_path):
    path = tmp_path / "deep.yaml"
    path.write_text("name: " + "[" * 5000 + "]" * 5000 + "\n")
    with pytest.raises(detente.InputError) as info:
        detente.load_scenario(str(path))
    assert "nesting deeper than" in info.value.reason


def test_a_long_chain_of_phases_orders_without_recursion(tmp_path):
    n = 1500  # beyond Python's recursion limit of about 1,000
    phases = [{"id": f"p{k}", "name": f"p{k}", "start": {"after": f"p{k - 1}"} if k else {"at": "signature"},
               "duration_months": {"dist": "fixed", "value": 0, **J}} for k in reversed(range(n))]
    path = tmp_path / "chain.yaml"
    path.write_text(yaml.safe_dump({"name": "chain", "title": "chain", "start": "2027-01", "phases": phases}))
    order = [p.id for p in detente.load_scenario(str(path)).phase_order()]
    assert order == [f"p{k}" for k in range(n)]
    phases[-1]["start"] = {"after": "p5"}  # p0 now waits for p5, which waits … for p0
    path.write_text(yaml.safe_dump({"name": "chain", "title": "chain", "start": "2027-01", "phases": phases}))
    with pytest.raises(detente.InputError) as info:
        detente.load_scenario(str(path))
    assert "cycle" in info.value.reason and "p0" in info.value.reason


@pytest.mark.parametrize("field", ["duration_months", "access_lag_months"])
def test_a_huge_delay_is_refused_not_overflowed(tmp_path, field):
    """10¹⁹ months would overflow int64 and finish a phase at once; it is an error instead."""
    huge = {"dist": "fixed", "value": 1e19, **J}
    one = {"dist": "fixed", "value": 1, **J}
    phase = {"id": "p", "name": "p", "start": {"at": "signature"}, "duration_months": one,
             "measures": [{"kind": "freeze", "sites": ["yongbyon"]}],
             "verification": [{"verifier": "IAEA", "sites": ["yongbyon"], "access_lag_months": one,
                               "detect_per_month": {"dist": "fixed", "value": 0.5, **J},
                               "dispute_per_month": {"dist": "fixed", "value": 0, **J}}]}
    if field == "duration_months":
        phase[field] = huge
    else:
        phase["verification"][0][field] = huge
    path = tmp_path / "huge.yaml"
    path.write_text(yaml.safe_dump({"name": "huge", "title": "huge", "start": "2027-01", "phases": [phase]}))
    with pytest.raises(detente.InputError) as info:
        detente.load_scenario(str(path))
    assert field in info.value.field and "≤ 1500" in info.value.reason


@pytest.mark.parametrize(("value", "says"), [(True, "not true"), ("2027-01", "unit: month"), ("50", "not '50'")])
def test_numbers_are_not_coerced(tmp_path, value, says):
    phase = {"id": "p", "name": "p", "start": {"at": "signature"},
             "duration_months": {"dist": "fixed", "value": value, **J}}
    path = tmp_path / "coerced.yaml"
    path.write_text(yaml.safe_dump({"name": "coerced", "title": "c", "start": "2027-01", "phases": [phase]}))
    with pytest.raises(detente.InputError) as info:
        detente.load_scenario(str(path))
    assert info.value.field.startswith("phases[p].duration_months") and says in info.value.reason
