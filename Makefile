# The README's two commands are `make serve` and `make test`; everything else supports them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# axe-core for the browser tests' accessibility checks (tests/package.json, pinned by its lock)
NODE_STAMP := tests/node_modules/.package-lock.json

.PHONY: install serve test lint index check write bench clean

# serving and writing need only Python; the tests also need axe-core from npm
install: $(STAMP) $(NODE_STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# The CPU build of torch first, so no dependency can pull the CUDA one.
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

$(NODE_STAMP): tests/package.json tests/package-lock.json
	npm ci --prefix tests --no-audit --no-fund
	touch $(NODE_STAMP)

serve: $(STAMP)
	$(BIN)/kb serve

index: $(STAMP)
	$(BIN)/kb index

# Writers: check every article (what the pre-commit hook runs), and serve while writing.
check: $(STAMP)
	$(BIN)/kb check

write: $(STAMP)
	$(BIN)/kb serve --reload-content

test: install
	$(BIN)/python -m pytest

# Speed against the physical floor on the ms-office-support corpus (docs/performance.md);
# BENCH_ARGS="--quick" for a smoke run, "--corpus PATH", "--out DIR", "--backend onnx-int8".
bench: $(STAMP)
	$(BIN)/python -m tests.bench $(BENCH_ARGS)

lint: install
	$(BIN)/ruff check kb indexer web tests
	$(BIN)/ruff format --check kb indexer web tests
	$(BIN)/mypy

clean:
	rm -rf var .pytest_cache
