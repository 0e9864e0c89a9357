# cinch: plain make, because the project is one binary, a test payload and a
# few scripts; make is on every Debian machine and needs no configure step.

CC ?= gcc
PKGS := json-c libseccomp
OPT ?= -O2 -g
WARN := -Wall -Wextra -Werror -Wno-missing-field-initializers
CPPFLAGS += -D_GNU_SOURCE -Isrc $(shell pkg-config --cflags $(PKGS))
CFLAGS += -std=gnu11 $(OPT) $(WARN) -fno-strict-aliasing
LIBS := $(shell pkg-config --libs $(PKGS)) -lm
PYTHON ?= /usr/bin/python3

SRCS := $(shell find src -name '*.c' | sort)
OBJS := $(SRCS:src/%.c=build/obj/%.o)
LIB_OBJS := $(filter-out build/obj/main.o,$(OBJS))
ASAN_OBJS := $(LIB_OBJS:build/obj/%=build/asan/%)
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=build/unit/%)
UNIT_ASAN_BINS := $(UNIT_SRCS:tests/unit/%.c=build/unit-asan/%)

all: build/cinch build/payload build/test-rootfs/.done

build/cinch: $(OBJS)
	$(CC) -static -o $@ $^ $(LIBS) -lpthread

build/obj/%.o: src/%.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

build/asan/%.o: src/%.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -MMD -MP -c -o $@ $<

build/unit/%: tests/unit/%.c $(LIB_OBJS)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -Itests/unit -o $@ $< $(LIB_OBJS) $(LIBS)

build/unit-asan/%: tests/unit/%.c $(ASAN_OBJS)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -O1 -Itests/unit -fsanitize=address,undefined -fno-omit-frame-pointer -o $@ $< $(ASAN_OBJS) $(LIBS)

# The test payload: one static multi-call binary put into every test rootfs.
build/payload: tests/payload/payload.c
	@mkdir -p $(@D)
	$(CC) -std=gnu11 -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -static -o $@ $< -lpthread

# The built-in default image, made from Debian's busybox-static.
build/images/busybox/.done: scripts/mkimage.sh
	scripts/mkimage.sh build/images/busybox
	@touch $@

image: build/images/busybox/.done

# The rootfs integration tests share (read-only): the image plus /bin/payload and
# a link per payload command. Tests only read it, so they can run on a read-only tree.
build/test-rootfs/.done: scripts/mkimage.sh build/payload
	scripts/mkimage.sh --payload build/payload build/test-rootfs
	@touch $@

unit: $(UNIT_BINS) $(UNIT_ASAN_BINS)
	@set -e; for t in $(UNIT_BINS) $(UNIT_ASAN_BINS); do echo "== $$t"; UBSAN_OPTIONS=halt_on_error=1 $$t; done

integration: build/cinch build/payload image build/test-rootfs/.done
	CINCH=$(CURDIR)/build/cinch $(PYTHON) -m pytest -q tests/integration $(PYTEST_ARGS)

# The whole integration suite in the guest (about 8 minutes on a quiet
# machine); CINCH_VM_SUITE=v2 runs only the cgroup-dependent part.
check-v2: build/cinch build/payload
	CINCH_VM_SUITE=$${CINCH_VM_SUITE:-full} tests/vm/run-v2.sh

check-engines: build/cinch build/payload image
	CINCH=$(CURDIR)/build/cinch $(PYTHON) -m pytest -q tests/engines $(PYTEST_ARGS)

# check and demo install their dependencies first, so each works as the
# first command typed on a fresh Debian 12 machine.
check:
	scripts/install-deps.sh --vm --engines
	$(MAKE) all image
	MAKE="$(MAKE)" scripts/check.sh

demo:
	scripts/install-deps.sh
	$(MAKE) all image
	scripts/demo.sh

bench: build/cinch build/payload image
	bench/run.sh

format:
	clang-format -i $(SRCS) $(shell find src -name '*.h')

clean:
	rm -rf build

.PHONY: all unit integration check check-v2 check-engines demo bench format clean image
-include $(OBJS:.o=.d) $(ASAN_OBJS:.o=.d)
