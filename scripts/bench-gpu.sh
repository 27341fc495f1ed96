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

BYB_HOME="${BYB_HOME:-$HOME/.local/share/byb}"
VENV="$BYB_HOME/cuda-venv"
JAX_CUDA_VERSION=0.12.0.1 # the newest jax-cuda12-pjrt PyPI serves here

command -v nvidia-smi >/dev/null || { echo "no nvidia-smi: this script needs NVIDIA GPUs and their driver" >&2; exit 1; }
gpus=$(nvidia-smi -L | wc -l)
echo "[bench-gpu] $gpus GPU(s): $(nvidia-smi --query-gpu=name --format=csv,noheader | sort | uniq -c | xargs)"

if [ ! -x "$VENV/bin/python" ]; then python3 -m venv "$VENV"; fi
"$VENV/bin/pip" install --quiet --disable-pip-version-check "jax-cuda12-pjrt==$JAX_CUDA_VERSION" "jax-cuda12-plugin[with-cuda]==$JAX_CUDA_VERSION"
plugin=$(find "$VENV" -name 'xla_cuda_plugin.so' | head -1)
[ -n "$plugin" ] || { echo "xla_cuda_plugin.so not found under $VENV" >&2; exit 1; }
# The plugin loads CUDA's libraries from the nvidia-* wheels.
LD_LIBRARY_PATH="$(find "$VENV" -path '*/nvidia/*/lib' -type d | paste -sd:)${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export LD_LIBRARY_PATH
echo "[bench-gpu] plugin $plugin"

if [ -z "${DEVICES:-}" ]; then
  DEVICES=1
  for ((n = 2; n <= gpus; n *= 2)); do DEVICES="$DEVICES,$n"; done
fi
mkdir -p out
go run ./cmd/byb-bench -engines "xla:$plugin" -devices "$DEVICES" -configs a,b -json out/bench-gpu.jsonl
