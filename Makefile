# lutsr build. `make` builds the library and CLI; `make ffmpeg` a static
# ffmpeg with the lutsr filter, `make ffmpeg-dropin` a libavfilter.so.8 for
# Debian's own ffmpeg/mpv; `make check` installs what is missing, builds,
# and runs the whole suite (plain, FFmpeg filter, ASan+UBSan); `make demo`
# builds everything and upscales a sample clip.

-include config.mk
CC ?= gcc
HAVE_X86_SIMD ?= 0
PREFIX ?= /usr/local

# BUILD is the output folder; the sanitizer build reuses this Makefile with
# BUILD=build/asan SAN=1.
BUILD ?= build
SAN ?= 0

OPT      ?= -O2
WARN      = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wno-unused-parameter
CFLAGS_COMMON = -std=c11 -D_GNU_SOURCE $(OPT) -g $(WARN) -fPIC -Iinclude -Isrc \
                -DLUTSR_MODEL_DIR='"$(CURDIR)/models"' -DLUTSR_PREFIX='"$(PREFIX)"'
ifeq ($(SAN),1)
CFLAGS_COMMON += -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
LDFLAGS_SAN = -fsanitize=address,undefined
endif
LIB_CFLAGS = $(CFLAGS_COMMON) -fvisibility=hidden -DLUTSR_BUILDING_LIB
LDLIBS     = -lpthread -lm
PNG_LIBS   = -lpng

