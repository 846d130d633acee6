# Set-up and checks. `make demo` and `make test` are all a fresh machine needs.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test lint typecheck unit bench clean

$(BIN)/storyplan: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

demo: $(BIN)/storyplan  ## plan the bundled example story with the files tracker
	$(BIN)/storyplan demo

lint: $(BIN)/storyplan
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(BIN)/storyplan
	$(BIN)/mypy src/storyplan adapters

unit: $(BIN)/storyplan
	$(BIN)/python -m pytest -n 2

test: lint typecheck unit  ## everything CI runs

bench: $(BIN)/storyplan
	bash benchmarks/startup.sh

clean:
	rm -rf $(VENV) build *.egg-info storyplan-demo
