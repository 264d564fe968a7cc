# The two commands of the README, and what they need.
#
#   make demo   build cvfs and show the demo volumes from conf/demo being
#               initialised, opened, written, closed and reopened (on this
#               machine when its kernel has device-mapper, otherwise in a VM)
#   make test   build with warnings as errors and run every test and the
#               benchmarks (figures printed), then the unit tests again under
#               AddressSanitizer + UBSan, each fuzzer briefly before those
#   make fuzz   each libFuzzer target (tests/fuzz) for FUZZ_SECONDS, with its
#               executions and coverage
#   make deb    the Debian packages (packaging/debian) in $(BUILD)/deb
#   make rpm    the RPM packages (packaging/cvfs.spec), split, linted and
#               installed plugin by plugin into a scratch root, in $(BUILD)/rpm
#   make install  build for PREFIX (/usr/local) and install under DESTDIR; the
#               configuration goes to SYSCONFDIR/cvfs (/etc/cvfs), where cvfs
#               reads it whatever the prefix
#
# Both install the Debian packages they need when they are missing.

MAKEFLAGS  += --no-print-directory
BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc)
FUZZ_BUILD ?= build-fuzz
# Seconds per fuzzer: `make fuzz` (long) and the short run inside `make test`.
FUZZ_SECONDS    ?= 600
FUZZ_CI_SECONDS ?= 15

BUILD_PACKAGES := cmake g++ make pkg-config libboost-dev libboost-program-options-dev \
	libcryptsetup-dev libblkid-dev libssl-dev libtomlplusplus-dev catch2 \
	cryptsetup-bin e2fsprogs xfsprogs dosfstools util-linux \
	libtss2-dev swtpm swtpm-tools tpm2-tools gdb libgrpc++-dev libprotobuf-dev protobuf-compiler \
	protobuf-compiler-grpc gdisk fdisk systemd rpm rpmlint abi-compliance-checker abi-dumper \
	clang libclang-rt-14-dev nlohmann-json3-dev libext2fs-dev libmount-dev debhelper lintian

# make install: the usual variables. Every destination is DESTDIR + PREFIX,
# except the configuration folder (DESTDIR + SYSCONFDIR/cvfs).
PREFIX     ?= /usr/local
SYSCONFDIR ?= /etc
DESTDIR    ?=

# make deb: the packages are made from a build folder configured the Debian
# way (the options packaging/debian/rules prints, dpkg-buildflags' hardening
# flags), built once here and installed by dh from there (CVFS_PREBUILT), in a
# copy of the sources with packaging/debian as debian/.
DEB_BUILD ?= $(BUILD)/deb/build
DEB_OUT   ?= $(BUILD)/deb
DEB_CCACHE := $(if $(shell command -v ccache),-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)

.PHONY: all deps build demo test bench stress test-asan fuzz fuzz-build fuzz-smoke install deb deb-packages rpm clean

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
	$(MAKE) fuzz-smoke
	$(MAKE) test-asan

# The benchmarks print figures (they assert no time): shown in full.
bench: build
	ctest --test-dir $(BUILD) --output-on-failure -L bench --verbose

# The full concurrency stress: 20 rounds of `open --all` / `close --all` of 16
# volumes in the VM rig (make test runs 2; each round takes tens of seconds under TCG).
STRESS_ROUNDS ?= 20
stress: build
	ctest --test-dir $(BUILD) --output-on-failure -R '^vm: prepare$$'
	bash tests/vm/run.sh --mem 2048 --timeout 7200 $(BUILD)/vm-cache \
		tests/vm/scenarios/concurrency.sh $(abspath $(BUILD)) parallel_rounds $(STRESS_ROUNDS)

test-asan: deps
	cmake -S . -B $(ASAN_BUILD) -DCVFS_WERROR=ON -DCVFS_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	ctest --test-dir $(ASAN_BUILD) --output-on-failure -j $(JOBS) -L unit

# The fuzzers: clang with libFuzzer, ASan and UBSan, only the targets they need.
fuzz-build: deps
	cmake -S . -B $(FUZZ_BUILD) -DCVFS_WERROR=ON -DCVFS_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DCVFS_FUZZ_SECONDS=$(FUZZ_CI_SECONDS)
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target cvfs_fuzzers

# A short fixed budget per fuzzer on its corpus, one ctest test each; fails on any crash.
fuzz-smoke: fuzz-build
	ctest --test-dir $(FUZZ_BUILD) --output-on-failure -L fuzz

fuzz: fuzz-build
	bash tests/fuzz/run.sh --budget $(FUZZ_SECONDS) --build $(FUZZ_BUILD)

install: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DCMAKE_INSTALL_PREFIX=$(PREFIX) -DCMAKE_INSTALL_SYSCONFDIR=$(SYSCONFDIR)
	cmake --build $(BUILD) -j $(JOBS)
	DESTDIR=$(DESTDIR) cmake --install $(BUILD)

deb: deps deb-packages

deb-packages:
	@mkdir -p $(DEB_OUT)
	eval "$$(DEB_BUILD_MAINT_OPTIONS=hardening=+all dpkg-buildflags --export=sh)"; \
	cmake -S . -B $(DEB_BUILD) -DCMAKE_BUILD_TYPE=None $(DEB_CCACHE) \
		$$($(MAKE) -s -f packaging/debian/rules print-cmake-options)
	cmake --build $(DEB_BUILD) -j $(JOBS)
	rm -rf $(DEB_OUT)/src $(DEB_OUT)/*.deb $(DEB_OUT)/*.changes $(DEB_OUT)/*.buildinfo
	mkdir -p $(DEB_OUT)/src/cvfs
	tar -c --exclude-vcs --exclude='./build*' --exclude=./packaging/debian . | tar -x -C $(DEB_OUT)/src/cvfs
	cp -r packaging/debian $(DEB_OUT)/src/cvfs/debian
	cd $(DEB_OUT)/src/cvfs && CVFS_PREBUILT=$(abspath $(DEB_BUILD)) dpkg-buildpackage -b -us -uc -d
	mv $(DEB_OUT)/src/*.deb $(DEB_OUT)/src/*.changes $(DEB_OUT)/src/*.buildinfo $(DEB_OUT)/
	lintian --fail-on error,warning $(DEB_OUT)/*.changes

rpm: deps
	CVFS_SOURCE_DIR=$(CURDIR) bash tests/packaging/rpm_packages_check.sh $(abspath $(BUILD))/rpm

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
