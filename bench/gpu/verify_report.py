#!/usr/bin/env python3
"""Parsing and reporting for bench/gpu/verify.sh (standard library only: it also runs in CI).

Subcommands (each prints JSON on stdout unless said otherwise):
  junit DIR...              JUnit legacy XML reports (--reports-dir) and, for runs killed before
                            the XML was written, the launcher's live output (--details=flat, DIR/console.txt).
                            Skipped and aborted tests count as failed (a GPU run must skip nothing).
  sanitizer TOOL LOG...     compute-sanitizer logs: error/hazard counts.
  bench TRIAD TORCH         CudaBench and torch_reference.py outputs: rows, checks, ratios, targets.
  report STATE OUT          results.json + summary.txt from the phases' JSON files in STATE.
  collect PHASE STATE SECS LIMIT RC   STATE/PHASE.json from the logs the phase left in STATE/logs.
  fake-bench DIR            writes fake CudaBench/PyTorch outputs (dry run of the table plumbing).
  self-test                 every parser on made-up inputs; exit 0 when all agree.
"""
import glob
import json
import os
import re
import sys
import xml.etree.ElementTree as ET

PHASES = ["probe", "tests", "rerun", "memcheck", "racecheck", "bench"]


# ---------------------------------------------------------------- JUnit

def method_of(classname, name):
    """`dev.x.C`, `matmul(DType)[2]` -> `dev.x.C#matmul`."""
    return classname + "#" + re.split(r"[(\[]", name, maxsplit=1)[0]


def method_regex(method):
    """The console launcher's --include-methodname pattern for every invocation of `method`."""
    cls, name = method.split("#", 1)
    return re.escape(cls) + "#" + re.escape(name) + r"(\(.*\))?"


_FLAT = re.compile(r"^(?P<ev>Started|Finished|Skipped):\s+(?P<name>.*?) \((?P<id>\[engine:.*\])\)\s*$")


def _flat_method(uid):
    """`[engine:x]/[class:a.B]/[test-template:m(T)]/[test-template-invocation:#2]` -> (`a.B#m`, is_leaf)."""
    parts = re.findall(r"\[([a-z-]+):([^\]]*)\]", uid)
    cls = next((v for k, v in parts if k == "class"), None)
    meth = next((v for k, v in parts if k in ("method", "test-template", "test-factory")), None)
    leaf = parts[-1][0] in ("method", "test-template-invocation", "dynamic-test")
    if cls is None or meth is None:
        return None, False
    return cls + "#" + meth.split("(")[0], leaf


def parse_flat(text):
    """Leaf results from the console launcher's live output (--details=flat): what a killed run
    still shows. A leaf that started and never finished (killed or hung) counts as failed."""
    results, messages = {}, {}
    last = None
    for ln in text.splitlines():
        m = _FLAT.match(ln)
        if not m:
            if last and ln.strip().startswith("=> ") and results.get(last) == "passed":
                results[last] = "failed"  # an exception line follows a failed or aborted leaf
                messages[last] = ln.strip()[3:][:300]
            continue
        last = None
        method, leaf = _flat_method(m.group("id"))
        if not leaf:
            continue
        uid = m.group("id")
        if m.group("ev") == "Started":
            results[uid] = "running"
        elif m.group("ev") == "Skipped":
            results[uid] = "skipped"
        else:
            results[uid] = "passed"
            last = uid
    cases = []
    for uid, st in results.items():
        method, _ = _flat_method(uid)
        msg = messages.get(uid, "")
        if st == "running":
            st, msg = "failed", "started, never finished (killed at the deadline or hung)"
        cases.append({"method": method, "name": uid.split("/")[-1], "status": st, "message": msg})
    return cases


