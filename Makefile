# Luoshi: `make demo` and `make test` are all a fresh machine needs (Python 3.11+, Node.js/npm).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export LUOSHI_DATA_DIR ?= $(CURDIR)/var
# Optional extras installed with the test ones (CI: EXTRAS=test,spark for the Spark engine's tests).
EXTRAS ?= test

.PHONY: install assets demo serve test test-sqlite test-postgres bench bench-spark check clean messages mutation mutation-sample

install: $(VENV)/.installed assets

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("Python 3.11+ is required") if sys.version_info < (3, 11) else None'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[$(EXTRAS)]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

assets: node_modules/.installed $(VENV)/.installed
	$(BIN)/python scripts/build_assets.py

demo: install
	$(BIN)/luoshi demo

serve: install
	$(BIN)/luoshi serve

# The whole suite on the embedded SQLite database, then again on PostgreSQL when
# LUOSHI_TEST_POSTGRES_URL is set (CI sets it and LUOSHI_STRICT_TESTS=1).
test: install
	LUOSHI_DATABASE_URL= $(BIN)/pytest $(PYTEST_ARGS)
	@if [ -n "$$LUOSHI_TEST_POSTGRES_URL" ]; then \
	  echo "== the same suite on PostgreSQL =="; \
	  LUOSHI_DATABASE_URL="$$LUOSHI_TEST_POSTGRES_URL" $(BIN)/pytest $(PYTEST_ARGS); \
	elif [ "$$LUOSHI_STRICT_TESTS" = "1" ]; then \
	  echo "LUOSHI_STRICT_TESTS=1 but LUOSHI_TEST_POSTGRES_URL is not set: the PostgreSQL pass cannot run" >&2; exit 1; \
	else echo "(PostgreSQL pass skipped: set LUOSHI_TEST_POSTGRES_URL to run it)"; fi

# SCALE=national runs the analytics benchmark at national size (≥ 10 M values; long).
SCALE ?= reduced
bench: install
	$(BIN)/pip install --quiet -e '.[test,bench]'
	LUOSHI_BENCH_SCALE=$(SCALE) $(BIN)/python bench/run.py

messages:
	cd src/luoshi && ../../$(BIN)/luoshi makemessages -l zh_Hans -l en --no-obsolete --ignore 'tests/*' --ignore '*/tests/*'
	$(BIN)/python scripts/build_assets.py

check: install
	LUOSHI_MODE=production LUOSHI_SECRET_KEY=$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))') LUOSHI_ALLOWED_HOSTS=luoshi.example.org $(BIN)/luoshi check --deploy --fail-level WARNING

clean:
	rm -rf $(VENV) node_modules var src/luoshi/core/static/vendor

# The analytics rebuild: database engine beside Spark local[1] and local[2] (needs Java 17).
# SCALE=reduced|national|school; on PostgreSQL with LUOSHI_BENCH_DATABASE_URL; JSON in bench/results/.
bench-spark: install
	$(BIN)/pip install --quiet -e '.[test,spark]'
	LUOSHI_BENCH_SCALE=$(SCALE) $(BIN)/python bench/bench_spark.py

# Mutation testing (mutmut 3; docs/testing.md): every listed module, or MODULES=core/authz.py,plans/rules.py.
# Prints killed / tested per module and every survivor; MIN_SCORE=90 makes a lower score fail.
MODULES ?=
MIN_SCORE ?= 0
mutation: install
	$(BIN)/pip install --quiet -e '.[$(EXTRAS),mutation]'
	$(BIN)/python scripts/mutation.py --min-score $(MIN_SCORE) $(if $(MODULES),--modules $(MODULES))

# The bounded sample CI runs: a fixed seed and number of mutants; any survivor not listed as
# equivalent (scripts/mutation_equivalents.toml) fails the build.
MUTATION_SAMPLE ?= 24
MUTATION_SEED ?= 13
mutation-sample: install
	$(BIN)/pip install --quiet -e '.[$(EXTRAS),mutation]'
	$(BIN)/python scripts/mutation.py --sample $(MUTATION_SAMPLE) --seed $(MUTATION_SEED) --max-children 2
