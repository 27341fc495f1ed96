#!/usr/bin/env bash
# The GPU check: one command on a GPU node as it is, without Go or network. It runs the
# binaries scripts/gpu-bundle.sh built into gpu-bundle/ (copied with the working tree), finds
# an installed CUDA PJRT plugin (scripts/cuda-find.sh; it installs one from PyPI only when none
# is found and PyPI answers), and in under 8 minutes measures on one GPU:
#   - BYB pretraining samples/s at the benchmark shapes (a) B=64 n=128 T=60 and (b) B=32 n=1024
#     T=180, pooled and not, in fp32, beside the PyTorch peer (scripts/gpu_peer.py: byb_ref.py's
#     model on the same GPU) when some python3 has torch with CUDA;
#   - a 1-minute `byb pretrain` (BYB) on mobile-like small, generated there: samples/s, the loss
#     at its first and last step, and nvidia-smi's view of the GPU while it trains.
# It writes gpu-check.md (the tables), results.jsonl (every measurement as a JSON line) and the
# logs to $OUT, else out/gpu-check/, and prints gpu-check.md.
#
#   bash scripts/gpu-check.sh                        # or: just gpu-check
#   BYB_CUDA_PLUGIN=/path/to/xla_cuda_plugin.so PEER_PYTHON=/usr/bin/python3 bash scripts/gpu-check.sh
#
# Knobs: BENCH_STEPS (timed steps per measurement, default 20), PRETRAIN_S (the pretraining's
# time_budget in seconds, default 60), CHECK_BUDGET_S (the whole check's time limit, default
# 450 s: every step's timeout is cut to what is left of it, and the pretraining's budget too),
# PEER_MATMUL (see gpu_peer.py), CUDA_VISIBLE_DEVICES (default 0).
#
# Without a GPU (the dry run, on the machine with Go) it builds the bundle, then stops with a
# message and a non-zero status.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/cuda-find.sh

BUNDLE=${BUNDLE:-gpu-bundle}
OUTDIR=${OUT:-out/gpu-check}
BENCH_STEPS=${BENCH_STEPS:-20}
PRETRAIN_S=${PRETRAIN_S:-60}
CHECK_BUDGET_S=${CHECK_BUDGET_S:-450}

say() { printf '[gpu-check] %s\n' "$*" >&2; }
die() { printf 'gpu-check: %s\n' "$1" >&2; exit "${2:-1}"; } # die MESSAGE [STATUS]

have_gpu() { command -v nvidia-smi >/dev/null && nvidia-smi -L 2>/dev/null | grep -q '^GPU'; }

# 1. The binaries. Where Go is (the machine the bundle is built on), build them unless a GPU
# is here and the bundle already exists: a GPU node runs what it was given.
if command -v go >/dev/null && { ! have_gpu || [ ! -x "$BUNDLE/byb" ]; }; then
  say "building the bundle (scripts/gpu-bundle.sh)"
  bash scripts/gpu-bundle.sh >&2
fi
for b in byb byb-bench; do
  [ -x "$BUNDLE/$b" ] || die "$BUNDLE/$b missing: build the bundle where Go is (bash scripts/gpu-bundle.sh, or just gpu-bundle) and copy $BUNDLE/ here with the working tree"
done
built=$(sed -n 's/^commit: //p' "$BUNDLE/BUILD.txt" 2>/dev/null || true)
head=$(git rev-parse --short=12 HEAD 2>/dev/null || true)
if [ -n "$head" ] && [ -n "$built" ] && [ "${built%% *}" != "$head" ]; then
  say "warning: $BUNDLE/ was built from $built, the tree is at $head: rebuild it (bash scripts/gpu-bundle.sh) to measure this tree"
fi

# 2. A GPU, or the dry run ends here.
if ! have_gpu; then
  why="nvidia-smi not found"
  command -v nvidia-smi >/dev/null && why="nvidia-smi lists none"
  die "no NVIDIA GPU ($why): the binaries are built in $BUNDLE/ ($(du -sh "$BUNDLE" | cut -f1), commit ${built:-unknown}); copy the working tree with $BUNDLE/ to a machine with an NVIDIA GPU and run bash scripts/gpu-check.sh there" 2
fi

