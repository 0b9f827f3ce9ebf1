# Makefile - thin wrapper over CMake: deps, build, test, demo, sanitizers, fuzzing.
#
#   make / make build   install missing Debian packages, configure build/ (RelWithDebInfo) and build
#   make test           build, then run the whole suite with ctest
#   make demo           build, then crawl the bundled sample site with 1 master + 2 workers
#   make asan           build build-asan/ with ASan+UBSan and run the whole suite there
#   make fuzz           libFuzzer on the decoders (scripts/fuzz)
#   make clean          remove the build directories

BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= 2
CTEST_JOBS ?= 2

# Sanitizer reports must fail the run: leaks too, and UBSan says where.
ASAN_ENV = ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

.PHONY: all build deps test demo asan fuzz clean

all: build

deps:
	@scripts/install-deps

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build $(BUILD) -j$(JOBS)

test: build
	ctest --test-dir $(BUILD) --output-on-failure -j$(CTEST_JOBS)

demo: build
	DTASK_BIN=$(CURDIR)/$(BUILD)/bin scripts/demo

asan: deps
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DDTASK_SANITIZE=ON
	cmake --build $(ASAN_BUILD) -j$(JOBS)
	$(ASAN_ENV) ctest --test-dir $(ASAN_BUILD) --output-on-failure -j$(CTEST_JOBS)

fuzz: deps
	scripts/fuzz

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)

.PHONY: bench
bench: # dtask against its peers: installs the peers, builds build-bench/ (Release), prints one table
	bench/run $(BENCH_ARGS)
