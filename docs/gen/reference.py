"""Reference pages generated from the code: scenario and profile schemas, metrics and parameters,
the bibliography. Run by mkdocs-gen-files; importing it only defines the page builders."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema

from detente import parameters
from detente.inputs.behaviour import Values
from detente.inputs.bibliography import EVIDENCE, load_bibliography
from detente.inputs.loading import read_yaml
from detente.inputs.profile import Profile, load_profile
from detente.inputs.scenario import Incentive, Scenario
from detente.metrics import METRICS
from detente.months import _month_field
from detente.results.tables import parameter_rows

ID_PATTERN = r"^[a-z0-9][a-z0-9-]*$"
Schema = dict[str, Any]


class _Schema(GenerateJsonSchema):
    """JSON schema in which a ``YYYY-MM`` field shows as the string it is written as, not the month
    number it is parsed to."""

    def function_before_schema(self, schema: Any) -> Schema:
        if schema["function"]["function"] is _month_field:
            return {"type": "string", "format": "YYYY-MM"}
        return super().function_before_schema(schema)


def schema_of(model: type[BaseModel]) -> Schema:
    """The model's JSON schema (validation mode), months as ``YYYY-MM`` strings."""
    return model.model_json_schema(schema_generator=_Schema)


def _cell(text: object) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def table(header: Iterable[str], rows: Iterable[Iterable[object]]) -> str:
    """A Markdown table."""
    head = list(header)
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def _ref(prop: Schema) -> str:
    return prop["$ref"].rsplit("/", 1)[-1]


def _anchor(name: str) -> str:
    return name.lower()


class Renderer:
    """Markdown for the models of one JSON schema; ``distributions`` are the uncertain-value models,
    shown once in their own section."""

    def __init__(self, schema: Schema, sections: dict[str, str] | None = None):
        self.defs: dict[str, Schema] = schema.get("$defs", {})
        self.distributions = {n for n, d in self.defs.items() if "dist" in d.get("properties", {})}
        self.sections = sections or {}  # model name → the anchor of the section that describes it

    def link(self, name: str) -> str:
        """A link to the model's section."""
        return f"[{name}](#{self.sections.get(name, _anchor(name))})"

    def type_of(self, prop: Schema) -> str:
        """A field's type in words, with links to the models it holds."""
        if "$ref" in prop:
            name = _ref(prop)
            return "[uncertain value](#uncertain-values)" if name in self.distributions else self.link(name)
        if "discriminator" in prop:
            key = prop["discriminator"]["propertyName"]
            targets = sorted({m.rsplit("/", 1)[-1] for m in prop["discriminator"]["mapping"].values()})
            if set(targets) <= self.distributions:
                return "[uncertain value](#uncertain-values)"
            anchors = {self.sections.get(t) for t in targets}
            if len(anchors) == 1 and None not in anchors:
                return f"[{anchors.pop()}](#{self.sections[targets[0]]}) by `{key}`"
            return f"one of (by `{key}`): " + ", ".join(self.link(t) for t in targets)
        if "anyOf" in prop:
            options = [o for o in prop["anyOf"] if o.get("type") != "null"]
            return " or ".join(self.type_of(o) for o in options)
        if "const" in prop:
            return f"`{prop['const']}`"
        if "enum" in prop:
            return "one of " + ", ".join(f"`{v}`" for v in prop["enum"])
        kind = prop.get("type")
        if kind == "array":
            return f"list of {self.type_of(prop.get('items', {}))}"
        if kind == "object":
            values = prop.get("additionalProperties")
            return f"map of name → {self.type_of(values)}" if isinstance(values, dict) else "mapping"
        if prop.get("format") == "YYYY-MM":
            return "month `YYYY-MM`"
        if kind == "string" and prop.get("pattern") == ID_PATTERN:
            return "id"
        return {"string": "text", "number": "number", "integer": "integer", "boolean": "true/false"}.get(
            kind or "", "any")

    @staticmethod
    def _limits(prop: Schema) -> str:
        words = {"minimum": "≥", "exclusiveMinimum": ">", "maximum": "≤", "exclusiveMaximum": "<",
                 "minItems": "at least", "maxItems": "at most"}
        return ", ".join(f"{w} {prop[k]}" for k, w in words.items() if k in prop)

    def fields(self, model: Schema, skip: tuple[str, ...] = ()) -> str:
        """The model's fields: name, type, required or default, description."""
        required = set(model.get("required", []))
        rows = []
        for name, prop in model.get("properties", {}).items():
            if name in skip:
                continue
            if name in required:
                need = "required"
            elif prop.get("default") in (None, [], {}, ""):
                need = "optional"
            else:
                default = prop["default"]
                need = f"default `{str(default).lower() if isinstance(default, bool) else default}`"
            about = "; ".join(t for t in (prop.get("description", ""), self._limits(prop)) if t)
            rows.append((f"`{name}`", self.type_of(prop), need, about))
        return table(("field", "type", "use", "description"), rows) if rows else "No fields.\n"

    def model(self, name: str, level: str = "##", skip: tuple[str, ...] = ()) -> str:
        """A heading, the model's description and its fields."""
        model = self.defs[name]
        return f"{level} {name}\n\n{model.get('description', '')}\n\n{self.fields(model, skip)}\n"

    def distributions_section(self) -> str:
        """Every uncertain-value form (``dist: …``) with its fields."""
        parts = ["## Uncertain values\n\nAn uncertain input is written as a distribution, chosen by `dist`; "
                 "each carries `source: [ids]` or `judgement: true` with a one-line `basis`.\n"]
        for name in sorted(self.distributions, key=lambda n: self.defs[n]["properties"]["dist"].get("const", n)):
            dist = self.defs[name]["properties"]["dist"].get("const", name)
            parts.append(f"### `{dist}`\n\n{self.defs[name].get('description', '')}\n\n"
                         f"{self.fields(self.defs[name], skip=('dist',))}")
        return "\n".join(parts)


