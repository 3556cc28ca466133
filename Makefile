# The Physics of A.I. -- two commands on a fresh machine with nothing but Python:
#   make book   build the HTML site into _build/html
#   make test   unit + property tests, every chapter under nbval, a -W -n site build
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
NBVAL_TIMEOUT ?= 300
K ?= 10

.PHONY: all venv book test unit chapters site bench timings robustness strip clean

all: test

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[book,dev]'
	@touch $(STAMP)

venv: $(STAMP)

book: $(STAMP)
	$(BIN)/jupyter-book build . --keep-going
	@echo "Open _build/html/index.html"

unit: $(STAMP)
	MPLBACKEND=Agg $(BIN)/python -m pytest tests/ -q

chapters: $(STAMP)
	$(BIN)/python -m pytest --nbval-lax --nbval-cell-timeout=$(NBVAL_TIMEOUT) -p no:cacheprovider chapters/ -q

site: $(STAMP)
	$(BIN)/jupyter-book build . -W -n --keep-going

test: unit chapters site

bench: $(STAMP)
	$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[bench]'
	$(BIN)/python benchmarks/run.py

timings: $(STAMP)
	$(BIN)/python .ci/time_chapters.py

robustness: $(STAMP)
	$(BIN)/python .ci/robustness.py --k $(K)

strip:
	$(PYTHON) .ci/strip_outputs.py chapters/*.ipynb

clean:
	rm -rf _build .pytest_cache .hypothesis benchmarks/_results
