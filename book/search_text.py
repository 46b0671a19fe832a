"""Make the search results' snippets readable: TeX math in `_book/search.json` becomes text.

Quarto's search index holds each section's text as the page has it before MathJax runs, so a
result showed `\\(\\mathrm{relu}(x-c_j)\\)` where the page shows relu(x - c_j). This
`post-render` step rewrites the inline and display math of every record as plain text
(`\\mathrm{relu}(x-c_j)` -> `relu(x-c_j)`, `\\partial L / \\partial x` -> `∂L / ∂x`); the
pages themselves are not touched. It also drops the text of graph drawings: the step players
draw their graphs as inline SVG, whose node labels Quarto indexed as if they were prose
("y data 0.2500 grad 0.0000 * z data 0.5000 ..."), so a search for "grad" listed every
drawing. Only the standard library, so any Python runs it.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

SYMBOLS = {
    "partial": "∂",
    "nabla": "∇",
    "cdot": "·",
    "times": "×",
    "sum": "∑",
    "prod": "∏",
    "sqrt": "√",
    "infty": "∞",
    "leftarrow": "←",
    "rightarrow": "→",
    "to": "→",
    "approx": "≈",
    "le": "≤",
    "leq": "≤",
    "ge": "≥",
    "geq": "≥",
    "ne": "≠",
    "neq": "≠",
    "in": "∈",
    "dots": "…",
    "ldots": "…",
    "cdots": "⋯",
    "alpha": "α",
    "beta": "β",
    "gamma": "γ",
    "delta": "δ",
    "epsilon": "ε",
    "varepsilon": "ε",
    "eta": "η",
    "theta": "θ",
    "lambda": "λ",
    "mu": "μ",
    "pi": "π",
    "sigma": "σ",
    "tau": "τ",
    "phi": "φ",
    "Delta": "Δ",
    "Sigma": "Σ",
    "top": "ᵀ",
    "max": "max",
    "min": "min",
    "log": "log",
    "exp": "exp",
}
_MATH = re.compile(r"\\\((?P<inline>.+?)\\\)|\\\[(?P<display>.+?)\\\]", re.DOTALL)
_WRAPPER = re.compile(
    r"\\(?:mathrm|text|mathbf|mathit|operatorname|boldsymbol|mathcal)\{([^{}]*)\}"
)
_FRAC = re.compile(r"\\[dt]?frac\{([^{}]*)\}\{([^{}]*)\}")
_COMMAND = re.compile(r"\\([A-Za-z]+)")

# A node of a drawn graph reads "<label> data <number> grad <number>"; between nodes stand the
# operation nodes' labels (*, +, exp, tanh, **-1, ...). A run of them is a drawing, not prose.
_NUMBER = r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?"
_NODE = rf"(?:\S{{1,16}}\s+)?data\s+{_NUMBER}\s+grad\s+{_NUMBER}"
_OP = r"(?:[-+*/·×]|\*\*\s*-?\d+(?:\.\d+)?|exp|log|tanh|relu|ReLU|sigmoid)"
_DRAWING = re.compile(rf"\s*(?:{_OP}\s+)*{_NODE}(?:\s+(?:{_OP}\s+)*{_NODE})*(?:\s+{_OP}(?!\S))*")


def tex_to_text(tex: str) -> str:
    """Readable plain text for a TeX formula (what a reader would type, not a typesetting)."""
    text = tex
    for _ in range(3):  # nested wrappers, innermost first
        text = _WRAPPER.sub(r"\1", text)
        text = _FRAC.sub(r"(\1)/(\2)", text)
    text = re.sub(r"\\(?:left|right|big|Big|bigl|bigr)(?![A-Za-z])", "", text)
    text = re.sub(r"\\[,;:! ]|~", " ", text)
    text = _COMMAND.sub(lambda m: SYMBOLS.get(m[1], m[1]), text)
    text = text.replace("{", "").replace("}", "").replace("\\", "")
    text = re.sub(r"([∂∇√]) ", r"\1", text)
    text = re.sub(r"(\S)\s*=\s*(\S)", r"\1 = \2", text)
    return " ".join(text.split())


def readable(text: str) -> str:
    """`text` with every `\\(...\\)` and `\\[...\\]` formula replaced by `tex_to_text`."""
    return _MATH.sub(lambda m: tex_to_text(m["inline"] or m["display"] or ""), text)


def without_drawings(text: str) -> str:
    """`text` without the node labels of drawn graphs ("x data 2.0000 grad 0.0000 ...")."""
    return _DRAWING.sub("", text)


def rewrite_index(path: Path) -> int:
    """Rewrite the records of a Quarto `search.json` in place; return how many changed."""
    records = json.loads(path.read_text(encoding="utf-8"))
    changed = 0
    for record in records:
        for key in ("text", "title", "section"):
            value = record.get(key)
            if not isinstance(value, str):
                continue
            new = readable(value) if _MATH.search(value) else value
            new = without_drawings(new) if key == "text" else new
            if new != value:
                record[key] = new
                changed += 1
    path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    return changed


def main() -> int:
    out_dir = Path(os.environ.get("QUARTO_PROJECT_OUTPUT_DIR", "_book"))
    index = out_dir / "search.json"
    if not index.exists():  # a render of single pages writes no index
        return 0
    print(f"search index: made {rewrite_index(index)} fields readable (math as text, no drawings)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
