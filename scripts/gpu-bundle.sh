#!/usr/bin/env bash
# Builds, on a machine with Go, what scripts/gpu-check.sh runs on a GPU node that has neither
# Go nor network: byb and byb-bench for linux/amd64, stripped, in gpu-bundle/ (ignored by git),
# with the PyTorch peer's model file (byb_ref.py from ../shared/peers/torch_byb, which a GPU node
# does not have). Copy gpu-bundle/ to the GPU node with the working tree; what is copied, tree
# and bundle, must stay under 64 MiB (the most a device run carries): this script checks it.
#
#   bash scripts/gpu-bundle.sh          # or: just gpu-bundle
#
# The binaries use cgo: go-xla loads the PJRT plugin with dlopen and the tracker links SQLite.
# They need only the node's libc (glibc 2.34 or newer: Debian 12, Ubuntu 22.04, RHEL 9); a
# static glibc binary cannot dlopen a plugin that links the system's libc itself.
set -euo pipefail
cd "$(dirname "$0")/.."

BUNDLE=${BUNDLE:-gpu-bundle}
PEER_SRC=${PEER_SRC:-../shared/peers/torch_byb}
LIMIT_MIB=64

say() { printf '[gpu-bundle] %s\n' "$*"; }
mib() { awk -v b="$1" 'BEGIN {printf "%.1f", b / 1048576}'; }
die() { printf 'gpu-bundle: %s\n' "$*" >&2; exit 1; }

command -v go >/dev/null || die "Go not found: build the bundle on a machine with Go >= 1.26 and copy $BUNDLE/ to this one"
host="$(go env GOHOSTOS)/$(go env GOHOSTARCH)"
[ "$host" = linux/amd64 ] || die "this is $host: the bundle uses cgo, so build it on linux/amd64 (cross-compiling needs a C cross compiler)"

mkdir -p "$BUNDLE/peer"
for cmd in byb byb-bench; do
  # Built beside and then moved, so that a failed build never leaves half a binary behind.
  CGO_ENABLED=1 GOOS=linux GOARCH=amd64 go build -trimpath -ldflags="-s -w" -o "$BUNDLE/.$cmd.new" "./cmd/$cmd"
  mv -f "$BUNDLE/.$cmd.new" "$BUNDLE/$cmd"
done

if [ -f "$PEER_SRC/byb_ref.py" ]; then
  cp -f "$PEER_SRC/byb_ref.py" "$BUNDLE/peer/byb_ref.py"
  chmod u+w "$BUNDLE/peer/byb_ref.py"
  peer="byb_ref.py from $PEER_SRC"
else
  rm -f "$BUNDLE/peer/byb_ref.py"
  peer="none: $PEER_SRC/byb_ref.py not found, so gpu-check.sh will run without the PyTorch peer (set PEER_SRC)"
fi

# The newest glibc symbol version the binaries need: gpu-check.sh compares it with the node's.
glibc=$(objdump -T "$BUNDLE/byb" "$BUNDLE/byb-bench" 2>/dev/null | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -1 || true)
commit=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
dirty=""
if [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null || true)" ]; then dirty=" with uncommitted changes"; fi
cat >"$BUNDLE/BUILD.txt" <<EOF
commit: $commit$dirty
built: $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(hostname)
go: $(go version | cut -d' ' -f3)
glibc_needed: ${glibc:-unknown}
peer: $peer
EOF

say "built into $BUNDLE/ (commit $commit$dirty):"
for f in "$BUNDLE/byb" "$BUNDLE/byb-bench" "$BUNDLE"/peer/*; do
  [ -f "$f" ] && printf '  %-28s %10d bytes (%s MiB)\n' "$f" "$(stat -c %s "$f")" "$(mib "$(stat -c %s "$f")")"
done
for b in byb byb-bench; do
  say "ldd $BUNDLE/$b (glibc ${glibc:-?} or newer):"
  ldd "$BUNDLE/$b" | sed 's/^/  /'
done
say "peer: $peer"

# What a device run copies: the working tree (tracked files and untracked ones git does not
# ignore) plus the bundle.
tree_b=$( { git ls-files -z -co --exclude-standard | xargs -0 -r stat -c %s -- 2>/dev/null || true; } | awk '{s += $1} END {print s + 0}')
bundle_b=$(du -sb "$BUNDLE" | cut -f1)
total_b=$((tree_b + bundle_b))
say "to copy: working tree $(mib "$tree_b") MiB + $BUNDLE $(mib "$bundle_b") MiB = $(mib "$total_b") MiB (limit $LIMIT_MIB MiB)"
[ "$total_b" -lt $((LIMIT_MIB * 1048576)) ] || die "the tree and the bundle come to $(mib "$total_b") MiB, over $LIMIT_MIB MiB: look for large files in the tree (git ls-files | xargs du -h | sort -h | tail)"
