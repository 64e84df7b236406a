# The README's quick start: `make demo` and `make test`. Both set up .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

export UV_COMPILE_BYTECODE := 1
# Tests wait on sockets and stand-ins more than on the CPU: four workers (pytest-xdist) on two cores.
TEST_WORKERS ?= 4

.PHONY: setup demo test lint lock bench clean

setup: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	@set -e; \
	uv=$$(command -v uv || true); \
	if [ -z "$$uv" ]; then $(PYTHON) -m pip install --quiet uv; uv=$$($(PYTHON) -c 'import shutil,sys,os; print(shutil.which("uv") or os.path.join(os.path.dirname(sys.executable), "uv"))'); fi; \
	$$uv venv --quiet --allow-existing --python $(PYTHON) $(VENV); \
	$$uv pip install --quiet --python $(BIN)/python --compile-bytecode -r requirements.lock; \
	$$uv pip install --quiet --python $(BIN)/python --compile-bytecode --no-deps -e .
	@touch $(STAMP)

demo: setup
	$(BIN)/expansion-bot demo

# Dots with a percentage as it goes, then "N passed in M s"; a test that hangs fails after pyproject's
# timeout (120 s) with its stack. PYTEST_ARGS adds options, e.g. `make test PYTEST_ARGS="-x -k digest"`.
test: setup
	$(BIN)/pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

lock:
	uv pip compile pyproject.toml --all-extras -o requirements.lock

bench: setup
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
