# vigil - build, test, demo. Everything lands in $(B)/.
B       ?= build
WERROR  ?= -Werror
CC      ?= cc
MSGPACK := $(shell pkg-config --exists msgpack-c 2>/dev/null && echo msgpack-c || echo msgpack)
PKGS    := libevent libevent_openssl libevent_pthreads openssl liblz4 libfyaml zlib rdkafka libnats $(MSGPACK)
CFLAGS  ?= -O2 -g
override CFLAGS += -std=c11 -D_GNU_SOURCE -I. -Wall -Wextra -Wshadow -Wformat=2 \
    -Wmissing-prototypes -Wno-missing-field-initializers $(WERROR) \
    $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# The invariants (queue order, in-flight counts, (seq, offset) monotonicity,
# budget accounting) are asserts: never compiled out of a test build.
ifneq ($(filter test check valgrind unit-bins fuzz bench,$(MAKECMDGOALS)),)
override CFLAGS += -UNDEBUG
endif
LDLIBS  += $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm -lpthread
CRIT_CFLAGS := $(shell pkg-config --cflags criterion 2>/dev/null)
CRIT_LIBS   := $(shell pkg-config --libs criterion 2>/dev/null)
SAN     := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

LIB_SRC  := $(filter-out sidecar/main.c,$(sort $(wildcard sidecar/*.c sidecar/*/*.c conf/*.c detectors/*.c outputs/*.c)))
LIB_OBJ  := $(LIB_SRC:%.c=$(B)/obj/%.o)
TOOL_SRC := $(wildcard tools/*.c)
TOOLS    := $(TOOL_SRC:tools/%.c=$(B)/%)
UNIT_SRC := $(sort $(shell find tests/unit -name 'test_*.c' 2>/dev/null))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)
FUZZ_SRC := $(filter-out tests/fuzz/replay.c,$(wildcard tests/fuzz/fuzz_*.c))
REPLAY   := $(FUZZ_SRC:tests/fuzz/%.c=$(B)/fuzz-replay/%)
HELPER_SRC := $(wildcard tests/helpers/*.c)
HELPERS  := $(HELPER_SRC:tests/helpers/%.c=$(B)/helpers/%)

.PHONY: all deps test unit integration check valgrind fuzz bench demo clean install lint
all: $(B)/vigil $(TOOLS)

deps:
	@sh scripts/deps.sh

# V=1 shows the commands.
Q := $(if $(V),,@)

$(B)/obj/%.o: %.c
	@mkdir -p $(@D)
	@$(if $(V),,echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(B)/libvigil.a: $(LIB_OBJ)
	@rm -f $@
	$(Q)ar rcs $@ $^

$(B)/vigil: $(B)/obj/sidecar/main.o $(B)/libvigil.a
	@$(if $(V),,echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/%: tools/%.c $(B)/libvigil.a
	@mkdir -p $(@D)
	@$(if $(V),,echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(B)/libvigil.a $(LDLIBS)

$(B)/tests/%: tests/unit/%.c $(B)/libvigil.a
	@mkdir -p $(@D)
	@$(if $(V),,echo "  TEST    $@")
	$(Q)$(CC) $(CFLAGS) $(CRIT_CFLAGS) $(LDFLAGS) -o $@ $< $(B)/libvigil.a $(LDLIBS) $(CRIT_LIBS)

# The README's test command: install what is missing, build, run everything.
test: deps
	@$(MAKE) --no-print-directory all unit-bins
	@B=$(B) sh tests/run.sh

unit-bins: $(UNIT_BIN) $(HELPERS) $(REPLAY)

# Each fuzz target linked with replay.c instead of libFuzzer: tests/run.sh
# feeds it every file of tests/fuzz/corpus/<target>/ (seeds and past crashes).
$(B)/fuzz-replay/%: tests/fuzz/%.c tests/fuzz/replay.c $(B)/libvigil.a
	@mkdir -p $(@D)
	@$(if $(V),,echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< tests/fuzz/replay.c $(B)/libvigil.a $(LDLIBS)

# Loopback peers the tests start (Kafka mock cluster, ...).
$(B)/helpers/%: tests/helpers/%.c $(B)/libvigil.a
	@mkdir -p $(@D)
	@$(if $(V),,echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(B)/libvigil.a $(LDLIBS)

check: deps
	@$(MAKE) --no-print-directory B=build/asan CC=$(CC) CFLAGS="-O1 -g $(SAN)" LDFLAGS="$(SAN)" all unit-bins
	@B=build/asan SANITIZE=1 sh tests/run.sh

valgrind: deps
	@$(MAKE) --no-print-directory B=build/vg CFLAGS="-O0 -g" all unit-bins
	@B=build/vg VALGRIND=1 PARTS="$${PARTS:-integ}" sh tests/run.sh

# Static checks: cppcheck (warning and portability; scripts/cppcheck.supp
# lists the false positives, each checked by hand: see its comments) and
# clang-tidy with the checks of .clang-tidy. Any finding fails.
LINT_SRC := $(LIB_SRC) sidecar/main.c $(TOOL_SRC)
lint:
	$(Q)cppcheck --quiet --error-exitcode=1 --enable=warning,portability --inline-suppr \
	    --std=c11 -I. -D_GNU_SOURCE -j2 --suppress=missingIncludeSystem \
	    --suppressions-list=scripts/cppcheck.supp sidecar conf detectors outputs tools
	$(Q)printf '%s\n' $(LINT_SRC) | xargs -P2 -I{} sh -c 'clang-tidy --quiet {} -- \
	    -std=c11 -D_GNU_SOURCE -I. $(shell pkg-config --cflags $(PKGS) 2>/dev/null) 2>/dev/null'
	@echo "lint: cppcheck and clang-tidy clean"

fuzz: deps
	@B=build/fuzz sh tests/fuzz/run.sh

bench: deps
	@$(MAKE) --no-print-directory all
	@B=$(B) sh tests/bench/run.sh

demo: deps
	@$(MAKE) --no-print-directory all
	@B=$(B) sh scripts/demo.sh

PREFIX  ?= /usr/local
DESTDIR ?=
install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)/etc/vigil
	install -m 0755 $(B)/vigil $(B)/vigil-cat $(DESTDIR)$(PREFIX)/bin/
	install -m 0644 conf/vigil.yaml $(DESTDIR)/etc/vigil/vigil.yaml

clean:
	rm -rf $(B) build

-include $(LIB_OBJ:.o=.d) $(B)/obj/sidecar/main.d
