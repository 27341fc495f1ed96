#!/usr/bin/env python3
"""The PyTorch peer's pretraining throughput on a CUDA GPU: `byb-bench -peer` for
scripts/gpu-check.sh.

The peer (byb_ref.py in ../shared/peers/torch_byb; gpu-bundle.sh copies it into
gpu-bundle/peer) measures on the CPU only. This runs the same model, loss, Adam and EMA
step (its build, make_opt and train_step) on cuda:0, takes the flags byb-bench passes
(--bench --B --n --T --m --vocab --steps [--no-pool]) and prints one JSON line with the
keys byb-bench reads (samples_per_s, sec_per_step, cpu_s_per_step, peak_rss_mb) and the
device. Batches are made on the host and copied to the GPU inside each timed step, as byb
uploads its batches every step; train_step's float(loss) waits for the GPU, so a step's
time is the GPU's.

Environment:
  BYB_PEER_DIR   the directory of byb_ref.py (default: gpu-bundle/peer, then
                 ../shared/peers/torch_byb)
  PEER_MATMUL    torch.set_float32_matmul_precision: "high" (default; TF32 matmuls, as
                 XLA's default precision on Ampere and newer GPUs) or "highest" (fp32)
  PEER_DEVICE    default cuda:0; "cpu" only to try this script on a machine without a GPU

gpu-check.sh runs it with the library path the node had before the XLA plugin's CUDA
libraries were added to it (PyTorch brings its own).
"""
import argparse
import json
import os
import resource
import sys
import time


def _import_peer():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    dirs = [os.environ.get("BYB_PEER_DIR"), os.path.join(root, "gpu-bundle", "peer"),
            os.path.join(root, "..", "shared", "peers", "torch_byb")]
    for d in dirs:
        if d and os.path.isfile(os.path.join(d, "byb_ref.py")):
            sys.path.insert(0, d)
            import byb_ref
            return byb_ref
    sys.exit("gpu_peer.py: byb_ref.py not found in %s: set BYB_PEER_DIR to its directory, or run "
             "scripts/gpu-bundle.sh where ../shared/peers/torch_byb exists (it copies it into "
             "gpu-bundle/peer)" % ", ".join(d for d in dirs if d))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bench", action="store_true", help="accepted for byb-bench: this script only measures")
    ap.add_argument("--no-pool", action="store_true")
    ap.add_argument("--B", type=int, default=64)
    ap.add_argument("--n", type=int, default=128)
    ap.add_argument("--m", type=int, default=3)
    ap.add_argument("--T", type=int, default=60)
    ap.add_argument("--vocab", default="10000,100,10")
    ap.add_argument("--steps", type=int, default=20, help="timed steps")
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    # The model and its training: byb_ref.py's defaults, which are byb's architecture.
    ap.add_argument("--d", type=int, default=128)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--ff", type=int, default=128)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--dropout", type=float, default=0.0)
    ap.add_argument("--norm-first", action="store_true")
    ap.add_argument("--loss", choices=["ce", "mse"], default="ce")
    ap.add_argument("--tau", type=float, default=0.1)
    ap.add_argument("--lr", type=float, default=1e-4)
    ap.add_argument("--wd", type=float, default=1e-4)
    ap.add_argument("--ema", type=float, default=0.995)
    args = ap.parse_args()

    byb_ref = _import_peer()
    import torch

    device = os.environ.get("PEER_DEVICE", "cuda:0")
    cuda = device.startswith("cuda")
    if cuda and not torch.cuda.is_available():
        sys.exit("gpu_peer.py: torch %s sees no CUDA device (torch.cuda.is_available() is False; "
                 "torch built for CUDA %s)" % (torch.__version__, torch.version.cuda))
    precision = os.environ.get("PEER_MATMUL", "high")
    torch.set_float32_matmul_precision(precision)
    dev = torch.device(device)

    vocab = [int(v) for v in args.vocab.split(",")]
    if len(vocab) != args.m:
        sys.exit("gpu_peer.py: --vocab lists %d sizes, --m is %d" % (len(vocab), args.m))
    torch.manual_seed(args.seed)
    model = byb_ref.build(args, vocab, args.T, args.n).to(dev)
    opt = byb_ref.make_opt(model, args)
    g = torch.Generator().manual_seed(args.seed)
    batches = []
    for _ in range(4):  # made once on the host and cycled, as byb_ref.py and byb-bench do
        ids = torch.stack([torch.randint(0, v, (args.B, args.n), generator=g) for v in vocab], -1).int()
        days = torch.sort(torch.randint(0, args.T, (args.B, args.n), generator=g), 1).values
        batches.append((ids, days))

    times = []
    for step in range(args.warmup + args.steps):
        if step == args.warmup:
            if cuda:
                torch.cuda.reset_peak_memory_stats(dev)
            ru0 = resource.getrusage(resource.RUSAGE_SELF)
        ids, days = batches[step % len(batches)]
        t0 = time.perf_counter()
        byb_ref.train_step(model, opt, ids.to(dev), days.to(dev), args)
        times.append(time.perf_counter() - t0)
    ru1 = resource.getrusage(resource.RUSAGE_SELF)
    timed = times[args.warmup:]
    cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
    res = dict(mode="bench", pool=not args.no_pool, B=args.B, n=args.n, m=args.m, T=args.T, vocab=vocab,
               steps=args.steps, warmup=args.warmup,
               sec_per_step=round(sum(timed) / len(timed), 5),
               samples_per_s=round(args.B * len(timed) / sum(timed), 2),
               cpu_s_per_step=round(cpu / len(timed), 4),
               peak_rss_mb=round(ru1.ru_maxrss / 1024.0, 1),
               gpu_peak_mem_mb=round(torch.cuda.max_memory_allocated(dev) / 2**20, 1) if cuda else 0,
               device="%s %s" % (device, torch.cuda.get_device_name(dev)) if cuda else device, matmul_precision=precision,
               torch=torch.__version__, torch_cuda=torch.version.cuda)
    print(json.dumps(res))


if __name__ == "__main__":
    main()
