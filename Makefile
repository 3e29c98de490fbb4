# dtwin - top-level entry points. Each target installs missing Debian packages
# first (scripts/install-deps.sh), then configures and builds with CMake.
#   make demo             build and run the demo twin system, dtwin up (Ctrl-C to stop)
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
	@scripts/web-deps.sh || echo "make: the page's libraries (web/, npm ci) are missing: the viewer serves no page"

# The whole twin system: robot emulator, twin, sync, monitor, bridge (dtwin up).
# Try a fault: make demo DEMO_ARGS="--lock-joint left_knee@5"
demo: build
	$(BUILD)/apps/dtwin/dtwin up $(DEMO_ARGS)

check: build
	cd $(BUILD) && ctest --output-on-failure -j 2 $(CTEST_ARGS)

bench: build
	@scripts/bench.sh $(BUILD)

fuzz: deps
	@scripts/fuzz.sh $(FUZZ_SECONDS)

clean:
	rm -rf build build-san build-fuzz build*.configure.log

# Regenerate the files derived from the parameter tables (a test checks they match).
# Static checks of the scripts, YAML and alert rules (the workflow's lint job
# runs this target; tests/integration/test_lint.sh runs it in make check).
.PHONY: lint
lint:
	shellcheck -x $$(git ls-files '*.sh' 2>/dev/null || ls scripts/*.sh deploy/k8s/*.sh tests/integration/*.sh) .ci/run
	yamllint -d relaxed deploy .github
	promtool check rules deploy/monitoring/rules/*.yml
	promtool test rules deploy/monitoring/tests/*.yml

.PHONY: config-files
config-files: build
	$(BUILD)/apps/dtwin/dtwin config dump > config/dtwin.yaml
	$(BUILD)/apps/dtwin/dtwin config docs > docs/config.md
	{ sed '/^<!-- BEGIN generated: dtwin config docs controllers/,$$d' docs/controllers.md; \
	  $(BUILD)/apps/dtwin/dtwin config docs controllers; \
	  sed '1,/^<!-- END generated: dtwin config docs controllers/d' docs/controllers.md; } > docs/controllers.md.new
	mv docs/controllers.md.new docs/controllers.md

# Container image (deploy/Containerfile) built with podman from the local Debian
# base (scripts/make-base-image.sh). Rebuilt only when the sources that go into it
# change: the image carries the label io.dtwin.source-hash and the tag src-<hash>.
#   make image                 -> $(IMAGE):src-<hash> and $(IMAGE):dev
#   make deploy-local          -> scripts/deploy.sh --target local (podman kube play)
IMAGE ?= localhost/dtwin
BASE_IMAGE ?= localhost/debian:bookworm
IMAGE_INPUTS = CMakeLists.txt cmake idl include src apps models config tests/CMakeLists.txt tests/unit tests/data \
  deploy/Containerfile .containerignore web/index.html web/app.js web/cdr.js web/style.css web/package-lock.json
IMAGE_SOURCE_HASH = $(shell find $(IMAGE_INPUTS) -type f -not -name '*.swp' -print0 2>/dev/null | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)

.PHONY: image image-hash deploy-local
image-hash:
	@echo $(IMAGE_SOURCE_HASH)

# One build at a time on the machine (tests build it in parallel: the second waits,
# then finds the image up to date).
image: deps
	@scripts/make-base-image.sh $(BASE_IMAGE)
	@CONTAINERS_CONF=$${CONTAINERS_CONF:-$(CURDIR)/deploy/podman/containers.conf}; export CONTAINERS_CONF; \
	exec 9>"$${TMPDIR:-/tmp}/dtwin-image.lock" && flock 9; \
	h=$(IMAGE_SOURCE_HASH); \
	if podman image exists $(IMAGE):src-$$h; then \
	  echo "image: $(IMAGE):src-$$h is up to date"; \
	else \
	  echo "image: building $(IMAGE):src-$$h"; start=$$(date +%s); \
	  podman build --network=host --format docker -f deploy/Containerfile \
	    --build-arg BASE_IMAGE=$(BASE_IMAGE) --build-arg DTW_SOURCE_HASH=$$h \
	    --build-arg DTW_VERSION=$$(sed -n 's/^project(dtwin VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt) \
	    --build-arg DTW_REVISION=$$(git rev-parse HEAD 2>/dev/null || echo unknown) \
	    --build-arg DTW_SOURCE_URL=$${DTW_SOURCE_URL:-$$(git config --get remote.origin.url 2>/dev/null || echo unknown)} \
	    -t $(IMAGE):src-$$h . || exit 1; \
	  echo "image: built in $$(( $$(date +%s) - start )) s"; \
	fi; \
	podman tag $(IMAGE):src-$$h $(IMAGE):dev; \
	echo "image: $(IMAGE):src-$$h $$(podman image inspect --format '{{.Size}}' $(IMAGE):src-$$h) bytes"

deploy-local: image
	scripts/deploy.sh --target local --image $(IMAGE):dev
