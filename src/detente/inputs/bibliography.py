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

    def bibtex_entry(self) -> dict[str, str]:
        """This source as a BibTeX entry (bibtexparser's dict form): ``@article`` for articles,
        ``@techreport``, ``@book``, ``@incollection``, else ``@misc``; text fields LaTeX-escaped,
        the URL verbatim; organisations braced so BibTeX does not split them into names."""
        entry = {"ENTRYTYPE": BIBTEX_TYPES.get(self.kind or "", "misc"), "ID": self.id,
                 "author": _names(self.authors), "title": "{" + _latex(self.title) + "}"}
        if self.publisher:
            entry[{"article": "journal", "report": "institution"}.get(self.kind or "", "publisher")] = \
                _latex(self.publisher)
        if self.year:
            entry["year"] = str(self.year)
        if self.url:
            entry["url"] = self.url
        if self.kind:
            entry["keywords"] = self.kind
        return entry

    def citation(self) -> str:
        outlet = f", {self.publisher}" if self.publisher else ""
        year = f", {self.year}" if self.year else ""
        return f"{self.authors}, “{self.title}”{outlet}{year}"


BIBTEX_TYPES = {"article": "article", "report": "techreport", "book": "book", "chapter": "incollection"}
_LATEX = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{",
          "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}


def _latex(text: str) -> str:
    return "".join(_LATEX.get(c, c) for c in text)


def _names(authors: str) -> str:
    """People as ``A and B`` (BibTeX's separator); an organisation (no comma-separated people,
    or words such as Institute) braced whole."""
    people = [p.strip() for p in authors.replace(" and ", ", ").split(",") if p.strip()]
    personal = all(1 < len(p.split()) <= 4 and p.split()[-1][:1].isupper() and not any(c.isdigit() for c in p)
                   for p in people) and not any(
        word in authors for word in ("Institute", "Association", "Agency", "Council", "Center", "Centre", "Office",
                                     "Department", "Ministry", "Committee", "Service", "News", "Foundation"))
    return " and ".join(_latex(p) for p in people) if personal else "{" + _latex(authors) + "}"


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

    def to_bibtex(self) -> str:
        """Every source as BibTeX, in the bibliography's order."""
        from bibtexparser.bibdatabase import BibDatabase
        from bibtexparser.bwriter import BibTexWriter

        database = BibDatabase()
        database.entries = [s.bibtex_entry() for s in self.sources]
        writer = BibTexWriter()
        writer.order_entries_by = None
        return writer.write(database)


def load_bibliography(path: Path | str | None = None) -> Bibliography:
    """Load a bibliography file (default: the bundled one)."""
    if path is None:
        return _bundled()
    return validate(Bibliography, read_yaml(path), str(path))


@cache
def _bundled() -> Bibliography:
    path = Path(str(EVIDENCE / "sources.yaml"))
    return validate(Bibliography, read_yaml(path), str(path))
