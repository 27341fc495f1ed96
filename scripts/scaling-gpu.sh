#!/usr/bin/env bash
# On a machine with an NVIDIA GPU (not needed by any test): the data-scaling experiment at
# paper-like sizes, one command. The labelled users stay the small scale's 4,000; the
# pretraining users grow to a million (2 epochs each: 62,500 steps of 32 at 1M), on one GPU
# through XLA's CUDA plugin (an installed one first, see cuda-plugin.sh). Needs Go. Writes
# out-gpu/scaling-small/scaling.{md,csv} and the PNGs.
#
#   bash scripts/scaling-gpu.sh                        # both presets, 4k..1M users, 3 seeds
#   USERS=4000,64000 SEEDS=1 bash scripts/scaling-gpu.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/cuda-plugin.sh

go build -o bin/byb ./cmd/byb
bin/byb reproduce scaling --backend "xla:$plugin" --scale small --out out-gpu \
  --users "${USERS:-4000,16000,64000,256000,1000000}" --seeds "${SEEDS:-3}" ${MAX_TIME:+--max-time "$MAX_TIME"}
