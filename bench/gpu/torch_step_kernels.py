#!/usr/bin/env python3
"""Where PyTorch's GPT-2 124M bf16 training step spends GPU time, kernel by kernel.

The step of bench/kernels/torch_gpt2_step.py (the reference TrainStepBench is compared with),
profiled with torch.profiler over --steps steps after --warmup. Prints the wall time per step, the
sum of kernel time per step (wall minus that = time the GPU waited on the host) and one line per
kernel: launches per step, device ms per step, share of the kernel time. The counterpart of
bench/gpu/profile_report.py's table for Triad (ncu, the same shapes).
"""
import argparse
import os
import sys
import time

import torch
from torch.profiler import ProfilerActivity, profile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "kernels"))
import torch_gpt2_step as ref  # noqa: E402


def device_us(evt):
    """Self device time of an event in microseconds (the attribute's name changed across versions)."""
    for name in ("self_device_time_total", "self_cuda_time_total"):
        if hasattr(evt, name):
            return getattr(evt, name)
    return 0.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--t", type=int, default=1024)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--steps", type=int, default=2)
    ap.add_argument("--rows", type=int, default=30)
    a = ap.parse_args()
    model, opt, idx, tgt = ref.setup(a.batch, a.t)
    for _ in range(a.warmup):
        ref.step(model, opt, idx, tgt)
    torch.cuda.synchronize()
    with profile(activities=[ProfilerActivity.CUDA]) as prof:
        t0 = time.perf_counter()
        for _ in range(a.steps):
            ref.step(model, opt, idx, tgt)
        torch.cuda.synchronize()
        wall_ms = (time.perf_counter() - t0) * 1e3 / a.steps
    # kernels only (device-side events); memcpy/memset rows are kept, they cost GPU time too
    rows = [e for e in prof.key_averages() if device_us(e) > 0]
    rows.sort(key=device_us, reverse=True)
    total_ms = sum(device_us(e) for e in rows) / 1e3 / a.steps
    print(f"torch {torch.__version__} {torch.cuda.get_device_name()} GPT-2 124M bf16 autocast B={a.batch} "
          f"T={a.t}: wall {wall_ms:.3f} ms/step, kernels {total_ms:.3f} ms/step "
          f"(GPU idle {max(0.0, wall_ms - total_ms):.3f} ms/step), {a.steps} steps profiled")
    print(f"{'kernel':<90} {'per step':>8} {'ms/step':>9} {'share':>7}")
    for e in rows[:a.rows]:
        ms = device_us(e) / 1e3 / a.steps
        print(f"{e.key[:90]:<90} {e.count / a.steps:>8.1f} {ms:>9.3f} {100 * ms / total_ms:>6.1f}%")
    print(f"{'(' + str(len(rows) - a.rows) + ' more kernels)' if len(rows) > a.rows else '':<90}")


if __name__ == "__main__":
    main()
