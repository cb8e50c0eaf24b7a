# The two commands of README: `make demo` and `make test`. Each installs the
# Debian packages it needs (quick when they are there), configures, builds
# and runs. BUILD and JOBS can be overridden: make test BUILD=build-debug.
BUILD ?= build
JOBS ?= 2
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=Release

.PHONY: deps configure build demo test test-asan bench clean

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

bench: build
	bash benchmarks/run.sh $(BUILD)

# Every figure of experiments/results/ from the committed suites (about 23
# min on 2 cores; experiments/results/README.md). FRESH=1 measures anew.
.PHONY: figures
figures: configure
	bash experiments/regenerate.sh $(if $(FRESH),--fresh) $(BUILD)

clean:
	rm -rf $(BUILD) $(BUILD).configure.log $(ASAN_BUILD) $(ASAN_BUILD).configure.log
