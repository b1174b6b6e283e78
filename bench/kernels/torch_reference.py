#!/usr/bin/env python3
"""PyTorch reference figures at the shapes of Triad's CUDA benchmark (CudaBench.java).

Prints `RESULT <key> <value> <unit> <ms>` lines with the same keys, FLOP and byte conventions as
CudaBench: GEMM 2 n^3 (bf16, torch.matmul -> cuBLAS), causal attention forward 2*2*B*H*T*T*D/2 and
backward 2.5x forward (SDPA with the flash backend), AdamW 28 bytes/element (torch.optim.AdamW
fused=True, f32), device-to-device copy read + write bytes.
With --triad FILE (CudaBench's output), it then prints one side-by-side table: Triad, PyTorch,
Triad / PyTorch, and the issue's target for each row.
"""
import argparse
import statistics
import sys

import torch

KEYS = []  # (key, value, unit, ms) in order


def result(key, value, unit, ms):
    KEYS.append((key, value, unit, ms))
    print(f"RESULT {key} {value:.2f} {unit} {ms:.4f}", flush=True)


def timed(fn, calls, repeats=7):
    """Median ms per call, CUDA events around `calls` calls, after a warm-up."""
    for _ in range(2):
        fn()
    torch.cuda.synchronize()
    out = []
    for _ in range(repeats):
        start = torch.cuda.Event(enable_timing=True)
        end = torch.cuda.Event(enable_timing=True)
        start.record()
        for _ in range(calls):
            fn()
        end.record()
        end.synchronize()
        out.append(start.elapsed_time(end) / calls)
    return statistics.median(out)


def gemm(n):
    a = torch.randn(n, n, device="cuda", dtype=torch.bfloat16)
    b = torch.randn(n, n, device="cuda", dtype=torch.bfloat16)
    calls = 5 if n >= 4096 else 20
    for name, fn in (("nn", lambda: torch.matmul(a, b)), ("nt", lambda: torch.matmul(a, b.t())),
                     ("tn", lambda: torch.matmul(a.t(), b))):
        ms = timed(fn, calls)
        result(f"gemm_bf16_{name}_{n}", 2.0 * n ** 3 / (ms * 1e-3) / 1e12, "TFLOP/s", ms)


def attention(B, H, T, D):
    from torch.nn.attention import SDPBackend, sdpa_kernel
    import torch.nn.functional as F

    q, k, v = (torch.randn(B, H, T, D, device="cuda", dtype=torch.bfloat16, requires_grad=True) for _ in range(3))
    dout = torch.randn(B, H, T, D, device="cuda", dtype=torch.bfloat16)
    fwd_flops = 2.0 * 2.0 * B * H * T * T * D / 2.0
    with sdpa_kernel(SDPBackend.FLASH_ATTENTION):
        fwd = timed(lambda: F.scaled_dot_product_attention(q, k, v, is_causal=True), 5)
        out = F.scaled_dot_product_attention(q, k, v, is_causal=True)

        def both():
            o = F.scaled_dot_product_attention(q, k, v, is_causal=True)
            torch.autograd.grad(o, (q, k, v), dout)

        total = timed(both, 5)
    bwd = total - fwd
    shape = f"B{B}_H{H}_T{T}_D{D}"
    result(f"attn_fwd_{shape}", fwd_flops / (fwd * 1e-3) / 1e12, "TFLOP/s", fwd)
    result(f"attn_bwd_{shape}", 2.5 * fwd_flops / (bwd * 1e-3) / 1e12, "TFLOP/s", bwd)
    result(f"attn_fwdbwd_{shape}", 3.5 * fwd_flops / (total * 1e-3) / 1e12, "TFLOP/s", total)
    del out


def adamw(n):
    p = torch.nn.Parameter(torch.randn(n, device="cuda"))
    p.grad = torch.randn(n, device="cuda")
    opt = torch.optim.AdamW([p], lr=1e-4, betas=(0.9, 0.95), weight_decay=0.1, fused=True)
    ms = timed(opt.step, 10)
    result(f"adamw_f32_{n}", 28.0 * n / (ms * 1e-3) / 1e9, "GB/s", ms)
    src = torch.randn(n, device="cuda")
    dst = torch.empty_like(src)
    cms = timed(lambda: dst.copy_(src), 10)
    result(f"copy_d2d_{4 * n}", 8.0 * n / (cms * 1e-3) / 1e9, "GB/s", cms)


TARGETS = {f"gemm_bf16_{f}_{n}": 0.9 for f in ("nn", "nt", "tn") for n in (4096, 8192)}


def table(triad_file):
    triad = {}
    with open(triad_file) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 5 and parts[0] == "RESULT":
                triad[parts[1]] = (float(parts[2]), parts[3], float(parts[4]))
    print()
    print(f"device: {torch.cuda.get_device_name(0)}")
    print(f"{'figure':<34} {'unit':>8} {'triad':>10} {'pytorch':>10} {'ratio':>7}  target")
    copy_triad = next((v[0] for k, v in triad.items() if k.startswith("copy_d2d")), None)
    for key, value, unit, _ in KEYS:
        t = triad.get(key)
        tv = f"{t[0]:.2f}" if t else "-"
        ratio = f"{t[0] / value:.2f}" if t and value > 0 else "-"
        target = ""
        if key in TARGETS:
            target = f">= {TARGETS[key]:.2f} of cuBLAS"
        elif key.startswith("attn_fwdbwd"):
            target = ">= 1.00 of SDPA flash"
        elif key.startswith("adamw") and t and copy_triad:
            target = f">= 0.80 of copy (triad adamw/copy = {t[0] / copy_triad:.2f})"
        print(f"{key:<34} {unit:>8} {tv:>10} {value:>10.2f} {ratio:>7}  {target}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--triad", help="CudaBench output to put side by side")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--gemm", help="comma-separated sizes (default 1024,2048,4096,8192; --quick 1024)")
    ap.add_argument("--attention", choices=["small", "all"], help="small: B8 H12 T1024 D64 only")
    ap.add_argument("--adamw", type=int, help="elements (default 2^27; --quick 2^24)")
    ap.add_argument("--train-step", action="store_true", help="also the GPT-2 124M bf16 step (torch_gpt2_step.py)")
    ap.add_argument("--train-steps", type=int, default=10)
    args = ap.parse_args()
    if not torch.cuda.is_available():
        print("torch sees no CUDA device", file=sys.stderr)
        sys.exit(2)
    torch.manual_seed(0)
    sizes = [int(x) for x in args.gemm.split(",")] if args.gemm else ([1024] if args.quick else [1024, 2048, 4096, 8192])
    for n in sizes:
        gemm(n)
    attention(8, 12, 1024, 64)
    if (args.attention or ("small" if args.quick else "all")) == "all":
        attention(2, 16, 4096, 128)
    adamw(args.adamw or (1 << 24 if args.quick else 1 << 27))
    if args.train_step:
        import os
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        from torch_gpt2_step import train_step

        def emit(line):
            print(line, flush=True)
            p = line.split()
            if p[0] == "RESULT":
                KEYS.append((p[1], float(p[2]), p[3], float(p[4])))

        train_step(16, 1024, args.train_steps, emit=emit)
    if args.triad:
        table(args.triad)


if __name__ == "__main__":
    main()
