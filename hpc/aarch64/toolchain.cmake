# CMake toolchain for the aarch64 (Raspberry Pi, arm64) cross build of
# `make test-aarch64`: Debian's cross compiler (crossbuild-essential-arm64)
# against the arm64 root of hpc/aarch64/make-sysroot.sh, every test run
# under qemu-aarch64 in that root.
#   cmake -S . -B build-aarch64 -DCMAKE_TOOLCHAIN_FILE=hpc/aarch64/toolchain.cmake \
#     [-DCDCNN_AARCH64_SYSROOT=/var/cache/cdcnn-aarch64-sysroot]
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(CDCNN_AARCH64_SYSROOT /var/cache/cdcnn-aarch64-sysroot CACHE PATH
    "arm64 Debian root with cdcnn's dependencies (hpc/aarch64/make-sysroot.sh)")
# try_compile's inner projects read this file again: they need the root too.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES CDCNN_AARCH64_SYSROOT)
if(NOT EXISTS ${CDCNN_AARCH64_SYSROOT}/usr/include/aarch64-linux-gnu)
  message(FATAL_ERROR "CDCNN_AARCH64_SYSROOT=${CDCNN_AARCH64_SYSROOT} is not an arm64 root: make it with hpc/aarch64/make-sysroot.sh")
endif()
set(CMAKE_SYSROOT ${CDCNN_AARCH64_SYSROOT})

set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)

# Headers, libraries and CMake packages from the root only; programs (the
# build's tools) from this machine.
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
# pkg-config (stb) reads the root's .pc files and prefixes their paths with it.
set(ENV{PKG_CONFIG_LIBDIR} ${CMAKE_SYSROOT}/usr/lib/aarch64-linux-gnu/pkgconfig:${CMAKE_SYSROOT}/usr/share/pkgconfig)
set(ENV{PKG_CONFIG_SYSROOT_DIR} ${CMAKE_SYSROOT})

# CTest runs the test programs (and gtest_discover_tests lists their tests)
# through this; -L makes the root's /lib/ld-linux-aarch64.so.1 and shared
# libraries those of the emulated program.
find_program(CDCNN_QEMU_AARCH64 NAMES qemu-aarch64-static qemu-aarch64 REQUIRED)
set(CMAKE_CROSSCOMPILING_EMULATOR ${CDCNN_QEMU_AARCH64} -L ${CMAKE_SYSROOT})

# FindMPI would ask this machine's mpicxx, which answers with amd64 paths;
# without it, FindMPI reads the root's mpi-cxx.pc through pkg-config.
set(MPI_SKIP_COMPILER_WRAPPER ON)
# FindHDF5 likewise: this machine's h5cc would name amd64 paths. A wrapper
# that fails makes FindHDF5 search the root (include/hdf5/serial, ...).
set(HDF5_C_COMPILER_EXECUTABLE /bin/false)
# The root's own mpiexec, run under the emulator like the ranks it starts
# (tests/CMakeLists.txt, cdcnn_add_mpi_tests).
set(MPIEXEC_EXECUTABLE ${CMAKE_SYSROOT}/usr/bin/mpiexec)
