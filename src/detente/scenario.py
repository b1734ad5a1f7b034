"""Scenarios: what happens from a start month on. The foundation knows one, ``no-deal``:
the baseline in which every facility keeps operating as the profile's future assumptions say.
Agreements (phases, measures, incentives) extend this model."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from .bibliography import EVIDENCE, load_bibliography
from .errors import InputError
from .loading import read_yaml, validate
from .months import parse_month


def _month(value: object) -> object:
    if isinstance(value, str):
        return parse_month(value)
    raise ValueError("write months as 'YYYY-MM'")


class Scenario(BaseModel):
    """A named future, starting at ``start`` (YYYY-MM)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    title: str
    description: str = ""
    start: Annotated[int, BeforeValidator(_month)]
    horizon_years: int = Field(15, ge=1, le=60)
    source: list[str] = Field(default_factory=list)


def bundled_scenarios() -> list[str]:
    """Names of the scenarios shipped with Détente."""
    folder = Path(str(EVIDENCE / "scenarios"))
    return sorted(p.stem for p in folder.glob("*.yaml"))


def load_scenario(name_or_path: str | Path) -> Scenario:
    """Load a bundled scenario by name (``"no-deal"``) or a scenario file by path."""
    text = str(name_or_path)
    path = Path(text)
    if not text.endswith((".yaml", ".yml")):
        path = Path(str(EVIDENCE / "scenarios" / f"{text}.yaml"))
        if not path.is_file():
            known = ", ".join(bundled_scenarios())
            raise InputError(f"no bundled scenario named {text!r}; known: {known}", file=text)
    sources = set(load_bibliography().by_id())
    scenario = validate(Scenario, read_yaml(path), str(path), context={"sources": sources})
    for sid in scenario.source:
        if sid not in sources:
            raise InputError(f"unknown source id {sid!r}", file=str(path), field="source")
    return scenario
