# alicloud.ecs — the commands the README shows (demo, test, bench, emulator),
# plus the suites and quality gates behind `make test`. CONTRIBUTING.md
# describes every target.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Newest Python >= 3.12 for .venv and .venv-lint; Python 3.11 for the oldest
# supported ansible-core (2.16, meta/runtime.yml requires_ansible) in .venv-oldest.
PYTHON ?= $(shell scripts/find-python)
PYTHON_OLDEST ?= $(shell scripts/find-python --oldest)

VENV := .venv
VPY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
LINT_VENV := .venv-lint
LINT_STAMP := $(LINT_VENV)/.installed
OLDEST_VENV := .venv-oldest
OLDEST_STAMP := $(OLDEST_VENV)/.installed
DEMO_VENV := .venv-demo
DEMO_STAMP := $(DEMO_VENV)/.installed
IMPORTER_VENV := .venv-importer
IMPORTER_STAMP := $(IMPORTER_VENV)/.installed
# Alibaba's old ali_instance module (ansible-alicloud + footmark), only for make bench.
OLD_ALICLOUD_VENV := .venv-old-alicloud
OLD_ALICLOUD_STAMP := $(OLD_ALICLOUD_VENV)/.installed
DOCS_VENV := .venv-docs
DOCS_STAMP := $(DOCS_VENV)/.installed

PYTEST := -m pytest -p no:cacheprovider
# Two workers on this kind of machine; suites that start servers use free ports.
XDIST := -n auto
# Run by `make test` before the main pytest run, each whatever the others do.
GATES := sanity sanity-oldest lint lint-docs lint-changelog galaxy-importer typecheck test-oldest

.PHONY: help venv venv-lint venv-oldest venv-demo venv-importer venv-docs venv-old-alicloud docs docs-rst release-changelog test test-emulator test-unit test-integration \
	test-packaging test-molecule test-oldest check sanity sanity-oldest lint lint-docs lint-changelog galaxy-importer \
	typecheck build \
	demo bench emulator clean

help:
	@echo "make demo            provision pay-as-you-go and subscription instances against the emulator, then tear down"
	@echo "make test            install everything and run every suite and quality gate (what CI runs)"
	@echo "make bench           run the benchmarks and print their tables"
	@echo "make emulator        run the ECS emulator in the foreground"
	@echo
	@echo "make test-unit | test-integration | test-emulator | test-packaging | test-molecule"
	@echo "                     one pytest suite in .venv"
	@echo "make test-oldest     unit tests + smoke tests on the oldest ansible-core, 2.16 (.venv-oldest)"
	@echo "make check           all static gates: sanity sanity-oldest lint lint-docs lint-changelog galaxy-importer typecheck"
	@echo "make sanity          ansible-test sanity (all tests, no ignore files) on a copy of the collection"
	@echo "make sanity-oldest   the same with the oldest supported ansible-core (2.16) on Python 3.11"
	@echo "make lint            ansible-lint, production profile"
	@echo "make lint-docs       antsibull-docs lint-collection-docs --plugin-docs"
	@echo "make lint-changelog  antsibull-changelog lint (fragments and changelog.yaml)"
	@echo "make galaxy-importer galaxy-importer on the built tarball, as Galaxy and as Automation Hub"
	@echo "make typecheck       mypy over plugins/module_utils (Python 3.11 semantics)"
	@echo "make build           ansible-galaxy collection build into .tmp/dist"
	@echo "make docs            the documentation site's HTML (antsibull-docs + Sphinx, offline) in .tmp/docs/html"
	@echo "make docs-rst        regenerate the docsite pages written in Markdown (docs/*.md -> docs/docsite/rst/)"
	@echo "make release-changelog  the release's changelog: fragments -> changelogs/changelog.yaml and CHANGELOG.rst"
	@echo "make clean           remove the venvs and scratch directories"

# --- virtual environments (re-created only when their requirement files change)

