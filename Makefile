# memplumber: the only build file.
#   make                 build/memplumber, build/libmemplumber.so, build/libmemplumber-report.so
#   make test            the whole test suite (tests/run)
#   make bench           side-by-side benchmarks (bench/run); QUICK=1 for a one-minute run
#   make bench-instructions  instructions per workload under callgrind (bench/instructions)
#   make install PREFIX=/usr/local [DESTDIR=/tmp/stage]   binaries, libraries, memplumber.h, the man
#                        page, memplumber.pc, bash completion, the docs; make uninstall removes them
#   make stress          long stress and fuzz runs (not part of make test)
#   make verdicts        leak verdicts of more real programs compared with valgrind's
#   make sanitize        the C unit tests, built with ASan and UBSan
# Variables: CC (default gcc), OPT (default -O2), EXTRA_CFLAGS (e.g. -Werror), PREFIX, DESTDIR.

# `make CC=clang` or CC=clang in the environment choose the compiler; make's built-in default (cc)
# does not count as a choice.
ifeq ($(origin CC),default)
CC       := gcc
endif
PREFIX   ?= /usr/local
BINDIR   ?= $(PREFIX)/bin
LIBDIR   ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
DATADIR  ?= $(PREFIX)/share
MANDIR   ?= $(DATADIR)/man
DOCDIR   ?= $(DATADIR)/doc/memplumber
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
BASHCOMPDIR ?= $(DATADIR)/bash-completion/completions
BUILD    := build
OPT      ?= -O2
# -MMD -MP: each object's header dependencies go to a .d file beside it (included below), so
# editing a header rebuilds its users. -ffile-prefix-map: no build directory in the binaries.
CFLAGS_COMMON := -std=gnu11 $(OPT) -g -Wall -Wextra -Wno-unused-parameter -Wmissing-prototypes \
                 -Wmissing-declarations -D_GNU_SOURCE \
                 -Isrc -Iinclude -MMD -MP -ffile-prefix-map=$(CURDIR)=. $(EXTRA_CFLAGS)
# The preload library keeps frame pointers in its own code: hooks hand their frame to the
# unwinder, which starts from the caller of the hook (see docs/DESIGN.md, "Stacks").
PRELOAD_CFLAGS := $(CFLAGS_COMMON) -fPIC -fvisibility=hidden -fno-omit-frame-pointer \
                  -mno-omit-leaf-frame-pointer -fno-stack-protector -ftls-model=initial-exec \
                  -fno-builtin-malloc -fno-builtin-free -fno-builtin-calloc -fno-builtin-realloc \
                  -fno-optimize-sibling-calls
REPORT_CFLAGS  := $(CFLAGS_COMMON) -fPIC -fvisibility=hidden
CLI_CFLAGS     := $(CFLAGS_COMMON)

