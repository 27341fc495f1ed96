# byb's recipes. `just setup` once on a fresh machine, then any of the others.
# `just` itself comes from the npm package rust-just (npm install -g rust-just@1.57.0).

set shell := ["bash", "-euo", "pipefail", "-c"]

byb_home := env_var_or_default("BYB_HOME", env_var("HOME") + "/.local/share/byb")
# Tests and notebooks find the Python tools (scikit-learn, Jupyter) and GoNB here.
export PATH := byb_home + "/venv/bin:" + byb_home + "/bin:" + env_var("PATH")

# List the recipes.
default:
    @just --list

# Install everything byb and its tests need (idempotent; prints what it did).
setup:
    bash scripts/setup.sh

# Build bin/byb.
build:
    go build -o bin/byb ./cmd/byb

# vet, format check and every test. With BYB_CI=1 in the environment (.ci/run sets it; just
# passes the environment through) a missing tool fails its test instead of skipping it.
test: build
    go vet ./...
    @test -z "$(gofmt -l $(git ls-files '*.go'))" || { echo "gofmt would change:"; gofmt -l $(git ls-files '*.go'); exit 1; }
    go test -count=1 -timeout 40m ./...

# Reproduce a table or figure of the paper (default scale: small), e.g. `just reproduce table2`; `just reproduce all` runs every one (`byb reproduce --help` lists them).
reproduce what="table2" *args="": build
    bin/byb reproduce {{what}} {{args}}

# BYB pretraining samples/s and peak memory on every engine, pooled and not, vs the PyTorch peer;
# then every method's pretraining and FT-train samples/s and peak memory (Table 3, Figure 3).
bench:
    mkdir -p out && go run ./cmd/byb-bench -json out/bench.jsonl
    go run ./cmd/byb-bench -methods byb,nbp,mbmv1,mbmv2,cts,msdp -configs a,b -json out/bench-methods.jsonl

# Build byb and byb-bench (linux/amd64, stripped) into gpu-bundle/ for a GPU node without Go.
gpu-bundle:
    bash scripts/gpu-bundle.sh

# On a GPU node, from gpu-bundle/: BYB samples/s beside the PyTorch peer, a 1-minute pretrain.
gpu-check:
    bash scripts/gpu-check.sh

# Install the PyTorch peer's dependencies (Debian packages) for `just bench`.
bench-peer-setup:
    apt-get update -qq && apt-get install -y -qq python3-torch python3-numpy python3-sklearn libopenblas0-pthread

# The data path at growing sizes: a Tmall-format log's import (fixed --max-memory) and the
# tmall-like generator, behaviors/s and peak RSS per size, e.g. `just bench-data -sizes 1e6,4e6`.
bench-data *args="": build
    go run ./cmd/byb-bench-data {{args}}

# Go micro-benchmarks: import speed, metrics, tracker, TUI.
bench-go:
    go test -run '^$' -bench . -benchtime 1x ./byb/data/ingest ./byb/metrics ./tracking ./tui

# Browse and compare runs in the terminal.
tui: build
    bin/byb tui

# Open the notebooks (notebooks/*.ipynb) in Jupyter with the GoNB kernel, on the port printed
# (default 8888; `just notebooks 9999` for another), reachable from other machines only
# through an SSH tunnel (it listens on localhost).
notebooks port="8888":
    @echo "Jupyter on http://localhost:{{port}}/ (the token is in the URL Jupyter prints below); Ctrl-C stops it"
    cd notebooks && jupyter notebook --no-browser --ip=127.0.0.1 --port={{port}} $([ "$(id -u)" = 0 ] && echo --allow-root)

# Execute every notebook headless, in place, refreshing the outputs saved with it (what
# `go test ./notebooks/` does into a temporary copy). One notebook: `just notebooks-run quickstart`.
notebooks-run name="*":
    cd notebooks && for nb in {{name}}.ipynb; do echo "== $nb"; jupyter nbconvert --to notebook --execute --inplace --ExecutePreprocessor.timeout=600 --ExecutePreprocessor.kernel_name=gonb "$nb"; done
