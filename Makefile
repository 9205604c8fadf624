# tsunagu — build, test and run.
#
#   make run     install missing Debian packages, build, start the demo daemon (PORT=9090 for another port)
#   make test    same set-up, then every test (C under ASan+UBSan, CLI and fuzz corpora)
#   make fuzz    libFuzzer over the YAML loader, the expression parser, text folding and CSV,
#                request heads, chunked bodies and queries, and the JSON body reader (bounded)
#   make soak    the daemon under attack beside well-behaved clients (about 7 minutes)
#   make install PREFIX=/usr/local DESTDIR=...

CC       ?= gcc
PREFIX   ?= /usr/local
BINDIR   ?= $(PREFIX)/bin
SHAREDIR ?= $(PREFIX)/share/tsunagu
FUZZ_SECONDS ?= 90

# pkg-config module  ->  Debian package that provides it
DEPS := sqlite3:libsqlite3-dev libevent:libevent-dev libcurl:libcurl4-openssl-dev \
        msgpack:libmsgpack-dev jansson:libjansson-dev yaml-0.1:libyaml-dev \
        libcrypto:libssl-dev libutf8proc:libutf8proc-dev \
        libargon2:libargon2-dev libqrencode:libqrencode-dev libgvc:libgraphviz-dev \
        libsystemd:libsystemd-dev libpq:libpq-dev
# command -> Debian package, needed by the tests only
TEST_TOOLS := dot:graphviz node:nodejs npm:npm chromium:chromium chromedriver:chromium-driver \
              promtool:prometheus nginx:nginx systemd-analyze:systemd pg_ctlcluster:postgresql
# Python module -> Debian package (the tests run Debian's /usr/bin/python3)
TEST_PYTHON := yaml:python3-yaml jsonschema:python3-jsonschema aiosmtpd:python3-aiosmtpd msgpack:python3-msgpack \
               selenium:python3-selenium
# Japanese fonts for the browser tests' screenshots and PDFs
TEST_FONTS := /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc:fonts-noto-cjk

PKG_MODULES := $(foreach d,$(DEPS),$(firstword $(subst :, ,$(d))))
PKG_CFLAGS   = $(shell pkg-config --cflags $(PKG_MODULES) 2>/dev/null)
PKG_LIBS     = $(shell pkg-config --libs $(PKG_MODULES) 2>/dev/null)
LIBS         = $(PKG_LIBS) -lm -pthread

WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wformat=2 -Wvla -Wno-unused-parameter
CSTD    := -std=c17 -D_GNU_SOURCE
CFLAGS  ?= -O2 -g -fno-omit-frame-pointer
# The layers of engine/, lowest first (docs/architecture.md); tests/check_layers.py keeps includes downward.
LAYERS  := lib model rules store core runtime api cli
INCLUDES := $(addprefix -Iengine/,$(LAYERS)) -Iengine -Iadapters
ALL_CFLAGS = $(CSTD) $(WARN) $(CFLAGS) $(INCLUDES) $(PKG_CFLAGS) -pthread -MMD -MP
SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