def parse_junit(dirs):
    cases = []
    found_xml = False
    flat = []
    for d in dirs:
        xmls = sorted(glob.glob(os.path.join(d, "TEST-*.xml")))
        found_xml |= bool(xmls)
        for path in xmls:
            try:
                root = ET.parse(path).getroot()
            except ET.ParseError as e:
                cases.append({"method": "xml#" + os.path.basename(path), "name": str(e), "status": "failed",
                              "message": "unreadable report"})
                continue
            for tc in root.iter("testcase"):
                status, message = "passed", ""
                for tag in ("failure", "error", "skipped"):
                    el = tc.find(tag)
                    if el is not None:
                        status = "skipped" if tag == "skipped" else "failed"
                        message = (el.get("message") or (el.text or "")).strip().splitlines()[0:1]
                        message = message[0][:300] if message else ""
                        break
                cases.append({"method": method_of(tc.get("classname", "?"), tc.get("name", "?")),
                              "name": tc.get("name", "?"), "status": status, "message": message})
        console = os.path.join(d, "console.txt")
        if not xmls and os.path.exists(console):
            with open(console, errors="replace") as f:
                flat += parse_flat(f.read())
    if not found_xml:
        cases = flat
    bad = [c for c in cases if c["status"] != "passed"]
    failed_methods = sorted({c["method"] for c in bad})
    return {
        "source": "xml" if found_xml else ("console (run cut short)" if cases else "none"),
        "total": len(cases),
        "passed": len(cases) - len(bad),
        "failed": sum(c["status"] == "failed" for c in cases),
        "skipped": sum(c["status"] == "skipped" for c in cases),
        "failed_methods": failed_methods,
        "problems": [{"test": c["method"] + " " + c["name"].split("#")[-1], "status": c["status"],
                      "message": c["message"]} for c in bad][:60],
        # a run is a pass only if it ran something and every test passed (skipped = failed)
        "pass": bool(cases) and not bad,
        "cases": [{"method": c["method"], "status": c["status"]} for c in cases],
    }


# ---------------------------------------------------------------- compute-sanitizer

def parse_sanitizer(tool, logs):
    errors, hazards, warnings, summaries = 0, 0, 0, 0
    for path in logs:
        with open(path, errors="replace") as f:
            text = f.read()
        for m in re.finditer(r"ERROR SUMMARY:\s*(\d+) error", text):
            errors += int(m.group(1))
            summaries += 1
        for m in re.finditer(r"RACECHECK SUMMARY:\s*(\d+) hazards? displayed \((\d+) errors?, (\d+) warnings?\)", text):
            # racecheck ends with this line alone (no ERROR SUMMARY; seen on an H200, 2026-12-04)
            hazards += int(m.group(1))
            warnings += int(m.group(3))
            summaries += 1
    return {"tool": tool, "logs": len(logs), "summaries": summaries, "errors": errors, "hazards": hazards,
            "warnings": warnings}


# ---------------------------------------------------------------- benchmark

def read_bench(path):
    figs, checks, unsupported = {}, {}, {}
    if path and os.path.exists(path):
        with open(path, errors="replace") as f:
            for line in f:
                p = line.split()
                if len(p) >= 5 and p[0] == "RESULT":
                    try:
                        figs[p[1]] = {"value": float(p[2]), "unit": p[3], "ms": float(p[4])}
                    except ValueError:
                        pass
                elif len(p) >= 3 and p[0] == "CHECK":
                    # several checks may share a key: any FAIL fails it
                    if checks.get(p[1]) != "FAIL":
                        checks[p[1]] = p[2]
                elif len(p) >= 2 and p[0] == "UNSUPPORTED":
                    unsupported[p[1]] = " ".join(p[2:])
    return figs, checks, unsupported


