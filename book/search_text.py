"""Make the search results' snippets readable: TeX math in `_book/search.json` becomes text.

Quarto's search index holds each section's text as the page has it before MathJax runs, so a
result showed `\\(\\mathrm{relu}(x-c_j)\\)` where the page shows relu(x - c_j). This
`post-render` step rewrites the inline and display math of every record as plain text
(`\\mathrm{relu}(x-c_j)` -> `relu(x-c_j)`, `\\partial L / \\partial x` -> `∂L / ∂x`); the
pages themselves are not touched. Only the standard library, so any Python runs it.
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


def rewrite_index(path: Path) -> int:
    """Rewrite the records of a Quarto `search.json` in place; return how many changed."""
    records = json.loads(path.read_text(encoding="utf-8"))
    changed = 0
    for record in records:
        for key in ("text", "title", "section"):
            value = record.get(key)
            if isinstance(value, str) and _MATH.search(value):
                record[key] = readable(value)
                changed += 1
    path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    return changed


def main() -> int:
    out_dir = Path(os.environ.get("QUARTO_PROJECT_OUTPUT_DIR", "_book"))
    index = out_dir / "search.json"
    if not index.exists():  # a render of single pages writes no index
        return 0
    print(f"search index: made the math of {rewrite_index(index)} fields readable")
    return 0


if __name__ == "__main__":
    sys.exit(main())