LIB_SRCS  = $(wildcard src/*.c)
ifeq ($(HAVE_X86_SIMD),1)
LIB_SRCS += $(wildcard src/x86/*.c)
CFLAGS_COMMON += -DHAVE_X86_SIMD=1
else
CFLAGS_COMMON += -DHAVE_X86_SIMD=0
endif
LIB_OBJS  = $(LIB_SRCS:%.c=$(BUILD)/obj/%.o)
TOOL_SRCS = $(wildcard tools/*.c)
TOOL_OBJS = $(TOOL_SRCS:%.c=$(BUILD)/obj/%.o)
TOOL_LIB_OBJS = $(filter-out $(BUILD)/obj/tools/lutsr.o,$(TOOL_OBJS))

# tests/test_util.c is a helper, not a test program.
TEST_SRCS = $(filter-out tests/test_util.c,$(wildcard tests/test_*.c))
TEST_BINS = $(TEST_SRCS:tests/%.c=$(BUILD)/tests/%)
TEST_UTIL_OBJS = $(patsubst %.c,$(BUILD)/obj/%.o,$(filter-out $(TEST_SRCS),$(wildcard tests/*.c)))
CHECKASM_SRCS = $(wildcard tests/checkasm/*.c)
CHECKASM_OBJS = $(CHECKASM_SRCS:%.c=$(BUILD)/obj/%.o)

STATIC = $(BUILD)/lib/liblutsr.a
SHARED = $(BUILD)/lib/liblutsr.so
CLI    = $(BUILD)/bin/lutsr

.PHONY: install all lib tools tests check check-plain check-asan check-ffmpeg test-run demo deps clean distclean bench
.PHONY: default ffmpeg ffmpeg-dropin ffmpeg-compile-check bench-ffmpeg
.DEFAULT_GOAL := default

# `make`: everything a user runs. `make all`: library + CLI only (no FFmpeg).
default: all ffmpeg ffmpeg-dropin
all: $(STATIC) $(SHARED) $(CLI)
lib: $(STATIC) $(SHARED)

config.mk:
	./configure

# Per-ISA flags only for the files that need them (zimg-style): the rest of
# the library stays baseline x86-64 so it runs anywhere.
$(BUILD)/obj/src/x86/%_avx2.o: src/x86/%_avx2.c config.mk
	@mkdir -p $(dir $@)
	$(CC) $(LIB_CFLAGS) -mavx2 -mfma -mbmi2 -MMD -MP -c $< -o $@
$(BUILD)/obj/src/x86/%_sse41.o: src/x86/%_sse41.c config.mk
	@mkdir -p $(dir $@)
	$(CC) $(LIB_CFLAGS) -msse4.1 -MMD -MP -c $< -o $@
$(BUILD)/obj/src/%.o: src/%.c config.mk
	@mkdir -p $(dir $@)
	$(CC) $(LIB_CFLAGS) -MMD -MP -c $< -o $@
$(BUILD)/obj/%.o: %.c config.mk
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_COMMON) -Itools -Itests -MMD -MP -c $< -o $@

$(STATIC): $(LIB_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^
$(SHARED): $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) -shared -Wl,-soname,liblutsr.so.0 $(LDFLAGS_SAN) -o $@ $^ $(LDLIBS)
$(CLI): $(TOOL_OBJS) $(STATIC)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_SAN) -o $@ $(TOOL_OBJS) $(STATIC) $(PNG_LIBS) $(LDLIBS)

# Tests link the static library (so they can reach internal kernels) plus
# the tools' I/O code and the shared test helpers.
$(BUILD)/tests/%: $(BUILD)/obj/tests/%.o $(TEST_UTIL_OBJS) $(TOOL_LIB_OBJS) $(STATIC)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_SAN) -o $@ $< $(TEST_UTIL_OBJS) $(TOOL_LIB_OBJS) $(STATIC) $(PNG_LIBS) $(LDLIBS)
$(BUILD)/tests/checkasm: $(CHECKASM_OBJS) $(TEST_UTIL_OBJS) $(STATIC)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_SAN) -o $@ $(CHECKASM_OBJS) $(TEST_UTIL_OBJS) $(STATIC) $(LDLIBS)

tests: all $(TEST_BINS) $(BUILD)/tests/checkasm

# Keep objects make would treat as intermediate (no deletes, no rebuilds).
.SECONDARY:

# Runs every test binary and the CLI tests; prints "N passed, N failed".
test-run: tests
	@BUILD=$(BUILD) sh tests/run.sh $(TEST_BINS) $(BUILD)/tests/checkasm

check-plain:
	$(MAKE) test-run
check-asan:
	$(MAKE) BUILD=build/asan SAN=1 OPT=-O1 test-run

# The FFmpeg filter's tests (tests/ffmpeg) against the static ffmpeg and the
# drop-in libavfilter; they run once, not under the sanitizers.
check-ffmpeg: all ffmpeg ffmpeg-dropin
	SCRIPT_TESTS=tests/ffmpeg SUMMARY=build/ffmpeg-summary.txt sh tests/run.sh

# The README's test command: set-up, then the suites, then one total line.
check: deps
	$(MAKE) --no-print-directory check-plain
	$(MAKE) --no-print-directory check-ffmpeg
	$(MAKE) --no-print-directory check-asan
	@cat build/test-summary.txt build/ffmpeg-summary.txt build/asan/test-summary.txt | \
	  awk '{p+=$$1; f+=$$3; s+=$$5} END {print "all suites (plain + ffmpeg + asan):"; print p " passed, " f " failed, " s " skipped"}'

# FFmpeg with lutsr (scripts/ffmpeg.sh; sources and builds cached in
# build/ffmpeg, compiled through ccache). FFMPEG_SOURCE comes from
# ./configure --ffmpeg-source=DIR; empty = Debian bookworm's 5.1.
FFMPEG_SOURCE ?=
ffmpeg: lib
	sh scripts/ffmpeg.sh static $(FFMPEG_SOURCE)
ffmpeg-dropin: lib
	sh scripts/ffmpeg.sh dropin
ffmpeg-compile-check: lib
	for s in 5.1 7.1 8.1 9.0; do sh scripts/ffmpeg.sh compile-check $$s || exit 1; done
bench-ffmpeg: all ffmpeg
	sh scripts/bench-ffmpeg.sh

# Installs only what is missing (Debian bookworm; needs root or sudo).
DEB_PKGS = gcc make libpng-dev zlib1g-dev ccache python3-torch python3-numpy python3-pil \
           dpkg-dev xz-utils patch pkg-config nasm libx264-dev ffmpeg mpv
deps:
	@sh scripts/install-deps.sh $(DEB_PKGS)
	@test -f config.mk || ./configure
	@# make remakes config.mk before this runs, so on a fresh machine it
	@# predates ccache: configure again, with the same options, to use it.
	@if ! grep -q '^CC = ccache' config.mk && command -v ccache >/dev/null && \
	    ! head -n 1 config.mk | grep -q -- --disable-ccache; then \
	    ./configure $$(sed -n '1s|^# generated by ./configure||p' config.mk); fi

demo: deps
	$(MAKE) all
	$(MAKE) ffmpeg
	sh scripts/demo.sh $(BUILD)

bench: all
	$(CLI) bench -m bicubic -s 1920x1080

# Installs the library, header, CLI, pkg-config file and shipped models.
VERSION = $(shell sed -n 's/^\#define LUTSR_API_VERSION_\(MAJOR\|MINOR\|PATCH\) *//p' include/lutsr/lutsr.h | paste -sd.)
DESTDIR ?=
$(BUILD)/lutsr.pc: lutsr.pc.in include/lutsr/lutsr.h
	@mkdir -p $(dir $@)
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' $< > $@
install: all $(BUILD)/lutsr.pc
	install -d $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include/lutsr \
	  $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/lutsr/models
	install -m 644 $(STATIC) $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(SHARED) $(DESTDIR)$(PREFIX)/lib/liblutsr.so.0
	ln -sf liblutsr.so.0 $(DESTDIR)$(PREFIX)/lib/liblutsr.so
	install -m 644 include/lutsr/lutsr.h $(DESTDIR)$(PREFIX)/include/lutsr/
	install -m 644 $(BUILD)/lutsr.pc $(DESTDIR)$(PREFIX)/lib/pkgconfig/
	install -m 755 $(CLI) $(DESTDIR)$(PREFIX)/bin/
	for m in models/*.lsr; do [ -f "$$m" ] && install -m 644 "$$m" $(DESTDIR)$(PREFIX)/share/lutsr/models/ || true; done

# clean keeps the FFmpeg sources and builds (build/ffmpeg): they are a cache.
clean:
	if [ -d build ]; then find build -mindepth 1 -maxdepth 1 ! -name ffmpeg -exec rm -rf {} +; fi
distclean:
	rm -rf build
	rm -f config.mk

# libFuzzer build of the model parser (needs clang); the normal test run
# replays its corpus without libFuzzer (tests/test_model_fuzz.c):
#   make fuzz && build/fuzz/fuzz_model -max_total_time=60 tests/fuzz/corpus
FUZZ_CC ?= clang
FUZZ_SRCS = tests/fuzz/fuzz_model.c src/model.c src/crc32.c src/error.c src/mem.c
.PHONY: fuzz
fuzz: $(BUILD)/fuzz/fuzz_model
$(BUILD)/fuzz/fuzz_model: $(FUZZ_SRCS) src/model.h src/internal.h src/mem.h include/lutsr/lutsr.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=all -Iinclude -Isrc -o $@ $(FUZZ_SRCS)

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