def profile_tables() -> dict[str, Any]:
    """The bundled profile as read from its file, unvalidated (quicker than loading the profile)."""
    return read_yaml(Path(str(EVIDENCE / "profiles" / "dprk.yaml")))


def _value(spec: Any) -> str:
    """A value from the profile's ``values`` table: its distribution and basis."""
    return f"Valued at {spec.describe()} million USD a year equivalent (judgement: {spec.basis})."


def measure_kinds(schema: Schema) -> dict[str, str]:
    """Measure kind → the model that holds it, from the discriminated union of ``Phase.measures``."""
    mapping = schema["$defs"]["Phase"]["properties"]["measures"]["items"]["discriminator"]["mapping"]
    return {kind: ref.rsplit("/", 1)[-1] for kind, ref in mapping.items()}


def incentive_kinds(schema: Schema) -> list[str]:
    """Incentive kinds, from the ``kind`` field of ``Incentive``."""
    return list(schema["$defs"][Incentive.__name__]["properties"]["kind"]["enum"])


def scenario_page() -> str:
    """The scenario file reference: every field, every measure kind and every incentive kind."""
    schema = schema_of(Scenario)
    kinds = measure_kinds(schema)
    render = Renderer(schema, {**{name: "measures" for name in kinds.values()}, Incentive.__name__: "incentives"})
    tables = profile_tables()
    values = Values.model_validate(tables["values"])
    named = {"sanctions-relief": ("Names measures of the profile's `sanctions` table", tables["sanctions"]),
             "confidence-building": ("Its `action` is a step of the profile's `confidence_building` table",
                                     [r for r in tables["confidence_building"] if r["side"] != "dprk"])}
    out = ["# Scenario files\n",
           "Generated from the JSON schema of `detente.inputs.scenario.Scenario` (pydantic), so it lists "
           "exactly what `detente validate` accepts; values are those of the bundled `dprk` profile. "
           "Unknown fields are errors. See [Agreements as data](../guide/agreements-as-data.md) for what "
           "the fields do.\n",
           f"## Scenario\n\n{schema.get('description', '')}\n\n{render.fields(schema)}"]
    out += [render.model(name) for name in ("Phase", "Start")]
    out.append("## Measures\n\nA phase's `measures` are what the DPRK does, chosen by `kind`. "
               "Every measure may carry an `id` (for `for_measure` on an incentive) and, where it can "
               "lapse, a sunset `until: YYYY-MM`.\n")
    for kind, name in sorted(kinds.items()):
        model = render.defs[name]
        value = values.measures.get(kind)
        out.append(f"### `{kind}`\n\n{model.get('description', '')}"
                   + (f" {_value(value)}" if value is not None else "")
                   + f"\n\nFields (model `{name}`):\n\n{render.fields(model)}")
    incentive = render.defs[Incentive.__name__]
    out.append(f"## Incentives\n\n{incentive.get('description', '')}\n\nEvery incentive has these fields:\n\n"
               f"{render.fields(incentive)}\nThe kinds:\n")
    for kind in incentive_kinds(schema):
        value = values.incentives.get(kind)
        about = [_value(value)] if value is not None and kind not in named else []
        if kind in named:
            words, rows = named[kind]
            about.append(f"{words}, each valued there: " + ", ".join(f"`{r['id']}`" for r in rows) + ".")
        out.append(f"### `{kind}`\n\n{' '.join(about)}\n")
    out += [render.model(name) for name in ("Verification", "Trigger", "Analogue")]
    out.append(render.distributions_section())
    return "\n".join(out)


