#!/usr/bin/env python3
"""Per-kernel table of one Triad training step from an ncu CSV (bench/gpu/profile_step.sh).

  kernels CSV [FIRST_KERNEL]   ncu --csv --page raw --print-units base --metrics gpu__time_duration.sum
                               over TrainStepBench: every launch of the LAST step (it starts at the
                               last run of launches of FIRST_KERNEL, default embedding_forward_kernel,
                               counted per step), grouped by kernel: launches, ms, share.
  self-test                    the parser on a made-up CSV.
Standard library only.
"""
import csv
import io
import re
import sys

METRIC = "gpu__time_duration.sum"


def launches(text):
    """[(kernel name, ns)] in launch order from ncu's raw CSV page (header, a units row, data)."""
    rows = list(csv.reader(io.StringIO("\n".join(l for l in text.splitlines() if not l.startswith("==")))))
    head = next((i for i, r in enumerate(rows) if "Kernel Name" in r and METRIC in r), None)
    if head is None:
        raise ValueError(f"no CSV header with 'Kernel Name' and {METRIC}")
    h = rows[head]
    k, t, idc = h.index("Kernel Name"), h.index(METRIC), h.index("ID") if "ID" in h else None
    out = []
    for r in rows[head + 1:]:
        if len(r) <= max(k, t) or (idc is not None and not r[idc].strip().isdigit()):
            continue  # the units row, blank lines
        out.append((r[k], float(r[t].replace(",", ""))))
    return out


def short(name):
    """`void ns::gemm_sm90_kernel<true, false>(...)` -> `gemm_sm90_kernel<true, false>`."""
    name = name.strip()
    if name.endswith(")"):  # drop the parameter list: back to the '(' that matches the last ')'
        depth = 0
        for i in range(len(name) - 1, -1, -1):
            depth += {")": 1, "(": -1}.get(name[i], 0)
            if depth == 0:
                name = name[:i]
                break
    name = re.sub(r"^void\s+", "", name)
    head, sep, args = name.partition("<")  # namespaces end before the template arguments
    return head.split("::")[-1] + sep + args


def last_step(seq, first="embedding_forward_kernel"):
    """The launches of the last step: from the start of the last group of `first` launches."""
    idx = [i for i, (n, _) in enumerate(seq) if first in n]
    if not idx:
        return seq
    # launches of `first` per step: the count of each step is the same, and steps >= 2
    runs = [idx[0]]
    for a, b in zip(idx, idx[1:]):
        if b != a + 1:
            runs.append(b)
    return seq[runs[-1]:] if len(runs) > 1 else seq


def table(seq):
    total = sum(ns for _, ns in seq)
    agg = {}
    for n, ns in seq:
        c, s = agg.get(short(n), (0, 0.0))
        agg[short(n)] = (c + 1, s + ns)
    lines = [f"kernel time of the step: {total / 1e6:.3f} ms in {len(seq)} launches",
             f"{'kernel':<70} {'launches':>8} {'ms':>9} {'mean us':>9} {'share':>7}"]
    for n, (c, s) in sorted(agg.items(), key=lambda x: -x[1][1]):
        lines.append(f"{n[:70]:<70} {c:>8} {s / 1e6:>9.3f} {s / c / 1e3:>9.1f} {100 * s / total:>6.1f}%")
    return "\n".join(lines)


def self_test():
    text = ("==PROF== Connected to process 1\n"
            '"ID","Process ID","Kernel Name","gpu__time_duration.sum"\n'
            '"","","","nsecond"\n'
            + "".join(f'"{i}","1","{n}","{t}"\n' for i, (n, t) in enumerate(
                [("void triad::cuda::normal_kernel(float*)", "500")]
                + [("void triad::cuda::embedding_forward_kernel(int)", "1,000"),
                   ("void triad::cuda::(anonymous namespace)::gemm_sm90_kernel<true, false>(CUtensorMap)", "3000")] * 3)))
    seq = last_step(launches(text))
    ok = len(seq) == 2 and seq[1][1] == 3000.0 and short(seq[1][0]) == "gemm_sm90_kernel<true, false>"
    ok &= short(seq[0][0]) == "embedding_forward_kernel"
    ok &= "4.000e" not in table(seq) and "0.004" in table(seq)
    print("self-test", "PASS" if ok else "FAIL")
    return 0 if ok else 1


def main(argv):
    if argv[:1] == ["self-test"]:
        return self_test()
    if len(argv) >= 2 and argv[0] == "kernels":
        with open(argv[1], errors="replace") as f:
            seq = launches(f.read())
        print(table(last_step(seq, *argv[2:3])))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
