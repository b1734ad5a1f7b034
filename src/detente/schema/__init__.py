"""JSON Schemas of scenario and profile files, generated from the pydantic models.

The generated schemas ship as ``scenario.schema.json`` and ``profile.schema.json`` beside this
module (a test keeps them equal to what the models generate); ``detente schema scenario|profile``
prints one and the web app serves them at ``/schema/scenario.json`` and ``/schema/profile.json``.
They check a file's shape — fields, types, ranges, the words each ``kind`` and ``dist`` takes —
for an editor's completion and inline errors; ``detente validate`` checks the rest (source ids,
phase order, names against the profile). After changing a model, regenerate them with
``detente schema scenario > src/detente/schema/scenario.schema.json`` (and likewise ``profile``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

Kind = Literal["scenario", "profile"]
KINDS: tuple[Kind, ...] = ("scenario", "profile")
FOLDER = Path(__file__).parent

_ABOUT = {
    "scenario": ("Détente scenario",
                 "A Détente scenario file (YAML): a named future from a start month, with the phases of an "
                 "agreement — measures, incentives, verification — and outside triggers."),
    "profile": ("Détente profile",
                "A Détente profile file (YAML): everything known about a programme — facilities and their "
                "operating history, assays, weapons, tests, designs, deal dynamics, values and sanctions."),
}


def url(kind: Kind) -> str:
    """The path the web app serves the schema at (its ``$id``)."""
    return f"/schema/{kind}.json"


def path(kind: Kind) -> Path:
    """The shipped schema file."""
    return FOLDER / f"{kind}.schema.json"


def _model(kind: Kind) -> type[BaseModel]:
    if kind == "scenario":
        from ..inputs.scenario import Scenario

        return Scenario
    from ..inputs.profile import Profile

    return Profile


def generate(kind: Kind) -> dict:
    """The JSON Schema (draft 2020-12) of ``kind`` files, as the models say now."""
    title, description = _ABOUT[kind]
    body = _model(kind).model_json_schema()
    body.pop("title", None)
    body.pop("description", None)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": url(kind), "title": title,
            "description": description, **body}


def render(kind: Kind) -> str:
    """:func:`generate` as the text of the shipped file."""
    return json.dumps(generate(kind), indent=2) + "\n"
