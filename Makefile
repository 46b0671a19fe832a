# The two commands of README.md. Each makes its own virtual environment in .venv and
# installs what it needs there, so both work on a fresh clone.
VENV   := .venv
PY     := $(VENV)/bin/python
PORT   ?= 8000

.PHONY: site render reference test

$(PY):
	python3 -m venv $(VENV)

# torch first and pinned: an unpinned torch would pull a multi-GB CUDA build, and the test
# extra's range (torch>=2.13,<3) is then already satisfied by this CPU build.
$(VENV)/.installed-test: pyproject.toml | $(PY)
	$(PY) -m pip install "torch==2.13.0"
	$(PY) -m pip install -e ".[test]"
	touch $@

$(VENV)/.installed-site: pyproject.toml | $(PY)
	$(PY) -m pip install -e ".[site]"
	touch $@

test: $(VENV)/.installed-test
	$(VENV)/bin/ruff check .
	$(PY) -m pytest

# The API reference pages (reference/*.qmd) from the docstrings; Python only.
reference: $(VENV)/.installed-site
	$(VENV)/bin/quartodoc build

# Uses `quarto` from PATH when there is one; otherwise installs the quarto-cli package into
# .venv (it downloads Quarto's binary, so this step needs the internet once).
render: reference
	@if command -v quarto >/dev/null 2>&1; then \
		echo "using quarto from PATH: $$(command -v quarto)"; \
	elif [ ! -x $(VENV)/bin/quarto ]; then \
		$(PY) -m pip install quarto-cli; \
	fi
	PATH="$(abspath $(VENV))/bin:$$PATH" QUARTO_PYTHON="$(abspath $(PY))" quarto render

site: render
	@echo "serving _book on http://localhost:$(PORT) (Ctrl-C to stop)"
	$(PY) -m http.server --directory _book $(PORT)