def bench_rows(triad_path, torch_path):
    tf, tc, tu = read_bench(triad_path)
    pf, _, _ = read_bench(torch_path)
    rows = []
    copy_key = next((k for k in tf if k.startswith("copy_d2d")), None)
    torch_copy = next((k for k in pf if k.startswith("copy_d2d")), None)

    def row(key, ref_key, ref_name, target, unit_hint="", ref_figs=None):
        t, r = tf.get(key), (pf if ref_figs is None else ref_figs).get(ref_key)
        ratio = t["value"] / r["value"] if t and r and r["value"] > 0 else None
        check = tc.get(key, "UNSUPPORTED" if key in tu else ("MISSING" if t is None else "NONE"))
        rows.append({"key": key, "unit": (t or r or {}).get("unit", unit_hint), "triad": t and t["value"],
                     "triad_ms": t and t["ms"], "ref": r and r["value"], "ref_name": ref_name, "ratio": ratio,
                     "target": target, "target_met": None if ratio is None or target is None else ratio >= target,
                     "check": check, "note": tu.get(key, "")})

    keys = list(tf) + [k for k in pf if k not in tf]
    for k in [k for k in keys if k.startswith("gemm_bf16_")]:
        n = int(k.rsplit("_", 1)[1])
        row(k, k, "torch.matmul", 0.9 if n >= 4096 else None)
    for k in [k for k in keys if k.startswith("attn_")]:
        row(k, k, "SDPA flash", 1.0 if k.startswith("attn_fwdbwd") else None)
    for k in [k for k in keys if k.startswith("adamw_")]:
        row(k, copy_key, "triad copy", 0.8, ref_figs=tf)
        if k.startswith("adamw_f32") and k in pf:
            row(k, k, "torch fused AdamW", None)
    for k in [k for k in keys if k.startswith("copy_d2d")]:
        row(k, torch_copy, "torch copy_", None)
    trains = sorted({k for k in keys if k.startswith("train_step_")} | {k for k in tu if k.startswith("train_step_")})
    torch_train = next((k for k in pf if k.startswith("train_step_")), None)
    for k in trains:
        if k in pf and k not in tf and k not in tu:
            continue
        row(k, torch_train, "torch nanoGPT step", 1.0)
    checks_failed = sorted(k for k, v in tc.items() if v != "PASS")
    return {"rows": rows, "checks_failed": checks_failed,
            "checks_total": len(tc), "unsupported": tu,
            "targets_missed": [r["key"] for r in rows if r["target_met"] is False],
            "pass": bool(tf) and not checks_failed}


def fake_bench(d):
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "triad_bench.txt"), "w") as f:
        f.write("RESULT gemm_bf16_nn_4096 600.00 TFLOP/s 0.2290\nCHECK gemm_bf16_nn_4096 PASS 3.1e-03 tol 1e-02: x\n"
                "RESULT attn_fwdbwd_B8_H12_T1024_D64 300.00 TFLOP/s 1.0000\n"
                "CHECK attn_fwdbwd_B8_H12_T1024_D64 FAIL nan tol 0e+00: x\n"
                "RESULT adamw_f32_134217728 2800.00 GB/s 1.3\nCHECK adamw_f32_134217728 PASS 0 tol 1e-06: x\n"
                "RESULT copy_d2d_536870912 3500.00 GB/s 0.3\nCHECK copy_d2d_536870912 PASS 0 tol 0: x\n"
                "UNSUPPORTED train_step_bf16_B16_T1024 BF16 parameters are not supported\n")
    with open(os.path.join(d, "torch_bench.txt"), "w") as f:
        f.write("RESULT gemm_bf16_nn_4096 700.00 TFLOP/s 0.1960\nRESULT attn_fwdbwd_B8_H12_T1024_D64 350.00 TFLOP/s 0.9\n"
                "RESULT adamw_f32_134217728 2500.00 GB/s 1.5\nRESULT copy_d2d_536870912 3800.00 GB/s 0.28\n"
                "RESULT train_step_bf16_B16_T1024 400000.00 tok/s 40.9\n")


# ---------------------------------------------------------------- report

def fmt(v, nd=2):
    return "-" if v is None else (f"{v:.{nd}f}" if isinstance(v, float) else str(v))


