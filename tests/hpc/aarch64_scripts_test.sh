#!/usr/bin/env bash
# Checks the scripts of `make test-aarch64` without a network or an arm64
# root: stand-ins for mmdebstrap, dpkg-query and apt-get record what they
# were given.
#   bash tests/hpc/aarch64_scripts_test.sh   # prints "ok: N checks" or the first failure, exit 1
# - hpc/aarch64/make-sysroot.sh asks mmdebstrap for an arm64 bookworm root
#   of the "extract" variant (no arm64 code runs: no binfmt_misc needed) with
#   the -dev packages; rewrites the root's absolute links to relative ones
#   (dev/ excepted); makes the links update-alternatives would have made;
#   a second call with the same package list reuses the root; a changed list
#   remakes it; a failed mmdebstrap leaves the old root in place.
# - hpc/install-deps.sh --aarch64 installs the cross toolchain, qemu-user and
#   mmdebstrap, not the whole project's packages; an unknown option is refused.
set -euo pipefail
hpc=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../hpc" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
checks=0
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { checks=$((checks + 1)); }
# has FILE TEXT: TEXT is in FILE; lacks: it is not.
has() { [[ $(cat "$1") == *"$2"* ]] || fail "$1 lacks '$2':"$'\n'"$(cat "$1")"; ok; }
lacks() { [[ $(cat "$1") != *"$2"* ]] || fail "$1 has '$2':"$'\n'"$(cat "$1")"; ok; }
# link_is LINK TARGET: LINK is a symbolic link whose text is TARGET.
link_is() { [[ -L $1 && $(readlink "$1") == "$2" ]] || fail "$1 -> '$(readlink "$1" || true)', expected '$2'"; ok; }

mkdir "$tmp/bin"
# mmdebstrap: records its arguments, unpacks a tiny root with Debian's kinds
# of links into its target (the argument after the suite), or fails if asked.
cat >"$tmp/bin/mmdebstrap" <<EOF
#!/bin/bash
set -e
printf '%s\n' "\$@" >"$tmp/mmdebstrap.args"
[[ -e $tmp/mmdebstrap.fails ]] && exit 1
while [[ \$1 != bookworm ]]; do shift; done
r=\$2
mkdir -p "\$r"/lib/aarch64-linux-gnu "\$r"/usr/lib/aarch64-linux-gnu/pkgconfig "\$r"/usr/lib/aarch64-linux-gnu/openmpi/include \
  "\$r"/usr/include/aarch64-linux-gnu "\$r"/usr/bin "\$r"/dev
echo libz >"\$r"/lib/aarch64-linux-gnu/libz.so.1
ln -s /lib/aarch64-linux-gnu/libz.so.1 "\$r"/usr/lib/aarch64-linux-gnu/libz.so
ln -s /proc/self/fd/0 "\$r"/dev/stdin
echo mpi >"\$r"/usr/lib/aarch64-linux-gnu/openmpi/include/mpi.h
EOF
# dpkg-query: nothing is installed; apt-get: records what it is asked to install.
printf '#!/bin/sh\nexit 1\n' >"$tmp/bin/dpkg-query"
printf '#!/bin/sh\n[ "$1" = install ] && echo "$@" >"%s/apt.args"\nexit 0\n' "$tmp" >"$tmp/bin/apt-get"
printf '#!/bin/sh\nexec "$@"\n' >"$tmp/bin/sudo"
chmod +x "$tmp/bin/"*
export PATH=$tmp/bin:$PATH

root=$tmp/cache/root
out=$(bash "$hpc/aarch64/make-sysroot.sh" "$root" 2>/dev/null)
[[ $out == "$root" ]] || fail "make-sysroot printed '$out', expected '$root'"; ok
a=$tmp/mmdebstrap.args
has "$a" "--variant=extract"
has "$a" "--architectures=arm64"
has "$a" "libopenmpi-dev"
has "$a" "libhdf5-dev"
has "$a" "libgtest-dev"
has "$a" $'bookworm\n'"$root.new"
[[ ! -e $root.new ]] || fail "$root.new left behind"; ok
[[ -s $root/.cdcnn-packages ]] || fail "no $root/.cdcnn-packages"; ok
link_is "$root/usr/lib/aarch64-linux-gnu/libz.so" ../../../lib/aarch64-linux-gnu/libz.so.1
[[ $(cat "$root/usr/lib/aarch64-linux-gnu/libz.so") == libz ]] || fail "libz.so does not reach the root's libz.so.1"; ok
link_is "$root/dev/stdin" /proc/self/fd/0
link_is "$root/usr/include/aarch64-linux-gnu/mpi" ../../lib/aarch64-linux-gnu/openmpi/include
[[ -f $root/usr/include/aarch64-linux-gnu/mpi/mpi.h ]] || fail "the mpi link does not reach openmpi/include"; ok
link_is "$root/usr/lib/aarch64-linux-gnu/pkgconfig/hdf5.pc" hdf5-serial.pc
link_is "$root/usr/bin/mpiexec" mpiexec.openmpi

# Made once: the same list again does not call mmdebstrap.
rm "$a"
bash "$hpc/aarch64/make-sysroot.sh" "$root" >/dev/null 2>&1
[[ ! -e $a ]] || fail "a second call with the root in place ran mmdebstrap again"; ok
# Another package list (an older root): made anew.
echo "an older list" >"$root/.cdcnn-packages"
bash "$hpc/aarch64/make-sysroot.sh" "$root" >/dev/null 2>&1
[[ -e $a ]] || fail "a root of another package list was reused"; ok
# mmdebstrap fails: the script fails and the root in place stays.
echo "an older list" >"$root/.cdcnn-packages"
touch "$tmp/mmdebstrap.fails"
if bash "$hpc/aarch64/make-sysroot.sh" "$root" >/dev/null 2>&1; then fail "make-sysroot succeeded though mmdebstrap failed"; fi; ok
has "$root/.cdcnn-packages" "an older list"

bash "$hpc/install-deps.sh" --aarch64 >/dev/null
has "$tmp/apt.args" "crossbuild-essential-arm64"
has "$tmp/apt.args" "qemu-user-static"
has "$tmp/apt.args" "mmdebstrap"
lacks "$tmp/apt.args" "python3-torch"
if bash "$hpc/install-deps.sh" --arm >/dev/null 2>&1; then fail "install-deps.sh accepted --arm"; fi; ok
echo "ok: $checks checks"
