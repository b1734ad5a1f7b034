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
MAX_NODES = 200_000  # YAML nodes after aliases and merge keys are expanded (a bundled profile has ~9,000)
MAX_DEPTH = 40  # nesting of mappings and lists (the bundled files reach 7)


class _BoundedLoader(yaml.SafeLoader):
    """PyYAML's safe loader that refuses duplicate keys, and documents whose aliases and merge
    keys expand beyond ``MAX_NODES`` nodes, nest deeper than ``MAX_DEPTH`` or refer to themselves."""

    _depth = 0

    def compose_node(self, parent, index):
        self._depth += 1  # bounded before PyYAML's own recursion could exhaust the stack
        try:
            if self._depth > MAX_DEPTH:
                raise yaml.composer.ComposerError(None, None, f"nesting deeper than {MAX_DEPTH} levels",
                                                  self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def get_single_data(self):
        node = self.get_single_node()
        if node is None:
            return None
        _check_size(node)
        return self.construct_document(node)

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, Any] = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge" or not isinstance(key_node, yaml.ScalarNode):
                    continue
                if key_node.value in seen:
                    raise yaml.constructor.ConstructorError(
                        "while reading a mapping", node.start_mark,
                        f"duplicate key {key_node.value!r} (first on line {seen[key_node.value].line + 1})",
                        key_node.start_mark)
                seen[key_node.value] = key_node.start_mark
        return super().construct_mapping(node, deep=deep)


def _children(node) -> list:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []


def _check_size(root) -> None:
    """Count the nodes of the document as aliases expand them (each node's expanded size once,
    iteratively), refusing cycles, excessive depth and excessive size."""
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    on_path: set[int] = set()
    stack = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        key = id(node)
        if expanded:
            on_path.discard(key)
            kids = _children(node)
            size[key] = 1 + sum(size[id(k)] for k in kids)
            depth[key] = 1 + max((depth[id(k)] for k in kids), default=0)
            if size[key] > MAX_NODES:
                raise yaml.YAMLError(f"aliases and merge keys expand this document beyond {MAX_NODES:,} nodes")
            if depth[key] > MAX_DEPTH:
                raise yaml.YAMLError(f"nesting deeper than {MAX_DEPTH} levels")
            continue
        if key in size:
            continue
        if key in on_path:
            raise yaml.YAMLError("an alias refers to a node that contains it")
        on_path.add(key)
        stack.append((node, True))
        stack.extend((k, False) for k in _children(node) if id(k) not in size)


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
    """Parse a YAML file safely (see :func:`parse_yaml`); errors name the file."""
    return parse_yaml(read_text(path), str(path))


def parse_yaml(text: str, file: str) -> Any:
    """Parse YAML text safely — no duplicate keys, bounded aliases, merge keys and nesting;
    errors name ``file`` (and the line, when YAML knows it)."""
    try:
        return yaml.load(text, Loader=_BoundedLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise InputError(f"not valid YAML: {problem}", file=file, field=where) from exc


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
        problems = [(field_path(err["loc"], data), plain_message(err)) for err in exc.errors()]
        first_field, first_reason = problems[0]
        extra = "".join(f"\n  {f}: {r}" for f, r in problems[1:8])
        more = f"\n  … and {len(problems) - 8} more" if len(problems) > 8 else ""
        raise InputError(first_reason + extra + more, file=file, field=first_field, problems=problems) from None


_ID_PATTERN = "^[a-z0-9][a-z0-9-]*$"


def plain_message(err: dict) -> str:
    """A pydantic error in plain words (the common kinds; the others as pydantic words them)."""
    kind, ctx = err["type"], err.get("ctx") or {}
    if kind == "missing":
        return "missing: this field is required"
    if kind == "extra_forbidden":
        return "not a field here (check its spelling and indentation)"
    if kind == "string_pattern_mismatch" and ctx.get("pattern") == _ID_PATTERN:
        return "use lower-case letters, digits and dashes, starting with a letter or digit (e.g. phase-2)"
    if kind == "union_tag_invalid":
        return f"unknown {ctx.get('discriminator', 'kind').strip(chr(39))} {ctx.get('tag')!r}: choose one of " \
               f"{ctx.get('expected_tags')}"
    if kind == "literal_error":
        return f"choose one of {ctx.get('expected')}"
    bounds = {"less_than_equal": "at most", "less_than": "less than", "greater_than_equal": "at least",
              "greater_than": "more than"}
    if kind in bounds:
        limit = next(iter(ctx.values()), None)
        shown = f"{limit:g}" if isinstance(limit, int | float) else limit
        return f"must be {bounds[kind]} {shown}"
    return err["msg"].removeprefix("Value error, ")
