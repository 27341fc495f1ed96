#!/usr/bin/env bash
# On a machine with NVIDIA GPUs and Go (not needed by any test): find XLA's CUDA PJRT plugin
# (an installed one, e.g. JAX's; else jax-cuda12-pjrt from PyPI into its own venv, see
# cuda-plugin.sh), then measure BYB's pretraining samples/s with each batch split over 1, 2,
# 4, ... of the GPUs (byb-bench -devices; the same code as `byb pretrain --devices`), on both
# benchmark shapes. Prints a Markdown table; JSON lines go to out/bench-gpu.jsonl.
#
#   bash scripts/bench-gpu.sh            # every GPU
#   DEVICES=1,8 bash scripts/bench-gpu.sh
#
# Without Go or network (a cluster's GPU node), use scripts/gpu-check.sh with binaries built
# elsewhere (scripts/gpu-bundle.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/cuda-plugin.sh

if [ -z "${DEVICES:-}" ]; then
  DEVICES=1
  for ((n = 2; n <= gpus; n *= 2)); do DEVICES="$DEVICES,$n"; done
fi
mkdir -p out
go run ./cmd/byb-bench -engines "xla:$plugin" -devices "$DEVICES" -configs a,b -json out/bench-gpu.jsonl
