"""Bad input gets a clear error naming the file, the field path and the reason."""

import copy
from pathlib import Path

import pytest
import yaml

import detente
from detente.errors import InputError
from detente.inputs.profile import load_profile

BUNDLED = Path(detente.__file__).parent / "evidence" / "profiles" / "dprk.yaml"


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
