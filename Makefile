# cssim developer tasks (GNU make). The virtual environment lives in ./.venv and is built from
# pyproject.toml; it is reinstalled only when pyproject.toml changes. CI may override PYTHON.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
BENCHMARKS := $(sort $(wildcard benchmarks/bench_*.py))

.DEFAULT_GOAL := help
.PHONY: help setup test report bench lab lint clean

help:
	@echo "make setup   create $(VENV) and install cssim with the notebooks, dask and dev extras"
	@echo "make test    run the whole test suite (kernels, browsers and clusters included)"
	@echo "make report  render reports/growth-vs-churn.html from scenarios/growth-vs-churn.yaml"
	@echo "make bench   run every benchmarks/bench_*.py"
	@echo "make lab     start JupyterLab on notebooks/"
	@echo "make lint    ruff check cssim tests benchmarks"

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -e '.[notebooks,dask,dev]'
	touch $@

test: setup
	$(BIN)/python -m pytest

report: setup
	$(BIN)/cssim report scenarios/growth-vs-churn.yaml --out reports
	$(BIN)/cssim report scenarios/growth-vs-churn.yaml --lang ja --out reports/ja

bench: setup
	@test -n "$(BENCHMARKS)" || { echo "no benchmarks/bench_*.py found" >&2; exit 1; }
	@set -e; for bench in $(BENCHMARKS); do \
		echo "== $$bench"; \
		$(BIN)/python $$bench; \
	done

lab: setup
	$(BIN)/jupyter lab notebooks/

lint: setup
	$(BIN)/ruff check cssim tests benchmarks

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
