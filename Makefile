# Sabaq: one plain Makefile with pkg-config.
#   make run     set-up (Debian packages), build, start the server
#   make test    set-up (with test tools), build, every test
#   make bench   forwarding-path benchmark (bench/fwd)
#   make fuzz    libFuzzer targets, FUZZ_SECONDS each (clang)
#   make asan    unit tests under AddressSanitizer + UBSan

CC      ?= cc
PKGS    := libwebsockets openssl libsrtp2 jansson sqlite3
# Recording (sfu/record): WebM muxing and the audio mix.
PKGS    += libavformat libavcodec libavutil opus
# Recursive on purpose: pkg-config only runs once set-up has installed the packages.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS   = $(shell pkg-config --libs $(PKGS))
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Iinclude -pthread
LDLIBS  += -pthread -lm

B       := build
SFU_SRC := $(sort $(shell find sfu -name '*.c'))
SIG_SRC := $(sort $(filter-out signaling/main.c,$(shell find signaling -name '*.c')))
LIB_SRC := $(SFU_SRC) $(SIG_SRC)
UNIT_SRC:= $(sort $(shell find tests/unit -name '*.c'))
FUZZ_SRC:= $(sort $(wildcard tests/fuzz/fuzz_*.c))

LIB_OBJ  := $(LIB_SRC:%.c=$(B)/obj/%.o)
UNIT_OBJ := $(UNIT_SRC:%.c=$(B)/obj/%.o)
ASAN_LIB_OBJ  := $(LIB_SRC:%.c=$(B)/asan/%.o)
ASAN_UNIT_OBJ := $(UNIT_SRC:%.c=$(B)/asan/%.o)
SAN     := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

FUZZ_SECONDS ?= 20
HOST    ?= 127.0.0.1
PORT    ?= 8080

.PHONY: all run test setup setup-test unit asan fuzz fuzz-smoke e2e bench clean
all: $(B)/sabaq

setup:
	@sh scripts/setup.sh run
setup-test:
	@sh scripts/setup.sh test

run: setup
	@$(MAKE) --no-print-directory all
	./$(B)/sabaq --bind $(HOST) --port $(PORT)

test: setup-test
	@$(MAKE) --no-print-directory all $(B)/unit_tests
	@sh tests/run_all.sh

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -MMD -MP -I. -Itests/unit -Isfu -c $< -o $@

$(B)/asan/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SAN) $(PKG_CFLAGS) -MMD -MP -I. -Itests/unit -Isfu -c $< -o $@

$(B)/libsabaq.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(B)/sabaq: $(B)/obj/signaling/main.o $(B)/libsabaq.a
	$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS) $(LDLIBS)

$(B)/unit_tests: $(UNIT_OBJ) $(B)/libsabaq.a
	$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS) $(LDLIBS)

$(B)/unit_tests_asan: $(ASAN_UNIT_OBJ) $(ASAN_LIB_OBJ)
	$(CC) $(CFLAGS) $(SAN) -o $@ $^ $(PKG_LIBS) $(LDLIBS)

# The recording tests encode their synthetic video with libvpx (tests only).
$(B)/unit_tests $(B)/unit_tests_asan: LDLIBS += $(shell pkg-config --libs vpx)

unit: $(B)/unit_tests
	./$(B)/unit_tests

asan: $(B)/unit_tests_asan
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ./$(B)/unit_tests_asan

# libFuzzer targets: each links the production parsers, built by clang.
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=$(B)/fuzz/%)
$(B)/fuzz/%: tests/fuzz/%.c $(SFU_SRC)
	@mkdir -p $(B)/fuzz
	clang -std=c11 -D_GNU_SOURCE -g -O1 -Iinclude -Isfu $(PKG_CFLAGS) \
	    -fsanitize=fuzzer,address,undefined -o $@ $< $(SFU_SRC) $(PKG_LIBS) $(LDLIBS)

