# ecs-tools build. Every src/ecs-*.c is a program linked with the shared
# library built from src/lib/*.c; every t/unit/*.c is a TAP unit test.

VERSION = 0.1.0
PREFIX ?= $(if $(filter 0,$(shell id -u)),/usr/local,$(HOME)/.local)
DESTDIR ?=

CC ?= cc
PKG_CONFIG ?= pkg-config
BUILD ?= build
BINDIR ?= bin

# libjq has no pkg-config file on Debian; fall back to plain -ljq.
JQ_CFLAGS := $(shell $(PKG_CONFIG) --cflags libjq 2>/dev/null)
JQ_LIBS := $(shell $(PKG_CONFIG) --libs libjq 2>/dev/null || echo -ljq)
DEP_PKGS = libcurl openssl libwebsockets
DEP_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(DEP_PKGS)) $(JQ_CFLAGS)
DEP_LIBS := $(shell $(PKG_CONFIG) --libs $(DEP_PKGS)) $(JQ_LIBS) -lpthread -lm

WARN = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
       -Wmissing-prototypes -Wformat=2 -Wno-format-nonliteral
OPT ?= -O2 -g
SAN ?=
CFLAGS_ALL = -std=gnu11 $(WARN) $(OPT) $(SAN) -Isrc/lib $(DEP_CFLAGS) \
	     -DECS_VERSION='"$(VERSION)"' $(CFLAGS)
# See _gnutls_global_init_skip in src/lib/util.c.
EXPORTS = -Wl,--export-dynamic-symbol=_gnutls_global_init_skip
LDFLAGS_ALL = $(SAN) -Wl,--as-needed $(EXPORTS) $(LDFLAGS)

