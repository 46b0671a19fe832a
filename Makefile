# The two commands of README.md (`make site`, `make test`), and a few for contributors
# (CONTRIBUTING.md). Each makes its own virtual environment in .venv and installs what it
# needs there, so all of them work on a fresh clone.
VENV   := .venv
PY     := $(VENV)/bin/python
PORT   ?= 8000
# The one place the Quarto version is pinned: the quarto-cli fallback below installs it, and
# the GitHub workflow reads it with `make -s quarto-version` for Quarto's setup action.
QUARTO_VERSION := 1.7.34

.PHONY: site render reference test test-fast chapter chapter-times format quarto-version videos-check

$(PY):
	python3 -m venv $(VENV)

# torch first, pinned, from PyTorch's CPU index: from PyPI, Linux gets a multi-GB CUDA build.
# The test extra's range (torch>=2.13,<3) is then already satisfied by this CPU build.
$(VENV)/.installed-test: pyproject.toml | $(PY)
	$(PY) -m pip install "torch==2.13.0" --index-url https://download.pytorch.org/whl/cpu
	$(PY) -m pip install -e ".[test]"
	touch $@

# The meeting-videos tool (book/videos.py) needs PyYAML and nothing else, not even the package.
$(VENV)/.installed-videos: | $(PY)
	$(PY) -m pip install "pyyaml>=6"
	touch $@

$(VENV)/.installed-site: pyproject.toml | $(PY)
	$(PY) -m pip install -e ".[site]"
	touch $@

test: $(VENV)/.installed-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) -m pytest -n auto --dist loadgroup

# The package's tests alone (tests/package): no chapter runs, no browser pages, no builds.
test-fast: $(VENV)/.installed-test
	$(PY) -m pytest tests/package -m "not slow"

# Each page's run time in a fresh kernel, printed, never asserted: `make chapter-times`, or
# `make chapter-times NAME=09` for the pages whose file name contains 09.
chapter-times: $(VENV)/.installed-test
	$(PY) benchmarks/chapter_times.py $(NAME)

# One chapter through the chapter tests (tests/book/test_chapters.py):
# `make chapter NAME=09` (its number) or `make chapter NAME=minibatch` (part of its file name).
chapter: $(VENV)/.installed-test
	@name=$$(printf '%s' "$(NAME)" | tr 'A-Z' 'a-z'); \
	if [ -z "$$name" ]; then \
		echo "usage: make chapter NAME=09, or NAME=minibatch (part of a file name in chapters/)" >&2; \
		exit 2; \
	fi; \
	case "$$name" in \
		[0-9]) pattern="0$$name-*" ;; \
		*[!0-9]*) pattern="*$$name*" ;; \
		*) pattern="$$name-*" ;; \
	esac; \
	found=""; all=""; \
	for file in chapters/[!_]*.qmd; do \
		stem=$$(basename "$$file" .qmd); all="$$all $$stem"; \
		case "$$stem" in $$pattern) found="$$found $$stem" ;; esac; \
	done; \
	set -- $$found; \
	if [ $$# -eq 0 ]; then \
		echo "error: NAME=$(NAME) matches no chapter; the chapters are:$$all" >&2; exit 2; \
	elif [ $$# -gt 1 ]; then \
		echo "error: NAME=$(NAME) matches several chapters:$$found; give more of the name" >&2; \
		exit 2; \
	fi; \
	echo "$(PY) -m pytest tests/book/test_chapters.py -k $$1"; \
	$(PY) -m pytest tests/book/test_chapters.py -k "$$1"

# Fix what ruff can fix and format the tree: what the pre-commit hooks do, on every file.
format: $(VENV)/.installed-test
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# The meeting-videos files, checked as organisers check them (videos/README.md): the command
# is `python3 book/videos.py check`, from the repository's root.
videos-check: $(VENV)/.installed-videos
	$(PY) book/videos.py check

quarto-version:
	@echo $(QUARTO_VERSION)

# The API reference pages (reference/*.qmd) from the docstrings; Python only.
reference: $(VENV)/.installed-site
	$(VENV)/bin/quartodoc build

# Uses `quarto` from PATH when there is one; otherwise installs the quarto-cli package, at the
# pinned version, into .venv (it downloads Quarto's binary, so this step needs the internet once).
render: reference
	@if command -v quarto >/dev/null 2>&1; then \
		echo "using quarto $$(quarto --version) from PATH (the site is built with $(QUARTO_VERSION))"; \
	elif [ ! -x $(VENV)/bin/quarto ]; then \
		$(PY) -m pip install "quarto-cli==$(QUARTO_VERSION)"; \
	fi
	PATH="$(abspath $(VENV))/bin:$$PATH" QUARTO_PYTHON="$(abspath $(PY))" quarto render

site: render
	@echo "serving _book on http://localhost:$(PORT) (Ctrl-C to stop)"
	$(PY) -m http.server --directory _book $(PORT)
