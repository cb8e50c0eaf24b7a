#!/usr/bin/env bash
# expect_error.sh PATTERN -- COMMAND...
# Passes when COMMAND exits non-zero, prints exactly one line on stderr, and
# that line matches PATTERN (grep -E): the contract for every bad input.
set -u
pattern=$1; shift; [[ $1 == -- ]] && shift
err=$("$@" 2>&1 >/dev/null); rc=$?
lines=$(printf '%s\n' "$err" | grep -c .)
if [[ $rc -eq 0 ]]; then echo "FAIL: exit code 0 for: $*"; exit 1; fi
if [[ $lines -ne 1 ]]; then echo "FAIL: $lines lines on stderr (want 1):"; printf '%s\n' "$err"; exit 1; fi
if ! grep -qE -- "$pattern" <<<"$err"; then echo "FAIL: stderr '$err' does not match '$pattern'"; exit 1; fi
echo "ok (exit $rc): $err"