# Signaling parsers take the few files they need (and SQLite, jansson).
FUZZ_SIG_SRC := signaling/roster.c signaling/text.c signaling/store.c signaling/auth.c
$(B)/fuzz/fuzz_roster $(B)/fuzz/fuzz_token: $(B)/fuzz/%: tests/fuzz/%.c $(FUZZ_SIG_SRC)
	@mkdir -p $(B)/fuzz
	clang -std=c11 -D_GNU_SOURCE -g -O1 -Iinclude -I. $(PKG_CFLAGS) \
	    -fsanitize=fuzzer,address,undefined -o $@ $< $(FUZZ_SIG_SRC) $(PKG_LIBS) $(LDLIBS)

# The Range header of the recordings' player: one pure file.
$(B)/fuzz/fuzz_range: tests/fuzz/fuzz_range.c signaling/http_range.c
	@mkdir -p $(B)/fuzz
	clang -std=c11 -D_GNU_SOURCE -g -O1 -Iinclude -I. \
	    -fsanitize=fuzzer,address,undefined -o $@ $^

# The recordings' HTTP entries: all of signaling/ but main(), like fuzz_http.
$(B)/fuzz/fuzz_recordings: tests/fuzz/fuzz_recordings.c tests/fuzz/fuzz_media_ops.h $(SIG_SRC) $(SFU_SRC)
	@mkdir -p $(B)/fuzz
	clang -std=c11 -D_GNU_SOURCE -g -O1 -Iinclude -I. -Isfu $(PKG_CFLAGS) \
	    -fsanitize=fuzzer,address,undefined -o $@ $< $(SIG_SRC) $(SFU_SRC) $(PKG_LIBS) $(LDLIBS)

# The WebSocket message path and the HTTP entries: all of signaling/ but main().
$(B)/fuzz/fuzz_signaling $(B)/fuzz/fuzz_http: $(B)/fuzz/%: tests/fuzz/%.c tests/fuzz/fuzz_media_ops.h $(SIG_SRC) $(SFU_SRC)
	@mkdir -p $(B)/fuzz
	clang -std=c11 -D_GNU_SOURCE -g -O1 -Iinclude -I. -Isfu $(PKG_CFLAGS) \
	    -fsanitize=fuzzer,address,undefined -o $@ $< $(SIG_SRC) $(SFU_SRC) $(PKG_LIBS) $(LDLIBS)

fuzz: $(FUZZ_BIN)
	@sh tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_BIN)

e2e: all
	@sh tests/e2e/run.sh

BENCH_BIN := $(patsubst bench/%.c,$(B)/bench/%,$(wildcard bench/*.c))
# Helpers shared by the benches (each bench/*.c is one program).
BENCH_LIB := $(sort $(wildcard bench/lib/*.c))
$(B)/bench/%: bench/%.c $(BENCH_LIB) $(wildcard bench/lib/*.h) $(B)/libsabaq.a
	@mkdir -p $(B)/bench
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -I. -Isfu -Ibench/lib -rdynamic -o $@ $(filter %.c %.a,$^) $(PKG_LIBS) $(LDLIBS)

bench: setup
	@$(MAKE) --no-print-directory $(BENCH_BIN)
	./$(B)/bench/fwd

# bench/load: the whole server under synthetic participants (bench/load/*.c),
# with libvpx and libopus; not bench/lib (fwd_alloc interposes malloc).
# Run it by hand: build/bench/load --help (it needs root for its namespace).
LOAD_PKGS := vpx opus
LOAD_SRC  := $(sort $(wildcard bench/load/*.c))
$(B)/bench/load: bench/load.c $(LOAD_SRC) $(wildcard bench/load/*.h) $(B)/libsabaq.a
	@mkdir -p $(B)/bench
	$(CC) $(CFLAGS) $(PKG_CFLAGS) $(shell pkg-config --cflags $(LOAD_PKGS)) -Isfu -Ibench/load \
	    -o $@ $(filter %.c %.a,$^) $(PKG_LIBS) $(shell pkg-config --libs $(LOAD_PKGS)) $(LDLIBS)

.PHONY: bench-load
bench-load: $(B)/bench/load $(B)/sabaq

clean:
	rm -rf $(B)

-include $(shell find $(B) -name '*.d' 2>/dev/null)
