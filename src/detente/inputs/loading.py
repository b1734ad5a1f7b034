"""Read YAML files and validate them into pydantic models, turning every failure into an
:class:`~detente.errors.InputError` that names the file, the field path and the reason."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from ..errors import InputError

Model = TypeVar("Model", bound=BaseModel)

MAX_FILE_BYTES = 2_000_000


def read_text(path: Path | str) -> str:
    """A text file's contents (UTF-8, a leading byte-order mark dropped), refusing a missing, huge
    or non-UTF-8 file with an error that names it."""
    path = Path(path)
    if not path.is_file():
        raise InputError("no such file", file=str(path))
    if path.stat().st_size > MAX_FILE_BYTES:
        raise InputError(f"file is larger than {MAX_FILE_BYTES} bytes", file=str(path))
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError("not UTF-8 text", file=str(path)) from exc


def read_yaml(path: Path | str) -> Any:
    """Parse a YAML file safely; errors name the file (and line, when YAML knows it)."""
    text = read_text(path)
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise InputError(f"not valid YAML: {problem}", file=str(path), field=where) from exc


_TAGS = {"fixed", "uniform", "triangular", "pert", "normal", "lognormal", "beta", "bernoulli",
         "discrete", "reactor", "enrichment", "reprocessing"}


def field_path(loc: tuple[Any, ...], data: Any) -> str:
    """``('facilities', 0, 'power_mwt', 'pert', 'low')`` → ``facilities[yongbyon-5mwe].power_mwt.low``.

    List items are named by their ``id`` when they have one; pydantic's union tags are dropped.
    """
    parts: list[str] = []
    node = data
    for i, key in enumerate(loc):
        if isinstance(key, int):
            item = node[key] if isinstance(node, list) and key < len(node) else None
            label = item.get("id") if isinstance(item, dict) else None
            parts.append(f"[{label if label is not None else key}]")
            node = item
        elif isinstance(node, dict) and key in node:
            parts.append(f".{key}")
            node = node[key]
        elif isinstance(node, dict) and (i < len(loc) - 1 or key in _TAGS):
            continue  # a union tag added by pydantic (e.g. 'reactor', 'pert'), not a field
        else:
            parts.append(f".{key}")
            node = None
    return "".join(parts).lstrip(".") or "(top level)"


def validate(model: type[Model], data: Any, file: str, context: dict | None = None) -> Model:
    """Validate ``data`` as ``model``; on failure raise one InputError listing every problem."""
    if data is None:
        raise InputError("file is empty", file=file)
    try:
        return model.model_validate(data, context=context)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            message = err["msg"].removeprefix("Value error, ")
            problems.append((field_path(err["loc"], data), message))
        first_field, first_reason = problems[0]
        extra = "".join(f"\n  {f}: {r}" for f, r in problems[1:8])
        more = f"\n  … and {len(problems) - 8} more" if len(problems) > 8 else ""
        raise InputError(first_reason + extra + more, file=file, field=first_field) from None
