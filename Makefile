# cod — the two commands a newcomer needs:
#   make run    install what is missing, build, start cod (orchestrator + compute) in the background
#   make test   install what is missing, build, run every test (then the asan build's unit and
#               integration tests and a short run of each fuzzer)
# Also: make build, make stop, make unit, make lint, make bench, make asan, make tsan, make fuzz,
# make clean.

PRESET    ?= release
BUILD_DIR := build/$(PRESET)
COD       := $(BUILD_DIR)/bin/cod
JOBS      ?= $(shell nproc)
COD_DIR   ?= $(HOME)/.cod

.PHONY: deps configure build run stop test unit lint format bench asan tsan fuzz clean

deps:
	@./scripts/install-deps.sh

configure: deps
	@cmake --preset $(PRESET) >/dev/null

build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

run: build
	@COD=$(COD) COD_DIR=$(COD_DIR) ./scripts/run.sh start

stop:
	@COD=$(COD) COD_DIR=$(COD_DIR) ./scripts/run.sh stop

test: build
	@./scripts/test.sh $(BUILD_DIR)
	@$(MAKE) --no-print-directory asan

# Unit and integration tests built with AddressSanitizer and UndefinedBehaviorSanitizer (clang,
# build/asan; ~9 min to build on 2 cores), and each libFuzzer harness for 20,000 inputs from its
# seed corpus (fuzz/). A report fails the test that made it.
asan: deps
	@cmake --preset asan >/dev/null
	@cmake --build build/asan -j $(JOBS)
	@ASAN_OPTIONS="$${ASAN_OPTIONS:-detect_leaks=1}" UBSAN_OPTIONS="$${UBSAN_OPTIONS:-print_stacktrace=1}" \
	  ./scripts/test.sh build/asan -L 'unit|integration|fuzz' -LE lint

# Every fuzzer for RUNS (10,000,000) inputs: scripts/fuzz.sh.
fuzz: deps
	@./scripts/fuzz.sh

unit: build
	@ctest --test-dir $(BUILD_DIR) -L unit --output-on-failure -j $(JOBS)

# Unit, integration and end-to-end tests built with ThreadSanitizer (build/tsan; ~15 min to build
# on 2 cores, ~5 to run). A report fails the test that made it.
tsan: deps
	@cmake --preset tsan >/dev/null
	@cmake --build build/tsan -j $(JOBS)
	@TSAN_OPTIONS="$${TSAN_OPTIONS:-second_deadlock_stack=1}" ./scripts/test.sh build/tsan -L 'unit|integration|e2e'

lint: configure
	@./scripts/lint.sh $(BUILD_DIR)

format:
	@git ls-files '*.h' '*.cc' | xargs clang-format -i

bench: build
	@./bench/control_plane.sh $(COD)

clean:
	@rm -rf build
