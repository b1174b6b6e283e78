package dev.triad.bench;

import dev.triad.nativ.TriadNative;
import dev.triad.nn.Precision;
import dev.triad.profile.BenchCase;
import dev.triad.profile.OpBench;
import dev.triad.train.StepBench;
import dev.triad.tensor.DType;
import dev.triad.tensor.Device;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The suite of {@code triad bench} under JMH, f32 on the CPU: each op case of
 * {@link OpBench} and each training step of {@link StepBench} on the small preset, with the very
 * same shapes and setup (the case definitions are shared, not copied). {@code kase} is the case's
 * {@link BenchCase#id}; {@code size} is "full" (the CLI's default shapes) or "quick" (its --quick
 * shapes; BenchMain --quick picks it). Score: ms per call; the summary adds the rate.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
public class SuiteBench {
  @Param({"matmul_nt_linear_forward", "matmul_nn_linear_dx", "matmul_tn_linear_dw", "attention_forward",
      "attention_backward", "layernorm_forward", "layernorm_backward", "gelu_forward", "gelu_backward",
      "cross_entropy_forward", "cross_entropy_backward", "adamw_step", "embedding_forward", "embedding_backward",
      "step_pretrain", "step_sft", "step_reward", "step_dpo", "ppo_rollout", "ppo_update"})
  public String kase;

  @Param({"full"})
  public String size;

  private BenchCase.Prepared prepared;

  /** The suite's cases on the CPU in f32 (step cases on the small preset only). */
  public static List<BenchCase> cases(boolean quick) {
    List<BenchCase> all = new ArrayList<>(OpBench.cases(Device.CPU, DType.F32, quick));
    for (BenchCase c : StepBench.cases(Device.CPU, Precision.F32, quick)) {
      if (c.shape().startsWith("small ")) {
        all.add(c);
      }
    }
    return all;
  }

  /** The case with this id at this size. */
  public static BenchCase find(String id, String size) {
    if (!size.equals("full") && !size.equals("quick")) {
      throw new IllegalArgumentException("size must be full or quick, got " + size);
    }
    for (BenchCase c : cases(size.equals("quick"))) {
      if (c.id().equals(id)) {
        return c;
      }
    }
    throw new IllegalArgumentException("no suite case '" + id + "'");
  }

  @Setup(Level.Trial)
  public void setup() {
    TriadNative.load();
    prepared = find(kase, size).setup().apply(Device.CPU);
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    prepared.close();
  }

  @Benchmark
  public void run() {
    prepared.run();
  }
}