COMMON_SRC  := $(wildcard src/common/*.c)
PRELOAD_SRC := $(wildcard src/preload/*/*.c)
REPORT_SRC  := $(wildcard src/report/*.c)
CLI_SRC     := $(wildcard src/cli/*.c)

PRELOAD_OBJ := $(patsubst src/%.c,$(BUILD)/obj/preload/%.o,$(PRELOAD_SRC) $(COMMON_SRC))
REPORT_OBJ  := $(patsubst src/%.c,$(BUILD)/obj/report/%.o,$(REPORT_SRC) $(COMMON_SRC)) \
               $(BUILD)/obj/report/report/html_page.o
# The CLI also reads JSON reports back (--baseline, memplumber merge) with the report library's reader.
CLI_OBJ     := $(patsubst src/%.c,$(BUILD)/obj/cli/%.o,$(CLI_SRC) $(COMMON_SRC) src/preload/runtime/options.c \
                 src/report/jsonread.c src/report/baseline.c)

all: $(BUILD)/libmemplumber.so $(BUILD)/libmemplumber-report.so $(BUILD)/memplumber \
     $(BUILD)/memplumber.1 $(BUILD)/memplumber.pc

$(BUILD)/obj/preload/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(CC) $(PRELOAD_CFLAGS) -c $< -o $@

# The walk loop's critical path is load return address -> rule index -> load rule -> CFA: it
# needs every register (no frame pointer: nothing here hands its frame to the unwinder), and
# GCC's store vectorizer would route each return address through an SSE register on that path.
$(BUILD)/obj/preload/preload/record/unwind.o: PRELOAD_CFLAGS += -fomit-frame-pointer -fno-tree-slp-vectorize

$(BUILD)/obj/report/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(CC) $(REPORT_CFLAGS) -c $< -o $@

# The HTML report's style sheet and script, pulled in with .incbin (see html_page.S).
$(BUILD)/obj/report/report/html_page.o: src/report/html_page.S src/report/html_page.css \
                                        src/report/html_page.js
	@mkdir -p $(dir $@)
	$(CC) -c $< -o $@

$(BUILD)/obj/cli/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CLI_CFLAGS) -DMP_IN_CLI -c $< -o $@

# libmemplumber.so: injected into every observed process. Depends on libc only (no libdw).
$(BUILD)/libmemplumber.so: $(PRELOAD_OBJ)
	$(CC) -shared -Wl,-z,nodelete -Wl,--no-undefined -o $@ $^ -ldl -lpthread

# build/prof/libmemplumber.so: the same library built to run under valgrind's callgrind, for
# bench/instructions (the normal build stays out of valgrind's guests). Never installed.
PROF_OBJ := $(patsubst src/%.c,$(BUILD)/obj/prof/%.o,$(PRELOAD_SRC) $(COMMON_SRC))
$(BUILD)/obj/prof/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(CC) $(PRELOAD_CFLAGS) -DMP_PROFILE_UNDER_VALGRIND -c $< -o $@
$(BUILD)/obj/prof/preload/record/unwind.o: PRELOAD_CFLAGS += -fomit-frame-pointer -fno-tree-slp-vectorize
$(BUILD)/prof/libmemplumber.so: $(PROF_OBJ)
	@mkdir -p $(dir $@)
	$(CC) -shared -Wl,-z,nodelete -Wl,--no-undefined -o $@ $^ -ldl -lpthread

# libmemplumber-report.so: symbolizer and report writers, dlopen'ed only when a report is written.
$(BUILD)/libmemplumber-report.so: $(REPORT_OBJ)
	$(CC) -shared -Wl,--no-undefined -o $@ $^ -ldw -lelf -lz -ldl

$(BUILD)/memplumber: $(CLI_OBJ)
	$(CC) -o $@ $^ -ldl

-include $(PRELOAD_OBJ:.o=.d) $(PROF_OBJ:.o=.d) $(REPORT_OBJ:.o=.d) $(CLI_OBJ:.o=.d)

test: all
	tests/run

bench: all
	bench/run $(if $(QUICK),--quick,)

# Instruction counts of the allocation-pattern workloads under callgrind (bench/instructions).
bench-instructions: all
	bench/instructions

stress: all
	tests/stress/run

# Leak verdicts of more real programs (gcc, make, sqlite, find, grep) compared with valgrind's.
verdicts: all
	VERDICTS_FULL=1 tests/run -v real/verdicts_vs_valgrind

# The C unit tests (tests/unit/test_*.c) alone; the runner builds them with ASan and UBSan.
sanitize: all
	tests/run unit/test_

# Where things are installed goes into the man page and the pkg-config file: they are remade
# when it changes (build/install-dirs holds the last one).
$(BUILD)/install-dirs: FORCE
	@mkdir -p $(BUILD)
	@printf '%s\n' '$(PREFIX) $(INCLUDEDIR) $(DOCDIR)' | cmp -s - $@ || \
	  printf '%s\n' '$(PREFIX) $(INCLUDEDIR) $(DOCDIR)' > $@

# memplumber(1), written by memplumber itself from the texts of its --help (src/cli/args.c).
$(BUILD)/memplumber.1: $(BUILD)/memplumber $(BUILD)/install-dirs
	$(BUILD)/memplumber --help-man='$(DOCDIR)' > $@.tmp && mv $@.tmp $@

# include/memplumber.h declares weak symbols that libmemplumber.so defines when it is
# preloaded: a program includes the header and links against nothing.
$(BUILD)/memplumber.pc: $(BUILD)/install-dirs
	printf '%s\n' 'prefix=$(PREFIX)' 'includedir=$(INCLUDEDIR)' '' 'Name: memplumber' \
	  'Description: API of the memplumber leak detector for the programs it observes (memplumber.h)' \
	  'Version: $(shell sed -n 's/^#define MP_CLI_VERSION "\(.*\)"/\1/p' src/cli/args.h)' \
	  'Cflags: -I$${includedir}' 'Libs:' > $@

# Every file `make install` writes, relative to $(DESTDIR); `make uninstall` removes exactly these.
INSTALLED := $(BINDIR)/memplumber $(LIBDIR)/libmemplumber.so $(LIBDIR)/libmemplumber-report.so \
             $(INCLUDEDIR)/memplumber.h $(MANDIR)/man1/memplumber.1 $(PKGCONFIGDIR)/memplumber.pc \
             $(BASHCOMPDIR)/memplumber $(DOCDIR)/MANUAL.md $(DOCDIR)/REPORT-FORMAT.md \
             $(DOCDIR)/README.md

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR) \
	  $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(PKGCONFIGDIR) $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(DOCDIR)
	install -m 755 $(BUILD)/memplumber $(DESTDIR)$(BINDIR)/memplumber
	install -m 755 $(BUILD)/libmemplumber.so $(DESTDIR)$(LIBDIR)/libmemplumber.so
	install -m 755 $(BUILD)/libmemplumber-report.so $(DESTDIR)$(LIBDIR)/libmemplumber-report.so
	install -m 644 include/memplumber.h $(DESTDIR)$(INCLUDEDIR)/memplumber.h
	install -m 644 $(BUILD)/memplumber.1 $(DESTDIR)$(MANDIR)/man1/memplumber.1
	install -m 644 $(BUILD)/memplumber.pc $(DESTDIR)$(PKGCONFIGDIR)/memplumber.pc
	install -m 644 scripts/memplumber.bash-completion $(DESTDIR)$(BASHCOMPDIR)/memplumber
	install -m 644 docs/MANUAL.md docs/REPORT-FORMAT.md README.md $(DESTDIR)$(DOCDIR)/

# Removes the files install wrote, then those of its directories that are left empty, up to but
# not including $(PREFIX).
uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))
	@for d in $(DOCDIR) $(BASHCOMPDIR) $(PKGCONFIGDIR) $(MANDIR)/man1 $(INCLUDEDIR) $(LIBDIR) \
	          $(BINDIR); do \
	  d='$(DESTDIR)'$$d; \
	  while [ "$${d#'$(DESTDIR)$(PREFIX)'/}" != "$$d" ] && rmdir "$$d" 2>/dev/null; do \
	    d=$${d%/*}; \
	  done; \
	done

clean:
	rm -rf $(BUILD)

.PHONY: all test bench bench-instructions stress verdicts sanitize install uninstall clean FORCE
FORCE:
