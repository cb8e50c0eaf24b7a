#!/usr/bin/env bash
# Makes (once) the arm64 Debian bookworm root that `make test-aarch64` builds
# against and runs in: cdcnn's C++ dependencies for arm64, unpacked by
# mmdebstrap. Debian's libhdf5-dev cannot be installed for amd64 and arm64
# side by side, hence a separate root rather than multiarch.
#   hpc/aarch64/make-sysroot.sh [DIR]      # default /var/cache/cdcnn-aarch64-sysroot
# Prints DIR. Quick when DIR exists and was made from the same package list
# (DIR/.cdcnn-packages); otherwise (re)made into DIR.new, then moved into
# place, so an interrupted run never leaves a half root behind.
#
# Variant "extract" only unpacks the packages: no maintainer script runs, so
# no arm64 code is executed and binfmt_misc is not needed (it is often absent
# in containers). CDCNN_DEBIAN_MIRROR and CDCNN_DEBIAN_SECURITY name other
# mirrors (deb.debian.org by default). The few links Debian's alternatives would make (mpi.h's
# directory, libmpi.so, hdf5.pc) are made below instead.
set -euo pipefail
dir=${1:-/var/cache/cdcnn-aarch64-sysroot}
mirror=${CDCNN_DEBIAN_MIRROR:-http://deb.debian.org/debian}
security=${CDCNN_DEBIAN_SECURITY:-http://deb.debian.org/debian-security}

# install-deps.sh's C++ dependencies for arm64 (Google Benchmark left out:
# the cross build does not build the benchmarks), openmpi-bin for mpiexec,
# and the C/C++ runtime headers and libraries the cross compiler links with.
packages=(
  libc6-dev libstdc++-12-dev
  libopenmpi-dev openmpi-bin
  libeigen3-dev
  libhdf5-dev
  libboost-program-options-dev
  libgtest-dev libgmock-dev
  libstb-dev zlib1g-dev
)
stamp="bookworm arm64: ${packages[*]}"

if [[ -f $dir/.cdcnn-packages && $(cat "$dir/.cdcnn-packages") == "$stamp" ]]; then
  echo "$dir"
  exit 0
fi

command -v mmdebstrap >/dev/null || { echo "make-sysroot: mmdebstrap missing (bash hpc/install-deps.sh --aarch64)" >&2; exit 1; }
echo "make-sysroot: making $dir (a few minutes, once)" >&2
rm -rf "$dir.new"
list=$(IFS=,; echo "${packages[*]}")
nice mmdebstrap --quiet --variant=extract --architectures=arm64 --include="$list" \
  bookworm "$dir.new" \
  "deb $mirror bookworm main" \
  "deb $mirror bookworm-updates main" \
  "deb $security bookworm-security main" >&2

# What update-alternatives would have linked (libopenmpi-dev, libhdf5-dev).
lib=usr/lib/aarch64-linux-gnu
link() { [[ -e $dir.new/$2 || -L $dir.new/$2 ]] || ln -s "$1" "$dir.new/$2"; }
link /$lib/openmpi/include usr/include/aarch64-linux-gnu/mpi
link /$lib/openmpi/lib/libmpi.so $lib/libmpi.so
link /$lib/pkgconfig/ompi.pc $lib/pkgconfig/mpi.pc
link /$lib/pkgconfig/ompi-c.pc $lib/pkgconfig/mpi-c.pc
link /$lib/pkgconfig/ompi-cxx.pc $lib/pkgconfig/mpi-cxx.pc
link /$lib/pkgconfig/hdf5-serial.pc $lib/pkgconfig/hdf5.pc
link /usr/bin/mpiexec.openmpi usr/bin/mpiexec
link /usr/bin/mpirun.openmpi usr/bin/mpirun

# Debian's packages carry absolute links (libz.so -> /lib/...): the cross
# linker and qemu would follow them into this machine's own /lib. Made
# relative, they stay inside the root wherever it lies (dev/ keeps its
# links to /proc, which are meant for the running system).
while IFS= read -r l; do
  ln -sfnr "$dir.new$(readlink "$l")" "$l"
done < <(find "$dir.new" -path "$dir.new/dev" -prune -o -type l -lname '/*' -print)

echo "$stamp" >"$dir.new/.cdcnn-packages"
rm -rf "$dir"
mv "$dir.new" "$dir"
echo "$dir"
