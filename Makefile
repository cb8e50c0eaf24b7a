# The two commands of README: `make demo` and `make test`. Each installs the
# Debian packages it needs (quick when they are there), configures, builds
# and runs. BUILD and JOBS can be overridden: make test BUILD=build-debug.
BUILD ?= build
JOBS ?= 2
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=Release

.PHONY: deps configure build demo test test-asan test-aarch64 bench clean

deps:
	@bash hpc/install-deps.sh

configure: deps
	@cmake -S . -B $(BUILD) $(CMAKE_FLAGS) > $(BUILD).configure.log 2>&1 || (cat $(BUILD).configure.log; exit 1)

build: configure
	@cmake --build $(BUILD) -j$(JOBS)

demo: build
	bash experiments/demo.sh $(BUILD)

test: build
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS)

# The unit tests again in a second build, with AddressSanitizer and
# UndefinedBehaviorSanitizer (CDCNN_SANITIZE; tests/README.md), built by clang
# at -O1 with line tables: 5 min from scratch on 2 cores against 11 min with
# GCC at the same flags (and a second compiler's view of the code). Only the
# unit tests are built; `cmake --build build-asan && cd build-asan && ctest -L
# mpi` adds the MPI tests (tests/sanitizers.cmake, tests/lsan.supp).
ASAN_BUILD ?= build-asan
ASAN_CMAKE_FLAGS ?= -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" \
  -DCDCNN_SANITIZE=ON -DCDCNN_BUILD_BENCHMARKS=OFF
test-asan: deps
	@cmake -S . -B $(ASAN_BUILD) $(ASAN_CMAKE_FLAGS) > $(ASAN_BUILD).configure.log 2>&1 \
	  || (cat $(ASAN_BUILD).configure.log; exit 1)
	@cmake --build $(ASAN_BUILD) -j$(JOBS) --target unit_tests
	cd $(ASAN_BUILD) && ctest -L unit --output-on-failure -j$(JOBS)

# The aarch64 (Raspberry Pi) build, cross-compiled on this machine with
# Debian's arm64 cross compiler against an arm64 Debian root kept outside the
# build tree (hpc/aarch64/make-sysroot.sh: made once, 30 s to a few minutes),
# then the unit tests and one small MPI test (3 ranks) run under qemu-user.
# Timings and the Pi's own build: hpc/README.md, "The aarch64 build".
AARCH64_BUILD ?= build-aarch64
AARCH64_SYSROOT ?= /var/cache/cdcnn-aarch64-sysroot
AARCH64_CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=Release -DCDCNN_NATIVE=OFF -DCDCNN_BUILD_BENCHMARKS=OFF
test-aarch64:
	@bash hpc/install-deps.sh --aarch64
	@bash hpc/aarch64/make-sysroot.sh $(AARCH64_SYSROOT) >/dev/null
	@cmake -S . -B $(AARCH64_BUILD) -DCMAKE_TOOLCHAIN_FILE=$(CURDIR)/hpc/aarch64/toolchain.cmake \
	  -DCDCNN_AARCH64_SYSROOT=$(AARCH64_SYSROOT) $(AARCH64_CMAKE_FLAGS) > $(AARCH64_BUILD).configure.log 2>&1 \
	  || (cat $(AARCH64_BUILD).configure.log; exit 1)
	@cmake --build $(AARCH64_BUILD) -j$(JOBS) --target unit_tests mpi_tests
	cd $(AARCH64_BUILD) && ctest -L unit --output-on-failure -j$(JOBS)
	cd $(AARCH64_BUILD) && ctest -R '^mpi_tests\.np3$$' --output-on-failure

bench: build
	bash benchmarks/run.sh $(BUILD)

# Every figure of experiments/results/ from the committed suites (about 23
# min on 2 cores; experiments/results/README.md). FRESH=1 measures anew.
.PHONY: figures
figures: configure
	bash experiments/regenerate.sh $(if $(FRESH),--fresh) $(BUILD)

clean:
	rm -rf $(BUILD) $(BUILD).configure.log $(ASAN_BUILD) $(ASAN_BUILD).configure.log \
	  $(AARCH64_BUILD) $(AARCH64_BUILD).configure.log
