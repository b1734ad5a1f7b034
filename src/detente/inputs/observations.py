"""What is known about the history: published estimates and declared facts as data.

An observations file is CSV with the header ``date,metric,low,high,source,publisher,kind,weight,note``
(``publisher``, ``kind``, ``weight`` and ``note`` optional): the month an estimate describes, the
metric (``pu_kg`` separated plutonium on hand, ``heu_kg``, ``warheads_possible``), its range
(``low`` empty: an upper bound only; ``high`` empty: a lower bound only), a source id that
resolves in the bibliography (or, for a user's own estimates, a URL or DOI), the publisher family
(for leave-one-publisher-out checks; default the source id),
the kind (``estimate``, ``declaration`` or ``possible``) and a weight (default 1).
Errors name the file, the line and the column.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError
from ..months import format_month, parse_month
from .bibliography import EVIDENCE, load_bibliography
from .loading import read_text

METRICS = ("pu_kg", "heu_kg", "warheads_possible")  # what the history can be conditioned on
KINDS = ("estimate", "declaration", "possible")
COLUMNS = ("date", "metric", "low", "high", "source", "publisher", "kind", "weight", "note")
REQUIRED = ("date", "metric", "low", "high", "source")
CITABLE = ("https://", "http://", "doi:")  # a user's own source may be cited by address instead of id
MAX_ROWS = 10_000
MAX_VALUE = 1e7  # kg or warheads: anything larger is a typo


@dataclass(frozen=True)
class Observation:
    """One published range of a metric at a month (``low`` or ``high`` may be None: one-sided)."""

    month: int
    metric: str
    low: float | None
    high: float | None
    source: str
    publisher: str
    kind: str = "estimate"
    weight: float = 1.0
    note: str = ""
    line: int = 0

    @property
    def date(self) -> str:
        return format_month(self.month)

    @property
    def bounds(self) -> tuple[float | None, float | None]:
        """What the figure bounds: a ``possible`` amount (what could have been made, not a best
        estimate) is an upper bound only."""
        return (None, self.high) if self.kind == "possible" and self.high is not None else (self.low, self.high)


@dataclass(frozen=True)
class Observations:
    """A set of observations and the file they came from."""

    rows: tuple[Observation, ...]
    file: str

    @property
    def publishers(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(o.publisher for o in self.rows))

    def without(self, publisher: str) -> Observations:
        """The observations of every other publisher (for leave-one-publisher-out checks)."""
        return Observations(tuple(o for o in self.rows if o.publisher != publisher), f"{self.file} − {publisher}")

    def of(self, publisher: str) -> Observations:
        """The observations of one publisher."""
        return Observations(tuple(o for o in self.rows if o.publisher == publisher), publisher)

    def describe(self) -> str:
        if not self.rows:
            return f"{self.file}: no observations"
        span = f"{min(o.date for o in self.rows)} … {max(o.date for o in self.rows)}"
        return (f"{self.file}: {len(self.rows)} published ranges ({span}) from "
                f"{len(self.publishers)} publishers")


def _number(text: str, file: str, where: str) -> float | None:
    text = text.strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise InputError(f"{text!r} is not a number", file=file, field=where) from None
    if not math.isfinite(value) or not 0 <= value <= MAX_VALUE:
        raise InputError(f"{text} is outside 0 … {MAX_VALUE:g}", file=file, field=where)
    return value


def parse_observations(text: str, file: str, sources: set[str], start: int, today: int) -> Observations:
    """Check and read the CSV ``text``; every observation must lie in the history
    (``start`` … ``today``, grid months)."""
    reader = csv.reader(io.StringIO(text))
    header = [h.strip() for h in next(reader, [])]
    if not header:
        raise InputError("file is empty", file=file)
    unknown = [h for h in header if h not in COLUMNS]
    if unknown:
        raise InputError(f"unknown column {unknown[0]!r}; columns: {', '.join(COLUMNS)}", file=file, field="line 1")
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise InputError(f"missing column {missing[0]!r}", file=file, field="line 1")
    rows = []
    for cells in reader:
        number = reader.line_num  # the physical line the record ends on
        if not any(c.strip() for c in cells):
            continue
        if len(rows) >= MAX_ROWS:
            raise InputError(f"more than {MAX_ROWS:,} observations", file=file, field=f"line {number}")
        if len(cells) != len(header):
            raise InputError(f"{len(cells)} cells where the header has {len(header)}", file=file,
                             field=f"line {number}")
        row = dict(zip(header, cells, strict=True))

        def where(column: str, line: int = number) -> str:
            return f"line {line}, {column}"

        try:
            month = parse_month(row["date"].strip())
        except (ValueError, TypeError):
            raise InputError(f"{row['date']!r} is not a month (YYYY-MM)", file=file, field=where("date")) from None
        if not start <= month <= today:
            raise InputError(f"{row['date']} is outside the history ({format_month(start)} … "
                             f"{format_month(today)}), which is what observations condition",
                             file=file, field=where("date"))
        metric = row["metric"].strip()
        if metric not in METRICS:
            raise InputError(f"unknown metric {metric!r}; known: {', '.join(METRICS)}", file=file,
                             field=where("metric"))
        low, high = _number(row["low"], file, where("low")), _number(row["high"], file, where("high"))
        if low is None and high is None:
            raise InputError("give low, high or both", file=file, field=where("low"))
        if low is not None and high is not None and low > high:
            raise InputError(f"low {low:g} is above high {high:g}", file=file, field=where("low"))
        source = row["source"].strip()
        if source not in sources and not source.startswith(CITABLE):
            raise InputError(f"unknown source {source!r}: give an id from the bibliography (detente sources), "
                             "a URL (https://…) or a DOI written doi:10.…", file=file, field=where("source"))
        kind = row.get("kind", "").strip() or "estimate"
        if kind not in KINDS:
            raise InputError(f"unknown kind {kind!r}; known: {', '.join(KINDS)}", file=file, field=where("kind"))
        weight = _number(row.get("weight", ""), file, where("weight"))
        weight = 1.0 if weight is None else weight
        if not 0 < weight <= 10:
            raise InputError(f"weight {weight:g} is outside (0, 10]", file=file, field=where("weight"))
        rows.append(Observation(month, metric, low, high, source, row.get("publisher", "").strip() or source,
                                kind, weight, row.get("note", "").strip(), number))
    if not rows:
        raise InputError("no observations: the file has a header but no rows", file=file)
    return Observations(tuple(rows), file)


def load_observations(path: Path | str, start: int, today: int) -> Observations:
    """Load observations by bundled name (``"dprk"``) or file path."""
    text = str(path)
    if not text.endswith(".csv") and "/" not in text:
        path = Path(str(EVIDENCE / "observations" / f"{text}.csv"))
    content = read_text(path)
    try:
        return parse_observations(content, str(path), set(load_bibliography().by_id()), start, today)
    except csv.Error as exc:
        raise InputError(f"not valid CSV: {exc}", file=str(path)) from None