def report(state, out):
    res = {"phases": {}}
    meta_path = os.path.join(state, "meta.json")
    if os.path.exists(meta_path):
        with open(meta_path) as f:
            res.update(json.load(f))
    for ph in PHASES:
        p = os.path.join(state, ph + ".json")
        if os.path.exists(p):
            with open(p) as f:
                try:
                    res["phases"][ph] = json.load(f)
                except json.JSONDecodeError as e:
                    res["phases"][ph] = {"status": "fail", "error": "unreadable phase record: " + str(e)}
    phases = res["phases"]
    ran = {k: v for k, v in phases.items() if v.get("status") not in ("not requested",)}
    res["pass"] = bool(ran) and all(v.get("status") == "pass" for v in ran.values())
    if res.get("dry_run"):
        res["status"] = "dry-run"
    elif phases.get("probe", {}).get("cuda_available") is False:
        res["status"] = "cuda unavailable"
    else:
        res["status"] = "pass" if res["pass"] else "fail"
    lines = [f"triad GPU verification  {res.get('date', '')}  status: {res['status'].upper()}"]
    pr = phases.get("probe", {})
    lines.append(f"device: {pr.get('gpu', '-')}  driver: {pr.get('driver', '-')}  cuda available: "
                 f"{pr.get('cuda_available', '-')}  java: {pr.get('java', '-')}  torch: {pr.get('torch', '-')}")
    if pr.get("cuda_cause"):
        lines.append(f"cuda: {pr['cuda_cause']}")
    lines.append("")
    lines.append(f"{'phase':<10} {'status':<14} {'secs':>6} {'limit':>6}  detail")
    for ph in PHASES:
        v = phases.get(ph)
        if not v:
            continue
        detail = v.get("detail", "")
        lines.append(f"{ph:<10} {v.get('status', '-'):<14} {fmt(v.get('seconds'), 0):>6} {fmt(v.get('limit'), 0):>6}  "
                     f"{detail}")
    for ph in ("tests", "memcheck", "racecheck"):
        probs = phases.get(ph, {}).get("junit", {}).get("problems", [])
        if probs:
            lines.append("")
            lines.append(f"{ph}: {len(probs)} not passed" + (" (first 10):" if len(probs) > 10 else ":"))
            lines += [f"  {p['status']:<8} {p['test']}  {p['message'][:100]}" for p in probs[:10]]
    rr = phases.get("rerun", {}).get("methods", [])
    if rr:
        lines.append("")
        lines.append("reruns (TRIAD_CUDA_SYNC=1, one JVM each):")
        lines += [f"  {m['status']:<8} {m['method']}  {m.get('message', '')[:100]}" for m in rr]
    b = phases.get("bench", {})
    if b.get("rows"):
        lines.append("")
        lines.append(f"{'figure':<34} {'unit':>8} {'triad':>11} {'reference':>11} {'ratio':>6} {'target':>7}  "
                     f"{'check':<11} vs")
        for r in b["rows"]:
            tgt = "-" if r["target"] is None else (">=" + fmt(r["target"]) + ("" if r["target_met"] is None else
                                                                              (" ok" if r["target_met"] else " NO")))
            lines.append(f"{r['key']:<34} {r['unit']:>8} {fmt(r['triad']):>11} {fmt(r['ref']):>11} "
                         f"{fmt(r['ratio']):>6} {tgt:>7}  {r['check']:<11} {r['ref_name']}")
    lines.append("")
    lines.append(f"overall: {res['status'].upper()}" + ("" if res["pass"] else "  (a phase did not pass: see above)"))
    summary = "\n".join(lines) + "\n"
    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump(res, f, indent=1, sort_keys=True)
    with open(os.path.join(out, "summary.txt"), "w") as f:
        f.write(summary)
    return summary


# ---------------------------------------------------------------- one phase's record

def cli_bench(path):
    """The summary of `triad bench --json`: peaks and each case's median and share of peak; None when absent."""
    try:
        with open(path) as f:
            j = json.load(f)
        return {"device_name": j.get("device_name"), "precision": j.get("precision"),
                "peak_tflops": j["peak"]["flops"] / 1e12, "peak_gbps": j["peak"]["bytes_per_s"] / 1e9,
                "cases": {c["case"] + " " + c["shape"]: {"ms": c["median_ms"], "share": c["share_of_peak"]}
                          for c in j["cases"]}}
    except (OSError, ValueError, KeyError, TypeError):
        return None


