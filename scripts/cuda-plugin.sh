# Sourced by the GPU scripts (bench-gpu.sh, scaling-gpu.sh): sets $plugin to XLA's CUDA PJRT
# plugin and $gpus to the number of GPUs, and exports what the plugin needs (cuda-find.sh's
# cuda_use_plugin: CUDA's libraries on LD_LIBRARY_PATH, XLA_FLAGS). An installed plugin (JAX's
# jax-cuda13-pjrt or jax-cuda12-pjrt in any python3's site-packages, ~/.local/lib/go-xla, or
# $BYB_CUDA_PLUGIN) is used as it is; only when none is found is jax-cuda12-pjrt installed from
# PyPI into $BYB_HOME/cuda-venv, with CUDA's libraries as nvidia-* wheels.
source "$(dirname "${BASH_SOURCE[0]}")/cuda-find.sh"

command -v nvidia-smi >/dev/null || { echo "no nvidia-smi: this script needs NVIDIA GPUs and their driver" >&2; exit 1; }
gpus=$(nvidia-smi -L | grep -c '^GPU' || true)
[ "$gpus" -gt 0 ] || { echo "nvidia-smi lists no GPU: this script needs NVIDIA GPUs" >&2; exit 1; }
echo "[gpu] $gpus GPU(s): $(nvidia-smi --query-gpu=name --format=csv,noheader | sort | uniq -c | xargs)"

if ! plugin=$(cuda_find_plugin); then
  if ! cuda_online; then
    echo "no CUDA PJRT plugin installed and PyPI unreachable: install jax-cuda13-pjrt (or jax-cuda12-pjrt) where this machine has network, or set BYB_CUDA_PLUGIN=/path/to/xla_cuda_plugin.so" >&2
    exit 1
  fi
  plugin=$(cuda_install_plugin)
fi
cuda_use_plugin "$plugin"
