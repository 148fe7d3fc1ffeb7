# The two commands a newcomer needs: `make run` and `make test`. Both create .venv and install.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint format worker beat bench migrate messages clean stack stack-down test-stack

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

run: export DJANGO_DEBUG ?= 1
run: $(STAMP)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py runserver 127.0.0.1:8000

# The independent OpenID Connect client the sso tests drive (npm's openid-client, by its lock file).
RP := tests/sso/rp
$(RP)/node_modules/.installed: $(RP)/package-lock.json
	if command -v npm >/dev/null; then npm ci --prefix $(RP) --no-audit --no-fund --silent && touch $@; \
	else echo "npm is missing: the openid-client tests will skip"; fi

test: $(STAMP) lint $(RP)/node_modules/.installed
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

worker: $(STAMP)
	$(BIN)/celery -A portal worker --loglevel=INFO --concurrency=2

beat: $(STAMP)
	$(BIN)/celery -A portal beat --loglevel=INFO --schedule=var/celerybeat-schedule

# The production configuration on this machine (nginx + TLS, two gunicorn nodes, PostgreSQL,
# its own Redis, a worker and beat, debug off): docs/production.md.
stack: $(STAMP)
	$(BIN)/python deploy/stack.py up

stack-down:
	test ! -x $(BIN)/python || $(BIN)/python deploy/stack.py down

# The multi-node and fault tests (tests/stack) on a stack of their own (own ports, folder and
# database), their own stage: a plain `make test` deselects them. SIGINT at 7 minutes, so the
# stack is still taken down.
test-stack: $(STAMP)
	PORTAL_STACK_TESTS=1 timeout -s INT -k 30 420 $(BIN)/python -m pytest tests/stack $(PYTEST_ARGS)

# Benchmarks run in an environment of their own (the product's packages plus locust and the peers,
# bench/requirements.txt), so the portal never depends on what only the benches need.
BENCH_VENV := var/bench-venv
$(BENCH_VENV)/.installed: bench/requirements.txt requirements.txt requirements-dev.txt
	test -x $(BENCH_VENV)/bin/python || $(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(BENCH_VENV)/bin/python -m pip install --quiet -r bench/requirements.txt
	touch $@

# Every bench script BENCH_RUNS times (3); writes docs/benchmarks.md. BENCH=signin runs only that.
bench: $(STAMP) $(BENCH_VENV)/.installed
	$(BENCH_VENV)/bin/python bench/run.py $(BENCH)

messages: $(STAMP)
	for app in portal audit messaging accounts directory passkeys signin reset access_pass notices sso tickets demo_crm; do \
	  (cd $$app && DJANGO_DEBUG=1 ../$(BIN)/python ../manage.py makemessages -l zh_Hans -l en --no-obsolete) ; \
	done
	DJANGO_DEBUG=1 $(BIN)/python manage.py makemessages -l zh_Hans -l en --no-obsolete -i '.venv/*' -i 'var/*' -i '*/migrations/*' --ignore 'portal/*' --ignore 'accounts/*' --ignore 'directory/*' --ignore 'passkeys/*' --ignore 'signin/*' --ignore 'reset/*' --ignore 'access_pass/*' --ignore 'messaging/*' --ignore 'notices/*' --ignore 'sso/*' --ignore 'tickets/*' --ignore 'demo_crm/*' --ignore 'audit/*' --ignore 'tests/*' --ignore 'bench/*'
	DJANGO_DEBUG=1 $(BIN)/python manage.py compilemessages --ignore '.venv/*'

clean:
	rm -rf $(VENV) var/static
