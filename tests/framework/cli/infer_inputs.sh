#!/usr/bin/env bash
# cdcnn infer with --input: a .npy saved by one run reproduces its output; a
# binary PPM image feeds a 1-channel model after resizing.
set -euo pipefail
cdcnn=$1
"$cdcnn" infer --model mlp --seed 3 --repeat 1 --save-input x.npy --save-output y1.npy > run1.txt
"$cdcnn" infer --model mlp --seed 3 --repeat 1 --input x.npy --save-output y2.npy > run2.txt
cmp y1.npy y2.npy || { echo "outputs differ for the same saved input"; exit 1; }
grep -q "top-5:" run2.txt
{ printf 'P6\n4 4\n255\n'; head -c 48 /dev/zero | tr '\0' '\200'; } > grey.ppm
"$cdcnn" infer --model fmnist-cnn --input grey.ppm --repeat 1 | grep -q "top-5:"
echo ok
