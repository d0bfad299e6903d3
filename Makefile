# Two commands set up everything on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
UV := $(shell command -v uv 2>/dev/null)
ifeq ($(UV),)
UV := python3 -m uv
endif
VENV := .venv
PY := $(VENV)/bin/python
SCALE ?= 1
ERRORS ?= default
export DAGSTER_HOME ?= $(CURDIR)/data/dagster_home

.PHONY: run test test-fast ui lint bench generate clean env

$(VENV)/.synced: uv.lock pyproject.toml
	@$(UV) --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	$(UV) sync --frozen --compile-bytecode
	touch $@

env: $(VENV)/.synced

$(DAGSTER_HOME)/dagster.yaml: dagster.yaml
	@mkdir -p $(DAGSTER_HOME)
	cp dagster.yaml $@

run: env $(DAGSTER_HOME)/dagster.yaml  ## materialize every asset on the committed sample and publish
	$(VENV)/bin/datalabs run

test: env  ## the full test suite
	$(PY) -m pytest -q -n 2 --dist loadfile

test-fast: env  ## skip the slow end-to-end tests
	$(PY) -m pytest -q -n 2 --dist loadfile -m "not slow"

ui: env $(DAGSTER_HOME)/dagster.yaml  ## the Dagster UI and daemon on this workspace
	$(VENV)/bin/datalabs ui

lint: env
	$(VENV)/bin/ruff check datalabs_pipelines datalabs_pipelines_tests
	$(VENV)/bin/ruff format --check datalabs_pipelines datalabs_pipelines_tests

generate: env  ## regenerate the committed sample (scale 1, seed 2026)
	$(VENV)/bin/datalabs generate --scale 1 --seed 2026 --out data

bench: env  ## benchmark at SCALE (default 1) on a sample with the ERRORS profile (default, heavy)
	$(VENV)/bin/datalabs bench --scale $(SCALE) --errors $(ERRORS)

clean:
	rm -rf data/warehouse.duckdb* data/published data/dagster_home
