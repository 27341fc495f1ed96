#!/usr/bin/env bash
# On a machine with NVIDIA GPUs (not needed by any test): install XLA's CUDA PJRT plugin
# from PyPI (the jax-cuda12-pjrt wheel, its CUDA libraries as nvidia-* wheels) into its own
# venv, then measure BYB's pretraining samples/s with each batch split over 1, 2, 4, ... of
# the GPUs (byb-bench -devices; the same code as `byb pretrain --devices`), on both benchmark
# shapes. Prints a Markdown table; JSON lines go to out/bench-gpu.jsonl.
#
#   bash scripts/bench-gpu.sh            # every GPU
#   DEVICES=1,8 bash scripts/bench-gpu.sh
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/cuda-plugin.sh

if [ -z "${DEVICES:-}" ]; then
  DEVICES=1
  for ((n = 2; n <= gpus; n *= 2)); do DEVICES="$DEVICES,$n"; done
fi
mkdir -p out
go run ./cmd/byb-bench -engines "xla:$plugin" -devices "$DEVICES" -configs a,b -json out/bench-gpu.jsonl
