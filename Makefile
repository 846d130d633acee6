# Set-up and checks. `make demo` and `make test` are all a fresh machine needs.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test lint typecheck workflows unit bench clean

# A strict editable install links each file (mypy then sees the mapped packages); a new
# module or template means installing again, so every one of them is a prerequisite.
SOURCES := $(shell find src adapters templates -name '*.py' -o -name '*.j2' -o -name '*.md' 2>/dev/null)

$(BIN)/storyplan: pyproject.toml $(SOURCES)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]' --config-settings editable_mode=strict
	@touch $@

demo: $(BIN)/storyplan  ## plan the bundled example story with the files tracker
	$(BIN)/storyplan demo

lint: $(BIN)/storyplan
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(BIN)/storyplan
	$(BIN)/mypy src/storyplan adapters

# actionlint checks workflows only (given action.yml it reports a workflow without `on`), so
# it reads the examples, with shellcheck on their run: lines; zizmor reads the action and the
# examples, offline (no GitHub API, no network). Files are named one by one: zizmor given a
# directory collects only its .github/workflows/.
workflows: $(BIN)/storyplan  ## lint action.yml and examples/workflows/
	$(BIN)/actionlint -shellcheck $(BIN)/shellcheck examples/workflows/*.yml
	$(BIN)/zizmor --offline --no-progress --config zizmor.yml action.yml examples/workflows/*.yml

unit: $(BIN)/storyplan
	$(BIN)/python -m pytest -n 2

test: lint typecheck workflows unit  ## everything CI runs

bench: $(BIN)/storyplan
	bash benchmarks/startup.sh

clean:
	rm -rf $(VENV) build *.egg-info storyplan-demo
