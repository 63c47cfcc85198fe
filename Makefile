# The two commands a school needs: `make run` and `make test`. Both build the virtual environment
# on first use (and again whenever pyproject.toml changes), so a fresh clone needs nothing else.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test bench bench-signing bench-reminders bench-latency bench-portal bench-backup lint demo clean locales locales-extract locales-update

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Cần Python 3.11 trở lên (python3 --version).")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

run: $(STAMP) locales
	$(BIN)/hocba serve

test: $(STAMP) locales
	$(BIN)/python -m pytest

bench: $(STAMP) bench-signing bench-reminders bench-latency bench-portal bench-backup
	$(BIN)/python -m tests.bench

# Issue a 1,500-student school through the signing chain (file keys, then a SoftHSM2 token).
bench-signing: $(STAMP)
	$(BIN)/python -m tests.bench.signing

# 50 people's reply times with and without a 1,500-record batch signing in the bot (~4 min).
bench-latency: $(STAMP) locales
	$(BIN)/python -m tests.bench.latency

# Portal verifications per second of a record XML and PDF, 50 concurrent clients on loopback.
bench-portal: $(STAMP) locales
	$(BIN)/python -m tests.bench.portal

# Back up and restore a 1,500-student school, beside sqlite3's backup and tarfile (~2 min).
bench-backup: $(STAMP)
	$(BIN)/python -m tests.bench.backups

# A reminder round for 2,000 teachers, delivered through the fake Telegram server (~90 s).
bench-reminders: $(STAMP)
	$(BIN)/python -m tests.bench.reminders

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

demo: $(STAMP)
	$(BIN)/hocba demo

clean:
	rm -rf $(VENV) var/*.sqlite3*
	rm -f $(MO_FILES)

# Translations (Babel). Source strings are Vietnamese, marked with _() and ngettext(); the .po files
# are committed, the .mo files are build products (git-ignored) that `run` and `test` compile.
#   make locales-extract  code -> locales/messages.pot (sorted, file names without line numbers)
#   make locales-update   messages.pot -> locales/{vi,en}/LC_MESSAGES/messages.po, then translate en
#   make locales          .po -> .mo (only the catalogs whose .po changed)
LANGUAGES := vi en
POT       := locales/messages.pot
PO_FILES  := $(foreach lang,$(LANGUAGES),locales/$(lang)/LC_MESSAGES/messages.po)
MO_FILES  := $(PO_FILES:.po=.mo)
EXTRACT   := -F babel.cfg --no-default-keywords -k _ -k ngettext:1,2 --add-comments=TRANSLATORS: \
             --add-location=file --sort-output --project=hocba --version=0.1.0 \
             --copyright-holder='hocba'

locales: $(MO_FILES)

locales/%/LC_MESSAGES/messages.mo: locales/%/LC_MESSAGES/messages.po | $(STAMP)
	$(BIN)/pybabel -q compile -D messages -l $* -i $< -o $@

# A new POT that differs only by its creation date is thrown away, so the file changes only
# when the strings do.
locales-extract: | $(STAMP)
	$(BIN)/pybabel -q extract $(EXTRACT) -o $(POT).new .
	@if [ -f $(POT) ] && diff -q -I '^"POT-Creation-Date: ' $(POT) $(POT).new >/dev/null; \
	then rm $(POT).new; else mv $(POT).new $(POT); fi

locales-update: locales-extract
	@for lang in $(LANGUAGES); do \
	  $(BIN)/pybabel -q update -i $(POT) -d locales -D messages -l $$lang --init-missing \
	    --ignore-obsolete --ignore-pot-creation-date || exit 1; \
	done

# After a model change: write the next migration, from the difference between core/models and
# core/migrations (Tortoise's autodetector), e.g. `make migration NAME=add_student_nickname`.
.PHONY: migration
migration: $(STAMP)
	@test -n "$(NAME)" || { echo 'Name it: make migration NAME=what_changed' >&2; exit 2; }
	$(BIN)/tortoise -c core.db.TORTOISE_ORM makemigrations models --name $(NAME)
