"""The documentation site's scenario reference names every measure and incentive kind the code accepts
(cheap: the page generator alone, no MkDocs build)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import get_args

from detente.inputs.scenario import Incentive, Measure
from detente.inputs.vocabulary import INCENTIVE_KINDS, MEASURE_KINDS

GENERATOR = Path(__file__).resolve().parents[1] / "docs" / "gen" / "reference.py"


def _reference():
    spec = importlib.util.spec_from_file_location("docs_reference", GENERATOR)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _kinds(model) -> set[str]:
    return set(get_args(model.model_fields["kind"].annotation))


def test_scenario_reference_names_every_measure_and_incentive_kind():
    union, _discriminator = get_args(Measure)
    measures = set().union(*(_kinds(model) for model in get_args(union)))
    incentives = _kinds(Incentive)
    assert measures == set(MEASURE_KINDS) and incentives == set(INCENTIVE_KINDS)
    page = _reference().scenario_page()
    measures_part, incentives_part = page.split("\n## Incentives\n")
    assert not [k for k in measures if f"### `{k}`\n" not in measures_part]
    assert not [k for k in incentives if f"### `{k}`\n" not in incentives_part.split("\n## Verification\n")[0]]
