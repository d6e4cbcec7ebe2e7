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
SERVE_PORT ?= 5000
SCORES_API_PORT ?= 5100
# games the demo's replay server releases per second: a season (1,230 games) every ~10 minutes
GAMES_PER_SECOND ?= 2
STAMP := $(VENV)/.installed

.PHONY: help install db run demo ui serve bento test lint benchmark clean

help:
	@echo "make run        install, ingest (synthetic data unless DATA=shot logs, FT_DATA=free throws), materialise,"
	@echo "                then the Dagster UI on :$(UI_PORT) and the Scores API replay server on :$(SCORES_API_PORT), which"
	@echo "                releases $(GAMES_PER_SECOND) games/s for the sensors to sync (UI_PORT=, SCORES_API_PORT=, GAMES_PER_SECOND=)"
	@echo "make db         bring the store to the current schema (shot-platform db upgrade)"
	@echo "make test       install and run the whole test suite"
	@echo "make lint       ruff, and dg check defs (the code location loads)"
	@echo "make serve      the prediction service on :$(SERVE_PORT) (SERVE_PORT=): /predict, score_beater, /readyz"
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

DEMO_ARGS = --games $(GAMES) $(if $(DATA),--data $(DATA),) $(if $(FT_DATA),--free-throws $(FT_DATA),) --ui-port $(UI_PORT)

demo: $(STAMP) db
	$(BIN)/shot-platform demo $(DEMO_ARGS)

# `dg dev` (the project's [tool.dg] in pyproject.toml), the successor of `dagster dev`.
ui: $(STAMP)
	mkdir -p $(DAGSTER_HOME)
	$(BIN)/dg dev --host 0.0.0.0 --port $(UI_PORT)

# The whole loop: the replay server starts with no result final and releases GAMES_PER_SECOND,
# the UI's sensors sync them (predictions after every game, retraining at a season's end); stopping
# the UI (Ctrl-C) stops the replay server too.
REPLAY = $(BIN)/shot-platform scores-api serve --port $(SCORES_API_PORT) --release 0 --games-per-second $(GAMES_PER_SECOND)

run: $(STAMP) db
	$(BIN)/shot-platform demo $(DEMO_ARGS) --scores-api-port $(SCORES_API_PORT)
	mkdir -p $(DAGSTER_HOME)
	$(REPLAY) & replay=$$!; trap 'kill $$replay 2>/dev/null' EXIT INT TERM; \
	SHOT_PLATFORM_SCORES_API_URL=http://127.0.0.1:$(SCORES_API_PORT) $(BIN)/dg dev --host 0.0.0.0 --port $(UI_PORT)

serve: $(STAMP)
	$(BIN)/shot-platform serve --port $(SERVE_PORT)

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
