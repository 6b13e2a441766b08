# The two commands a fresh machine needs: `make demo` and `make test`.
# Each sets up what it needs: a virtualenv with the package (editable) and its test
# dependencies, wabt from Debian's packages when wat2wasm is missing, and (for the tests
# only) the wasm32 C toolchain: clang, lld, wasi-libc, compiler-rt builtins, llvm tools.

# The interpreter the virtualenv is made from: the system's python3 where it is 3.11 or
# newer, else the python3 on PATH (PYTHON=... chooses). Debian's is built with profile-
# guided and link-time optimization and its library linked into the executable: a link
# runs 15% faster on it than on a default source build such as pyenv's (bench_link.py,
# docs/link.md). A venv made from another interpreter stays as it is: `make clean` first.
SYSTEM_PYTHON := /usr/bin/python3
PYTHON ?= $(shell $(SYSTEM_PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
            && echo $(SYSTEM_PYTHON) || echo python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# The package alone (what `make demo` needs); STAMP adds the test and bench extras.
RUNTIME_STAMP := $(VENV)/.installed-runtime
PYTEST_WORKERS ?= 2

.PHONY: all setup wabt toolchain demo test test-fast bench clean

all: test

setup: $(STAMP) wabt

# (Debian's python3 makes venvs only with python3-venv: installed where missing, or, where
# it cannot be, the python3 on PATH is used instead.)
$(RUNTIME_STAMP): pyproject.toml
	@py="$(PYTHON)"; \
	if [ "$$py" = "$(SYSTEM_PYTHON)" ] && ! $$py -c 'import ensurepip' 2>/dev/null; then \
	  echo "installing python3-venv from Debian packages"; \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null; } \
	    || { echo "python3-venv could not be installed: making the venv with the python3 on PATH"; py=python3; }; \
	fi; \
	echo "$$py -m venv $(VENV)"; $$py -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $(RUNTIME_STAMP)

$(STAMP): $(RUNTIME_STAMP)
	$(BIN)/pip install --quiet -e '.[test,bench]'
	touch $(STAMP)

wabt:
	@command -v wat2wasm >/dev/null 2>&1 || { \
	  echo "installing wabt from Debian packages"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wabt >/dev/null; }

# Debian packages the toolchain tests need; installed only when a tool is missing.
TOOLCHAIN_PKGS  := clang lld wasi-libc libclang-rt-dev-wasm32 llvm libxxhash0 libc++-dev-wasm32
TOOLCHAIN_TOOLS := clang wasm-ld llvm-ar llvm-dwarfdump llvm-symbolizer llvm-objdump

toolchain:
	@missing=""; for t in $(TOOLCHAIN_TOOLS); do command -v $$t >/dev/null 2>&1 || missing="$$missing $$t"; done; \
	[ -d /usr/include/wasm32-wasi ] || missing="$$missing wasi-libc"; \
	[ -n "$$(ls /usr/lib/llvm-*/lib/clang/*/lib/wasi/libclang_rt.builtins-wasm32.a 2>/dev/null)" ] || missing="$$missing compiler-rt"; \
	[ -n "$$(ls /usr/lib/*/libxxhash.so.0 2>/dev/null)" ] || missing="$$missing libxxhash"; \
	[ -f /usr/lib/wasm32-wasi/libc++.a ] || missing="$$missing libc++"; \
	if [ -n "$$missing" ]; then \
	  echo "installing the wasm32 toolchain from Debian packages (missing:$$missing)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(TOOLCHAIN_PKGS) >/dev/null; \
	fi

DEMO := out/demo
WM   := $(BIN)/wasmmerge

# Assemble two modules (app imports mathlib by name), look inside, merge them, and show
# that the merged module behaves like the two linked by name.
demo: $(RUNTIME_STAMP) wabt
	@mkdir -p $(DEMO)
	wat2wasm --enable-all fixtures/demo/mathlib.wat -o $(DEMO)/mathlib.wasm
	wat2wasm --enable-all fixtures/demo/app.wat -o $(DEMO)/app.wasm
	$(WM) inspect $(DEMO)/app.wasm
	$(WM) validate $(DEMO)/mathlib.wasm $(DEMO)/app.wasm
	$(WM) $(DEMO)/mathlib.wasm $(DEMO)/app.wasm -o $(DEMO)/merged.wasm --map $(DEMO)/merged.map
	$(WM) inspect $(DEMO)/merged.wasm
	@echo "--- linked: mathlib + app, instantiated in order"
	$(WM) run mathlib=$(DEMO)/mathlib.wasm app=$(DEMO)/app.wasm --invoke app.compute 3 4
	@echo "--- merged"
	$(WM) run $(DEMO)/merged.wasm --invoke compute 3 4
	$(WM) run $(DEMO)/merged.wasm --invoke answer
	@echo "demo done: outputs in $(DEMO)/ (merged.map is the link report)"

test: setup toolchain
	$(BIN)/pytest -n $(PYTEST_WORKERS) -q

test-fast: setup toolchain
	$(BIN)/pytest -n $(PYTEST_WORKERS) -q -m "not slow"

# Every benchmark runs, so that each prints its numbers; one that fails or misses its
# target is named at the end, and the status is then 1.
bench: setup toolchain
	@failed=""; for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || failed="$$failed $$b"; done; \
	if [ -n "$$failed" ]; then echo "failed or missed a target:$$failed"; exit 1; fi

clean:
	rm -rf $(VENV) build out fixtures/build .pytest_cache
