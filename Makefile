# dtwin - top-level entry points. Each target installs missing Debian packages
# first (scripts/install-deps.sh), then configures and builds with CMake.
#   make demo             build and run the demo humanoid twin (Ctrl-C to stop)
#   make check            build and run every test (ctest)
#   make check SANITIZE=1 the same with ASan + UBSan
#   make bench            benchmarks, printed as ratios against a baseline
#   make fuzz             build the libFuzzer targets with clang and run each briefly
SANITIZE ?= 0
JOBS ?= $(shell nproc)
ifeq ($(SANITIZE),1)
BUILD ?= build-san
CMAKE_FLAGS += -DDTW_SANITIZE=ON
else
BUILD ?= build
endif
DEMO_ARGS ?=
FUZZ_SECONDS ?= 60
CTEST_ARGS ?=

.PHONY: all deps configure build demo check bench fuzz clean

all: build

deps:
	@scripts/install-deps.sh

configure: deps
	@cmake -S . -B $(BUILD) $(CMAKE_FLAGS) > $(BUILD).configure.log 2>&1 || { cat $(BUILD).configure.log; exit 1; }

build: configure
	@cmake --build $(BUILD) -j $(JOBS)

demo: build
	$(BUILD)/apps/dtwin/dtwin demo $(DEMO_ARGS)

check: build
	cd $(BUILD) && ctest --output-on-failure -j 2 $(CTEST_ARGS)

bench: build
	@scripts/bench.sh $(BUILD)

fuzz: deps
	@scripts/fuzz.sh $(FUZZ_SECONDS)

clean:
	rm -rf build build-san build-fuzz build*.configure.log

# Regenerate the files derived from the parameter tables (a test checks they match).
.PHONY: config-files
config-files: build
	$(BUILD)/apps/dtwin/dtwin config dump > config/dtwin.yaml
	$(BUILD)/apps/dtwin/dtwin config docs > docs/config.md