$(STAMP): requirements.txt requirements-test.txt requirements-dev.txt requirements-molecule.txt emulator/pyproject.toml
	@test -n "$(PYTHON)" || { echo "no Python found" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install --quiet --upgrade pip
	$(VPY) -m pip install --quiet -r requirements-dev.txt -e ./emulator
	touch $(STAMP)

$(LINT_STAMP): requirements-lint.txt
	@test -n "$(PYTHON)" || { echo "no Python found" >&2; exit 1; }
	$(PYTHON) -m venv $(LINT_VENV)
	$(LINT_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(LINT_VENV)/bin/python -m pip install --quiet -r requirements-lint.txt
	touch $(LINT_STAMP)

# Python 3.11 is on every machine of this kind (pyenv): missing means broken.
# --clear: a change of ansible-core (e.g. down to 2.16) leaves nothing of the old one.
$(OLDEST_STAMP): requirements.txt requirements-test.txt requirements-oldest.txt emulator/pyproject.toml
	@test -n "$(PYTHON_OLDEST)" || { echo "no Python 3.11 found for the oldest supported ansible-core" \
		"(scripts/find-python --oldest looks on PATH and in pyenv): install it, e.g. pyenv install 3.11" >&2; exit 1; }
	$(PYTHON_OLDEST) -m venv --clear $(OLDEST_VENV)
	$(OLDEST_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(OLDEST_VENV)/bin/python -m pip install --quiet -r requirements-oldest.txt -e ./emulator
	touch $(OLDEST_STAMP)

# The demo's runtime-only venv (requirements-demo.txt), made for speed on a
# fresh clone: no pip inside it (the pip of $(PYTHON) fills it through
# --python). A Python whose pip predates --python (pip < 22.3) gets a venv
# with its own pip instead. (Byte-compiling stays on: where
# PYTHONDONTWRITEBYTECODE is set, nothing would ever be compiled later.)
$(DEMO_STAMP): requirements.txt requirements-demo.txt emulator/pyproject.toml
	@test -n "$(PYTHON)" || { echo "no Python found" >&2; exit 1; }
	@if $(PYTHON) -m pip --help 2>/dev/null | grep -q -- '--python '; then \
		set -x; $(PYTHON) -m venv --without-pip $(DEMO_VENV) && \
		$(PYTHON) -m pip --python $(DEMO_VENV)/bin/python install --quiet -r requirements-demo.txt -e ./emulator; \
	else \
		set -x; $(PYTHON) -m venv $(DEMO_VENV) && \
		$(DEMO_VENV)/bin/python -m pip install --quiet -r requirements-demo.txt -e ./emulator; \
	fi
	touch $(DEMO_STAMP)

$(DOCS_STAMP): requirements-docs.txt
	@test -n "$(PYTHON)" || { echo "no Python found" >&2; exit 1; }
	$(PYTHON) -m venv $(DOCS_VENV)
	$(DOCS_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(DOCS_VENV)/bin/python -m pip install --quiet -r requirements-docs.txt
	touch $(DOCS_STAMP)

$(IMPORTER_STAMP): requirements-importer.txt
	@test -n "$(PYTHON)" || { echo "no Python found" >&2; exit 1; }
	$(PYTHON) -m venv $(IMPORTER_VENV)
	$(IMPORTER_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(IMPORTER_VENV)/bin/python -m pip install --quiet -r requirements-importer.txt
	touch $(IMPORTER_STAMP)

# Python 3.11 and ansible-core 2.16 (bench/requirements-old-alicloud.txt); ansible-alicloud without
# its dependencies into a directory of its own: its package would overwrite ansible-core's __init__ files.
$(OLD_ALICLOUD_STAMP): bench/requirements-old-alicloud.txt bench/requirements-old-alicloud-modules.txt
	@test -n "$(PYTHON_OLDEST)" || { echo "no Python 3.11 found for the old ali_instance modules" \
		"(scripts/find-python --oldest looks on PATH and in pyenv): install it, e.g. pyenv install 3.11" >&2; exit 1; }
	$(PYTHON_OLDEST) -m venv --clear $(OLD_ALICLOUD_VENV)
	$(OLD_ALICLOUD_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(OLD_ALICLOUD_VENV)/bin/python -m pip install --quiet -r bench/requirements-old-alicloud.txt
	$(OLD_ALICLOUD_VENV)/bin/python -m pip install --quiet --no-deps --target $(OLD_ALICLOUD_VENV)/ansible-alicloud \
		-r bench/requirements-old-alicloud-modules.txt
	touch $(OLD_ALICLOUD_STAMP)

venv: $(STAMP)
venv-lint: $(LINT_STAMP)
venv-oldest: $(OLDEST_STAMP)
venv-demo: $(DEMO_STAMP)
venv-importer: $(IMPORTER_STAMP)
venv-docs: $(DOCS_STAMP)
venv-old-alicloud: $(OLD_ALICLOUD_STAMP)

# --- tests

# The gates first (two at a time, each whatever the others do; output kept
# per gate and a timed summary), then every pytest suite under tests/ in one
# run, whose closing summary is the last thing printed. Fails if any gate or
# test failed.
test: venv venv-lint venv-oldest
	@MAKE="$(MAKE)" scripts/run-gates $(GATES); gates=$$?; \
	echo "== pytest tests/ (.venv)"; \
	$(VPY) $(PYTEST) $(XDIST) tests || exit $$?; \
	exit $$gates

test-emulator: venv
	$(VPY) $(PYTEST) $(XDIST) tests/emulator

test-unit: venv
	$(VPY) $(PYTEST) $(XDIST) tests/unit

test-integration: venv
	$(VPY) $(PYTEST) $(XDIST) tests/integration

test-packaging: venv
	$(VPY) $(PYTEST) tests/packaging

test-molecule: venv
	$(VPY) $(PYTEST) tests/molecule

# Oldest supported ansible-core (2.16 on Python 3.11): all unit tests, and the
# tests marked `smoke` (@pytest.mark.smoke) in tests/integration, tests/roles and
# tests/packaging (the latter installs the built tarball and runs a playbook by
# FQCN against the emulator).
test-oldest: venv-oldest
	scripts/pytest-suite $(OLDEST_VENV)/bin/python tests/unit $(XDIST)
	$(OLDEST_VENV)/bin/python $(PYTEST) $(XDIST) -m smoke tests/integration tests/roles tests/packaging

# --- quality gates

check: sanity sanity-oldest lint lint-docs lint-changelog galaxy-importer typecheck

# All sanity tests, run locally (no --docker: there is no engine here) on the
# Python of .venv. Per-test virtual environments are cached in .cache/.
sanity: venv
	scripts/ansible-test-offline $(VENV) sanity --python \
		"$$($(VPY) -c 'import sys; print("%d.%d" % sys.version_info[:2])')"

# requires_ansible admits 2.16 (what Automation Platform 2.5's execution
# environments ship): its validate-modules, pylint, pep8, yamllint and
# compile/import on Python 3.11 must accept the collection too.
sanity-oldest: venv-oldest
	scripts/ansible-test-offline $(OLDEST_VENV) sanity --python \
		"$$($(OLDEST_VENV)/bin/python -c 'import sys; print("%d.%d" % sys.version_info[:2])')"

# Plain ansible-lint from the collection root, as a user runs it: it installs
# the collection into .ansible/ itself (.ansible-lint). Any ANSIBLE_* path the
# caller set would make it use ~/.ansible instead, so those are unset.
lint: venv-lint
	env -u ANSIBLE_HOME -u ANSIBLE_LIBRARY -u ANSIBLE_ROLES_PATH -u ANSIBLE_COLLECTIONS_PATH \
		PATH="$(CURDIR)/$(LINT_VENV)/bin:$$PATH" ansible-lint --nocolor

lint-docs: venv-lint
	PATH="$(CURDIR)/$(LINT_VENV)/bin:$$PATH" scripts/with-collection-tree \
		sh -c 'cd "$$COLLECTION_DIR" && antsibull-docs lint-collection-docs --plugin-docs .'

lint-changelog: venv-lint
	$(LINT_VENV)/bin/antsibull-changelog lint
	$(LINT_VENV)/bin/antsibull-changelog lint-changelog-yaml changelogs/changelog.yaml

# What Galaxy and Automation Hub run on every upload, on the built tarball:
# the import must pass in both modes without a warning.
galaxy-importer: venv-importer
	scripts/galaxy-importer-check $(IMPORTER_VENV)

# STYLE.md: module_utils is type-checked, in CI.
typecheck: venv-lint
	scripts/with-collection-tree sh -c 'cd "$$COLLECTIONS_ROOT" && \
		"$(CURDIR)/$(LINT_VENV)/bin/mypy" --config-file "$(CURDIR)/pyproject.toml" "$${COLLECTION_DIR#$$PWD/}/plugins/module_utils"'

build: venv
	$(VENV)/bin/ansible-galaxy collection build --force --output-path .tmp/dist .

# --- documentation and release

# The docsite as docs.ansible.com would render it: antsibull-docs turns the plugin, role and extra docs
# (docs/docsite/) into rst, Sphinx builds .tmp/docs/html/index.html; offline (no intersphinx), warnings
# fail it. About 10 s; not in `make test`, which checks the same sources with lint-docs and tests/packaging.
docs: venv-docs
	scripts/build-docs $(DOCS_VENV) .tmp/docs

# docs/guide.md, docs/migration.md and docs/versioning.md are the sources of their docsite pages;
# run this after editing one (tests/packaging fails while a generated page is stale). Standard library only.
docs-rst:
	$(or $(PYTHON),python3) scripts/md2rst.py

# The changelog of the release galaxy.yml names: antsibull-changelog moves every fragment of
# changelogs/fragments/ into changelogs/changelog.yaml (and deletes them, keep_fragments: false) and
# writes CHANGELOG.rst, which the tarball ships. Run it once, when the release's fragments are all in, and
# commit the result; lint-changelog and tests/packaging check it afterwards.
release-changelog: venv-lint
	PATH="$(CURDIR)/$(LINT_VENV)/bin:$$PATH" antsibull-changelog release
	$(LINT_VENV)/bin/antsibull-changelog lint-changelog-yaml changelogs/changelog.yaml
	@test -s CHANGELOG.rst && echo "CHANGELOG.rst and changelogs/changelog.yaml now hold release $$(sed -n 's/^version: *//p' galaxy.yml)"

# --- the other README commands

# Runtime only (.venv-demo): ansible-core, the SDKs and the emulator.
demo: venv-demo
	$(DEMO_VENV)/bin/python scripts/demo.py

# Every benchmark runs even when one fails (bench/README.md); make bench fails if any did.
bench: venv venv-old-alicloud
	@status=0; \
	$(VPY) bench/emulator_bench.py || status=1; \
	$(VPY) bench/run.py || status=1; \
	$(VPY) bench/inventory_bench.py || status=1; \
	$(VPY) bench/quota_bench.py || status=1; \
	$(VPY) bench/old_modules_bench.py --old-venv $(OLD_ALICLOUD_VENV) || status=1; \
	exit $$status

emulator: venv
	$(VENV)/bin/ecs-emulator

clean:
	rm -rf $(VENV) $(LINT_VENV) $(OLDEST_VENV) $(DEMO_VENV) $(IMPORTER_VENV) $(DOCS_VENV) $(OLD_ALICLOUD_VENV) .tmp .cache