def collect(ph, state, secs, limit, rc):
    """STATE/PH.json from what the phase left in STATE/logs (also after it was killed)."""
    logs = os.path.join(state, "logs")
    killed = rc in (124, 137)
    note = f" (killed at its {limit}s deadline)" if killed else ""
    rec = {"seconds": secs, "limit": limit, "exit": rc, "killed": killed}
    if ph == "probe":
        p = os.path.join(state, "probe.fields.json")
        if os.path.exists(p):
            with open(p) as f:
                rec.update(json.load(f))
            rec["detail"] += note
        else:
            rec.update(status="fail", cuda_available=False, detail=f"the probe recorded nothing (exit {rc}){note}")
    elif ph == "tests":
        j = parse_junit([os.path.join(logs, "tests")])
        j.pop("cases", None)
        rec.update(status="pass" if j["pass"] and not killed else "fail", junit=j,
                   detail=f"{j['passed']}/{j['total']} passed, {j['failed']} failed, {j['skipped']} skipped (= failed), "
                          f"from {j['source']}{note}")
    elif ph == "rerun":
        todo, done = [], []
        for name, dest in (("rerun.todo", todo), ("rerun.list", done)):
            p = os.path.join(state, name)
            if os.path.exists(p):
                with open(p) as f:
                    dest += [ln.split() for ln in f if ln.strip()]
        methods = []
        for i, m in done:
            r = parse_junit([os.path.join(logs, "rerun", i)])
            msg = r["problems"][0]["message"] if r["problems"] else ("ran nothing" if not r["total"] else "")
            methods.append({"method": m, "status": "pass" if r["pass"] else "fail", "message": msg,
                            "junit": {k: r[k] for k in ("total", "passed", "failed", "skipped")}})
        status = "fail" if any(x["status"] == "fail" for x in methods) else (
            "incomplete" if len(done) < len(todo) else "pass")
        rec.update(status=status, methods=methods,
                   detail=(f"{len(done)} of {len(todo)} failed methods rerun with TRIAD_CUDA_SYNC=1" if todo else
                           "nothing to rerun") + note)
    elif ph in ("memcheck", "racecheck"):
        d = os.path.join(logs, ph)
        if os.path.exists(os.path.join(d, "missing")):
            rec.update(status="unavailable", detail="compute-sanitizer not found" + note)
        else:
            j = parse_junit([d])
            san = parse_sanitizer(ph, sorted(glob.glob(os.path.join(d, "sanitizer.*.txt"))))
            try:
                with open(os.path.join(d, "rc")) as f:
                    src = int(f.read().strip())
            except (OSError, ValueError):
                src = rc
            # a renamed test must not silently drop out of the named subset
            sel_path = os.path.join(d, "selected.txt")
            selected = open(sel_path).read().split() if os.path.exists(sel_path) else []
            seen = {c["method"] for c in j.get("cases", [])}
            unmatched = [m for m in selected if m not in seen]
            ok = (not unmatched and j["pass"] and san["summaries"] > 0 and san["errors"] == 0 and san["hazards"] == 0 and src == 0
                  and not killed)
            j.pop("cases", None)
            rec.update(status="pass" if ok else "fail", junit=j, sanitizer=san, sanitizer_exit=src, unmatched=unmatched,
                       detail=(f"NAMED TESTS NOT FOUND: {', '.join(unmatched)}; " if unmatched else "") + f"{san['errors']} errors, {san['hazards']} hazards in {san['summaries']} summaries; "
                              f"tests {j['passed']}/{j['total']} passed; sanitizer exit {src}{note}")
    elif ph == "bench":
        d = os.path.join(logs, "bench")
        fake = os.path.isdir(os.path.join(d, "fake"))
        src = os.path.join(d, "fake") if fake else d
        b = bench_rows(os.path.join(src, "triad_bench.txt"), os.path.join(src, "torch_bench.txt"))
        rec.update(b)
        rec["triad_bench"] = cli_bench(os.path.join(d, "triad_cli_bench.json"))
        rec.update(status="pass" if b["pass"] and not killed else "fail", fake=fake,
                   detail=f"{b['checks_total'] - len(b['checks_failed'])}/{b['checks_total']} output checks pass; "
                          f"targets missed: {len(b['targets_missed'])}" + (" (made-up figures: dry run)" if fake else "")
                          + note)
    with open(os.path.join(state, ph + ".json"), "w") as f:
        json.dump(rec, f)


