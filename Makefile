# The front door. Every target installs what it needs first (make deps).
#   make deps    Debian packages the project needs (only the missing ones)
#   make build   release build (RelWithDebInfo) in build/
#   make test    deps + build + the whole ctest suite, then the unit and integration
#                tests again under ASan+UBSan (the e2e scripts drive release binaries)
#   make demo    an appliance under ./var/demo, an enrolled agent, backup, incremental, restore
#   make demo-local  cairnctl on a store folder: backup, incremental, verify, restore, bit rot
#   make package  cairn-appliance and cairn-agent .debs in $(BUILD)/packages/ (packaging/)
#   make image   the bootable GPT disk image in $(IMAGE_OUT)/ from those packages (image/)
#   make fuzz    libFuzzer targets (clang, ASan+UBSan) in build-fuzz-clang/, each run FUZZ_SECONDS
#   make bench   cairn vs restic vs borg on the seeded ~2 GiB dataset; agent vs local; ingest load;
#                replication to S3 and to a second appliance vs restic->S3 and borg+rclone
JOBS ?= 2
BUILD ?= build
ASAN_BUILD ?= build-asan
CTEST_TIMEOUT ?= 900
FUZZ_BUILD ?= build-fuzz-clang
FUZZ_SECONDS ?= 60
IMAGE_OUT ?= $(BUILD)/image

.PHONY: deps build package image test test-release test-asan fuzz demo demo-local bench clean format

deps:
	bash scripts/deps.sh

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

$(ASAN_BUILD)/build.ninja:
	cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCAIRN_SANITIZE=ON

test-release: build
	cd $(BUILD) && ctest --output-on-failure --timeout $(CTEST_TIMEOUT) -j $(JOBS)

test-asan: deps $(ASAN_BUILD)/build.ninja
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --output-on-failure --timeout $(CTEST_TIMEOUT) -j $(JOBS) -LE e2e

test: test-release test-asan

package: build
	cmake --build $(BUILD) --target package

# Needs root (mmdebstrap); prints the build time and the image size.
image: package
	bash image/build-image.sh $(IMAGE_OUT) $(BUILD)/packages

# Fails if any target crashes; inputs in $(FUZZ_BUILD)/fuzz-artifacts/ (tests/fuzz/README.md).
fuzz: deps
	FUZZ_SECONDS=$(FUZZ_SECONDS) JOBS=$(JOBS) bash scripts/fuzz.sh $(FUZZ_BUILD)

demo: build
	bash scripts/demo.sh $(BUILD)

demo-local: build
	bash scripts/demo-local.sh $(BUILD)/appliance/ctl/cairnctl

bench: build
	python3 bench/run_bench.py --cairnctl $(BUILD)/appliance/ctl/cairnctl
	python3 bench/appliance_bench.py --build $(BUILD)
	python3 bench/replication_bench.py --build $(BUILD)

format:
	find core appliance tests bench -name '*.h' -o -name '*.cc' | xargs clang-format -i

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
