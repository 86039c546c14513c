# statewright: `make demo` and `make test` do all set-up on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SW := $(BIN)/statewright

.PHONY: install demo test lint format bench golden diagrams docs studio clean

$(STAMP): pyproject.toml
	@command -v dot >/dev/null 2>&1 || echo "note: Graphviz 'dot' is not installed (apt-get install graphviz); diagrams need it"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

## demo: install, then build the examples' project (examples/statewright.yaml: only what
## changed, into examples/generated/), compile every example to JSON, IR and a Python class,
## check they are formatted and well-formed, and render the diagrams
demo: $(STAMP)
	cd examples && $(abspath $(SW)) build
	@mkdir -p examples/out
	$(SW) compile examples/*.smcat -T json -o examples/out/
	$(SW) compile examples/*.smcat -T ir -o examples/out/
	$(SW) compile examples/*.smcat -T python -o examples/out/
	$(SW) fmt --check examples/*.smcat
	$(SW) check --strict --target python examples/*.smcat
	@if command -v dot >/dev/null 2>&1; then $(MAKE) --no-print-directory diagrams; \
	else echo "demo: skipping diagrams (Graphviz 'dot' is not installed)"; fi
	@echo "demo: outputs in examples/out/"; ls examples/out

## diagrams: render examples/*.smcat to examples/out/*.svg and *.png (only what changed)
diagrams: $(STAMP)
	$(MAKE) -C examples diagrams SW=$(abspath $(SW))

## test: install, then run the whole test suite
test: $(STAMP)
	$(BIN)/python -m pytest

## lint: ruff, black, mypy --strict and the import-layer contracts (tests/test_quality.py runs
## the same checks inside `make test`)
lint: $(STAMP)
	$(BIN)/python -m pytest -q tests/test_quality.py

format: $(STAMP)
	$(BIN)/ruff check --fix --quiet . || true
	$(BIN)/black --quiet .

bench: $(STAMP)
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
	rm -rf build examples/out bench/out .pytest_cache .mypy_cache .ruff_cache
