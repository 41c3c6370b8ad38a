# Billora. `make run` and `make test` work on a fresh machine with Python 3.11+ and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-pgbouncer lint fmt migrate worker beat bench venv clean superuser chromium messages compilemessages

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

venv: $(STAMP)

# Quiet start: migrations and seeding print nothing but the demo login, the last lines before
# the development server's own banner.
run: $(STAMP) compilemessages
	$(BIN)/python manage.py migrate --noinput -v0
	$(BIN)/python manage.py seed_demo --if-empty
	DJANGO_DEBUG=1 $(BIN)/python manage.py runserver 127.0.0.1:8000

test: $(STAMP) chromium compilemessages
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The API, concurrency and multi-host tests through PgBouncer in transaction mode (needs a
# PostgreSQL DATABASE_URL and the pgbouncer package; otherwise skipped with the reason).
test-pgbouncer: $(STAMP)
	PYTHON=$(BIN)/python bash .ci/test-through-pgbouncer

# Browser tests drive Debian's Chromium; install it when missing (needs root; without it the
# browser tests are skipped with the reason, or fail when BILLORA_REQUIRE_BROWSER=1).
chromium:
	@test -x /usr/bin/chromium || { command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ] && \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } || \
		echo "Chromium is not installed (apt-get install chromium): browser tests will be skipped"

# Translations: locale/<lang>/LC_MESSAGES/django.po are in git; the .mo files are build output.
# `make compilemessages` compiles them with Babel (pure Python: no GNU gettext needed).
compilemessages: $(STAMP)
	$(BIN)/python manage.py compile_catalogs

# `make messages` after adding or changing user-facing strings: adds the new ones to every
# catalog (needs GNU gettext's xgettext: apt-get install gettext), drops the removed ones and
# compiles. Then translate every new msgid in locale/fr and locale/de (tests refuse an empty
# or fuzzy one).
messages: $(STAMP)
	$(BIN)/python manage.py update_catalogs
	$(BIN)/python manage.py compile_catalogs

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

fmt: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrate: $(STAMP)
	$(BIN)/python manage.py migrate --noinput

superuser: $(STAMP)
	$(BIN)/python manage.py createsuperuser

# Without -Q a worker consumes every queue (documents, email, scheduled): one is enough locally.
worker: $(STAMP)
	$(BIN)/celery -A billora worker --loglevel=INFO --concurrency=2

beat: $(STAMP)
	$(BIN)/celery -A billora beat --loglevel=INFO --schedule=var/celerybeat-schedule

$(VENV)/.bench-installed: $(STAMP) requirements-bench.txt
	$(BIN)/python -m pip install --quiet -r requirements-bench.txt
	touch $@

# Needs DATABASE_URL (PostgreSQL) and REDIS_URL; options: make bench BENCH_ARGS="--reset"
bench: $(VENV)/.bench-installed
	$(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache .import_linter_cache
	find locale -name '*.mo' -delete