def _order(schema: Schema, render: Renderer) -> list[str]:
    """Model names in the order a reader meets them from the top level, distributions left out."""
    seen: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "$ref" in node:
                name = _ref(node)
                if name not in seen and name not in render.distributions:
                    seen.append(name)
                    walk(render.defs[name])
            for key, value in node.items():
                if key != "$defs":
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(schema)
    return seen


def profile_page() -> str:
    """The profile file reference: every model of ``detente.inputs.profile.Profile``."""
    schema = schema_of(Profile)
    render = Renderer(schema)
    out = ["# Profile files\n",
           "Generated from the JSON schema of `detente.inputs.profile.Profile` (pydantic). The bundled "
           "profile is `src/detente/evidence/profiles/dprk.yaml`; `detente validate FILE` checks one.\n",
           f"## Profile\n\n{schema.get('description', '')}\n\n{render.fields(schema)}"]
    out += [render.model(name) for name in _order(schema, render)]
    out.append(render.distributions_section())
    return "\n".join(out)


def _flags(metric: Any) -> str:
    flags = [f"one per {metric.per.replace('_', ' ')}" if metric.per else "",
             "scenario − baseline" if metric.paired else "", "missile model" if metric.missiles else "",
             "crisis model" if metric.crisis else ""]
    return ", ".join(f for f in flags if f)


def metrics_page() -> str:
    """Every output metric from the registry, then every uncertain parameter of the bundled profile
    and missile evidence with its label, unit and sources."""
    sources = set(load_bibliography().by_id())
    rows = parameter_rows(parameters(), {f.id: f.name for f in load_profile("dprk").facilities})

    def cite(ids: list[str]) -> str:
        return ", ".join(f"[{s}](evidence.md#{s})" if s in sources else s for s in ids)

    metric_rows = [(f"`{m.name}`", m.label, m.unit, m.kind, _flags(m)) for m in METRICS.values()]
    parameter_table = [(f"`{r['parameter']}`", r["label"], r["unit"], r["distribution"],
                        cite(r["sources"]) or "–", r["basis"] if r["judgement"] else "") for r in rows]
    return "\n".join([
        "# Metrics and parameters\n",
        "Generated from the registries `detente.metrics.METRICS` and `detente.parameters` (labels and "
        "units) and from the bundled profile and missile evidence (distributions and sources).\n",
        "## Metrics\n",
        "What a run reports. Kinds: `binned` — a histogram per month (quantiles and means); `sum` — an exact "
        "per-month sum over samples; `share` — the share of samples in a deal state each month; "
        "`per-sample` — one value per sample at the horizon. A metric one per region or facility is named "
        "`metric:<id>` (`deliverable:guam`).\n",
        table(("metric", "label", "unit", "kind", "notes"), metric_rows),
        "## Parameters\n",
        f"The {len(rows)} uncertain inputs of the `dprk` profile and the missile evidence (`detente params`; "
        "a scenario's own inputs: `detente params --scenario NAME`). Sources link to "
        "[the bibliography](evidence.md); a judgement gives its basis.\n",
        table(("parameter", "label", "unit", "distribution", "sources", "judgement basis"), parameter_table),
    ])


def evidence_page() -> str:
    """The bundled bibliography, read with detente's own loader."""
    bibliography = load_bibliography()
    rows = [(f'<a id="{s.id}"></a>`{s.id}`', s.authors, s.title, s.publisher or "", s.year or "",
             f"[link]({s.url})" if s.url else "") for s in bibliography.sources]
    return "\n".join([
        "# Evidence and its sources\n",
        "Every default number in Détente cites a published source by id, or is marked a judgement "
        "with its basis (see [Metrics and parameters](metrics.md)). The evidence is bundled under "
        "`src/detente/evidence/`: the profile (`profiles/`), the missile evidence (`missiles/`), the "
        "published estimates the history is conditioned on (`observations/`), the scenario library "
        "(`scenarios/`) and the bibliography below (`sources.yaml`; `detente sources --format bibtex` "
        "for a reference manager). See also [The evidence](../guide/the-evidence.md).\n",
        f"## Sources\n\nThe {len(rows)} sources of the bundled bibliography.\n",
        table(("id", "authors", "title", "publisher", "year", "url"), rows),
    ])


PAGES = {"reference/scenario.md": scenario_page, "reference/profile.md": profile_page,
         "reference/metrics.md": metrics_page, "reference/evidence.md": evidence_page}


def write_pages() -> None:
    """Write every reference page into the site being built."""
    import mkdocs_gen_files

    for path, build in PAGES.items():
        with mkdocs_gen_files.open(path, "w") as page:
            page.write(build())


if __name__ == "<run_path>":  # run by mkdocs-gen-files (runpy.run_path)
    write_pages()
