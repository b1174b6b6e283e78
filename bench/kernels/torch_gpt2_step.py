#!/usr/bin/env python3
"""PyTorch reference for Triad's GPT-2 training step (dev.triad.bench.TrainStepBench).

A nanoGPT-style GPT-2 124M (12 layers, 12 heads, 768 wide, context 1024, vocabulary padded to
50304 as Triad's CUDA model pads 50257, lm head tied to the token embedding, GELU tanh), fp32
weights under bf16 autocast (fp32 masters, as Triad's precision policy), SDPA causal attention,
fused AdamW (lr 3e-4, betas 0.9/0.95, weight decay 0.1 on matrices), gradient clipping at 1.0.
Eager (no torch.compile). One step = forward + loss + backward + clip + AdamW + loss.item().
Prints `RESULT train_step_bf16_B<B>_T<T> <tokens/s> tok/s <median ms>`.
"""
import argparse
import math
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

VOCAB, PADDED_VOCAB = 50257, 50304


class Block(nn.Module):
    def __init__(self, c, h):
        super().__init__()
        self.h = h
        self.ln_1 = nn.LayerNorm(c)
        self.c_attn = nn.Linear(c, 3 * c)
        self.attn_proj = nn.Linear(c, c)
        self.ln_2 = nn.LayerNorm(c)
        self.c_fc = nn.Linear(c, 4 * c)
        self.mlp_proj = nn.Linear(4 * c, c)

    def forward(self, x):
        b, t, c = x.shape
        q, k, v = self.c_attn(self.ln_1(x)).split(c, dim=2)
        q, k, v = (z.view(b, t, self.h, c // self.h).transpose(1, 2) for z in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + self.attn_proj(y.transpose(1, 2).contiguous().view(b, t, c))
        return x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh"))


class Gpt(nn.Module):
    def __init__(self, n_layer=12, n_head=12, n_embd=768, block=1024):
        super().__init__()
        self.wte = nn.Embedding(PADDED_VOCAB, n_embd)
        self.wpe = nn.Embedding(block, n_embd)
        self.h = nn.ModuleList(Block(n_embd, n_head) for _ in range(n_layer))
        self.ln_f = nn.LayerNorm(n_embd)
        for name, p in self.named_parameters():
            if p.dim() >= 2:
                nn.init.normal_(p, std=0.02)
            elif "ln" not in name:
                nn.init.zeros_(p)

    def forward(self, idx, targets):
        t = idx.shape[1]
        x = self.wte(idx) + self.wpe(torch.arange(t, device=idx.device))
        for blk in self.h:
            x = blk(x)
        logits = F.linear(self.ln_f(x), self.wte.weight)
        return F.cross_entropy(logits.float().view(-1, logits.size(-1)), targets.view(-1))


def setup(batch, t):
    """The model, its fused AdamW and one batch of random tokens and targets, on the GPU."""
    torch.manual_seed(0)
    model = Gpt(block=t).cuda()
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=3e-4, betas=(0.9, 0.95), eps=1e-8, fused=True)
    idx = torch.randint(0, VOCAB, (batch, t), device="cuda")
    tgt = torch.randint(0, VOCAB, (batch, t), device="cuda")
    return model, opt, idx, tgt


def step(model, opt, idx, tgt):
    """One training step; returns the loss (its host read ends the step)."""
    with torch.autocast("cuda", dtype=torch.bfloat16):
        loss = model(idx, tgt)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    opt.zero_grad(set_to_none=True)
    return loss.item()


def train_step(batch=16, t=1024, steps=10, warmup=3, emit=print):
    model, opt, idx, tgt = setup(batch, t)
    times, losses = [], []
    for s in range(warmup + steps):
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        losses.append(step(model, opt, idx, tgt))
        if s >= warmup:
            times.append((time.perf_counter() - t0) * 1e3)
    ms = statistics.median(times)
    key = f"train_step_bf16_B{batch}_T{t}"
    emit(f"RESULT {key} {batch * t / (ms * 1e-3):.2f} tok/s {ms:.4f}")
    ok = all(math.isfinite(x) for x in losses) and abs(losses[0] - math.log(VOCAB)) < 1.0
    emit(f"CHECK {key} {'PASS' if ok else 'FAIL'} {losses[0]:.4f} first loss; losses {[round(x, 4) for x in losses]}")
    del model, opt


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--t", type=int, default=1024)
    ap.add_argument("--steps", type=int, default=10)
    a = ap.parse_args()
    train_step(a.batch, a.t, a.steps, emit=lambda s: print(s, flush=True))


if __name__ == "__main__":
    main()
