"""The JSON Schemas of scenario and profile files: shipped, current, valid, printed and served."""

from __future__ import annotations

import json
import warnings

import jsonschema
import pytest

from detente.inputs.bibliography import EVIDENCE
from detente.inputs.loading import read_yaml
from detente.schema import KINDS, generate, path, render, url
from detente.web import create_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette prefers httpx2 in its test client
    from fastapi.testclient import TestClient

BUNDLED = {"scenario": sorted((EVIDENCE / "scenarios").glob("*.yaml")),
           "profile": sorted((EVIDENCE / "profiles").glob("*.yaml"))}


def checker(kind: str) -> jsonschema.protocols.Validator:
    schema = json.loads(path(kind).read_text())
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


@pytest.mark.parametrize("kind", KINDS)
def test_shipped_schema_is_what_the_models_generate(kind):
    assert path(kind).read_text() == render(kind), (
        f"regenerate it: detente schema {kind} > src/detente/schema/{kind}.schema.json")
    assert generate(kind)["$id"] == url(kind) == f"/schema/{kind}.json"
    assert generate(kind)["title"] and generate(kind)["description"]


@pytest.mark.parametrize("kind", KINDS)
def test_every_bundled_file_validates_against_the_shipped_schema(kind):
    validator = checker(kind)
    assert BUNDLED[kind]
    for file in BUNDLED[kind]:
        problems = [f"{'.'.join(map(str, e.absolute_path))}: {e.message}"
                    for e in validator.iter_errors(read_yaml(file))]
        assert not problems, f"{file.name}: {problems[:5]}"


def test_the_schema_catches_what_an_editor_should_flag():
    validator = checker("scenario")
    deal = read_yaml(EVIDENCE / "scenarios" / "mount-2019.yaml")
    assert validator.is_valid(deal)
    for bad in ({**deal, "start": "2019-13"}, {**deal, "phases": [{**deal["phases"][0], "measures": [{"kind": "x"}]}]},
                {**deal, "colour": "red"}):
        assert not validator.is_valid(bad)


def test_web_app_serves_the_schemas_under_the_token_rules(tmp_path):
    open_app = create_app(tmp_path / "open")
    for kind in KINDS:
        answer = TestClient(open_app).get(url(kind))
        assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/schema+json")
        assert answer.content == path(kind).read_bytes()
    guarded = TestClient(create_app(tmp_path / "guarded", token="s3cret"))
    denied = guarded.get(url("scenario"))
    assert denied.status_code == 401 and denied.headers["www-authenticate"] == "Bearer"
    assert guarded.get(url("profile"), headers={"Authorization": "Bearer s3cret"}).json()["$id"] == url("profile")
    wrong = TestClient(open_app).post(url("scenario"))
    assert wrong.status_code == 405 and wrong.json()["error"]  # errors in JSON, as under /api
