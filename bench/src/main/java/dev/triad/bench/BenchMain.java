package dev.triad.bench;

import dev.triad.nativ.TriadNative;
import dev.triad.nn.GptConfig;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

/**
 * Runs the Triad benchmarks with JMH's Runner API and prints one summary table of derived figures:
 * matmul GFLOP/s of Triad and OpenBLAS and their ratio per size, attention forward+backward ms,
 * AdamW GB/s, JNI ns per call, training-step ms, tokens/s and GFLOP/s, and generation tokens/s.
 *
 * <pre>
 * java -cp "bench/target/triad-bench.jar:bench/target/lib/*" dev.triad.bench.BenchMain [options] [regex...]
 * </pre>
 *
 * Without options each benchmark class uses its own @Warmup/@Measurement/@Fork defaults (the
 * full suite takes ~5-10 minutes on 2 cores). See {@link #usage()}.
 */
public final class BenchMain {
  private BenchMain() {}

  static String usage() {
    return String.join("\n",
        "usage: BenchMain [options] [regex...]",
        "  regex...            run only benchmarks whose name (e.g. dev.triad.bench.MatmulBench.openblas)",
        "                      matches one of these Java regexes; default: all of dev.triad.bench",
        "  --quick             smoke test: 1 fork, 1 x 0.2 s warmup, 1 x 0.5 s measurement, matmul n=1024",
        "                      (GPT-2 124M train step / generation: 1 warmup + 1 measured call;",
        "                      SuiteBench: triad bench --quick's shapes, size=quick)",
        "  --forks N           forks per benchmark (default 1)",
        "  --warmup N          warmup iterations",
        "  --iterations N      measurement iterations",
        "  --time SECONDS      duration of each warmup and measurement iteration (e.g. 1 or 0.5)",
        "  --param NAME=V1,V2  override a @Param, e.g. --param n=512,1024 or --param T=512",
        "  --json FILE         also write JMH's JSON results to FILE",
        "  --silent            no JMH progress output, only the summary table",
        "  --list              list the benchmarks and exit",
        "  -h, --help          this text",
        "Thread count: OPENBLAS_NUM_THREADS / OMP_NUM_THREADS in the environment reach the forks.");
  }

  public static void main(String[] args) throws RunnerException {
    List<String> includes = new ArrayList<>();
    Map<String, String[]> params = new LinkedHashMap<>();
    boolean quick = false;
    boolean list = false;
    boolean silent = false;
    Integer forks = null;
    Integer warmup = null;
    Integer iterations = null;
    Double time = null;
    String json = null;
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      switch (arg) {
        case "-h":
        case "--help":
          System.out.println(usage());
          return;
        case "--quick":
          quick = true;
          break;
        case "--list":
          list = true;
          break;
        case "--silent":
          silent = true;
          break;
        case "--forks":
          forks = Integer.parseInt(value(args, ++i, arg));
          break;
        case "--warmup":
          warmup = Integer.parseInt(value(args, ++i, arg));
          break;
        case "--iterations":
          iterations = Integer.parseInt(value(args, ++i, arg));
          break;
        case "--time":
          time = Double.parseDouble(value(args, ++i, arg));
          break;
        case "--json":
          json = value(args, ++i, arg);
          break;
        case "--param": {
          String p = value(args, ++i, arg);
          int eq = p.indexOf('=');
          if (eq <= 0 || eq == p.length() - 1) {
            throw new IllegalArgumentException("--param wants NAME=V1,V2,..., got " + p);
          }
          params.put(p.substring(0, eq), p.substring(eq + 1).split(","));
          break;
        }
        default:
          if (arg.startsWith("-")) {
            System.err.println("unknown option " + arg + "\n" + usage());
            System.exit(2);
          }
          includes.add(arg);
      }
    }
    if (includes.isEmpty()) {
      includes.add(BenchMain.class.getPackageName() + "\\..*");
    }

    ChainedOptionsBuilder opt = new OptionsBuilder();
    for (String inc : includes) {
      opt.include(inc);
    }
    if (quick) {
      opt.forks(1)
          .warmupIterations(1).warmupTime(TimeValue.milliseconds(200))
          .measurementIterations(1).measurementTime(TimeValue.milliseconds(500));
      if (!params.containsKey("n")) {
        params.put("n", new String[] {"1024"});
      }
      if (!params.containsKey("size")) {
        params.put("size", new String[] {"quick"});  // SuiteBench: triad bench --quick's shapes
      }
    }
    if (forks != null) {
      opt.forks(forks);
    }
    if (warmup != null) {
      opt.warmupIterations(warmup);
    }
    if (iterations != null) {
      opt.measurementIterations(iterations);
    }
    if (time != null) {
      TimeValue tv = TimeValue.milliseconds(Math.max(1, Math.round(time * 1000)));
      opt.warmupTime(tv).measurementTime(tv);
    }
    params.forEach(opt::param);
    if (json != null) {
      opt.result(json).resultFormat(ResultFormatType.JSON);
    }
    if (silent) {
      opt.verbosity(VerboseMode.SILENT);
    }

