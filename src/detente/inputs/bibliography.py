"""The bundled bibliography (``evidence/sources.yaml``): every source id a parameter may cite."""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .loading import read_yaml, validate

EVIDENCE = resources.files("detente") / "evidence"


class Source(BaseModel):
    """One published document."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    authors: str
    title: str
    publisher: str | None = None
    year: int | None = Field(None, ge=1900, le=2100)
    url: str | None = None
    kind: Literal["article", "report", "book", "chapter", "testimony", "speech", "statement", "official",
                  "law", "treaty", "dataset", "slides", "news", "interview", "blog", "web"] | None = None
    note: str | None = None

    def citation(self) -> str:
        outlet = f", {self.publisher}" if self.publisher else ""
        year = f", {self.year}" if self.year else ""
        return f"{self.authors}, “{self.title}”{outlet}{year}"


class Bibliography(BaseModel):
    sources: list[Source]

    @field_validator("sources")
    @classmethod
    def _unique(cls, sources: list[Source]) -> list[Source]:
        seen: set[str] = set()
        for source in sources:
            if source.id in seen:
                raise ValueError(f"source id {source.id!r} appears twice")
            seen.add(source.id)
        return sources

    def by_id(self) -> dict[str, Source]:
        return {s.id: s for s in self.sources}


def load_bibliography(path: Path | str | None = None) -> Bibliography:
    """Load a bibliography file (default: the bundled one)."""
    if path is None:
        return _bundled()
    return validate(Bibliography, read_yaml(path), str(path))


@cache
def _bundled() -> Bibliography:
    path = Path(str(EVIDENCE / "sources.yaml"))
    return validate(Bibliography, read_yaml(path), str(path))
