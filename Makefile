# The two commands of the README's quick start: `make run` and `make test`.
# Both set up a virtualenv in .venv first (once, and again when pyproject.toml changes).

VENV ?= .venv
PYTHON ?= python3
BIN = $(VENV)/bin

.PHONY: run test check chat

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

# Serve on http://127.0.0.1:8000 with the embedded SQLite database. Without a
# TWILIO_AUTH_TOKEN there is nothing to check signatures with, so this local
# run turns checking off, explicitly (the server logs a warning).
run: $(BIN)/.installed
	HELPLINE_VALIDATE_SIGNATURES=$${HELPLINE_VALIDATE_SIGNATURES:-$$([ -n "$$TWILIO_AUTH_TOKEN" ] && echo 1 || echo 0)} \
		$(BIN)/helpline serve

# The whole suite twice: on the embedded SQLite, then on the PostgreSQL at
# 127.0.0.1:5432 (trust auth, database `test`), which it needs running.
test: $(BIN)/.installed
	HELPLINE_TEST_DATABASE=sqlite $(BIN)/python -m pytest $(PYTEST_ARGS)
	HELPLINE_TEST_DATABASE=postgres $(BIN)/python -m pytest $(PYTEST_ARGS)

check: $(BIN)/.installed
	$(BIN)/helpline check

chat: $(BIN)/.installed
	$(BIN)/helpline chat