ENGINE_SRC := $(foreach l,$(LAYERS),$(wildcard engine/$(l)/*.c)) $(wildcard adapters/*.c)
UNIT_SRC   := $(wildcard tests/unit/*.c)
FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz_*.c))

BUILD := build
REL   := $(BUILD)/release
ASAN  := $(BUILD)/asan

.PHONY: all deps test-deps bench-deps run test unit fuzz bench soak valgrind install install-system uninstall clean \
        check-pathways

all: $(BUILD)/tsunagu

# ---- dependencies -----------------------------------------------------------
deps:
	@missing=""; \
	command -v pkg-config >/dev/null 2>&1 || missing="pkg-config"; \
	for d in $(DEPS); do mod=$${d%%:*}; pkg=$${d#*:}; \
	  pkg-config --exists $$mod 2>/dev/null || missing="$$missing $$pkg"; done; \
	command -v cc >/dev/null 2>&1 || missing="$$missing gcc"; \
	command -v make >/dev/null 2>&1 || missing="$$missing make"; \
	$(MAKE) --no-print-directory -s _apt-install PKGS="$$missing"

test-deps: deps
	@missing=""; \
	for d in $(TEST_TOOLS); do cmd=$${d%%:*}; pkg=$${d#*:}; \
	  command -v $$cmd >/dev/null 2>&1 || missing="$$missing $$pkg"; done; \
	[ -x /usr/bin/python3 ] || missing="$$missing python3"; \
	for d in $(TEST_FONTS); do f=$${d%%:*}; pkg=$${d#*:}; [ -e "$$f" ] || missing="$$missing $$pkg"; done; \
	for d in $(TEST_PYTHON); do mod=$${d%%:*}; pkg=$${d#*:}; \
	  /usr/bin/python3 -c "import $$mod" 2>/dev/null || missing="$$missing $$pkg"; done; \
	$(MAKE) --no-print-directory -s _apt-install PKGS="$$missing"
	@# test-only npm tools, pinned by tests/package-lock.json, installed into tests/node_modules
	@if [ ! -d tests/node_modules/@apidevtools/swagger-parser ] || [ tests/package-lock.json -nt tests/node_modules ]; then \
	  echo "tsunagu: installing the test tools from the npm registry into tests/node_modules"; \
	  (cd tests && npm ci --no-audit --no-fund --loglevel=error) || \
	  { echo "tsunagu: npm ci failed: is the npm registry reachable?" >&2; exit 1; }; \
	  touch tests/node_modules; \
	fi

# Installs $(PKGS) with apt-get, saying what and why; fails plainly if it cannot.
_apt-install:
	@set -e; pkgs="$$(echo $(PKGS))"; [ -n "$$pkgs" ] || exit 0; \
	echo "tsunagu: installing missing Debian packages: $$pkgs"; \
	if [ "$$(id -u)" != 0 ]; then \
	  if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else \
	    echo "tsunagu: cannot install ($$pkgs): not root and no sudo. Install them and run make again." >&2; exit 1; fi; \
	fi; \
	if ! $$SUDO apt-get update -qq; then \
	  echo "tsunagu: apt-get update failed: no package registry reachable? Install $$pkgs by hand." >&2; exit 1; fi; \
	if ! DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$pkgs >/dev/null; then \
	  echo "tsunagu: apt-get install $$pkgs failed." >&2; exit 1; fi; \
	echo "tsunagu: installed $$pkgs"

# ---- build ------------------------------------------------------------------
# The pages' files, embedded in the binary as one generated C file (api_pages.c serves them).
WEB_FILES := $(shell find engine/web -type f ! -name '*.md' 2>/dev/null | LC_ALL=C sort)
WEB_OBJ   := $(BUILD)/gen/web_assets.o

$(BUILD)/gen/web_assets.c: $(WEB_FILES) Makefile
	@mkdir -p $(dir $@)
	@echo "  GEN     $@"
	@{ echo '/* generated by make from engine/web/ (do not edit): the pages, embedded */'; \
	  echo '#include "web_assets.h"'; i=0; \
	  for f in $(WEB_FILES); do echo "static const unsigned char file$$i[] = {"; \
	    od -An -v -tx1 "$$f" | sed 's/\([0-9a-f][0-9a-f]\)/0x\1,/g'; echo "};"; i=$$((i+1)); done; \
	  echo 'const struct web_asset web_assets[] = {'; i=0; \
	  for f in $(WEB_FILES); do echo "	{ \"$${f#engine/web/}\", file$$i, sizeof(file$$i) },"; i=$$((i+1)); done; \
	  echo '};'; echo 'const size_t web_assets_count = sizeof(web_assets) / sizeof(web_assets[0]);'; \
	} > $@.tmp && mv $@.tmp $@

$(WEB_OBJ): $(BUILD)/gen/web_assets.c
	@$(CC) $(CSTD) $(WARN) -Iengine/api -c $< -o $@

$(REL)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(ALL_CFLAGS) -c $< -o $@

$(ASAN)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $< (ASan+UBSan)"
	@$(CC) $(ALL_CFLAGS) $(SAN) -O1 -c $< -o $@

$(BUILD)/tsunagu: $(patsubst %.c,$(REL)/%.o,$(ENGINE_SRC) engine/main.c) $(WEB_OBJ)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) $^ -o $@ $(LIBS)

