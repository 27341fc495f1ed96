# Sourced by the GPU scripts (bench-gpu.sh, scaling-gpu.sh): installs XLA's CUDA PJRT plugin
# from PyPI (the jax-cuda12-pjrt wheel, its CUDA libraries as nvidia-* wheels) into its own
# venv, sets $plugin to the plugin's path and $gpus to the number of GPUs, and puts CUDA's
# libraries on LD_LIBRARY_PATH.
BYB_HOME="${BYB_HOME:-$HOME/.local/share/byb}"
VENV="$BYB_HOME/cuda-venv"
JAX_CUDA_VERSION=0.12.0.1 # the newest jax-cuda12-pjrt PyPI serves here

command -v nvidia-smi >/dev/null || { echo "no nvidia-smi: this script needs NVIDIA GPUs and their driver" >&2; exit 1; }
gpus=$(nvidia-smi -L | wc -l)
echo "[gpu] $gpus GPU(s): $(nvidia-smi --query-gpu=name --format=csv,noheader | sort | uniq -c | xargs)"

if [ ! -x "$VENV/bin/python" ]; then python3 -m venv "$VENV"; fi
"$VENV/bin/pip" install --quiet --disable-pip-version-check "jax-cuda12-pjrt==$JAX_CUDA_VERSION" "jax-cuda12-plugin[with-cuda]==$JAX_CUDA_VERSION"
plugin=$(find "$VENV" -name 'xla_cuda_plugin.so' | head -1)
[ -n "$plugin" ] || { echo "xla_cuda_plugin.so not found under $VENV" >&2; exit 1; }
# The plugin loads CUDA's libraries from the nvidia-* wheels.
LD_LIBRARY_PATH="$(find "$VENV" -path '*/nvidia/*/lib' -type d | paste -sd:)${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export LD_LIBRARY_PATH
echo "[gpu] plugin $plugin"
