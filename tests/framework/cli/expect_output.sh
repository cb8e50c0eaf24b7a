#!/usr/bin/env bash
# expect_output.sh PATTERN -- COMMAND...
# Passes when COMMAND exits 0 and its output (stdout and stderr as one text,
# so `.` spans lines) matches PATTERN (grep -E). CTest's
# PASS_REGULAR_EXPRESSION alone would ignore the exit status.
set -u
pattern=$1; shift; [[ $1 == -- ]] && shift
# grep takes a newline in a pattern as "or" (one pattern per line), which
# would let any single line of it pass: a newline must match a newline.
pattern=${pattern//$'\n'/[[:cntrl:]]}
out=$("$@" 2>&1); rc=$?
printf '%s\n' "$out"
if [[ $rc -ne 0 ]]; then echo "FAIL: exit code $rc for: $*"; exit 1; fi
if ! printf '%s' "$out" | grep -qzE -- "$pattern"; then echo "FAIL: the output does not match '$pattern'"; exit 1; fi
echo "ok (exit 0, output matches)"