$(ASAN)/tsunagu: $(patsubst %.c,$(ASAN)/%.o,$(ENGINE_SRC) engine/main.c) $(WEB_OBJ)
	@echo "  LD      $@"
	@$(CC) $(SAN) $^ -o $@ $(LIBS)

$(ASAN)/unit_tests: $(patsubst %.c,$(ASAN)/%.o,$(ENGINE_SRC) $(UNIT_SRC)) $(WEB_OBJ)
	@echo "  LD      $@"
	@$(CC) $(SAN) $^ -o $@ $(LIBS)

# An LD_PRELOAD shim that slows the disk's flushes, for the durability tests (never linked into tsunagu).
$(ASAN)/slow_flush.so: tests/tools/slow_flush.c
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	@$(CC) $(CSTD) $(WARN) -O2 -shared -fPIC $< -o $@ -ldl

# The PostgreSQL driver against a throwaway cluster (tests/integration/test_storage_pg.py).
$(ASAN)/pg_driver_check: $(ASAN)/tests/tools/pg_driver_check.o $(patsubst %.c,$(ASAN)/%.o,$(ENGINE_SRC)) $(WEB_OBJ)
	@echo "  LD      $@"
	@$(CC) $(SAN) $^ -o $@ $(LIBS)

# Replays a fuzz corpus without libFuzzer, so `make test` needs only gcc.
$(ASAN)/replay_%: $(ASAN)/tests/fuzz/%.o $(ASAN)/tests/fuzz/replay.o $(patsubst %.c,$(ASAN)/%.o,$(ENGINE_SRC)) $(WEB_OBJ)
	@echo "  LD      $@"
	@$(CC) $(SAN) $^ -o $@ $(LIBS)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

# ---- run and test -----------------------------------------------------------
PORT ?= 8080
run: deps
	@$(MAKE) --no-print-directory $(BUILD)/tsunagu
	@mkdir -p var
	./$(BUILD)/tsunagu serve --config configs/demo/tsunagu.yaml --listen 127.0.0.1:$(PORT) --demo-tokens

test: test-deps
	@$(MAKE) --no-print-directory $(ASAN)/tsunagu $(ASAN)/unit_tests $(ASAN)/slow_flush.so $(ASAN)/pg_driver_check \
	    $(foreach f,$(FUZZ_TARGETS),$(ASAN)/replay_$(f))
	@/usr/bin/python3 tests/run.py --build $(ASAN) --fuzz-targets "$(FUZZ_TARGETS)"

