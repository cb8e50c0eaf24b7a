#!/usr/bin/env bash
# Installs every Debian package cdcnn needs to build, test, export models and
# draw figures. Quick when everything is already there: it asks dpkg first and
# only calls apt-get for what is missing.
#   bash hpc/install-deps.sh            # everything, for this machine's own build
#   bash hpc/install-deps.sh --aarch64  # only what `make test-aarch64` needs:
#       the arm64 cross toolchain, qemu-user and mmdebstrap (the arm64
#       libraries come in a separate root, hpc/aarch64/make-sysroot.sh)
set -euo pipefail

packages=(
  # build
  build-essential cmake pkg-config
  # the sanitizer build of `make test-asan` (CI): clang and its ASan/UBSan runtimes
  clang libclang-rt-dev
  # C++ dependencies
  libopenmpi-dev openmpi-bin
  libeigen3-dev
  libhdf5-dev hdf5-tools
  libboost-program-options-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libstb-dev zlib1g-dev
  # Python side: exporter, golden references, training, figures (never on the inference path)
  python3 python3-numpy python3-h5py python3-matplotlib
  python3-torch python3-torchvision
  # ONNX import (tools/import_onnx.py) and ONNX's own operator tests (tests/tools/)
  python3-onnx libonnx-testdata
  # data
  dataset-fashion-mnist
  # the virtual WiFi cluster (hpc/netns-cluster.sh, the netns test): namespaces,
  # qdiscs, and the NFQUEUE rule of its user-space link emulator
  iproute2 iptables
)

case "${1:-}" in
  "") ;;
  --aarch64)
    packages=(cmake pkg-config crossbuild-essential-arm64 qemu-user-static mmdebstrap debian-archive-keyring) ;;
  *) echo "install-deps: unknown option '$1' (expected none or --aarch64)" >&2; exit 2 ;;
esac

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo=""
if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