# ---------------------------------------------------------------- self-test

FLAT_SAMPLE = """Started:     JUnit Jupiter ([engine:junit-jupiter])
Started:     CudaTilingTest ([engine:junit-jupiter]/[class:dev.T])
Started:     m(DType) ([engine:junit-jupiter]/[class:dev.T]/[test-template:m(dev.DType)])
Started:     [1] f32 ([engine:junit-jupiter]/[class:dev.T]/[test-template:m(dev.DType)]/[test-template-invocation:#1])
Finished:    [1] f32 ([engine:junit-jupiter]/[class:dev.T]/[test-template:m(dev.DType)]/[test-template-invocation:#1])
Started:     [2] bf16 ([engine:junit-jupiter]/[class:dev.T]/[test-template:m(dev.DType)]/[test-template-invocation:#2])
Finished:    [2] bf16 ([engine:junit-jupiter]/[class:dev.T]/[test-template:m(dev.DType)]/[test-template-invocation:#2])
             => Exception: org.opentest4j.AssertionFailedError: relative error 0.3 > 0.01
Started:     a() ([engine:junit-jupiter]/[class:dev.P]/[method:a()])
Finished:    a() ([engine:junit-jupiter]/[class:dev.P]/[method:a()])
Started:     hangs() ([engine:junit-jupiter]/[class:dev.P]/[method:hangs()])
"""

XML_SAMPLE = """<?xml version="1.0" encoding="UTF-8"?>
<testsuite name="JUnit Jupiter" tests="3" skipped="1" failures="1" errors="0">
<testcase name="attention(DType)[1]" classname="dev.triad.tensor.CudaParityTest" time="0.1"/>
<testcase name="attention(DType)[2]" classname="dev.triad.tensor.CudaParityTest" time="0.1">
<failure message="attention out: relative error 0.5 &gt; 0.01" type="org.opentest4j.AssertionFailedError">trace</failure>
</testcase>
<testcase name="rngMatchesCpuExactly()" classname="dev.triad.tensor.CudaParityTest" time="0">
<skipped><![CDATA[Assumption failed]]></skipped>
</testcase>
</testsuite>
"""


