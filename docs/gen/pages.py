"""The README's sections as pages, the example notebooks and the navigation (SUMMARY.md, read by
mkdocs-literate-nav). Run by mkdocs-gen-files; importing it only defines the page builders."""

from __future__ import annotations

import json
import posixpath
import re
from dataclasses import dataclass
from pathlib import Path

from markdown.extensions.toc import slugify

ROOT = Path(__file__).resolve().parents[2]
HOME = ("Quick start",)  # README sections that stay on the home page, after the introduction
REFERENCE = {"Scenario files": "reference/scenario.md", "Profile files": "reference/profile.md",
             "Metrics and parameters": "reference/metrics.md", "Results schema": "results.md",
             "Web app and its API": "web.md", "Evidence and its sources": "reference/evidence.md"}
_FENCE = re.compile(r"^\s*(```|~~~)")
_LINK = re.compile(r"\]\(([^)\s]+)\)")


@dataclass
class Section:
    """One ``## `` section of the README: its title and Markdown (the heading line left out)."""

    title: str
    text: str

    @property
    def slug(self) -> str:
        return slugify(self.title, "-")

    @property
    def path(self) -> str:
        return "index.md" if self.title in HOME else f"guide/{self.slug}.md"


def split_readme(text: str) -> tuple[str, list[Section]]:
    """The README's introduction (before the first ``## ``) and its sections; headings inside
    code blocks are code, not headings."""
    intro: list[str] = []
    sections: list[Section] = []
    fenced = False
    for line in text.splitlines():
        if _FENCE.match(line):
            fenced = not fenced
        if not fenced and line.startswith("## "):
            sections.append(Section(line[3:].strip(), ""))
        elif sections:
            sections[-1].text += line + "\n"
        else:
            intro.append(line)
    return "\n".join(intro) + "\n", sections


def _headings(section: Section) -> dict[str, str]:
    """Anchor → page#anchor for the section and its ``### `` headings."""
    found = {section.slug: section.path}
    fenced = False
    for line in section.text.splitlines():
        if _FENCE.match(line):
            fenced = not fenced
        elif not fenced and line.startswith("### "):
            found[slugify(line[4:].strip(), "-")] = f"{section.path}#{slugify(line[4:].strip(), '-')}"
    return found


def _relative(target: str, page: str) -> str:
    """``target`` (a path under the docs folder) relative to ``page``."""
    return posixpath.relpath(target, posixpath.dirname(page) or ".")


def rewrite(text: str, page: str, anchors: dict[str, str], promote: bool) -> str:
    """Links of a README section made right for its page: ``#anchor`` to the page holding that
    heading, ``docs/X`` into the site; with ``promote``, each heading one level up."""

    def link(found: re.Match[str]) -> str:
        target = found[1]
        if target.startswith("#") and target[1:] in anchors:
            where = anchors[target[1:]]
            here = where.split("#")[0] == page
            target = ("#" + where.split("#")[1]) if here and "#" in where else _relative(where, page)
        elif target.startswith("docs/"):
            target = _relative(target.removeprefix("docs/"), page)
        return f"]({target})"

    lines = []
    fenced = False
    for line in text.splitlines():
        if _FENCE.match(line):
            fenced = not fenced
        elif not fenced:
            line = _LINK.sub(link, line)
            if promote and line.startswith("###"):
                line = line[1:]
        lines.append(line)
    return "\n".join(lines) + "\n"


def readme_pages(readme: str) -> dict[str, str]:
    """Page path → Markdown: the home page (introduction and quick start) and one page per section."""
    intro, sections = split_readme(readme)
    anchors = {k: v for s in sections for k, v in _headings(s).items()}
    pages = {"index.md": rewrite(intro, "index.md", anchors, promote=False)}
    for s in sections:
        if s.path == "index.md":
            pages["index.md"] += f"\n## {s.title}\n" + rewrite(s.text, "index.md", anchors, promote=False)
        else:
            pages[s.path] = f"# {s.title}\n" + rewrite(s.text, s.path, anchors, promote=True)
    return pages


def notebooks() -> dict[str, Path]:
    """Notebook title (its first heading) → the notebook in ``examples/``."""
    found = {}
    for path in sorted((ROOT / "examples").glob("*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        lines = "".join(cells[0]["source"]).splitlines() if cells else []
        title = next((line.lstrip("# ").strip() for line in lines if line.startswith("#")), path.stem)
        found[title] = path
    return found


def summary(sections: list[Section], examples: dict[str, Path]) -> str:
    """The site's navigation as a literate-nav SUMMARY.md."""
    lines = ["* [Home](index.md)", "* Guide"]
    lines += [f"    * [{s.title}]({s.path})" for s in sections if s.path != "index.md"]
    lines.append("* Reference")
    lines += [f"    * [{title}]({path})" for title, path in REFERENCE.items()]
    lines.append("* Examples")
    lines += [f"    * [{title}](examples/{path.name})" for title, path in examples.items()]
    return "\n".join(lines) + "\n"


def write_pages() -> None:
    """Write the README pages, the notebooks and SUMMARY.md into the site being built."""
    import mkdocs_gen_files

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for path, text in readme_pages(readme).items():
        with mkdocs_gen_files.open(path, "w") as page:
            page.write(text)
        mkdocs_gen_files.set_edit_path(path, "README.md")
    examples = notebooks()
    for path in examples.values():
        with mkdocs_gen_files.open(f"examples/{path.name}", "w") as copy:
            copy.write(path.read_text(encoding="utf-8"))
    with mkdocs_gen_files.open("SUMMARY.md", "w") as nav:
        nav.write(summary(split_readme(readme)[1], examples))


if __name__ == "<run_path>":  # run by mkdocs-gen-files (runpy.run_path)
    write_pages()