    Runner runner = new Runner(opt.build());
    if (list) {
      runner.list();
      return;
    }

    TriadNative.load();
    String env = String.format(Locale.ROOT, "triad %s | %s | %d CPU threads | %d cores | Java %s",
        TriadNative.triad_version(), TriadNative.triad_blas_info(), TriadNative.triad_cpu_threads(),
        Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"));
    Collection<RunResult> results = runner.run();
    System.out.println();
    System.out.println(summary(results, env, quick));
  }

  private static String value(String[] args, int i, String option) {
    if (i >= args.length) {
      throw new IllegalArgumentException(option + " needs a value");
    }
    return args[i];
  }

  // ---------------------------------------------------------------------------------------------
  // summary
  // ---------------------------------------------------------------------------------------------

  /** One measured benchmark: its score in seconds per op and relative error (NaN if unknown). */
  static final class Score {
    final double seconds;
    final double relErr;

    Score(double seconds, double relErr) {
      this.seconds = seconds;
      this.relErr = relErr;
    }

    String errPct() {
      return Double.isNaN(relErr) ? "" : String.format(Locale.ROOT, "±%.0f%%", 100 * relErr);
    }
  }

  /** Seconds per op from a JMH average-time score and its unit ("ms/op", "ns/op", ...). */
  static double toSeconds(double score, String unit) {
    String u = unit.endsWith("/op") ? unit.substring(0, unit.length() - 3) : unit;
    switch (u) {
      case "ns": return score * 1e-9;
      case "us": return score * 1e-6;
      case "ms": return score * 1e-3;
      case "s": return score;
      case "min": return score * 60;
      default: throw new IllegalArgumentException("not an average-time unit: " + unit);
    }
  }

  /** Results keyed by "Class.method" plus, for matmul, "#n". */
  static Map<String, Score> scores(Collection<RunResult> results) {
    Map<String, Score> m = new LinkedHashMap<>();
    for (RunResult r : results) {
      String bench = r.getParams().getBenchmark();
      String key = bench.substring(bench.lastIndexOf('.', bench.lastIndexOf('.') - 1) + 1);
      String n = r.getParams().getParam("n");
      if (n != null) {
        key += "#" + n;
      }
      String kase = r.getParams().getParam("kase");
      if (kase != null) {
        key += "#" + kase + "#" + r.getParams().getParam("size");
      }
      Result<?> p = r.getPrimaryResult();
      double s = toSeconds(p.getScore(), p.getScoreUnit());
      double err = p.getScoreError();
      double rel = Double.isNaN(err) || p.getScore() == 0 ? Double.NaN : err / p.getScore();
      m.put(key, new Score(s, rel));
    }
    return m;
  }

