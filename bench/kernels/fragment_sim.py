#!/usr/bin/env python3
"""Checks the warp-level fragment index math of native/src/cuda/matmul.cu and attention_sm80.cu
without a GPU: a numpy model of ldmatrix (.x4, plain and .trans) and mma.m16n8k16 .row.col as the
PTX ISA defines their fragments, driven by the same lane -> shared-memory address formulas as the
kernels. Run: python3 bench/kernels/fragment_sim.py (prints OK lines or raises)."""
import numpy as np

rng = np.random.default_rng(0)


def ldmatrix_x4(smem, addr, trans):
    """smem: 2-D array; addr(lane) -> (row, col) of the 8 consecutive elements that lane points
    at. Returns regs[lane][i] = (lo, hi) for matrices i = 0..3 (matrix i's rows from lanes 8i..8i+7)."""
    mats = []
    for i in range(4):
        rows = []
        for j in range(8):
            r, c = addr(8 * i + j)
            rows.append(smem[r, c:c + 8])
        mats.append(np.array(rows))  # [8][8]: row j, col k
    regs = []
    for t in range(32):
        lane = []
        for m in mats:
            if not trans:
                lane.append((m[t // 4, 2 * (t % 4)], m[t // 4, 2 * (t % 4) + 1]))
            else:
                lane.append((m[2 * (t % 4), t // 4], m[2 * (t % 4) + 1, t // 4]))
        regs.append(lane)
    return regs


def a_matrix(a_regs):
    """16x16 A from per-lane a0..a3 (each a (lo, hi) pair)."""
    A = np.zeros((16, 16))
    for t in range(32):
        g, c = t // 4, t % 4
        for reg, (r, col) in enumerate([(g, 2 * c), (g + 8, 2 * c), (g, 2 * c + 8), (g + 8, 2 * c + 8)]):
            A[r, col], A[r, col + 1] = a_regs[t][reg]
    return A


def b_matrix(b0, b1):
    """16x8 B (k x n) from per-lane b0, b1."""
    B = np.zeros((16, 8))
    for t in range(32):
        g, c = t // 4, t % 4
        B[2 * c, g], B[2 * c + 1, g] = b0[t]
        B[2 * c + 8, g], B[2 * c + 9, g] = b1[t]
    return B


def c_scatter(C16x8):
    """per-lane c0..c3 of a 16x8 fp32 tile"""
    out = []
    for t in range(32):
        g, c = t // 4, t % 4
        out.append([C16x8[g, 2 * c], C16x8[g, 2 * c + 1], C16x8[g + 8, 2 * c], C16x8[g + 8, 2 * c + 1]])
    return out


def c_gather(c_regs):
    C = np.zeros((16, 8))
    for t in range(32):
        g, c = t // 4, t % 4
        C[g, 2 * c], C[g, 2 * c + 1], C[g + 8, 2 * c], C[g + 8, 2 * c + 1] = c_regs[t]
    return C


def mma(c_regs, a_regs, b0, b1):
    return c_scatter(c_gather(c_regs) + a_matrix(a_regs) @ b_matrix(b0, b1))


# ---------------- matmul.cu: one warp (wm, wn), one BK=32 tile, every transpose form ----------------
def gemm_warp(TA, TB, wm, wn):
    BM = BN = 128
    BK = 32
    A = rng.standard_normal((BM, BK))  # logical op(a) tile [m][k]
    B = rng.standard_normal((BK, BN))  # logical op(b) tile [k][n]
    sa = A.T.copy() if TA else A.copy()  # smem layout follows global: TA -> [k][m]
    sb = B.T.copy() if TB else B.copy()  # TB -> [n][k], else [k][n]
    acc = [[[[0.0] * 4 for _ in range(32)] for _ in range(4)] for _ in range(4)]
    acc = [[[[0.0] * 4 for _ in range(32)] for ni in range(4)] for mi in range(4)]
    for kk in range(0, BK, 16):
        af = []
        for mi in range(4):
            m0 = wm * 64 + mi * 16
            if TA:
                addr = lambda l, m0=m0: (kk + (l & 7) + (l >> 4) * 8, m0 + ((l >> 3) & 1) * 8)
            else:
                addr = lambda l, m0=m0: (m0 + (l & 15), kk + (l >> 4) * 8)
            af.append(ldmatrix_x4(sa, addr, TA))
        bfr = [None] * 4
        for np_ in range(2):
            n0 = wn * 32 + np_ * 16
            if TB:
                addr = lambda l, n0=n0: (n0 + (l & 7) + (l >> 4) * 8, kk + ((l >> 3) & 1) * 8)
            else:
                addr = lambda l, n0=n0: (kk + (l & 7) + ((l >> 3) & 1) * 8, n0 + (l >> 4) * 8)
            r = ldmatrix_x4(sb, addr, not TB)
            bfr[2 * np_] = ([x[0] for x in r], [x[1] for x in r])
            bfr[2 * np_ + 1] = ([x[2] for x in r], [x[3] for x in r])
        for mi in range(4):
            for ni in range(4):
                acc[mi][ni] = mma(acc[mi][ni], af[mi], bfr[ni][0], bfr[ni][1])
    ref = A @ B
    for mi in range(4):
        for ni in range(4):
            got = c_gather(acc[mi][ni])
            m0, n0 = wm * 64 + mi * 16, wn * 32 + ni * 8
            assert np.allclose(got, ref[m0:m0 + 16, n0:n0 + 8]), (TA, TB, wm, wn, mi, ni)


for TA in (False, True):
    for TB in (False, True):
        for wm, wn in ((0, 0), (1, 3)):
            gemm_warp(TA, TB, wm, wn)
        print(f"OK matmul.cu fragments TA={TA} TB={TB}")


# ---------------- attention_sm80.cu: mma_abt and mma_pv ----------------
def mma_abt(sa, a_row0, sb, D):
    """acc[16 x 64] = sa[a_row0:a_row0+16, :D] @ sb[:64, :D]^T, as the kernel does it"""
    acc = [[[0.0] * 4 for _ in range(32)] for _ in range(8)]
    for kk in range(0, D, 16):
        a = ldmatrix_x4(sa, lambda l: (a_row0 + (l & 15), kk + (l >> 4) * 8), False)
        for np_ in range(4):
            r = ldmatrix_x4(sb, lambda l: (np_ * 16 + (l & 7) + (l >> 4) * 8, kk + ((l >> 3) & 1) * 8), False)
            acc[2 * np_] = mma(acc[2 * np_], a, [x[0] for x in r], [x[1] for x in r])
            acc[2 * np_ + 1] = mma(acc[2 * np_ + 1], a, [x[2] for x in r], [x[3] for x in r])
    return acc


def mma_pv(out, p, sb, D):
    """out[16 x D] += P[16 x 64] (C-fragment tiles p[8]) @ sb[:64, :D]"""
    for kc in range(4):
        a = []
        for t in range(32):
            a.append([(p[2 * kc][t][0], p[2 * kc][t][1]), (p[2 * kc][t][2], p[2 * kc][t][3]),
                      (p[2 * kc + 1][t][0], p[2 * kc + 1][t][1]), (p[2 * kc + 1][t][2], p[2 * kc + 1][t][3])])
        for np_ in range(D // 16):
            r = ldmatrix_x4(sb, lambda l: (kc * 16 + (l & 7) + ((l >> 3) & 1) * 8, np_ * 16 + (l >> 4) * 8), True)
            out[2 * np_] = mma(out[2 * np_], a, [x[0] for x in r], [x[1] for x in r])
            out[2 * np_ + 1] = mma(out[2 * np_ + 1], a, [x[2] for x in r], [x[3] for x in r])
    return out


def tiles_to(acc, ncols):
    return np.concatenate([c_gather(acc[i]) for i in range(ncols // 8)], axis=1)


for D in (64, 128):
    Q = rng.standard_normal((64, D))
    K = rng.standard_normal((64, D))
    V = rng.standard_normal((64, D))
    for warp in range(4):
        s = mma_abt(Q, warp * 16, K, D)
        S = tiles_to(s, 64)
        assert np.allclose(S, Q[warp * 16:warp * 16 + 16] @ K.T)
        o = [[[0.0] * 4 for _ in range(32)] for _ in range(D // 8)]
        o = mma_pv(o, s, V, D)
        assert np.allclose(tiles_to(o, D), S @ V)
    print(f"OK attention_sm80.cu mma_abt / mma_pv D={D}")
