package dev.triad.cli;

import dev.triad.nn.Precision;
import dev.triad.profile.BenchCase;
import dev.triad.profile.BenchTable;
import dev.triad.profile.DevicePeak;
import dev.triad.profile.OpBench;
import dev.triad.train.StepBench;
import dev.triad.tensor.Device;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code triad bench}: every op and whole training steps, timed against the device's measured peak. */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = {"Time each op at GPT-2's shapes (matmul NN/NT/TN, attention, layernorm, GELU, cross-entropy,"
        + " AdamW, embedding) and whole training steps (pretrain, SFT, reward, DPO, PPO rollout and update) on"
        + " a device: median time after warm-up, TFLOP/s or GB/s, and the share of the device's peak measured"
        + " first in the same run (a large GEMM, a large copy; cached for training logs' MFU)."})
final class BenchCommand implements Callable<Integer> {
  @Option(names = "--device", defaultValue = "auto", description = "cpu, cuda or auto (default: ${DEFAULT-VALUE})")
  String device;

  @Option(names = "--precision", description = "bf16 or f32 (default: bf16 on CUDA, f32 on the CPU)")
  String precision;

  @Option(names = "--quick", description = "smaller shapes and fewer samples (a smoke run, ~20 s on a 2-core CPU)")
  boolean quick;

  @Option(names = "--json", description = "also write the results as JSON to this file")
  Path json;

  @Option(names = "--compare", description = "print each case's speed ratio against an earlier --json file")
  Path compare;

  @Option(names = "--only", description = "run only cases whose name contains this text (e.g. matmul, step)")
  String only;

  @Option(names = "--samples", description = "timed samples per case (default: 5, 3 with --quick)")
  Integer samples;

  @Override
  public Integer call() throws Exception {
    OptionChecks.oneOf("--device", device, "cpu", "cuda", "auto");
    if (precision != null) {
      OptionChecks.oneOf("--precision", precision, "bf16", "f32", "auto");
    }
    if (samples != null) {
      OptionChecks.atLeast("--samples", samples, 1);
    }
    OptionChecks.readableFile("--compare", compare);
    Device d = Device.parse(device);
    if (!d.isAvailable()) {
      throw new IllegalArgumentException("--device " + device + " is not available: " + d.unavailabilityCause());
    }
    Precision p = PrecisionArg.parse(precision, d);
    // read the earlier file first: a bad --compare fails before minutes of measuring
    Map<String, Double> earlier = null;
    if (compare != null) {
      if (!Files.isRegularFile(compare)) {
        throw new IllegalArgumentException("--compare " + compare + ": no such file");
      }
      earlier = BenchTable.readTimes(compare);
    }
    List<BenchCase> cases = new ArrayList<>(OpBench.cases(d, p.dtype(), quick));
    cases.addAll(StepBench.cases(d, p, quick));
    if (only != null) {
      cases.removeIf(c -> !c.name().contains(only));
    }
    int n = samples != null ? samples : quick ? 3 : 5;
    if (n < 1) {
      throw new IllegalArgumentException("--samples must be >= 1, got " + n);
    }
    System.out.printf("bench: %s (%s) in %s, %d cases, %d samples each%s%n", d, DevicePeak.deviceName(d), p,
        cases.size(), n, quick ? " (quick)" : "");
    BenchTable table = new BenchTable(DevicePeak.measure(d, p.dtype(), quick), p.toString(), quick);
    System.out.println("bench: " + table.peakLine());
    table.run(cases, d, quick ? 1 : 2, n, System.out);
    table.finish(DevicePeak.measure(d, p.dtype(), quick));
    System.out.println();
    table.print(System.out);
    if (!quick && only == null) {
      table.peak.cache();  // a full run's peak is what training logs' MFU should use
    }
    if (json != null) {
      table.writeJson(json);
      System.out.println("bench: wrote " + json);
    }
    if (earlier != null) {
      table.printComparison(earlier, compare.toString(), System.out);
    }
    return 0;
  }
}
