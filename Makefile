# pvsite — two commands on a fresh machine:
#   make run    set up .venv and run the default job (whole sample district)
#   make test   set up .venv and run the test suite
# (make test-fast: the suite without the tests marked slow)
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.pvsite-installed

.PHONY: run test test-fast setup sample weather clean

setup: $(STAMP)

$(STAMP): setup.cfg setup.py pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/pvsite run --overwrite

# The QGIS tests use Debian's python3-qgis, the report's browser tests Debian's chromium
# (installed here when missing; the
# tests skip with a visible reason only where it cannot be installed).
test: $(STAMP)
	bash scripts/install_qgis.sh
	bash scripts/install_browser.sh
	$(BIN)/python -m pytest -q

test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow"

# Regenerate the embedded default inputs (deterministic; committed).
sample: $(STAMP)
	$(BIN)/python -m pvsite.datagen.sample_district

weather: $(STAMP)
	$(BIN)/python -m pvsite.datagen.default_weather

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache
