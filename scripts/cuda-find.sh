# Sourced (bash) by the GPU scripts (cuda-plugin.sh, gpu-check.sh). Finds XLA's CUDA PJRT
# plugin where it is already installed, sets up the environment it needs, and, only when asked,
# installs one from PyPI. Nothing here runs on sourcing: the scripts call the functions.
#
#   cuda_find_plugin           prints the best installed plugin's path; fails when none is found
#   cuda_use_plugin PLUGIN     exports LD_LIBRARY_PATH, XLA_FLAGS, PATH for PLUGIN
#   cuda_online                succeeds when PyPI answers (a GPU node often has no network)
#   cuda_install_plugin        installs jax-cuda12-pjrt into $BYB_HOME/cuda-venv, prints the path
#
# Why search first: a cluster's GPU node usually has no network, but often has JAX with its
# CUDA plugin (jax-cuda13-pjrt or jax-cuda12-pjrt: jax_plugins/xla_cuda13/xla_cuda_plugin.so in
# a Python's site-packages) and CUDA's libraries from the nvidia-* wheels beside it.
#
# Set BYB_CUDA_PLUGIN=/path/to/xla_cuda_plugin.so to skip the search.

BYB_HOME="${BYB_HOME:-$HOME/.local/share/byb}"
JAX_CUDA_VERSION=0.12.0.1 # the jax-cuda12-pjrt cuda_install_plugin installs (the newest PyPI served here)

_cuda_say() { printf '[cuda] %s\n' "$*" >&2; }

# cuda_driver_major prints the newest CUDA major version the driver supports (nvidia-smi's
# "CUDA Version"), or 0 when nvidia-smi cannot tell.
cuda_driver_major() {
  local v
  v=$(nvidia-smi 2>/dev/null | grep -o 'CUDA Version: *[0-9]*' | grep -o '[0-9]*$' | head -1 || true)
  echo "${v:-0}"
}

# cuda_pythons prints every distinct python3 interpreter found (PATH, the usual prefixes, conda).
cuda_pythons() {
  local c p real seen=" "
  for c in python3 $(compgen -c python3. 2>/dev/null | grep -E '^python3\.[0-9]+$' | sort -u) \
    /usr/bin/python3 /usr/local/bin/python3 /opt/conda/bin/python3 "$HOME/.local/bin/python3"; do
    p=$(command -v "$c" 2>/dev/null) || continue
    real=$(readlink -f "$p") || continue
    case "$seen" in *" $real "*) continue ;; esac
    seen="$seen$real "
    echo "$p"
  done
}

# cuda_python_sites prints the site-packages directories (system and user) of every python3.
cuda_python_sites() {
  local py
  for py in $(cuda_pythons); do
    timeout 15 "$py" -c 'import site; print("\n".join(site.getsitepackages() + [site.getusersitepackages()]))' 2>/dev/null || true
  done | awk 'NF && !seen[$0]++'
}

# _cuda_candidates prints every CUDA PJRT plugin file found, one a line (may repeat).
_cuda_candidates() {
  local d sp f
  while read -r d; do
    [ -n "$d" ] && [ -f "$d/pjrt_c_api_cuda_plugin.so" ] && echo "$d/pjrt_c_api_cuda_plugin.so"
  done < <(tr ':' '\n' <<<"${PJRT_PLUGIN_LIBRARY_PATH:-}")
  while read -r sp; do
    [ -d "$sp/jax_plugins" ] || continue
    for f in "$sp"/jax_plugins/*/xla_cuda_plugin.so "$sp"/jax_plugins/*/pjrt_c_api_gpu_plugin.so; do
      [ -f "$f" ] && echo "$f"
    done
  done < <(cuda_python_sites)
  for d in "$HOME/.local/lib/go-xla" /usr/local/lib/go-xla; do
    [ -f "$d/pjrt_c_api_cuda_plugin.so" ] && echo "$d/pjrt_c_api_cuda_plugin.so"
  done
  # What cuda_install_plugin installed on an earlier run, then a bounded search of the usual
  # prefixes (virtual environments, modules trees, /opt software stacks).
  { [ -d "$BYB_HOME/cuda-venv" ] && find "$BYB_HOME/cuda-venv" -name xla_cuda_plugin.so 2>/dev/null
    timeout 20 find /usr/local/lib /usr/lib /opt "$HOME/.local/lib" -maxdepth 7 \
      \( -name xla_cuda_plugin.so -o -name pjrt_c_api_gpu_plugin.so -o -name pjrt_c_api_cuda_plugin.so \) \
      2>/dev/null; } || true
}

# _cuda_plugin_major prints the CUDA major version a plugin was built for, from its directory
# (jax_plugins/xla_cuda13, .../xla_cuda12), or 0 when its path does not say.
_cuda_plugin_major() {
  case "$1" in
    *cuda13*) echo 13 ;;
    *cuda12*) echo 12 ;;
    *) echo 0 ;;
  esac
}

# cuda_find_plugin prints the installed CUDA PJRT plugin to use: $BYB_CUDA_PLUGIN if set, else
# the newest CUDA major the driver supports (a CUDA 13 plugin fails on a driver older than 580),
# then plugins whose path names no version. Fails, with what it searched, when none is found.
cuda_find_plugin() {
  if [ -n "${BYB_CUDA_PLUGIN:-}" ]; then
    [ -f "$BYB_CUDA_PLUGIN" ] || { _cuda_say "BYB_CUDA_PLUGIN=$BYB_CUDA_PLUGIN: no such file"; return 1; }
    readlink -f "$BYB_CUDA_PLUGIN"
    return 0
  fi
  local driver best="" best_score=-1 f major score
  driver=$(cuda_driver_major)
  while read -r f; do
    major=$(_cuda_plugin_major "$f")
    # Supported majors first, newest first; unknown versions next; too new for the driver last.
    if [ "$major" -eq 0 ]; then score=50
    elif [ "$driver" -eq 0 ] || [ "$major" -le "$driver" ]; then score=$((100 + major))
    else score=$major; fi
    _cuda_say "found $f (built for CUDA $([ "$major" -eq 0 ] && echo '?' || echo "$major"), driver supports $driver)"
    if [ "$score" -gt "$best_score" ]; then best=$f best_score=$score; fi
  done < <(_cuda_candidates | while read -r f; do readlink -f "$f"; done | awk '!seen[$0]++')
  if [ -z "$best" ]; then
    _cuda_say "no CUDA PJRT plugin (xla_cuda_plugin.so, pjrt_c_api_gpu_plugin.so, pjrt_c_api_cuda_plugin.so) in" \
      "\$PJRT_PLUGIN_LIBRARY_PATH, the site-packages of $(cuda_pythons | paste -sd, -)," \
      "~/.local/lib/go-xla, /usr/local/lib/go-xla, $BYB_HOME/cuda-venv, /usr/local/lib, /usr/lib, /opt"
    return 1
  fi
  if [ "$best_score" -lt 50 ]; then
    _cuda_say "warning: $best is built for a newer CUDA than the driver supports (CUDA $driver): it will likely fail to load"
  fi
  echo "$best"
}

# _cuda_nvidia_root prints the nvidia/ directory of the nvidia-* wheels that come with a plugin
# installed by pip (site-packages/nvidia beside site-packages/jax_plugins), if any.
_cuda_nvidia_root() {
  local d i
  d=$(dirname "$1")
  for i in 1 2 3 4; do
    d=$(dirname "$d")
    if [ -d "$d/nvidia" ]; then echo "$d/nvidia"; return 0; fi
  done
  return 1
}

