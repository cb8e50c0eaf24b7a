#!/usr/bin/env bash
# tests/mutation/run.sh BUILD_DIR [NAME...]
# Builds each mutant of tests/mutation/mutants.txt (all, or the NAMEs) in
# place and runs the tests that must kill it: killed if they fail. The source
# file is restored after each mutant, whatever happens (trap), and the build
# directory is rebuilt from the restored sources at the end. A mutant whose
# line is no longer in its file fails loudly ("no longer applies"). Prints a
# table (also in BUILD_DIR/mutation/results.md); exits 0 only if every
# mutant was applied and killed. Slow (minutes per runtime mutant): not in .ci/run.
set -uo pipefail
if [[ $# -lt 1 || ! -d $1 ]]; then echo "usage: $0 BUILD_DIR [NAME...]" >&2; exit 2; fi
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=$(cd "$1" && pwd); shift
list=$here/mutants.txt
mutants() { /usr/bin/python3 "$here/mutants.py" "$list" "$@"; }
out=$build/mutation; mkdir -p "$out"
if [[ $# -gt 0 ]]; then names=("$@"); else mapfile -t names < <(mutants names); fi
for n in "${names[@]}"; do mutants get "$n" mutant > /dev/null || { mutants get "$n" mutant; exit 2; }; done

backup=""; target_file=""
restore() {
  if [[ -n $backup && -f $backup ]]; then
    cp "$backup" "$target_file" && touch "$target_file" && rm -f "$backup"
  fi
  backup=""
}
trap restore EXIT
trap 'restore; exit 130' INT TERM

status=0; touched=()
table="| mutant | tests run | killed? | time |"$'\n'"|---|---|---|---|"
for name in "${names[@]}"; do
  file=$(mutants get "$name" file); tests=$(mutants get "$name" tests)
  filter=$(mutants get "$name" filter); read -r -a targets <<< "$(mutants get "$name" build)"
  shown="\`${tests//|/\\|}\`${filter:+ (\`$filter\`)}"  # a | would end the table cell
  target_file=$root/$file; backup=$target_file.mutation-backup
  [[ -e $backup ]] && { echo "$backup exists: a run was interrupted; restore $file from it first" >&2; exit 2; }
  cp -p "$target_file" "$backup"
  start=$(date +%s)
  if ! mutants apply "$name" "$root"; then
    restore; status=1
    table+=$'\n'"| $name | $shown | **no longer applies** | |"
    continue
  fi
  touched+=("${targets[@]}")
  echo "== $name: building ${targets[*]}"
  if ! cmake --build "$build" -j2 --target "${targets[@]}" > "$out/$name.build.log" 2>&1; then
    restore; status=1
    table+=$'\n'"| $name | $shown | **does not build** ($out/$name.build.log) | |"
    continue
  fi
  echo "== $name: ctest -R '$tests' ${filter:+GTEST_FILTER=$filter}"
  (cd "$build" && env ${filter:+GTEST_FILTER=$filter} ctest -R "$tests" --no-tests=error --output-on-failure \
    > "$out/$name.test.log" 2>&1)
  rc=$?
  restore
  seconds=$(( $(date +%s) - start ))
  if grep -q "No tests were found" "$out/$name.test.log"; then
    verdict="**no tests matched**"; status=1
  elif [[ $rc -ne 0 ]]; then
    mapfile -t failed < <(sed -n 's/^[[:space:]]*[0-9]* - \([^ ]*\) (.*/\1/p' "$out/$name.test.log")
    verdict="killed: ${failed[0]:-a test failed}"
    [[ ${#failed[@]} -gt 1 ]] && verdict+=" and $(( ${#failed[@]} - 1 )) more"
  else
    verdict="**survived**"; status=1
  fi
  echo "== $name: $verdict in ${seconds} s"
  table+=$'\n'"| $name | $shown | $verdict | $((seconds / 60)) min $((seconds % 60)) s |"
done
trap - EXIT
if [[ ${#touched[@]} -gt 0 ]]; then
  echo "== rebuilding from the restored sources"
  mapfile -t unique < <(printf '%s\n' "${touched[@]}" | sort -u)
  cmake --build "$build" -j2 --target "${unique[@]}" > "$out/restore.build.log" 2>&1 || { echo "rebuild failed: $out/restore.build.log"; status=1; }
fi
printf '%s\n' "$table" | tee "$out/results.md"
exit $status
