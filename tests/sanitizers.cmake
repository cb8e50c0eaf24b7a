# Included by CTest (TEST_INCLUDE_FILES) in a CDCNN_SANITIZE build: the
# sanitizer options every test runs with, unless the caller set its own.
#  - Open MPI and its components (PMIx, hwloc, libevent) keep allocations
#    until exit on purpose: tests/lsan.supp suppresses leaks that only they
#    allocate, so leaks of cdcnn's own code still fail MPI tests.
#  - Any UBSan report prints its stack (and aborts: -fno-sanitize-recover).
if(NOT DEFINED ENV{LSAN_OPTIONS})
  set(ENV{LSAN_OPTIONS} "suppressions=${CMAKE_CURRENT_LIST_DIR}/lsan.supp:print_suppressions=0")
endif()
if(NOT DEFINED ENV{UBSAN_OPTIONS})
  set(ENV{UBSAN_OPTIONS} "print_stacktrace=1")
endif()