  static String summary(Collection<RunResult> results, String env, boolean quick) {
    Map<String, Score> s = scores(results);
    StringBuilder out = new StringBuilder();
    String rule = "-".repeat(96);
    out.append(rule).append('\n');
    out.append("Triad benchmark summary").append(quick ? " (QUICK SMOKE RUN: noisy, not a measurement)" : "")
        .append('\n').append(env).append('\n');
    out.append("±: JMH 99.9% confidence half-width (blank: too few iterations). Compare ratios, not lone times.\n");

    // matmul
    TreeSet<Integer> sizes = new TreeSet<>();
    for (String k : s.keySet()) {
      if (k.startsWith("MatmulBench.")) {
        sizes.add(Integer.parseInt(k.substring(k.indexOf('#') + 1)));
      }
    }
    if (!sizes.isEmpty()) {
      out.append(rule).append('\n');
      out.append("Matmul f32 C = A @ B, n x n, GFLOP/s = 2 n^3 / time\n");
      out.append(String.format(Locale.ROOT, "%6s  %18s  %18s  %18s  %12s  %12s%n", "n", "triad native",
          "triad Ops", "OpenBLAS sgemm", "native/BLAS", "Ops/BLAS"));
      for (int n : sizes) {
        double flop = 2.0 * n * n * (double) n;
        Score nat = s.get("MatmulBench.triadNative#" + n);
        Score ops = s.get("MatmulBench.triadOps#" + n);
        Score blas = s.get("MatmulBench.openblas#" + n);
        out.append(String.format(Locale.ROOT, "%6d  %18s  %18s  %18s  %12s  %12s%n", n,
            gflops(flop, nat), gflops(flop, ops), gflops(flop, blas), ratio(blas, nat), ratio(blas, ops)));
      }
      out.append("(ratio = BLAS time / Triad time, i.e. Triad GFLOP/s over OpenBLAS GFLOP/s; 1.00 = parity)\n");
    }

    // attention
    if (hasPrefix(s, "AttentionBench.")) {
      out.append(rule).append('\n');
      out.append("Attention f32 CPU, causal, B=4 H=12 T=1024 D=64 unless overridden (ms per call)\n");
      row(out, "Ops forward+backward (+ sum loss)", s.get("AttentionBench.opsForwardBackward"), 1e3, "ms");
      row(out, "native forward+backward", s.get("AttentionBench.nativeForwardBackward"), 1e3, "ms");
      row(out, "native forward only", s.get("AttentionBench.nativeForward"), 1e3, "ms");
    }

    // AdamW
    if (hasPrefix(s, "AdamWBench.")) {
      out.append(rule).append('\n');
      double bytes = (double) AdamWBench.BYTES_PER_PARAM * AdamWBench.GPT2_SMALL_PARAMS;
      out.append(String.format(Locale.ROOT,
          "AdamW step, %,d params, %d bytes/param = %.2f GB moved per step%n",
          AdamWBench.GPT2_SMALL_PARAMS, AdamWBench.BYTES_PER_PARAM, bytes / 1e9));
      adamwRow(out, "fused kernel, one 124M tensor", s.get("AdamWBench.fusedSingleTensor"), bytes);
      adamwRow(out, "AdamW.step(), GPT-2's 148 tensors", s.get("AdamWBench.optimizerGpt2Params"), bytes);
    }

    // JNI
    if (hasPrefix(s, "JniBench.")) {
      out.append(rule).append('\n');
      out.append("JNI round trip (ns per call)\n");
      row(out, "triad_noop(x)", s.get("JniBench.noop"), 1e9, "ns");
      row(out, "native 1-element add, preallocated", s.get("JniBench.nativeAdd1"), 1e9, "ns");
      row(out, "Ops.add 1 element (alloc + close)", s.get("JniBench.opsAdd1"), 1e9, "ns");
      row(out, "Ops.add 1 element in a Scope", s.get("JniBench.opsAdd1Scoped"), 1e9, "ns");
      row(out, "Tensor.zeros(1) + close", s.get("JniBench.createClose1"), 1e9, "ns");
    }
    // training step
    if (hasPrefix(s, "TrainStepBench.")) {
      out.append(rule).append('\n');
      out.append("Training step f32 CPU: Scope{logits, mean CE, backward, item}, grad norm + clip, fused AdamW, zeroGrad\n");
      out.append("GFLOP/s = B*T * (6 N + 12 nLayer nEmbd T) / time (N = params incl. tied wte; causal mask not halved)\n");
      out.append(String.format(Locale.ROOT, "  %-24s %12s %8s %12s %12s %10s  %s%n", "model", "params", "B x T",
          "ms/step", "tokens/s", "GFLOP/s", "±"));
      trainRow(out, "small (4x256, V=257)", TrainStepBench.SMALL, TrainStepBench.SMALL_B, TrainStepBench.SMALL_T,
          s.get("TrainStepBench.small"));
      trainRow(out, "gpt2 (12x768, V=50257)", TrainStepBench.GPT2, TrainStepBench.GPT2_B, TrainStepBench.GPT2_T,
          s.get("TrainStepBench.gpt2"));
    }

    // the triad bench suite
    if (hasPrefix(s, "SuiteBench.")) {
      out.append(rule).append('\n');
      out.append("triad bench suite f32 CPU (dev.triad.profile cases: the same shapes as `triad bench`)\n");
      out.append(String.format(Locale.ROOT, "  %-28s %-40s %12s %14s  %s%n", "case", "shape", "ms", "rate", "±"));
      for (Map.Entry<String, Score> e : s.entrySet()) {
        if (!e.getKey().startsWith("SuiteBench.")) {
          continue;
        }
        String[] k = e.getKey().split("#");
        dev.triad.profile.BenchCase c = SuiteBench.find(k[1], k[2]);
        double sec = e.getValue().seconds;
        String rate = c.unit() == dev.triad.profile.BenchCase.Unit.FLOPS
            ? String.format(Locale.ROOT, "%.2f GFLOP/s", c.work() / sec / 1e9)
            : String.format(Locale.ROOT, "%.2f GB/s", c.work() / sec / 1e9);
        out.append(String.format(Locale.ROOT, "  %-28s %-40s %12.3f %14s  %s%n", c.name(), c.shape(), sec * 1e3, rate,
            e.getValue().errPct()));
      }
    }

    // generation
    if (hasPrefix(s, "GenerationBench.")) {
      out.append(rule).append('\n');
      out.append("Generation f32 CPU: Generator.generate, greedy, KV cache, no stop tokens (N new tokens per row)\n");
      out.append("tokens/s = B*N / generate time (prefill included); decode tok/s = B*(N-1) / (generate - prefill)\n");
      out.append(String.format(Locale.ROOT, "  %-24s %3s %7s %4s %13s %10s %11s %12s %14s%n", "model", "B", "prompt",
          "N", "generate ms", "tokens/s", "prefill ms", "decode tok/s", "ms/decode step"));
      genRow(out, "small (4x256, V=257)", GenerationBench.SMALL_B, GenerationBench.SMALL_PROMPT,
          GenerationBench.SMALL_NEW, s.get("GenerationBench.smallGenerate"), s.get("GenerationBench.smallPrefill"));
      genRow(out, "gpt2 (12x768, V=50257)", GenerationBench.GPT2_B, GenerationBench.GPT2_PROMPT,
          GenerationBench.GPT2_NEW, s.get("GenerationBench.gpt2Generate"), s.get("GenerationBench.gpt2Prefill"));
    }
    out.append(rule);
    return out.toString();
  }

