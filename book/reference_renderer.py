"""How `quartodoc build` writes the Reference pages (`renderer: style:` in `_quarto.yml`).

quartodoc's markdown renderer, changed where the rendered book showed problems:

- A page's title is the module's full name with `.unnumbered` ("pybackprop.scalar"): Quarto
  numbers every book chapter whose title lacks that class, and the reference pages sat in the
  sidebar, breadcrumbs, previous/next links and search as chapters "12 scalar", "13 ...".
- Every documented object is a level-2 section of its page, its members level 3: Quarto's search
  makes one record per level-2 section, so a search for a public name lands on its own entry,
  not at the top of a "Classes" or "Functions" block; and a method's heading is never smaller
  than the "Parameters" label inside it.
- Attributes and properties that the summary tables list (``History.epochs``) get entries of
  their own, so the table's links land somewhere.
- Returns and Raises tables leave out the "Name" column when no row has a name.
- "See Also" names become links to their entries.
"""

from __future__ import annotations

import importlib

from plum import dispatch
from quartodoc import MdRenderer, layout
from quartodoc._griffe_compat import docstrings as ds
from quartodoc.ast import DocstringSectionSeeAlso

PACKAGE = "pybackprop"


def _page_of(dotted: str) -> str | None:
    """The page of `dotted` (a module of the package, or an attribute chain of one): its
    module's name without the package's (``nn.functional`` for pybackprop.nn.functional.relu),
    or None if `dotted` names nothing."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            if not hasattr(obj, attr):
                return None
            obj = getattr(obj, attr)
        return ".".join(parts[1:cut])
    return None


class Renderer(MdRenderer):
    style = "pybackprop"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._module = PACKAGE  # the module whose page is being written

    # --- headings and sections ----------------------------------------------------------------

    @dispatch
    def render_header(self, el: layout.Doc) -> str:
        if isinstance(el, layout.DocModule) and self.crnt_header_level == 1:
            return f"# {el.obj.path} {{ #{el.obj.path} .unnumbered }}"
        return f"{'#' * self.crnt_header_level} {el.name} {{ #{el.obj.path} }}"

    @dispatch
    def render_header(self, el: ds.DocstringSection) -> str:  # noqa: F811 (plum overload)
        return super().render_header(el)

    @dispatch
    def render(self, el: layout.DocModule | layout.DocClass):
        if isinstance(el, layout.DocModule):
            self._module = el.obj.path
        title = self.render_header(el)
        sig_part = [self.signature(el)] if self.show_signature else []
        with self._increment_header():
            body = self.render(el.obj)

        members = list(el.members or [])
        groups = [
            ("Attributes", [m for m in members if m.obj.is_attribute]),
            ("Classes", [m for m in members if m.obj.is_class]),
            ("Methods" if isinstance(el, layout.DocClass) else "Functions", []),
        ]
        groups[2][1].extend(m for m in members if m.obj.is_function)
        summaries, entries = [], []
        sub_header = "#" * (self.crnt_header_level + 1)
        for name, group in groups:
            if not group:
                continue
            rows = "\n".join(self.summarize(m) for m in group)
            summaries.append(
                f"{sub_header} {name}\n\n| Name | Description |\n| --- | --- |\n{rows}"
            )
            with self._increment_header():
                entries.extend(self.render(m) for m in group if isinstance(m, layout.Doc))
        return "\n\n".join([title, *sig_part, body, *summaries, *entries])

    # --- docstring sections -------------------------------------------------------------------

    @dispatch
    def render(self, el: ds.DocstringSectionReturns | ds.DocstringSectionRaises):  # noqa: F811
        rows = [self.render(item) for item in el.value]
        if any(row.name for row in rows):
            return self._render_table(rows, ["Name", "Type", "Description"], "returns")
        unnamed = [(row.annotation, row.to_tuple("returns")[2]) for row in rows]
        return self._render_table_rows(unnamed, ["Type", "Description"])

    def _render_table_rows(self, rows: list[tuple], header: list[str]) -> str:
        lines = [
            "| " + " | ".join(header) + " |",
            "| " + " | ".join("---" for _ in header) + " |",
        ]
        lines += ["| " + " | ".join(str(cell or "") for cell in row) + " |" for row in rows]
        return "\n".join(lines)

    @dispatch
    def render(self, el: DocstringSectionSeeAlso):  # noqa: F811
        return self._link_names(el.value)

    def _link_names(self, text: str) -> str:
        """Link each name of a numpydoc "See Also" line (`fit, pybackprop.optim.SGD : ...`)."""
        lines = []
        for line in text.splitlines():
            names, sep, description = line.partition(" : ")
            linked = [self._link(name.strip()) for name in names.split(",") if name.strip()]
            lines.append(", ".join(linked) + (sep + description if sep else ""))
        return "\n\n".join(lines)

    def _link(self, name: str) -> str:
        name = name.strip("`")
        for dotted in (name, f"{self._module}.{name}", f"{PACKAGE}.{name}"):
            page = _page_of(dotted) if dotted.startswith(PACKAGE + ".") else None
            if page:
                return f"[`{name}`]({page}.qmd#{dotted})"
        return f"`{name}`"
