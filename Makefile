# alicloud.ecs — the commands the README shows: demo, test, bench, emulator.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell scripts/find-python)
VENV := .venv
VPY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: help venv test test-emulator test-unit test-integration demo bench emulator clean

help:
	@echo "make demo      provision pay-as-you-go and subscription instances against the emulator, then tear down"
	@echo "make test      install everything into .venv and run every test suite"
	@echo "make bench     run the benchmarks and print their tables"
	@echo "make emulator  run the ECS emulator in the foreground"

$(STAMP): requirements.txt requirements-dev.txt emulator/pyproject.toml
	@test -n "$(PYTHON)" || { echo "no Python found" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install --quiet --upgrade pip
	$(VPY) -m pip install --quiet -r requirements-dev.txt -e ./emulator
	touch $(STAMP)

venv: $(STAMP)

test: venv
	$(VPY) -m pytest -p no:cacheprovider tests

test-emulator: venv
	$(VPY) -m pytest -p no:cacheprovider tests/emulator

test-unit: venv
	$(VPY) -m pytest -p no:cacheprovider tests/unit

test-integration: venv
	$(VPY) -m pytest -p no:cacheprovider tests/integration

demo: venv
	$(VPY) scripts/demo.py

bench: venv
	$(VPY) bench/run.py

emulator: venv
	$(VENV)/bin/ecs-emulator

clean:
	rm -rf $(VENV) .tmp
