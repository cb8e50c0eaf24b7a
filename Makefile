# The two commands of README: `make demo` and `make test`. Each installs the
# Debian packages it needs (quick when they are there), configures, builds
# and runs. BUILD and JOBS can be overridden: make test BUILD=build-debug.
BUILD ?= build
JOBS ?= 2
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=Release

.PHONY: deps configure build demo test bench clean

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

bench: build
	bash benchmarks/run.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(BUILD).configure.log