def self_test():
    import tempfile
    ok = True

    def expect(what, got, want):
        nonlocal ok
        if got != want:
            ok = False
            print(f"self-test FAIL {what}: got {got!r}, want {want!r}")

    with tempfile.TemporaryDirectory() as d:
        x = os.path.join(d, "xml")
        os.makedirs(x)
        with open(os.path.join(x, "TEST-junit-jupiter.xml"), "w") as f:
            f.write(XML_SAMPLE)
        j = parse_junit([x])
        expect("xml counts", (j["total"], j["passed"], j["failed"], j["skipped"], j["pass"]), (3, 1, 1, 1, False))
        expect("xml methods", j["failed_methods"],
               ["dev.triad.tensor.CudaParityTest#attention", "dev.triad.tensor.CudaParityTest#rngMatchesCpuExactly"])
        t = os.path.join(d, "tree")
        os.makedirs(t)
        with open(os.path.join(t, "console.txt"), "w") as f:
            f.write(FLAT_SAMPLE)
        j = parse_junit([t])
        expect("flat source", j["source"], "console (run cut short)")
        expect("flat counts", (j["total"], j["passed"], j["failed"]), (4, 2, 2))
        expect("flat methods", j["failed_methods"], ["dev.P#hangs", "dev.T#m"])
        expect("empty run fails", parse_junit([os.path.join(d, "none")])["pass"], False)
        rx = re.compile(method_regex("dev.triad.tensor.CudaParityTest#attention"))
        expect("regex param", bool(rx.fullmatch("dev.triad.tensor.CudaParityTest#attention(dev.triad.tensor.DType)")),
               True)
        expect("regex prefix", bool(rx.fullmatch("dev.triad.tensor.CudaParityTest#attentionDecode(x)")), False)
        s = os.path.join(d, "san.txt")
        with open(s, "w") as f:
            f.write("========= Invalid __global__ read of size 4\n========= ERROR SUMMARY: 3 errors\n"
                    "========= RACECHECK SUMMARY: 2 hazards displayed (1 error, 1 warning)\n")
        expect("sanitizer", parse_sanitizer("racecheck", [s])["errors"], 3)
        expect("racecheck", parse_sanitizer("racecheck", [s])["hazards"], 2)
        # racecheck's own log, as the H200 wrote it: its summary line alone counts as a summary
        with open(s, "w") as f:
            f.write("========= COMPUTE-SANITIZER\n"
                    "========= RACECHECK SUMMARY: 0 hazards displayed (0 errors, 0 warnings)\n")
        expect("racecheck summary", parse_sanitizer("racecheck", [s])["summaries"], 1)
        fake_bench(d)
        b = bench_rows(os.path.join(d, "triad_bench.txt"), os.path.join(d, "torch_bench.txt"))
        expect("bench fail check", b["checks_failed"], ["attn_fwdbwd_B8_H12_T1024_D64"])
        expect("bench pass", b["pass"], False)
        r = {x["key"]: x for x in b["rows"]}
        expect("gemm ratio", round(r["gemm_bf16_nn_4096"]["ratio"], 3), round(600 / 700, 3))
        expect("gemm target", r["gemm_bf16_nn_4096"]["target_met"], False)
        expect("train unsupported", r["train_step_bf16_B16_T1024"]["check"], "UNSUPPORTED")
        expect("adamw vs copy", round(next(x for x in b["rows"] if x["key"].startswith("adamw") and
                                           x["ref_name"] == "triad copy")["ratio"], 3), 0.8)
        st = os.path.join(d, "state")
        os.makedirs(st)
        with open(os.path.join(st, "probe.json"), "w") as f:
            json.dump({"status": "unavailable", "cuda_available": False, "detail": "no GPU"}, f)
        with open(os.path.join(st, "tests.json"), "w") as f:
            json.dump({"status": "unavailable"}, f)
        summ = report(st, d)
        expect("report status", json.load(open(os.path.join(d, "results.json")))["status"], "cuda unavailable")
        expect("summary last line", summ.strip().splitlines()[-1].startswith("overall: CUDA UNAVAILABLE"), True)
    print("self-test " + ("PASS" if ok else "FAIL"))
    return 0 if ok else 1


def main(argv):
    if not argv:
        print(__doc__)
        return 2
    cmd, args = argv[0], argv[1:]
    if cmd == "junit":
        j = parse_junit(args)
        j.pop("cases", None)
        print(json.dumps(j))
    elif cmd == "sanitizer":
        print(json.dumps(parse_sanitizer(args[0], args[1:])))
    elif cmd == "bench":
        print(json.dumps(bench_rows(args[0], args[1] if len(args) > 1 else None)))
    elif cmd == "report":
        sys.stdout.write(report(args[0], args[1]))
    elif cmd == "collect":
        collect(args[0], args[1], int(args[2]), int(args[3]), int(args[4]))
    elif cmd == "fake-bench":
        fake_bench(args[0])
    elif cmd == "self-test":
        return self_test()
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
