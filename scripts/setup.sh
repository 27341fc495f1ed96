#!/usr/bin/env bash
# Takes a fresh machine to a working byb: Go modules, the XLA CPU PJRT plugin, a Python
# environment for notebooks and reference checks, the GoNB kernel, tmux, and the byb binary.
# Idempotent: every step checks first and says what it did or why it skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

BYB_HOME="${BYB_HOME:-$HOME/.local/share/byb}"
VENV="$BYB_HOME/venv"
PLUGIN_DIR="$HOME/.local/lib/go-xla"              # where GoMLX looks for PJRT plugins
PLUGIN_LINK="$PLUGIN_DIR/pjrt_c_api_cpu_plugin.so"
XLA_CPU_PJRT_VERSION=0.0.1                         # the only release PyPI serves
PY_PACKAGES=(                                      # pinned: notebooks and reference checks
  "nbclient==0.10.2" "nbconvert==7.16.6" "jupyter-client==8.6.3" "nbformat==5.10.4" "notebook==7.6.5"
  "numpy==2.2.6" "scikit-learn==1.6.1" "pyarrow==20.0.0" "pandas==2.2.3"
  # MLflow's client, which reads `byb runs export --format mlflow` back in the tests. From
  # 3.13 it reads a file store only with MLFLOW_ALLOW_FILE_STORE=true; the test sets it.
  "mlflow-skinny==3.17.2"
)

say() { printf '[setup] %s\n' "$*"; }

# 1. Go toolchain and modules.
command -v go >/dev/null || { echo "Go is not installed: install Go >= 1.26 first" >&2; exit 1; }
say "go: $(go version)"
go mod download && say "go modules: downloaded (go.sum verified)"

# 2. XLA CPU PJRT plugin from PyPI (xla-cpu-pjrt), linked where GoMLX searches.
if [ -e "$PLUGIN_LINK" ]; then
  say "xla cpu plugin: present at $PLUGIN_LINK -> $(readlink -f "$PLUGIN_LINK")"
else
  target="$BYB_HOME/xla-cpu-pjrt-$XLA_CPU_PJRT_VERSION"
  if [ ! -f "$target/xla_plugins/xla_cpu_pjrt/xla_cpu_pjrt.so" ]; then
    python3 -m pip install --quiet --no-deps --target "$target" "xla-cpu-pjrt==$XLA_CPU_PJRT_VERSION"
  fi
  mkdir -p "$PLUGIN_DIR"
  ln -sfn "$target/xla_plugins/xla_cpu_pjrt/xla_cpu_pjrt.so" "$PLUGIN_LINK"
  say "xla cpu plugin: installed xla-cpu-pjrt $XLA_CPU_PJRT_VERSION, linked at $PLUGIN_LINK"
fi

# 3. Python environment (Jupyter: the notebook server and the headless runner; scikit-learn for
# reference metrics; MLflow's client to read byb's MLflow export).
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
  say "python venv: created $VENV"
fi
# The pins are checked by version, so that a venv made by an older setup gets what it lacks.
py_differs() {
  "$VENV/bin/python" - "${PY_PACKAGES[@]}" <<'PY'
import importlib.metadata as metadata, sys
differ = []
for spec in sys.argv[1:]:
    name, want = spec.split("==")
    try:
        have = metadata.version(name)
    except metadata.PackageNotFoundError:
        have = "missing"
    if have != want:
        differ.append("%s %s (pinned %s)" % (name, have, want))
print(", ".join(differ))
PY
}
differ="$(py_differs)" || differ="(the venv's packages could not be read)"
if [ -z "$differ" ] && "$VENV/bin/python" -c 'import nbclient, notebook, sklearn, pyarrow, mlflow' 2>/dev/null; then
  say "python packages: present at their pinned versions"
else
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "${PY_PACKAGES[@]}"
  say "python packages: installed ${PY_PACKAGES[*]}${differ:+ (were: $differ)}"
fi

# 4. GoNB kernel (pinned in tools/gonb/go.mod) and the tools it calls.
mkdir -p "$BYB_HOME/bin"
(cd tools/gonb && go build -o "$BYB_HOME/bin/" github.com/janpfeifer/gonb golang.org/x/tools/cmd/goimports golang.org/x/tools/gopls)
say "gonb, goimports, gopls: built into $BYB_HOME/bin"
if [ -f "$HOME/.local/share/jupyter/kernels/gonb/kernel.json" ]; then
  say "gonb kernel: registered"
else
  PATH="$BYB_HOME/bin:$VENV/bin:$PATH" "$BYB_HOME/bin/gonb" --install --logtostderr >/dev/null 2>&1 || \
    PATH="$BYB_HOME/bin:$VENV/bin:$PATH" "$BYB_HOME/bin/gonb" --install
  say "gonb kernel: registered with Jupyter"
fi

# 5. tmux drives the TUI's end-to-end test.
if command -v tmux >/dev/null; then
  say "tmux: present"
elif command -v apt-get >/dev/null; then
  (apt-get update -qq && apt-get install -y -qq tmux) >/dev/null
  say "tmux: installed from Debian packages"
else
  say "tmux: missing and no apt-get: the TUI end-to-end test will be skipped"
fi

# 6. The byb binary.
mkdir -p bin
go build -o bin/byb ./cmd/byb
say "byb: built bin/byb ($(bin/byb engine | head -1))"
