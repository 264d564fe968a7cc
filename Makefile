# The two commands of the README, and what they need.
#
#   make demo   build cvfs and show the demo volumes from conf/demo being
#               initialised, opened, written, closed and reopened (on this
#               machine when its kernel has device-mapper, otherwise in a VM)
#   make test   build with warnings as errors and run every test and the
#               benchmarks (figures printed), then the unit tests again under
#               AddressSanitizer + UBSan
#
# Both install the Debian packages they need when they are missing.

MAKEFLAGS  += --no-print-directory
BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc)

BUILD_PACKAGES := cmake g++ make pkg-config libboost-dev libboost-program-options-dev \
	libcryptsetup-dev libblkid-dev libssl-dev libtomlplusplus-dev catch2 \
	cryptsetup-bin e2fsprogs xfsprogs dosfstools util-linux \
	libtss2-dev swtpm swtpm-tools libgrpc++-dev libprotobuf-dev protobuf-compiler \
	protobuf-compiler-grpc gdisk systemd rpm rpmlint abi-compliance-checker abi-dumper

.PHONY: all deps build demo test bench test-asan clean

all: build

deps:
	@missing=$$(for p in $(BUILD_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; \
	done); \
	if [ -n "$$missing" ]; then \
		echo "installing: $$missing"; \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; \
	fi

build: deps
	cmake -S . -B $(BUILD) -DCVFS_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build $(BUILD) -j $(JOBS)

demo: build
	bash tests/vm/demo.sh $(BUILD)

test: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS) -LE bench
	$(MAKE) bench
	$(MAKE) test-asan

# The benchmarks print figures (they assert no time): shown in full.
bench: build
	ctest --test-dir $(BUILD) --output-on-failure -L bench --verbose

test-asan: deps
	cmake -S . -B $(ASAN_BUILD) -DCVFS_WERROR=ON -DCVFS_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	ctest --test-dir $(ASAN_BUILD) --output-on-failure -j $(JOBS) -L unit

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
