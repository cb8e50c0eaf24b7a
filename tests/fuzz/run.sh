#!/usr/bin/env bash
# Runs one libFuzzer target for a bounded time and sorts what it found:
#   tests/fuzz/run.sh TARGET SECONDS [BUILD]
# TARGET: model_file, model_h5, coded_file, model_layers, plan, spec or suite. BUILD (default
# build-fuzz) is configured with clang and CDCNN_FUZZ=ON if it is not yet.
# The committed seeds (tests/fuzz/corpus/TARGET) are copied into a working
# corpus (BUILD/fuzz-corpus/TARGET) that grows from run to run. libFuzzer
# runs in fork mode and goes on after a crash, timeout (25 s: certifying an
# mds code may take 1 s in a release build, 11 s here) or
# out-of-memory input (2 GB): each is written to BUILD/fuzz-artifacts/TARGET/
# and, at the end, re-run once to print where it failed — in cdcnn's code, or
# inside libhdf5 (whose parser of corrupt files cdcnn cannot fix; README.md).
# SECONDS 0 only lists the artifacts. Extra libFuzzer flags: FUZZ_FLAGS="...".
set -euo pipefail
usage() { echo "usage: tests/fuzz/run.sh TARGET SECONDS [BUILD]  (TARGET: model_file model_h5 coded_file model_layers plan spec suite)" >&2; exit 2; }
[[ $# -ge 2 ]] || usage
target=$1 seconds=$2
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build="${3:-$root/build-fuzz}"
case "$target" in model_file|model_h5|coded_file|model_layers|plan|spec|suite) ;; *) usage ;; esac
[[ "$seconds" =~ ^[0-9]+$ ]] || usage

if [[ ! -f "$build/CMakeCache.txt" ]]; then
  CC=clang CXX=clang++ cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCDCNN_FUZZ=ON \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" \
    -DCDCNN_BUILD_TESTS=OFF -DCDCNN_BUILD_BENCHMARKS=OFF >"$build.configure.log" 2>&1 \
    || { cat "$build.configure.log"; exit 1; }
fi
cmake --build "$build" -j"${JOBS:-2}" --target "fuzz_$target"

binary="$build/tests/fuzz/fuzz_$target"
corpus="$build/fuzz-corpus/$target"
artifacts="$build/fuzz-artifacts/$target"
mkdir -p "$corpus" "$artifacts"
cp -n "$here/corpus/$target"/* "$corpus/" 2>/dev/null || true
dict=()
[[ -f "$here/$target.dict" ]] && dict=(-dict="$here/$target.dict")

# The targets' scratch files (inputs that must be files) go to a directory of
# this run, removed at the end whatever happened to the processes that wrote them.
scratch=$(mktemp -d /dev/shm/cdcnn-fuzz.XXXXXX 2>/dev/null || mktemp -d)
trap 'rm -rf "$scratch"' EXIT
export CDCNN_FUZZ_SCRATCH="$scratch"

# Leaks are checked per input (libFuzzer's default) but for HDF5's own
# (lsan.supp); UBSan aborts on any report (-fno-sanitize-recover).
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1}"
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$here/lsan.supp:print_suppressions=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}"
log="$build/fuzz-$target.log"
before=$(ls "$artifacts" | wc -l)
status=0
if ((seconds > 0)); then  # SECONDS 0: only list the artifacts of earlier runs
set +e
# shellcheck disable=SC2086
"$binary" -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 -max_total_time="$seconds" -timeout=25 \
  -rss_limit_mb=2048 -artifact_prefix="$artifacts/" "${dict[@]}" ${FUZZ_FLAGS:-} "$corpus" >"$log" 2>&1
status=$?
set -e
grep -E '^#[0-9]+' "$log" | tail -3
# Fork mode's progress lines: "#EXECUTIONS: cov: ... oom/timeout/crash: O/T/C time: ...".
runs=$(grep -oE '^#[0-9]+' "$log" | tail -1 | tr -d '#')
after=$(ls "$artifacts" | wc -l)
echo "fuzz $target: ${runs:-0} executions in $seconds s, exit $status, corpus $(ls "$corpus" | wc -l) inputs," \
     "$((after - before)) new artifacts ($after in $artifacts)"
fi

# Where each artifact fails: the first stack frame outside the sanitizers and libc.
for a in "$artifacts"/*; do
  [[ -f "$a" ]] || continue
  out=$(timeout 60 "$binary" -timeout=25 -rss_limit_mb=2048 "$a" 2>&1 || true)
  kind=$(grep -oE 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer): [A-Za-z-]+( on [a-z]+ address)?|runtime error: .*|fuzz: .*' <<<"$out" | head -1 || true)
  frame=$(grep -E '^ +#[0-9]+ ' <<<"$out" | grep -vE '__sanitizer|__asan|__interceptor|__lsan|__ubsan|fuzzer::|libc\.so|abort|raise|pthread_kill|malloc|calloc|realloc|operator new|check_error_message' \
          | head -1 | sed -E 's/^ +#[0-9]+ 0x[0-9a-f]+ +(in )?//; s/ \(BuildId.*//; s/\(anonymous namespace\):://g' | cut -c1-150 || true)
  where="cdcnn"
  grep -q 'libhdf5' <<<"$frame" && where="libhdf5"
  [[ -z "$kind" ]] && { kind="no longer fails"; where="-"; }
  echo "  $(basename "$a"): [$where] ${kind} at ${frame:-?}"
done
exit "$status"