# cuda_use_plugin PLUGIN exports what XLA needs to run PLUGIN from this shell's children:
#   - LD_LIBRARY_PATH gets the nvidia-* wheels' lib directories (JAX preloads them from Python;
#     a Go process has to find them through the loader) and the system CUDA's lib64 if any;
#   - XLA_FLAGS gets --xla_gpu_cuda_data_dir (where libdevice and ptxas are) unless already set,
#     and PATH that directory's bin (XLA runs ptxas from PATH);
#   - GOPJRT_CUDA_CHECKS=0: go-xla v0.1.4's CUDA check, when it finds nvidia/ beside a plugin,
#     sets --xla_gpu_cuda_data_dir to a path hard-coded from its author's machine.
cuda_use_plugin() {
  local plugin=$1 nv libs="" d datadir=""
  if nv=$(_cuda_nvidia_root "$plugin"); then
    libs=$(find "$nv" -mindepth 2 -maxdepth 2 -type d -name lib 2>/dev/null | sort | paste -sd: -)
    for d in "$nv/cu13" "$nv/cuda_nvcc" "$nv/cu12"; do
      if [ -f "$d/nvvm/libdevice/libdevice.10.bc" ]; then datadir=$d; break; fi
    done
  fi
  for d in /usr/local/cuda /usr/local/cuda-13* /usr/local/cuda-12* /usr/lib/cuda; do
    [ -d "$d/lib64" ] && libs="${libs:+$libs:}$d/lib64"
    if [ -z "$datadir" ] && [ -f "$d/nvvm/libdevice/libdevice.10.bc" ]; then datadir=$d; fi
  done
  if [ -n "$libs" ]; then
    export LD_LIBRARY_PATH="$libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  fi
  if [ -n "$datadir" ] && [[ "${XLA_FLAGS:-}" != *--xla_gpu_cuda_data_dir* ]]; then
    export XLA_FLAGS="${XLA_FLAGS:+$XLA_FLAGS }--xla_gpu_cuda_data_dir=$datadir"
  fi
  if [ -n "$datadir" ] && [ -d "$datadir/bin" ]; then export PATH="$datadir/bin:$PATH"; fi
  export GOPJRT_CUDA_CHECKS=0
  _cuda_say "plugin $plugin"
  [ -n "$libs" ] || libs="none found beside the plugin: it relies on its RPATH and the system loader"
  [ -n "$datadir" ] || datadir="not found: XLA searches its default places"
  _cuda_say "CUDA libraries: $libs"
  _cuda_say "CUDA data dir (libdevice, ptxas): $datadir"
}

# cuda_online succeeds when PyPI answers within a few seconds.
cuda_online() {
  if command -v curl >/dev/null; then
    curl -sfI --max-time 6 https://pypi.org/simple/pip/ >/dev/null 2>&1
  else
    timeout 8 python3 -c 'import urllib.request as u; u.urlopen("https://pypi.org/simple/pip/", timeout=6)' >/dev/null 2>&1
  fi
}

# cuda_install_plugin installs XLA's CUDA 12 plugin and CUDA's libraries (nvidia-* wheels) from
# PyPI into $BYB_HOME/cuda-venv and prints the plugin's path. Needs the network and pip.
cuda_install_plugin() {
  local venv="$BYB_HOME/cuda-venv" plugin
  _cuda_say "installing jax-cuda12-pjrt $JAX_CUDA_VERSION and CUDA's libraries into $venv"
  if [ ! -x "$venv/bin/python" ]; then python3 -m venv "$venv" >&2; fi
  "$venv/bin/pip" install --quiet --disable-pip-version-check \
    "jax-cuda12-pjrt==$JAX_CUDA_VERSION" "jax-cuda12-plugin[with-cuda]==$JAX_CUDA_VERSION" >&2
  plugin=$(find "$venv" -name xla_cuda_plugin.so | head -1)
  [ -n "$plugin" ] || { _cuda_say "xla_cuda_plugin.so not found under $venv after the install"; return 1; }
  echo "$plugin"
}