LIB_SRCS := $(wildcard src/lib/*.c)
LIB_OBJS := $(LIB_SRCS:src/lib/%.c=$(BUILD)/lib/%.o)
LIB := $(BUILD)/libecs.a
PROG_SRCS := $(wildcard src/ecs-*.c)
PROGS := $(PROG_SRCS:src/%.c=$(BINDIR)/%)
TAP_OBJ := $(BUILD)/t/tap.o
UNIT_SRCS := $(wildcard t/unit/*.c)
UNITS := $(UNIT_SRCS:t/unit/%.c=$(BUILD)/t/%.t)
TEST_HELPERS_SRCS := $(wildcard t/helpers/*.c)
TEST_HELPERS := $(TEST_HELPERS_SRCS:t/helpers/%.c=$(BUILD)/t/helpers/%)
FUZZ_CC ?= clang
FUZZ_BUILD ?= build/libfuzzer
FUZZ_SECONDS ?= 60
FUZZ_JOBS ?= 2
FUZZ_TARGETS := $(filter-out replay,$(patsubst fuzz/%.c,%,$(wildcard fuzz/*.c)))
FUZZ_REPLAYS := $(FUZZ_TARGETS:%=$(BUILD)/fuzz/%)

PROVE ?= prove
# Most integration tests wait on local servers and terminals rather than
# use a CPU, so prove runs two per core.
PROVE_JOBS ?= $(shell echo $$(( $$(nproc 2>/dev/null || echo 2) * 2 )))
TESTS ?= $(UNITS) $(sort $(wildcard t/[0-9]*.t))

.PHONY: all test test-run deps asan check-deps install uninstall clean \
	bench fuzz fuzz-build fuzz-ci format demo demo-shell
.SUFFIXES:

all: $(PROGS) $(UNITS) $(TEST_HELPERS) $(FUZZ_REPLAYS)

$(BUILD)/lib/%.o: src/lib/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -MMD -MP -c -o $@ $<

$(BUILD)/prog/%.o: src/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -MMD -MP -c -o $@ $<

$(LIB): $(LIB_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

$(BINDIR)/%: $(BUILD)/prog/%.o $(LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS_ALL) -o $@ $< $(LIB) $(DEP_LIBS)

$(TAP_OBJ): t/lib/tap.c t/lib/tap.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -It/lib -c -o $@ $<

$(BUILD)/t/%.o: t/unit/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -It/lib -MMD -MP -c -o $@ $<

$(BUILD)/t/%.t: $(BUILD)/t/%.o $(TAP_OBJ) $(LIB)
	$(CC) $(LDFLAGS_ALL) -o $@ $< $(TAP_OBJ) $(LIB) $(DEP_LIBS)

$(BUILD)/t/helpers/%: t/helpers/%.c $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) $(LDFLAGS_ALL) -o $@ $< $(LIB) $(DEP_LIBS)

# The fuzz targets' entry points with the plain driver fuzz/replay.c,
# built by any compiler; t/9001-fuzz-replay.t runs them on the saved inputs.
$(BUILD)/fuzz/%: fuzz/%.c fuzz/replay.c fuzz/fuzz.h $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -Ifuzz $(LDFLAGS_ALL) -o $@ fuzz/$*.c fuzz/replay.c \
	    $(LIB) $(DEP_LIBS)

-include $(LIB_OBJS:.o=.d) $(PROG_SRCS:src/%.c=$(BUILD)/prog/%.d) \
	$(UNIT_SRCS:t/unit/%.c=$(BUILD)/t/%.d) \
	$(LIB_SRCS:src/lib/%.c=$(FUZZ_BUILD)/lib/%.d)

# `make test` first installs what is missing (through install.sh), then
# builds and runs the suite in a new make so pkg-config sees the packages.
test: deps
	$(MAKE) test-run

deps:
	@./install.sh --deps-only --test-deps

# install.sh puts moto, boto3 and the AWS CLI in build/python when python3
# lacks them; the tests and the demo then run with it first in PATH. The
# check runs in the recipe because deps may create it during this make.
PYTHON_PATH = PATH="$$(if [ -x build/python/bin/python3 ]; then \
	echo '$(CURDIR)/build/python/bin:'; fi)$$PATH"

# `make demo` and `make demo-shell` also install what is missing first, then
# start a seeded local AWS (t/demo/demo.sh) that stops when they end.
demo: deps
	$(MAKE) $(PROGS)
	$(PYTHON_PATH) ECS_BIN=$(CURDIR)/$(BINDIR) t/demo/demo.sh

demo-shell: deps
	$(MAKE) $(PROGS)
	$(PYTHON_PATH) ECS_BIN=$(CURDIR)/$(BINDIR) t/demo/demo.sh --shell

# The integration tests find the programs through ECS_BIN and the unit
# tests their data through ECS_TEST_DIR.
test-run: all
	$(PYTHON_PATH) ECS_BIN=$(CURDIR)/$(BINDIR) ECS_BUILD=$(CURDIR)/$(BUILD) \
	ECS_TEST_DIR=$(CURDIR)/t \
	    $(PROVE) -j$(PROVE_JOBS) --exec '' $(TESTS)

# AddressSanitizer and UndefinedBehaviorSanitizer build of everything, in
# its own directories, running the same suite. Conversions of floating
# point values out of an integer's range are checked too: -fsanitize=
# undefined leaves them out.
ASAN_SAN = -fsanitize=address,undefined,float-cast-overflow \
	   -fno-omit-frame-pointer -fno-sanitize-recover=all
asan: deps
	$(MAKE) BUILD=build/asan BINDIR=build/asan/bin OPT='-O1 -g' \
	    SAN='$(ASAN_SAN)' test-run

check-deps:
	@./install.sh --check --test-deps

install: $(PROGS)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 0755 $(PROGS) $(DESTDIR)$(PREFIX)/bin/
	for f in share/man/man1/*.1; do \
	    [ -e "$$f" ] && install -m 0644 "$$f" $(DESTDIR)$(PREFIX)/share/man/man1/; \
	done; true
	install -d $(DESTDIR)$(PREFIX)/share/bash-completion/completions \
	    $(DESTDIR)$(PREFIX)/share/zsh/site-functions \
	    $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d
	for f in share/completions/bash/*; do \
	    [ -e "$$f" ] && install -m 0644 "$$f" $(DESTDIR)$(PREFIX)/share/bash-completion/completions/; \
	done; true
	for f in share/completions/zsh/*; do \
	    [ -e "$$f" ] && install -m 0644 "$$f" $(DESTDIR)$(PREFIX)/share/zsh/site-functions/; \
	done; true
	for f in share/completions/fish/*; do \
	    [ -e "$$f" ] && install -m 0644 "$$f" $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/; \
	done; true

uninstall:
	for p in $(PROGS:$(BINDIR)/%=%); do rm -f $(DESTDIR)$(PREFIX)/bin/$$p; done
	rm -f $(DESTDIR)$(PREFIX)/share/man/man1/ecs-*.1

bench: all
	bench/run.sh

# libFuzzer targets (fuzz/*.c) need clang with its fuzzer runtime. The
# library is built again with coverage instrumentation and ASan+UBSan
# into $(FUZZ_BUILD). `make fuzz` runs every target for FUZZ_SECONDS,
# FUZZ_JOBS at a time, and fails when one finds a crash, leak or time-out.
FUZZ_SAN = -fsanitize=address,undefined -fno-sanitize-recover=all \
	   -fno-omit-frame-pointer
FUZZ_CFLAGS = -std=gnu11 $(WARN) -O1 -g $(FUZZ_SAN) -Isrc/lib -Ifuzz \
	      $(DEP_CFLAGS) -DECS_VERSION='"$(VERSION)"' $(CFLAGS)
FUZZ_LIB_OBJS := $(LIB_SRCS:src/lib/%.c=$(FUZZ_BUILD)/lib/%.o)

$(FUZZ_BUILD)/lib/%.o: src/lib/%.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<

$(FUZZ_BUILD)/libecs.a: $(FUZZ_LIB_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

fuzz/bin/%: fuzz/%.c fuzz/fuzz.h $(FUZZ_BUILD)/libecs.a
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< \
	    $(FUZZ_BUILD)/libecs.a $(DEP_LIBS)

fuzz-build: $(FUZZ_TARGETS:%=fuzz/bin/%)

fuzz: fuzz-build
	FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_JOBS=$(FUZZ_JOBS) \
	    fuzz/run.sh $(FUZZ_TARGETS)

# The short run for CI: 10 seconds per target.
fuzz-ci:
	$(MAKE) fuzz FUZZ_SECONDS=10

format:
	clang-format -i src/*.c src/lib/*.c src/lib/*.h t/unit/*.c

clean:
	rm -rf build $(BINDIR) fuzz/bin