check-pathways: $(BUILD)/tsunagu
	./$(BUILD)/tsunagu check pathways/*.yaml

# ---- benchmarks ---------------------------------------------------------------
BENCH_BIN := $(REL)/fixed_reply $(REL)/sqlite_rows $(REL)/timers_gen $(REL)/curl_sender

$(REL)/fixed_reply: $(REL)/tests/bench/fixed_reply.o
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) $^ -o $@ $(PKG_LIBS)

$(REL)/sqlite_rows: $(REL)/tests/bench/sqlite_rows.o $(patsubst %.c,$(REL)/%.o,$(ENGINE_SRC)) $(WEB_OBJ)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) $^ -o $@ $(LIBS)

$(REL)/curl_sender: $(REL)/tests/bench/curl_sender.o
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) $^ -o $@ $(PKG_LIBS)

$(REL)/timers_gen: $(REL)/tests/bench/timers_gen.o $(patsubst %.c,$(REL)/%.o,$(ENGINE_SRC)) $(WEB_OBJ)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) $^ -o $@ $(LIBS)

bench-deps: test-deps
	@command -v wrk >/dev/null 2>&1 || $(MAKE) --no-print-directory -s _apt-install PKGS="wrk"

bench: bench-deps
	@$(MAKE) --no-print-directory $(BUILD)/tsunagu $(BENCH_BIN)
	@/usr/bin/python3 tests/bench/run.py
	@/usr/bin/python3 tests/bench/timers_bench.py
	@/usr/bin/python3 tests/bench/notify_bench.py
	@/usr/bin/python3 tests/bench/reports_bench.py

# ---- soak ---------------------------------------------------------------------
# Well-behaved traffic beside each attack of docs/operations.md's limits, on loopback
# (about seven minutes): latency per phase, RSS, the longest loop turn, lost actions.
soak: test-deps
	@$(MAKE) --no-print-directory $(BUILD)/tsunagu
	@TSUNAGU_BIN=$(CURDIR)/$(BUILD)/tsunagu /usr/bin/python3 tests/soak.py

# ---- valgrind -----------------------------------------------------------------
# The unit tests and the API, timer and notification tests against a daemon built
# without sanitizers and run under valgrind's memcheck (slow: a separate target).
VG_BUILD := $(BUILD)/vg

$(VG_BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -O1 -c $< -o $@

$(VG_BUILD)/tsunagu: $(patsubst %.c,$(VG_BUILD)/%.o,$(ENGINE_SRC) engine/main.c) $(WEB_OBJ)
	@echo "  LD      $@"
	@$(CC) $^ -o $@ $(LIBS)

$(VG_BUILD)/unit_tests: $(patsubst %.c,$(VG_BUILD)/%.o,$(ENGINE_SRC) $(UNIT_SRC)) $(WEB_OBJ)
	@echo "  LD      $@"
	@$(CC) $^ -o $@ $(LIBS)

valgrind: test-deps
	@command -v valgrind >/dev/null 2>&1 || $(MAKE) --no-print-directory -s _apt-install PKGS="valgrind"
	@$(MAKE) --no-print-directory $(VG_BUILD)/tsunagu $(VG_BUILD)/unit_tests
	TSUNAGU_SOURCE=$(CURDIR) valgrind -q --error-exitcode=9 --leak-check=full --errors-for-leak-kinds=definite --suppressions=$(CURDIR)/tests/valgrind.supp \
	  $(VG_BUILD)/unit_tests
	@printf '#!/bin/sh\nexec valgrind -q --error-exitcode=9 --leak-check=full --errors-for-leak-kinds=definite --suppressions=$(CURDIR)/tests/valgrind.supp %s "$$@"\n' \
	  "$(CURDIR)/$(VG_BUILD)/tsunagu" > $(VG_BUILD)/tsunagu-vg && chmod +x $(VG_BUILD)/tsunagu-vg
	@TSUNAGU_VALGRIND=1 /usr/bin/python3 tests/run.py --build $(VG_BUILD) --binary tsunagu-vg \
	  -k "test_api::test_pharmacy test_timers::test_reminder test_notifications::test_webhook test_cli_pathways::test_shipped \
	      test_resources::test_nurse_links test_resources::test_hsds_export test_resources::test_japanese_search \
	      test_availability::test_every_refusal test_availability::test_expect_continue test_audit::test_audit_endpoints \
	      test_sign_in::test_enrolment test_sign_in::test_totp test_sign_in::test_the_api_the_pages_need \
	      test_migrations::test_migration_over_the_api test_coordination::test_the_issue_register \
	      test_coordination::test_the_command_line"

# ---- fuzzing (libFuzzer, Debian's clang) --------------------------------------
FUZZ_CFLAGS = $(CSTD) -g -O1 -fsanitize=fuzzer,address,undefined $(INCLUDES) $(PKG_CFLAGS)

$(BUILD)/fuzz/%: tests/fuzz/%.c $(ENGINE_SRC) $(BUILD)/gen/web_assets.c
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -Iengine/api $^ -o $@ $(LIBS)

fuzz: deps
	@command -v clang >/dev/null 2>&1 || $(MAKE) --no-print-directory -s _apt-install PKGS="clang"
	@$(MAKE) --no-print-directory $(foreach f,$(FUZZ_TARGETS),$(BUILD)/fuzz/$(f))
	@set -e; for f in $(FUZZ_TARGETS); do \
	  echo "fuzz: $$f for $(FUZZ_SECONDS)s"; mkdir -p $(BUILD)/fuzz/new-$$f; \
	  $(BUILD)/fuzz/$$f -max_total_time=$(FUZZ_SECONDS) -max_len=8192 -timeout=10 \
	    -dict=tests/fuzz/$$f.dict $(BUILD)/fuzz/new-$$f tests/fuzz/corpus/$$f; \
	done

# ---- install ----------------------------------------------------------------
SYSTEMDDIR ?= $(PREFIX)/lib/systemd/system

STATEDIR ?= /var/lib/tsunagu

# The installed demo config names the installed pathways, templates and directory seed.
install: $(BUILD)/tsunagu
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SHAREDIR)/pathways $(DESTDIR)$(SHAREDIR)/templates \
	  $(DESTDIR)$(SHAREDIR)/demo $(DESTDIR)$(SYSTEMDDIR)
	install -m 0755 $(BUILD)/tsunagu $(DESTDIR)$(BINDIR)/tsunagu
	install -m 0644 pathways/*.yaml $(DESTDIR)$(SHAREDIR)/pathways/
	install -m 0644 configs/templates/*.yaml $(DESTDIR)$(SHAREDIR)/templates/
	install -m 0644 configs/demo/resources.json $(DESTDIR)$(SHAREDIR)/demo/resources.json
	sed -e 's|^database: ../../var/|database: $(STATEDIR)/|' -e 's|^pathways: ../../pathways|pathways: $(SHAREDIR)/pathways|' \
	    -e 's|^templates: ../templates|templates: $(SHAREDIR)/templates|' -e 's|path: ../../var/|path: $(STATEDIR)/|' \
	    configs/demo/tsunagu.yaml > $(DESTDIR)$(SHAREDIR)/demo/tsunagu.yaml
	sed 's|@BINDIR@|$(BINDIR)|g' configs/tsunagu.service > $(DESTDIR)$(SYSTEMDDIR)/tsunagu.service
	install -m 0644 configs/nginx/tsunagu.conf $(DESTDIR)$(SHAREDIR)/nginx-tsunagu.conf

# The system's part, on request (root): the tsunagu user, its state folder (0700), /etc/tsunagu with a
# first config (the demo's, to be edited: docs/operations.md, Installation) unless one is there.
# With DESTDIR the user goes into DESTDIR/etc/passwd (useradd --prefix), for packaging and tests.
install-system: install
	@set -e; prefix=; [ -z "$(DESTDIR)" ] || prefix="--prefix $(DESTDIR)"; \
	passwd=$(DESTDIR)/etc/passwd; \
	grep -q '^tsunagu:' $$passwd 2>/dev/null || \
	  useradd $$prefix --system --user-group --home-dir $(STATEDIR) --no-create-home \
	    --shell /usr/sbin/nologin --comment "tsunagu daemon" tsunagu; \
	uid=$$(awk -F: '$$1=="tsunagu"{print $$3}' $$passwd); gid=$$(awk -F: '$$1=="tsunagu"{print $$4}' $$passwd); \
	[ -n "$$uid" ] && [ -n "$$gid" ] || { echo "install-system: no tsunagu user in $$passwd" >&2; exit 1; }; \
	install -d -m 0700 -o $$uid -g $$gid $(DESTDIR)$(STATEDIR); \
	install -d -m 0750 -o 0 -g $$gid $(DESTDIR)/etc/tsunagu; \
	[ -e $(DESTDIR)/etc/tsunagu/tsunagu.yaml ] || \
	  install -m 0640 -o 0 -g $$gid $(DESTDIR)$(SHAREDIR)/demo/tsunagu.yaml $(DESTDIR)/etc/tsunagu/tsunagu.yaml; \
	[ -n "$(DESTDIR)" ] || systemctl daemon-reload 2>/dev/null || :; \
	echo "installed: the tsunagu user, $(STATEDIR) (0700), /etc/tsunagu/tsunagu.yaml; next: edit it, then" \
	  "systemctl enable --now tsunagu"

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/tsunagu $(DESTDIR)$(SYSTEMDDIR)/tsunagu.service
	rm -rf $(DESTDIR)$(SHAREDIR)

clean:
	rm -rf $(BUILD)
