# statewright: `make demo` and `make test` do all set-up on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SW := $(BIN)/statewright
NODE_DIR := tests/node
NODE_STAMP := $(NODE_DIR)/node_modules/.installed
# the example charts: smcat and YAML (not the project file, statewright.yaml)
EXAMPLE_CHARTS = $(wildcard examples/*.smcat) $(filter-out examples/statewright.yaml,$(wildcard examples/*.yaml))
# pip reads these; the machine's own pip configuration could point at package mirrors that
# are not there (a warning per package otherwise)
PIP := $(BIN)/python -m pip --disable-pip-version-check

.PHONY: install demo test test-fast node-references lint format bench golden diagrams docs \
	studio upgrade clean conformance

## install: .venv with the runtime and the compiler as editable installs, every version pinned
## by constraints.txt
$(STAMP): pyproject.toml runtime/pyproject.toml constraints.txt
	@command -v dot >/dev/null 2>&1 || echo "note: Graphviz 'dot' is not installed (apt-get install graphviz); diagrams need it"
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet -c constraints.txt --upgrade pip
	$(PIP) install --quiet -c constraints.txt -e ./runtime -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

## demo: install, then build the examples' project (examples/statewright.yaml: only what
## changed, into examples/generated/), compile every example (smcat and YAML) to JSON, IR and a
## Python class, check they are formatted and well-formed, and render the diagrams
demo: $(STAMP)
	cd examples && $(abspath $(SW)) build
	@mkdir -p examples/out
	$(SW) compile $(EXAMPLE_CHARTS) -T json -o examples/out/
	$(SW) compile $(EXAMPLE_CHARTS) -T ir -o examples/out/
	$(SW) compile $(EXAMPLE_CHARTS) -T python -o examples/out/
	$(SW) fmt --check examples/*.smcat
	$(SW) check --strict --target python $(EXAMPLE_CHARTS)
	@if command -v dot >/dev/null 2>&1; then $(MAKE) --no-print-directory diagrams; \
	else echo "demo: skipping diagrams (Graphviz 'dot' is not installed)"; fi
	@echo "demo: outputs in examples/out/"; ls examples/out

## diagrams: render examples/*.smcat to examples/out/*.svg and *.png (only what changed)
diagrams: $(STAMP)
	$(MAKE) -C examples diagrams SW=$(abspath $(SW))

## node-references: the npm packages the tests compare with (state-machine-cat, mermaid,
## jsdom, XState, SCION and its corpus), at the versions of tests/node/package-lock.json
node-references: $(NODE_STAMP)

$(NODE_STAMP): $(NODE_DIR)/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		echo "npm ci in $(NODE_DIR) (the test references)"; \
		(cd $(NODE_DIR) && npm ci --silent --no-audit --no-fund) && touch $(NODE_STAMP); \
	else echo "note: npm is missing: the tests that compare with state-machine-cat, Mermaid, XState and SCION will skip (apt-get install nodejs npm)"; fi

## test: install (Python packages and npm references), then run the whole test suite
test: $(STAMP) $(NODE_STAMP)
	@bash .ci/os-packages --note
	$(BIN)/python -m pytest

## test-fast: the same without the tests marked slow (fuzzing, crashes, engines, 2,000 charts)
test-fast: $(STAMP) $(NODE_STAMP)
	@bash .ci/os-packages --note
	$(BIN)/python -m pytest -m "not slow"

## conformance: SCION's SCXML corpus (316 documents, 189 of them the W3C IRP tests) on the
## interpreter and the generated class beside SCION and python-statemachine, as a table;
## `make conformance ARGS=--write-baseline` records ours in tests/data/conformance-baseline.json
conformance: $(STAMP) $(NODE_STAMP)
	$(BIN)/python tests/interop/conformance.py $(ARGS)

## upgrade: re-resolve every Python package to its newest release in a scratch environment and
## pin the result in constraints.txt; refresh tests/node/package-lock.json the same way. Run
## `make test` afterwards and commit both files with the result.
upgrade:
	rm -rf build/upgrade-venv
	$(PYTHON) -m venv build/upgrade-venv
	build/upgrade-venv/bin/python -m pip install --quiet --upgrade pip
	build/upgrade-venv/bin/python -m pip install --quiet -e ./runtime -e '.[dev]'
	{ sed -n '1,2p' constraints.txt; build/upgrade-venv/bin/python -m pip freeze --all --exclude-editable | grep -v '^statewright'; } > constraints.new
	mv constraints.new constraints.txt
	rm -rf build/upgrade-venv $(VENV)
	cd $(NODE_DIR) && rm -rf node_modules package-lock.json && npm install --silent --no-audit --no-fund
	@echo "upgrade: constraints.txt and $(NODE_DIR)/package-lock.json refreshed; run make test"

## lint: ruff, black, mypy --strict and the import-layer contracts (tests/test_quality.py runs
## the same checks inside `make test`)
lint: $(STAMP)
	$(BIN)/python -m pytest -q tests/test_quality.py

format: $(STAMP)
	$(BIN)/ruff check --fix --quiet . || true
	$(BIN)/black --quiet .

bench: $(STAMP)
	$(BIN)/python bench/summary.py
	$(BIN)/python bench/parse_bench.py
	$(BIN)/python bench/check_bench.py
	$(BIN)/python bench/render_bench.py
	$(BIN)/python bench/runtime_bench.py
	$(BIN)/python bench/build_bench.py
	$(BIN)/python bench/yaml_bench.py
	$(BIN)/python bench/hostile_bench.py

## docs: build the documentation site into build/site (mkdocs, --strict)
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir build/site
	@echo "docs: open build/site/index.html"

## studio: the studio on examples/ (http://127.0.0.1:8765/)
studio: $(STAMP)
	$(SW) studio examples

## golden: regenerate smcat's reference outputs with the real state-machine-cat (needs npm)
golden:
	bash tests/golden/make-reference.sh

clean:
	rm -rf build examples/out bench/out .pytest_cache .mypy_cache .ruff_cache $(NODE_DIR)/node_modules
