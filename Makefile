# Undersigned — the two commands: `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Python 3.12+: pyenv's 3.13/3.12 on the workplace image, else python3.13/python3.12 on PATH.
PYTHON ?= $(shell \
	for v in 3.13 3.12; do \
	  p=$$(pyenv prefix $$(pyenv versions --bare 2>/dev/null | grep -E "^$$v(\.[0-9]+)?$$" | tail -n1) 2>/dev/null); \
	  if [ -n "$$p" ] && [ -x "$$p/bin/python3" ]; then echo "$$p/bin/python3"; exit; fi; \
	done; \
	for c in python3.13 python3.12 python3; do \
	  if command -v $$c >/dev/null && $$c -c 'import sys; sys.exit(sys.version_info < (3, 12))'; then command -v $$c; exit; fi; \
	done)
# uv: the one on PATH, else the module installed into the user's Python by `make uv`.
UV ?= $(shell command -v uv || echo "python3 -m uv")
VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py

# The embedded defaults of `make run`: SQLite, in-process tasks (the periodic ones too, in a
# thread of the server: core/embedded.py), console email.
RUN_ENV := DEBUG=1 EMBEDDED_SCHEDULER=1
# Tests run with the development flags (no HTTPS redirect); Django's runner turns DEBUG off.
TEST_ENV := DEBUG=1 SECRET_KEY=tests-only-not-secret
# pytest-xdist: one worker per core, at most two (this machine and CI have two); each worker
# has its own test database (test_<name>_gw0, _gw1). `auto` falls back to one process under
# --pdb; `make test PYTEST_WORKERS=0` runs everything in this one process.
PYTEST_WORKERS ?= auto
PYTEST_MAX_WORKERS ?= 2
# A production-shaped configuration for `check --deploy`.
DEPLOY_ENV := DEBUG=0 SECRET_KEY=$$(python3 -c 'import secrets; print(secrets.token_urlsafe(50))') \
	ALLOWED_HOSTS=undersigned.example.org SITE_URL=https://undersigned.example.org \
	DATABASE_URL=sqlite:///$(CURDIR)/.deploy-check.sqlite3 EMAIL_URL=smtp+tls://mail.example.org:587 \
	FIELD_ENCRYPTION_KEYS=$$(python3 -c 'import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())') \
	FIELD_INDEX_KEY=$$(python3 -c 'import secrets; print(secrets.token_urlsafe(32))') \
	REDIS_URL=redis://127.0.0.1:6379/0

.PHONY: help uv venv install install-dev messages run serve migrate demo test lint format check-deploy worker beat bench-signing bench-invitations clean

help:
	@echo "make run           install, migrate, load the demo data, serve on http://127.0.0.1:8000"
	@echo "make test          install dev dependencies and run the whole suite (+ lint)"
	@echo "make worker|beat   run a Celery worker / beat (needs REDIS_URL)"
	@echo "make check-deploy  manage.py check --deploy with a production configuration"
	@echo "make bench-signing the signing benchmark (bench/README.md; PostgreSQL + Redis on loopback)"
	@echo "make bench-invitations  10,000 invitations from a CSV to an SMTP sink (bench/README.md)"

uv:
	@command -v uv >/dev/null || python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet --user uv || python3 -m pip install --quiet uv || python3 -m pip install --quiet --user --break-system-packages uv

$(VENV)/.created: | uv
	@test -n "$(PYTHON)" || { echo "Python 3.12+ not found (pyenv, python3.13 or python3.12)"; exit 1; }
	$(UV) venv --allow-existing --python "$(PYTHON)" $(VENV)
	@touch $@

# The fonts the PDFs are laid out in (Latin, Chinese, Tibetan, Arabic script) come from the npm
# registry into var/fonts/, pinned and checked (scripts/fetch_fonts.py); a no-op once in place.
# So does axe-core, the accessibility rules of the browser tests (scripts/fetch_axe.py, var/axe/),
# and, for `make install-dev` only, the Nu HTML Checker they run on Java (scripts/fetch_vnu.py).
install: $(VENV)/.created
	$(UV) sync --frozen --no-dev --inexact
	$(PY) scripts/fetch_fonts.py
	$(PY) scripts/fetch_axe.py
	$(PY) scripts/compile_messages.py

install-dev: $(VENV)/.created
	$(UV) sync --frozen
	$(PY) scripts/fetch_fonts.py
	$(PY) scripts/fetch_axe.py
	$(PY) scripts/fetch_vnu.py
	$(PY) scripts/compile_messages.py

# Re-extract every translatable string into the catalogs (locale/<lang>/LC_MESSAGES/django.po;
# needs GNU gettext's xgettext and msgmerge), then compile them. README: Translating.
MESSAGE_LOCALES = zh_Hans zh_Hant bo ug
messages: install-dev
	for locale in $(MESSAGE_LOCALES); do \
	  $(MANAGE) makemessages -l $$locale --add-location=file \
	    --ignore=.venv --ignore=var --ignore=bench --ignore=tests --ignore=node_modules || exit 1; \
	done
	$(PY) scripts/compile_messages.py

migrate: install
	$(RUN_ENV) $(MANAGE) migrate --noinput

demo: migrate
	$(RUN_ENV) $(MANAGE) load_demo

run: demo
	$(RUN_ENV) $(MANAGE) runserver 127.0.0.1:8000

serve:
	$(RUN_ENV) $(MANAGE) runserver 127.0.0.1:8000

test: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(TEST_ENV) $(VENV)/bin/mypy
	$(TEST_ENV) $(MANAGE) makemigrations --check --dry-run
	$(TEST_ENV) $(VENV)/bin/pytest -n $(PYTEST_WORKERS) --maxprocesses $(PYTEST_MAX_WORKERS) $(PYTEST_ARGS)

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(TEST_ENV) $(VENV)/bin/mypy

format: install-dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

check-deploy: install
	$(DEPLOY_ENV) $(MANAGE) check --deploy --fail-level WARNING
	@rm -f .deploy-check.sqlite3

worker: install
	$(VENV)/bin/celery -A config worker -l info --concurrency 2

beat: install
	$(VENV)/bin/celery -A config beat -l info --schedule /tmp/undersigned-celerybeat-schedule

# Benchmarks (bench/README.md): a scratch database and Redis DB of their own, created and
# emptied by the script; the server's production-like environment is set by bench/common.py.
BENCH_ENV := BENCH_PG_ADMIN_URL=$${BENCH_PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres} \
	BENCH_REDIS_URL=$${BENCH_REDIS_URL:-redis://127.0.0.1:6379/13}

bench-signing: install-dev
	$(BENCH_ENV) $(PY) bench/signing.py $(BENCH_ARGS)

bench-invitations: install-dev
	$(BENCH_ENV) $(PY) bench/invitations_fanout.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache .deploy-check.sqlite3