  private static void trainRow(StringBuilder out, String label, GptConfig c, int b, int t, Score sc) {
    if (sc == null) {
      return;
    }
    double tokens = (double) b * t;
    double flop = tokens * TrainStepBench.flopsPerToken(c, t);
    out.append(String.format(Locale.ROOT, "  %-24s %12s %8s %12.1f %12.0f %10.1f  %s%n", label,
        String.format(Locale.ROOT, "%,d", c.parameterCount(false)), b + " x " + t, sc.seconds * 1e3,
        tokens / sc.seconds, flop / sc.seconds / 1e9, sc.errPct()));
  }

  private static void genRow(StringBuilder out, String label, int b, int prompt, int n, Score gen, Score pre) {
    if (gen == null && pre == null) {
      return;
    }
    String genMs = gen == null ? "-" : String.format(Locale.ROOT, "%.1f %s", gen.seconds * 1e3, gen.errPct()).trim();
    String tps = gen == null ? "-" : String.format(Locale.ROOT, "%.1f", (double) b * n / gen.seconds);
    String preMs = pre == null ? "-" : String.format(Locale.ROOT, "%.1f %s", pre.seconds * 1e3, pre.errPct()).trim();
    String dec = "-";
    String stepMs = "-";
    if (gen != null && pre != null && n > 1 && gen.seconds > pre.seconds) {
      double decode = gen.seconds - pre.seconds;
      dec = String.format(Locale.ROOT, "%.1f", (double) b * (n - 1) / decode);
      stepMs = String.format(Locale.ROOT, "%.2f", decode / (n - 1) * 1e3);
    }
    out.append(String.format(Locale.ROOT, "  %-24s %3d %7d %4d %13s %10s %11s %12s %14s%n", label, b, prompt, n, genMs,
        tps, preMs, dec, stepMs));
  }

  private static boolean hasPrefix(Map<String, Score> s, String prefix) {
    return s.keySet().stream().anyMatch(k -> k.startsWith(prefix));
  }

  private static String gflops(double flop, Score sc) {
    if (sc == null) {
      return "-";
    }
    return String.format(Locale.ROOT, "%.1f %s", flop / sc.seconds / 1e9, sc.errPct()).trim();
  }

  private static String ratio(Score blas, Score triad) {
    if (blas == null || triad == null) {
      return "-";
    }
    return String.format(Locale.ROOT, "%.2f", blas.seconds / triad.seconds);
  }

  private static void row(StringBuilder out, String label, Score sc, double scale, String unit) {
    if (sc == null) {
      return;
    }
    out.append(String.format(Locale.ROOT, "  %-40s %12.3f %s  %s%n", label, sc.seconds * scale, unit, sc.errPct()));
  }

  private static void adamwRow(StringBuilder out, String label, Score sc, double bytes) {
    if (sc == null) {
      return;
    }
    out.append(String.format(Locale.ROOT, "  %-40s %10.1f ms  %7.2f GB/s  %s%n", label, sc.seconds * 1e3,
        bytes / sc.seconds / 1e9, sc.errPct()));
  }

}
