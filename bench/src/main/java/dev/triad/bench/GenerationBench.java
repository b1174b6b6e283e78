package dev.triad.bench;

import dev.triad.generate.Generator;
import dev.triad.generate.SamplingConfig;
import dev.triad.nativ.TriadNative;
import dev.triad.nn.Gpt;
import dev.triad.nn.GptConfig;
import dev.triad.tensor.Device;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Batched KV-cache decoding through {@link Generator#generate}: greedy, no stop tokens, so every
 * row produces exactly the token budget. f32 on the CPU, randomly initialised models (the cost
 * does not depend on the weights), prompts of random tokens from a fixed seed.
 * <ul>
 *   <li>{@code smallGenerate}: the "small" preset (4 x 256, vocabulary 257), B=8 prompts of 16
 *       tokens, 64 new tokens each;
 *   <li>{@code gpt2Generate}: GPT-2 small (124M), B=1, a prompt of 16 tokens, 32 new tokens;
 *   <li>{@code smallPrefill}, {@code gpt2Prefill}: the same calls with a budget of 1 new token,
 *       i.e. the prefill pass (prompt through the model into the cache) and the first sample alone.
 * </ul>
 * A generate call = one prefill (which yields the first new token) + (N-1) single-token decode
 * steps. Score: ms per call. BenchMain derives tokens/s = B*N / generate time (end to end, prefill
 * included) and decode tokens/s = B*(N-1) / (generate time - prefill time).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(1)
public class GenerationBench {
  public static final GptConfig SMALL = GptConfig.preset("small", 257);
  public static final int SMALL_B = 8;
  public static final int SMALL_PROMPT = 16;
  public static final int SMALL_NEW = 64;

  public static final GptConfig GPT2 = GptConfig.preset("gpt2", 50257);
  public static final int GPT2_B = 1;
  public static final int GPT2_PROMPT = 16;
  public static final int GPT2_NEW = 32;

  /** A model and fixed prompts. Separate per model, so a fork builds only one. */
  public abstract static class Gen {
    Gpt model;
    int[][] prompts;
    SamplingConfig full;
    SamplingConfig prefill;
    int batch;
    int newTokens;

    void build(GptConfig config, int b, int promptLen, int n) {
      TriadNative.load();
      model = new Gpt(config, Device.CPU, 1234);
      Random rnd = new Random(42);
      prompts = new int[b][promptLen];
      for (int[] p : prompts) {
        for (int i = 0; i < promptLen; i++) {
          p[i] = rnd.nextInt(config.vocabSize());
        }
      }
      batch = b;
      newTokens = n;
      full = SamplingConfig.greedy(n);
      prefill = SamplingConfig.greedy(1);
      // every row must produce the whole budget, or tokens/s would be overstated
      int[][] out = Generator.generate(model, prompts, full);
      for (int[] row : out) {
        if (row.length != n) {
          throw new IllegalStateException("generation stopped early: " + row.length + " of " + n + " tokens");
        }
      }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
      model.close();
    }
  }

  @State(Scope.Benchmark)
  public static class Small extends Gen {
    @Setup(Level.Trial)
    public void setup() {
      build(SMALL, SMALL_B, SMALL_PROMPT, SMALL_NEW);
    }
  }

  @State(Scope.Benchmark)
  public static class Gpt2 extends Gen {
    @Setup(Level.Trial)
    public void setup() {
      build(GPT2, GPT2_B, GPT2_PROMPT, GPT2_NEW);
    }
  }

  @Benchmark
  public int[][] smallGenerate(Small s) {
    return Generator.generate(s.model, s.prompts, s.full);
  }

  @Benchmark
  public int[][] smallPrefill(Small s) {
    return Generator.generate(s.model, s.prompts, s.prefill);
  }

  @Benchmark
  public int[][] gpt2Generate(Gpt2 s) {
    return Generator.generate(s.model, s.prompts, s.full);
  }

  @Benchmark
  public int[][] gpt2Prefill(Gpt2 s) {
    return Generator.generate(s.model, s.prompts, s.prefill);
  }
}
