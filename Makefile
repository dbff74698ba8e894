# bookmaker: the two commands a newcomer needs are `make book` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: book test test-fast lint-imports proof bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Installed state is stamped so repeated runs are quick; a changed pyproject.toml reinstalls.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test,service]'
	touch $@ $(VENV)/.installed

## make book: build the sample book in manuscript/ into dist/ (EPUB and PDF)
book: $(VENV)/.installed
	$(BIN)/bookmaker epub .
	$(BIN)/bookmaker pdf .

# bookmaker's own modules compiled to bytecode, as pip compiles an installed package's: an editable install
# leaves that to Python's first import, which a machine with PYTHONDONTWRITEBYTECODE set never does, and
# every `bookmaker` the tests start then compiled 53 modules again (0.13 to 0.16 s of CPU each time).
BYTECODE = $(BIN)/python -m compileall -q bookmaker
# One test process more than the cores: a test waiting on Java, Chromium or a bookmaker it started leaves
# its core to another (on 2 cores, 4 min 37 s with 2 processes, 4 min 4 s with 3, 4 min 27 s with 4).
TEST_PROCESSES ?= $(shell echo $$(( $$(nproc 2>/dev/null || echo 1) + 1 )))

## make test: the whole test suite, EPUBCheck and the Celery service included (needs Java, pdftoppm from
## poppler-utils, and redis-server)
test: $(VENV)/.installed-test
	@command -v java >/dev/null || { echo "java not found: EPUBCheck needs it (apt-get install default-jre-headless)"; exit 1; }
	@command -v pdftoppm >/dev/null || { echo "pdftoppm not found: the PDF tests draw pages with it (apt-get install poppler-utils)"; exit 1; }
	@command -v redis-server >/dev/null || { echo "redis-server not found: the service tests start one (apt-get install redis-server)"; exit 1; }
	$(BIN)/lint-imports
	$(BYTECODE)
	$(BIN)/python -m pytest -q -n $(TEST_PROCESSES) --dist loadfile

## make test-fast: each stage's unit tests, no EPUBCheck and no book laid out whole (under a minute)
FAST := tests/test_render.py tests/test_book_yaml.py tests/test_check_lint.py tests/test_pdffonts.py \
        tests/test_architecture.py tests/test_robustness.py tests/test_memo.py
test-fast: $(VENV)/.installed-test
	$(BYTECODE)
	$(BIN)/python -m pytest -q -n auto -m 'not slow' $(FAST)

## make lint-imports: the pipeline's import contracts (pyproject.toml)
lint-imports: $(VENV)/.installed-test
	$(BIN)/lint-imports

## make proof: the sample book's PDF pages as PNG images in dist/proof/ (needs pdftoppm)
proof: book
	@command -v pdftoppm >/dev/null || { echo "pdftoppm not found: install poppler-utils (apt-get install poppler-utils)"; exit 1; }
	rm -rf dist/proof && mkdir -p dist/proof
	pdftoppm -r 60 -png dist/*.pdf dist/proof/page
	@echo "dist/proof/: $$(ls dist/proof | wc -l) pages"

## make bench: benchmarks against pandoc and single-document WeasyPrint (slow; not part of make test)
bench: $(VENV)/.installed-test
	$(BYTECODE)
	$(BIN)/python bench/run.py

clean:
	rm -rf dist build *.egg-info .pytest_cache
