package dev.triad.bench;

import dev.triad.nativ.TriadNative;
import dev.triad.nn.Gpt;
import dev.triad.nn.GptConfig;
import dev.triad.optim.AdamW;
import dev.triad.optim.GradClip;
import dev.triad.tensor.Device;
import dev.triad.tensor.Tensor;
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
 * One full pretraining step as {@link dev.triad.train.Trainer} runs it (gradient accumulation 1):
 * inside a {@link dev.triad.tensor.Scope}, logits and the mean cross-entropy ({@link Gpt#loss}) of
 * random tokens and targets (fixed seed), {@code backward()}, {@code loss.item()}; then
 * {@link GradClip#globalNorm}, {@link GradClip#clipFactor} (max norm 1.0), the fused
 * {@link AdamW#step(float)} and {@link AdamW#zeroGrad()}. f32 on the CPU.
 * <ul>
 *   <li>{@code small}: the "small" preset (4 layers x 256, 4 heads) with the byte tokenizer's
 *       vocabulary of 257, B=8, T=128;
 *   <li>{@code gpt2}: GPT-2 small, 124M parameters (vocabulary 50257), B=4, T=64. Needs ~2.5 GB
 *       (params, grads, AdamW m and v, activations); a step takes seconds on 2 cores, so each
 *       iteration is a single step (SingleShotTime).
 * </ul>
 * Score: ms per step. BenchMain derives tokens/s = B*T / time and GFLOP/s = B*T *
 * {@link #flopsPerToken} / time.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(1)
public class TrainStepBench {
  /** The small preset's shape: byte tokenizer vocabulary (256 bytes + end-of-text). */
  public static final GptConfig SMALL = GptConfig.preset("small", 257);
  public static final int SMALL_B = 8;
  public static final int SMALL_T = 128;

  /** GPT-2 small (124,439,808 parameters with the tied LM head). */
  public static final GptConfig GPT2 = GptConfig.preset("gpt2", 50257);
  public static final int GPT2_B = 4;
  public static final int GPT2_T = 64;

  /** Max global gradient norm, as in the training configs. */
  static final double MAX_NORM = 1.0;

  /**
   * Training FLOPs per token at sequence length T, the formula Pretrain uses for MFU:
   * 6 N + 12 nLayer nEmbd T, where N = {@link GptConfig#parameterCount} (embeddings included: the
   * tied wte is the LM head matmul) covers every weight matmul, forward (2N) plus backward (4N), and
   * 12 L C T the attention scores and weighted sum (Q K^T and P V: 2 x 2 C T per token and layer
   * forward, x3 with the backward) counted without the causal mask's halving (the PaLM/nanoGPT
   * convention). Elementwise ops, layernorm, softmax and the optimizer are not counted.
   */
  public static double flopsPerToken(GptConfig c, int t) {
    return 6.0 * c.parameterCount(false) + 12.0 * c.nLayer() * c.nEmbd() * t;
  }

  /** A model, its optimizer and one fixed batch. Separate per model, so a fork builds only one. */
  public abstract static class Step {
    Gpt model;
    AdamW opt;
    Tensor tokens;
    Tensor targets;

    void build(GptConfig config, int b, int t) {
      TriadNative.load();
      model = new Gpt(config, Device.CPU, 1234);
      opt = new AdamW(model.parameters(), 1e-4f, 0.9f, 0.95f, 1e-8f, 0.1f);
      Random rnd = new Random(42);
      int[] tok = new int[b * t];
      int[] tgt = new int[b * t];
      for (int i = 0; i < tok.length; i++) {
        tok[i] = rnd.nextInt(config.vocabSize());
        tgt[i] = rnd.nextInt(config.vocabSize());
      }
      tokens = Tensor.ofInts(tok, b, t);
      targets = Tensor.ofInts(tgt, b, t);
    }

    /** One step; returns the loss plus the norm so neither can be optimised away. */
    double step() {
      double loss;
      try (dev.triad.tensor.Scope s = dev.triad.tensor.Scope.open()) {
        Tensor l = model.loss(tokens, targets);
        l.backward();
        loss = l.item();
      }
      double norm = GradClip.globalNorm(model.parameters());
      opt.step(GradClip.clipFactor(norm, MAX_NORM));
      opt.zeroGrad();
      return loss + norm;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
      opt.close();
      model.close();
      tokens.close();
      targets.close();
    }
  }

  @State(Scope.Benchmark)
  public static class Small extends Step {
    @Setup(Level.Trial)
    public void setup() {
      build(SMALL, SMALL_B, SMALL_T);
    }
  }

  @State(Scope.Benchmark)
  public static class Gpt2 extends Step {
    @Setup(Level.Trial)
    public void setup() {
      build(GPT2, GPT2_B, GPT2_T);
    }
  }

  @Benchmark
  public double small(Small s) {
    return s.step();
  }

  /** One step per iteration: 2 warmup steps, 5 measured. */
  @Benchmark
  @BenchmarkMode(Mode.SingleShotTime)
  @Warmup(iterations = 2)
  @Measurement(iterations = 5)
  public double gpt2(Gpt2 s) {
    return s.step();
  }
}
