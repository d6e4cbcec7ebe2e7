# shot_platform: `make run` to try it, `make test` to test it.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export SHOT_PLATFORM_HOME ?= $(CURDIR)/.shot_platform
export DAGSTER_HOME ?= $(SHOT_PLATFORM_HOME)/dagster
DATA ?=
FT_DATA ?=
GAMES ?= 400
UI_PORT ?= 3000
STAMP := $(VENV)/.installed

.PHONY: help install db run demo ui serve bento test lint benchmark clean

help:
	@echo "make run        install, ingest (synthetic data unless DATA=shot logs, FT_DATA=free throws), materialise, start the Dagster UI on :3000"
	@echo "make db         bring the store to the current schema (shot-platform db upgrade)"
	@echo "make test       install and run the whole test suite"
	@echo "make lint       ruff, and dg check defs (the code location loads)"
	@echo "make serve      the prediction service on :5000 (POST /predict)"
	@echo "make bento      build the Bento (bentoml build) from bento/"
	@echo "make benchmark  ingest, materialise and serving figures (uses ../shared/data when present)"
	@echo "make clean      remove $(SHOT_PLATFORM_HOME)"

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

db: $(STAMP)
	$(BIN)/shot-platform db upgrade

demo: $(STAMP) db
	$(BIN)/shot-platform demo --games $(GAMES) $(if $(DATA),--data $(DATA),) $(if $(FT_DATA),--free-throws $(FT_DATA),)

# `dg dev` (the project's [tool.dg] in pyproject.toml), the successor of `dagster dev`.
ui: $(STAMP)
	mkdir -p $(DAGSTER_HOME)
	$(BIN)/dg dev --host 0.0.0.0 --port $(UI_PORT)

run: demo ui

serve: $(STAMP)
	$(BIN)/shot-platform serve --port 5000

bento: $(STAMP)
	rm -rf bento/wheels
	$(BIN)/pip wheel --quiet --no-deps --wheel-dir bento/wheels .
	cd bento && $(CURDIR)/$(BIN)/bentoml build

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	mkdir -p $(DAGSTER_HOME)
	$(BIN)/dg check defs

benchmark: $(STAMP)
	$(BIN)/python benchmarks/pipeline.py
	$(BIN)/python benchmarks/serve.py

clean:
	rm -rf $(SHOT_PLATFORM_HOME)
