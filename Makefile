# The two front doors: `make run` and `make test`. Everything they need is installed on demand.
SHELL := /bin/bash
.DEFAULT_GOAL := help

export UV_PYTHON_DOWNLOADS := never
export UV_LINK_MODE := copy
UV := $(or $(shell command -v uv 2>/dev/null),$(CURDIR)/.tools/bin/uv)
PYTEST_ARGS ?=

.PHONY: help run test lint format install uv web web-deps gen-client web-lint web-test check-python test-services

help:
	@echo "make run    start BA Assistant on http://$${HOST:-127.0.0.1}:$${PORT:-8000}"
	@echo "make test   install what the tests need and run every test"
	@echo "make lint   ruff format check, ruff check, mypy, biome and tsc on web/"
	@echo "make gen-client  regenerate web/src/api/schema.d.ts from the API"

check-python:
	@python3 -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "BA Assistant needs Python 3.11 or newer as python3")'

# uv comes from PyPI into a private folder when it is not already on PATH.
uv: check-python
	@test -x "$(UV)" || { echo "installing uv into .tools/"; python3 -m venv .tools && .tools/bin/python -m pip install --quiet --disable-pip-version-check uv; }

install: uv
	@"$(UV)" sync --frozen --quiet

# The web app (web/): npm dependencies from the committed lock, built into web/dist.
web-deps:
	@command -v npm >/dev/null || { echo "npm is needed to build the web app (Node 20)"; exit 1; }
	@[ web/node_modules/.package-lock.json -nt web/package-lock.json ] || (cd web && npm ci --no-audit --no-fund --loglevel=error)

web: web-deps
	@cd web && npm run build --silent

# The web client's API types, from the server's OpenAPI (no server needed). Commit the result.
gen-client: install web-deps
	@"$(UV)" run --frozen python -c 'import json, tempfile, pathlib; from ba_assistant.config import load_settings; from ba_assistant.main import create_app; app = create_app(load_settings(environment="development", data_dir=pathlib.Path(tempfile.mkdtemp()))); print(json.dumps(app.openapi(), indent=1))' > web/openapi.json
	@cd web && npm run gen-client --silent

web-lint: web-deps
	@cd web && npm run lint --silent

web-test: web-deps
	@cd web && npm test --silent

run: install web
	@"$(UV)" run --frozen ba-assistant serve

lint: install
	@"$(UV)" run --frozen ruff format --check src tests bench
	@"$(UV)" run --frozen ruff check src tests bench
	@"$(UV)" run --frozen mypy
	@$(MAKE) --no-print-directory web-lint

# What the tests use from Debian when we are root: Redis (started by the fixtures), Chromium
# for the browser tests, fonts for PDFs (CJK included), poppler for PDF previews, Pango for WeasyPrint.
APT_PACKAGES := redis-server chromium fonts-noto-cjk fonts-liberation2 fonts-dejavu-core poppler-utils libpango-1.0-0 libpangoft2-1.0-0
test-services:
	@missing=""; for pkg in $(APT_PACKAGES); do dpkg -s $$pkg >/dev/null 2>&1 || missing="$$missing $$pkg"; done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			echo "installing$$missing (apt)"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
		else \
			echo "missing$$missing: install them (sudo apt-get install$$missing); tests needing them are skipped outside CI"; \
		fi; \
	fi

# The browser tests (tests/web) drive the built app, so it is built first.
test: install lint test-services web
	@$(MAKE) --no-print-directory web-test
	@"$(UV)" run --frozen pytest $(PYTEST_ARGS)

format: install
	@"$(UV)" run --frozen ruff format src tests bench
	@"$(UV)" run --frozen ruff check --fix src tests bench
