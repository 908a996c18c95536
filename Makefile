# cssim developer tasks (GNU make). The virtual environment lives in ./.venv and is built from
# pyproject.toml; it is reinstalled only when pyproject.toml changes. CI may override PYTHON.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
BENCHMARKS := $(sort $(wildcard benchmarks/bench_*.py))

.DEFAULT_GOAL := help
.PHONY: help setup system-deps test report bench lab lint clean messages

help:
	@echo "make setup   check system packages (.ci/install-system-deps), create $(VENV), install cssim"
	@echo "make test    run the whole test suite (kernels, browsers and clusters included)"
	@echo "make report  render reports/growth-vs-churn.html from scenarios/growth-vs-churn.yaml"
	@echo "make bench   run every benchmarks/bench_*.py"
	@echo "make lab     start JupyterLab at the repository root (scenarios/ and notebooks/)"
	@echo "make lint    ruff check cssim tests benchmarks"
	@echo "make messages  extract new messages into cssim/words/locale/ja/LC_MESSAGES/*.po"

setup: system-deps $(STAMP)

# Python with venv, make and Chromium (for the browser tests): installed as root, else the one command
# to run is printed. The same script .ci/run uses.
system-deps:
	@.ci/install-system-deps

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -e '.[notebooks,dask,dev]'
	touch $@

test: setup
	$(BIN)/python -m pytest

report: setup
	$(BIN)/cssim report scenarios/growth-vs-churn.yaml --out reports
	$(BIN)/cssim report scenarios/ja/growth-vs-churn.yaml --lang ja --out reports/ja

bench: setup
	@test -n "$(BENCHMARKS)" || { echo "no benchmarks/bench_*.py found" >&2; exit 1; }
	@set -e; for bench in $(BENCHMARKS); do \
		echo "== $$bench"; \
		$(BIN)/python $$bench; \
	done

# At the repository root, so scenarios/ and notebooks/ are both reachable; as root (a container)
# JupyterLab refuses to start without --allow-root.
LAB_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)

lab: setup
	$(BIN)/jupyter lab --ServerApp.root_dir=. $(LAB_ROOT)

lint: setup
	$(BIN)/ruff check cssim tests benchmarks

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

# Message catalogs: one per part; a new message appears with an empty msgstr (tests/test_catalogs.py
# fails until it is translated). Add a part by listing its files here.
LOCALE := cssim/words/locale
MESSAGES_cli := $(wildcard cssim/cli/*.py) cssim/runs/single.py cssim/runs/batch.py cssim/runs/calibration.py
MESSAGES_errors := cssim/words/errors_text.py
MESSAGES_charts := cssim/reporting/charts.py
MESSAGES_pages := cssim/words/labels.py cssim/words/formatting.py cssim/reporting/pages.py cssim/reporting/batch_index.py \
	cssim/reporting/sweep_report.py cssim/reporting/compare_report.py \
	cssim/reporting/calibration_report.py $(wildcard cssim/reporting/templates/pages/*.html)
MESSAGE_PARTS := cli errors charts pages

messages:
	@mkdir -p build/messages
	@set -e; for part in $(MESSAGE_PARTS); do \
		case $$part in \
			cli) files="$(MESSAGES_cli)";; errors) files="$(MESSAGES_errors)";; \
			charts) files="$(MESSAGES_charts)";; pages) files="$(MESSAGES_pages)";; \
		esac; \
		$(BIN)/pybabel extract -F babel.cfg --no-location --sort-output -o build/messages/$$part.pot $$files; \
		$(BIN)/pybabel update -i build/messages/$$part.pot -d $(LOCALE) -D $$part -l ja \
			--no-fuzzy-matching --ignore-obsolete; \
	done
