#!/usr/bin/env python3
"""Reads tests/mutation/mutants.txt and applies one mutant (run.sh calls it).

  mutants.py LIST names               the mutants' names, one per line
  mutants.py LIST get NAME KEY        one field of a mutant ('' if absent)
  mutants.py LIST apply NAME ROOT     puts the mutant into ROOT/<file>; exit 2,
                                      saying why, if its line is not there
                                      exactly once (the code moved on)
"""
import sys

KEYS = ("mutant", "file", "line", "becomes", "build", "tests", "filter")


def read(path):
    mutants, current = [], {}
    for number, raw in enumerate(open(path, encoding="utf-8"), 1):
        text = raw.rstrip("\n")
        if text.startswith("#"):
            continue
        if not text.strip():
            if current:
                mutants.append(current)
            current = {}
            continue
        key, sep, value = text.partition(":")
        if not sep or key not in KEYS:
            sys.exit(f"{path}:{number}: expected one of {', '.join(KEYS)} then ':'")
        current[key] = value.strip()
    if current:
        mutants.append(current)
    for m in mutants:
        missing = [k for k in KEYS[:-1] if k not in m]
        if missing:
            sys.exit(f"{path}: mutant {m.get('mutant', '?')} lacks {', '.join(missing)}")
    return {m["mutant"]: m for m in mutants}


def apply(m, root):
    path = f"{root}/{m['file']}"
    try:
        lines = open(path, encoding="utf-8").read().split("\n")
    except OSError as e:
        print(f"mutant {m['mutant']} no longer applies: {e}")
        return 2
    hits = [i for i, l in enumerate(lines) if l.strip() == m["line"]]
    if len(hits) != 1:
        print(f"mutant {m['mutant']} no longer applies: {m['file']} has {len(hits)} lines reading "
              f"'{m['line']}' (want exactly 1); re-target it in tests/mutation/mutants.txt")
        return 2
    i = hits[0]
    indent = lines[i][: len(lines[i]) - len(lines[i].lstrip())]
    lines[i] = indent + m["becomes"]
    open(path, "w", encoding="utf-8").write("\n".join(lines))
    print(f"{m['file']}:{i + 1}: {lines[i].strip()}")
    return 0


def main(argv):
    mutants = read(argv[1])
    command = argv[2]
    if command == "names":
        print("\n".join(mutants))
        return 0
    if argv[3] not in mutants:
        print(f"no mutant named '{argv[3]}' (known: {', '.join(mutants)})")
        return 1
    m = mutants[argv[3]]
    if command == "get":
        print(m.get(argv[4], ""))
        return 0
    if command == "apply":
        return apply(m, argv[4])
    print(__doc__)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