start=$SECONDS
left() { echo $((CHECK_BUDGET_S - (SECONDS - start))); }
# within CAP: the timeout for the next step, CAP seconds or what is left of the budget.
within() { local l; l=$(left); l=$((l < $1 ? l : $1)); echo $((l > 1 ? l : 1)); }

mkdir -p "$OUTDIR/logs"
OUTDIR=$(cd "$OUTDIR" && pwd)
rm -f "$OUTDIR"/results.jsonl "$OUTDIR"/bench-*.md "$OUTDIR"/bench-*.jsonl "$OUTDIR"/engine.json \
  "$OUTDIR"/pretrain.json "$OUTDIR"/nvidia-smi-pretrain.txt "$OUTDIR"/gpu-check.md
work=$(mktemp -d)
sampler=""
cleanup() {
  if [ -n "$sampler" ]; then kill "$sampler" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# The node's glibc against what the binaries need (gpu-bundle.sh recorded it).
need=$(sed -n 's/^glibc_needed: //p' "$BUNDLE/BUILD.txt" 2>/dev/null || true)
have=$(getconf GNU_LIBC_VERSION 2>/dev/null | awk '{print $2}' || true)
if [ -n "$need" ] && [ "$need" != unknown ] && [ -n "$have" ] &&
  [ "$(printf '%s\n%s\n' "$need" "$have" | sort -V | head -1)" != "$need" ]; then
  die "this node has glibc $have, the binaries in $BUNDLE/ need $need or newer: build them on a machine with glibc $have or older"
fi
"$BUNDLE/byb" help >/dev/null 2>"$OUTDIR/logs/byb-help.log" || die "$BUNDLE/byb does not run here: $(head -3 "$OUTDIR/logs/byb-help.log")"

export CUDA_VISIBLE_DEVICES=${CUDA_VISIBLE_DEVICES:-0} # one GPU, the same for byb and the peer
nvidia-smi >"$OUTDIR/nvidia-smi.txt" 2>&1 || true
gpu_name=$(nvidia-smi --query-gpu=name --format=csv,noheader -i "${CUDA_VISIBLE_DEVICES%%,*}" 2>/dev/null | head -1 || true)
driver=$(nvidia-smi --query-gpu=driver_version --format=csv,noheader 2>/dev/null | head -1 || true)
say "GPU: $gpu_name (driver $driver, CUDA $(cuda_driver_major))"

# 3. The peer's Python: the first python3 whose torch sees the GPU, tried with the library path
# as the node had it (before the XLA plugin's CUDA libraries are added below).
peer_py="" peer_note=""
if [ ! -f "$BUNDLE/peer/byb_ref.py" ]; then
  peer_note="not run: $BUNDLE/peer/byb_ref.py missing (the bundle was built without ../shared/peers/torch_byb)"
else
  for py in ${PEER_PYTHON:-$(cuda_pythons)}; do
    if timeout "$(within 40)" "$py" -c 'import numpy, torch, sys; sys.exit(0 if torch.cuda.is_available() else 3)' 2>/dev/null; then
      peer_py=$py
      break
    fi
  done
  if [ -n "$peer_py" ]; then
    peer_note="torch $("$peer_py" -c 'import torch; print(torch.__version__)' 2>/dev/null) ($peer_py)"
  else
    peer_note="not run: no python3 here imports numpy and a torch that sees the GPU (tried ${PEER_PYTHON:-$(cuda_pythons | paste -sd' ' -)}; set PEER_PYTHON)"
  fi
fi
say "peer: $peer_note"

# 4. The CUDA PJRT plugin. The peer keeps the library path the node had: PyTorch brings its
# own CUDA libraries, some under the same names as the plugin's (libcudnn.so.9) but of another
# CUDA version, and LD_LIBRARY_PATH would win over its RPATH.
if [ -n "$peer_py" ]; then
  {
    echo '#!/usr/bin/env bash'
    if [ -n "${LD_LIBRARY_PATH+set}" ]; then
      echo "export LD_LIBRARY_PATH=$(printf '%q' "$LD_LIBRARY_PATH")"
    else
      echo 'unset LD_LIBRARY_PATH'
    fi
    echo "export PATH=$(printf '%q' "$PATH")"
    echo "exec $(printf '%q' "$peer_py") \"\$@\""
  } >"$work/peer-python"
  chmod +x "$work/peer-python"
fi
if ! plugin=$(cuda_find_plugin); then
  if cuda_online; then
    plugin=$(cuda_install_plugin)
  else
    die "no CUDA PJRT plugin installed here and PyPI is unreachable: install jax-cuda13-pjrt (or jax-cuda12-pjrt) into a python3 on this node, or set BYB_CUDA_PLUGIN=/path/to/xla_cuda_plugin.so"
  fi
fi
cuda_use_plugin "$plugin"
engine="xla:$plugin"

# 5. Does the plugin load and compute?
if ! timeout "$(within 90)" "$BUNDLE/byb" engine --backend "$engine" --json --tracking off >"$OUTDIR/engine.json" 2>"$OUTDIR/logs/engine.log"; then
  die "the CUDA plugin $plugin did not load or compute (byb engine; LD_LIBRARY_PATH=${LD_LIBRARY_PATH:-}, XLA_FLAGS=${XLA_FLAGS:-}): $(tail -3 "$OUTDIR/logs/engine.log")"
fi
pjrt=$(sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' "$OUTDIR/engine.json" | head -1)
tr -d '\n' <"$OUTDIR/engine.json" | sed 's/^{/{"kind":"engine",/' >>"$OUTDIR/results.jsonl"
echo >>"$OUTDIR/results.jsonl"
say "engine: $pjrt on $gpu_name"

# 6. byb-bench, one shape per call so that a timeout loses one shape only.
peer_flags=(-peer "")
if [ -n "$peer_py" ]; then
  export BYB_PEER_DIR="$PWD/$BUNDLE/peer"
  peer_flags=(-peer scripts/gpu_peer.py -python "$work/peer-python")
fi
bench_failed=""
for shape in a b; do
  t=$(within "$([ $shape = a ] && echo 100 || echo 130)")
  if [ "$t" -lt 20 ]; then bench_failed="$bench_failed $shape (no time left)"; continue; fi
  say "byb-bench shape $shape (timeout ${t}s)"
  if ! timeout -k 5 "$t" "$BUNDLE/byb-bench" -engines "$engine" -configs "$shape" -pool true,false \
    -steps "$BENCH_STEPS" -json "$OUTDIR/bench-$shape.jsonl" "${peer_flags[@]}" \
    >"$OUTDIR/bench-$shape.md" 2>"$OUTDIR/logs/bench-$shape.log"; then
    bench_failed="$bench_failed $shape (failed or timed out: logs/bench-$shape.log)"
  fi
  cat "$OUTDIR/bench-$shape.jsonl" >>"$OUTDIR/results.jsonl" 2>/dev/null || true
done

# 7. A real run: generate mobile-like small, pretrain BYB for PRETRAIN_S seconds on the GPU while
# nvidia-smi samples the GPU every 5 s.
pre_note=""
t=$(within 30)
if [ "$(left)" -lt 60 ]; then # generating, compiling and a few steps take most of a minute
  pre_note="not run: no time left in CHECK_BUDGET_S=$CHECK_BUDGET_S"
elif ! timeout "$t" "$BUNDLE/byb" data gen --preset mobile-like --scale small --out "$work/data" \
  --workers "$(nproc)" --tracking off >"$OUTDIR/logs/data-gen.log" 2>&1; then
  pre_note="not run: byb data gen failed or timed out (logs/data-gen.log)"
else
  ( while sleep 5; do
      echo "gpu $(nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv,noheader,nounits -i "${CUDA_VISIBLE_DEVICES%%,*}" 2>/dev/null | head -1)"
      nvidia-smi --query-compute-apps=pid,process_name,used_memory --format=csv,noheader 2>/dev/null | sed 's/^/app /'
    done ) >"$OUTDIR/nvidia-smi-pretrain.txt" &
  sampler=$!
  t=$(within 170)
  # Compiling (the first step of each batch shape, which the budget does not count) and saving
  # take up to a minute beside the budget.
  budget=$((t - 60 < PRETRAIN_S ? t - 60 : PRETRAIN_S))
  budget="$((budget > 10 ? budget : 10))s"
  say "byb pretrain, time_budget=$budget (timeout ${t}s)"
  if ! timeout -s INT -k 15 "$t" "$BUNDLE/byb" pretrain --data "$work/data" --method byb --out "$work/run" \
    --backend "$engine" --set "time_budget=$budget" --json --tracking off \
    >"$OUTDIR/pretrain.json" 2>"$OUTDIR/logs/pretrain.log"; then
    pre_note="failed or timed out (logs/pretrain.log): $(tr '\r' '\n' <"$OUTDIR/logs/pretrain.log" | grep -v '^ *$' | tail -1)"
  fi
  kill "$sampler" 2>/dev/null || true
  sampler=""
  if [ -s "$OUTDIR/pretrain.json" ]; then
    tr -d '\n' <"$OUTDIR/pretrain.json" | sed 's/^{/{"kind":"pretrain",/' >>"$OUTDIR/results.jsonl"
    echo >>"$OUTDIR/results.jsonl"
  fi
fi

# 8. The report.
field() { sed -n "s/^  \"$1\": *\"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}$/\1/p" "$OUTDIR/pretrain.json" 2>/dev/null | head -1; }
round() { [ -n "$1" ] && awk -v x="$1" -v d="$2" 'BEGIN {printf "%." d "f", x}'; }
{
  echo "# byb GPU check, $(date -u +%Y-%m-%d)"
  echo
  echo "- GPU: $gpu_name, driver $driver (CUDA $(cuda_driver_major)); byb and the peer on the same one (CUDA_VISIBLE_DEVICES=$CUDA_VISIBLE_DEVICES)"
  echo "- engine: XLA through the CUDA PJRT plugin $plugin ($pjrt), shown as xla:cuda below"
  echo "- binaries: $BUNDLE/ from commit ${built:-unknown} ($(sed -n 's/^go: //p' "$BUNDLE/BUILD.txt" 2>/dev/null))"
  echo "- peer: ${peer_note}; matmul precision ${PEER_MATMUL:-high}"
  echo "- precision: fp32. byb's matmuls run at XLA's default precision, which allows TF32 on Ampere and newer GPUs, so the peer allows TF32 too (PEER_MATMUL=highest: true fp32)."
  echo "- bf16: not supported by byb yet (byb has no dtype parameter: its graphs are float32 throughout)"
  echo
  echo "## Pretraining samples/s (byb-bench: timed steps $BENCH_STEPS after the warm-up, each measurement in a fresh process)"
  echo
  if ls "$OUTDIR"/bench-*.md >/dev/null 2>&1; then
    cat "$OUTDIR"/bench-*.md | grep '^|' | awk '/^\| config/ {if (h++) next} /^\|---/ {if (s++) next} {print}' |
      sed "s#xla:$plugin#xla:cuda#g"
    grep -h '^peer:' "$OUTDIR"/bench-*.md | head -1 | sed 's/^/\n/'
  fi
  [ -z "$bench_failed" ] || echo -e "\nnot measured: shape$bench_failed"
  echo
  echo "## A real run: byb pretrain, BYB on mobile-like small, time_budget=${budget:-${PRETRAIN_S}s}"
  echo
  if [ -s "$OUTDIR/pretrain.json" ]; then
    util=$(awk '/^gpu / {split($2, a, ","); if (a[1] + 0 > u) u = a[1] + 0} END {print u + 0}' "$OUTDIR/nvidia-smi-pretrain.txt" 2>/dev/null)
    mem=$(awk '/^gpu / {if ($3 + 0 > m) m = $3 + 0} END {print m + 0}' "$OUTDIR/nvidia-smi-pretrain.txt" 2>/dev/null)
    app=$(grep -m1 'byb' "$OUTDIR/nvidia-smi-pretrain.txt" 2>/dev/null | sed 's/^app //' || true)
    echo "| samples/s | steps | train s | first loss | final loss | GPU utilization (max of 5 s samples) | GPU memory used (max) |"
    echo "|---|---|---|---|---|---|---|"
    echo "| $(round "$(field samples_per_s)" 1) | $(field steps) | $(round "$(field train_seconds)" 1) | $(round "$(field first_loss)" 4) | $(round "$(field final_loss)" 4) | ${util}% | ${mem} MiB |"
    echo
    echo "nvidia-smi saw the run on the GPU: ${app:-no byb process in its compute apps (see nvidia-smi-pretrain.txt)}"
  fi
  [ -z "$pre_note" ] || echo "pretrain: $pre_note"
  echo
  echo "Took $((SECONDS - start)) s. Files: $OUTDIR (results.jsonl, logs/)."
} >"$OUTDIR/gpu-check.md"
cat "$OUTDIR/gpu-check.md"
[ -z "$bench_failed$pre_note" ]
