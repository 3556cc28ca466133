# The Physics of A.I. -- two commands on a fresh machine with nothing but Python:
#   make book   build the HTML site into _build/html
#   make test   unit + property tests, every chapter under nbval, a -W -n site build, a real-browser
#               test of every built page
# The environment is pinned by requirements.lock (make lock refreshes it from pyproject.toml).
PYTHON   ?= python3
VENV     := .venv
BIN      := $(VENV)/bin
LOCK     := requirements.lock
STAMP    := $(VENV)/.installed-stamp
CHROMIUM ?= /usr/bin/chromium
SUDO     := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
NBVAL_TIMEOUT ?= 300
# JAX's persistent compilation cache: the unit tests, nbval and the site build compile many of the
# same programs; the second compile of a program is a disk read (issue #24: make test time).
export JAX_COMPILATION_CACHE_DIR ?= $(CURDIR)/.cache/jax
export JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS ?= 0.2
K ?= 10

.PHONY: all venv chromium book test unit chapters site browser bench timings robustness check-power api-index weights \
        lock test-latest pdf set-repo strip clean

all: test

$(STAMP): pyproject.toml $(LOCK)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -r $(LOCK)
	$(BIN)/python -m pip install -q --disable-pip-version-check --no-deps -e .
	@touch $(STAMP)

venv: $(STAMP)

# The browser for the site test: Debian's chromium (root here; sudo on GitHub runners).
chromium:
	@test -x $(CHROMIUM) || { $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null; }

book: $(STAMP)
	$(BIN)/jupyter-book build . --keep-going
	@echo "Open _build/html/index.html"

# tests/ and physbook's doctests (pyproject testpaths); the browser tests run in `make browser`.
unit: $(STAMP)
	$(BIN)/python -m pytest -q -m "not browser"

# nbval runs every chapter once; .ci/nbval_cache.py stores what it executed in the site build's
# jupyter-cache, so `make site` right after renders those outputs instead of running them again.
chapters: $(STAMP)
	PYTHONPATH=.ci $(BIN)/python -m pytest -p nbval_cache --nbval-lax --nbval-figures \
	  --nbval-cell-timeout=$(NBVAL_TIMEOUT) -p no:cacheprovider chapters/ -q

site: $(STAMP)
	$(BIN)/jupyter-book build . -W -n --keep-going

browser: $(STAMP) chromium
	$(BIN)/python -m pytest -q -m browser tests/test_site_checker.py
	$(BIN)/python .ci/check_site.py _build/html --screenshots _build/screenshots

test: unit chapters site browser

bench: $(STAMP)
	$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[bench]'
	$(BIN)/python benchmarks/run.py

# The committed index of every public name (signature + summary); tests/test_api_index.py checks it.
api-index: $(STAMP)
	$(BIN)/python .ci/api_index.py

# Rebuild the model weights shipped in physbook/apprentice/data/ (fixed seeds; records settings + checksum).
weights: $(STAMP)
	$(BIN)/python -m physbook.apprentice.train

timings: $(STAMP)
	$(BIN)/python .ci/time_chapters.py

# K fresh random seeds per chapter (printed); SEEDS=a,b,c pins them.
robustness: $(STAMP)
	$(BIN)/python .ci/robustness.py --k $(K) $(if $(SEEDS),--seeds $(SEEDS),)

# Mutation run: every named check must fail when its claim is moved by its stated precision.
check-power: $(STAMP)
	$(BIN)/python .ci/robustness.py --power $(if $(SEEDS),--seeds $(SEEDS),)

# Exact versions for Python 3.11 on x86-64 Linux (CI, Binder, make book), from pyproject's ranges.
lock:
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check uv
	$(BIN)/uv pip compile pyproject.toml --extra book --extra dev --python-version 3.11 \
	  --python-platform x86_64-unknown-linux-gnu --custom-compile-command "make lock" -o $(LOCK)

# The newest releases pyproject allows, in their own venv: drift shows here before readers see it.
test-latest: chromium
	@test -x .venv-latest/bin/python || $(PYTHON) -m venv .venv-latest
	.venv-latest/bin/python -m pip install -q --disable-pip-version-check --upgrade -e '.[book,dev]'
	MPLBACKEND=Agg .venv-latest/bin/python -m pytest tests/ -q
	.venv-latest/bin/python -m pytest --nbval-lax --nbval-cell-timeout=$(NBVAL_TIMEOUT) -p no:cacheprovider chapters/ -q

# A printable book: every page of the built site printed by the system Chromium, in reading order,
# joined with pypdf (installed on demand; no TeX needed).
pdf: $(STAMP) chromium
	$(BIN)/jupyter-book build . --keep-going
	$(BIN)/python -m pip install -q --disable-pip-version-check pypdf
	$(BIN)/python .ci/print_pdf.py _build/html _build/pdf/physics-of-ai.pdf

set-repo:
	$(PYTHON) .ci/set_repo_url.py $(URL)

strip:
	$(PYTHON) .ci/strip_outputs.py chapters/*.ipynb

clean:
	rm -rf _build .pytest_cache .hypothesis benchmarks/_results
