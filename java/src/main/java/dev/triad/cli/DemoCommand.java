package dev.triad.cli;

import dev.triad.autograd.Autograd;
import dev.triad.optim.AdamW;
import dev.triad.optim.GradClip;
import dev.triad.tensor.DType;
import dev.triad.tensor.Device;
import dev.triad.tensor.Ops;
import dev.triad.tensor.Scope;
import dev.triad.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code triad demo}: the end-to-end check of the foundation. A one-block transformer, written
 * directly with {@link Ops}, learns an embedded synthetic task (copy the first half of a sequence
 * into the second half) with a response-only loss, AdamW and gradient clipping, then is scored by
 * greedy prediction on held-out sequences. The full three-phase demo builds on this.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = "Train a tiny transformer on an embedded copy task and report held-out accuracy.")
final class DemoCommand implements Callable<Integer> {
  @Option(names = "--steps", description = "training steps (default: ${DEFAULT-VALUE})")
  int steps = 300;

  @Option(names = "--batch", description = "sequences per step (default: ${DEFAULT-VALUE})")
  int batch = 16;

  @Option(names = "--lr", description = "AdamW learning rate (default: ${DEFAULT-VALUE})")
  float lr = 3e-3f;

  @Option(names = "--seed", description = "seed for data and initialisation (default: ${DEFAULT-VALUE})")
  long seed = 1337;

  @Option(names = "--device", description = "cpu, cuda or auto (default: ${DEFAULT-VALUE})")
  String device = "cpu";

  static final int VOCAB = 12;
  static final int HALF = 8;
  static final int T = 2 * HALF;
  static final int C = 32;
  static final int HEADS = 2;

  @Override
  public Integer call() {
    Device dev = Device.parse(device);
    System.out.printf("demo: 1-block transformer (C=%d, heads=%d, vocab=%d, T=%d) on %s, %d steps%n",
        C, HEADS, VOCAB, T, dev, steps);
    try (TinyTransformer model = new TinyTransformer(dev, seed);
         AdamW opt = new AdamW(model.params, lr, 0.9f, 0.95f, 1e-8f, 0.01f)) {
      Random data = new Random(seed);
      double firstLoss = Double.NaN;
      double loss = Double.NaN;
      long start = System.nanoTime();
      for (int step = 1; step <= steps; step++) {
        try (Scope s = Scope.open()) {
          Batch b = Batch.copyTask(data, batch, dev);
          Tensor l = model.loss(b);
          l.backward();
          double norm = GradClip.globalNorm(model.params);
          opt.step(GradClip.clipFactor(norm, 1.0));
          opt.zeroGrad();
          loss = l.item();
          if (step == 1) {
            firstLoss = loss;
          }
          if (step == 1 || step % 50 == 0 || step == steps) {
            System.out.printf("step %4d  loss %.4f  grad-norm %.3f%n", step, loss, norm);
          }
        }
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      double accuracy = model.heldOutAccuracy(new Random(seed + 1), 64, dev);
      System.out.printf("loss %.4f -> %.4f in %.1f s; held-out copy accuracy %.1f%% (chance %.1f%%)%n",
          firstLoss, loss, seconds, 100 * accuracy, 100.0 / VOCAB);
      return 0;
    }
  }

  /** Tokens, targets (-1 where the loss ignores a position) and nothing else. */
  static final class Batch {
    final Tensor tokens;
    final Tensor targets;
    final int[] tokenIds;

    Batch(Tensor tokens, Tensor targets, int[] tokenIds) {
      this.tokens = tokens;
      this.targets = targets;
      this.tokenIds = tokenIds;
    }

    /** Sequences "x1..x8 x1..x8"; only predictions of the second half count toward the loss. */
    static Batch copyTask(Random rng, int batch, Device dev) {
      int[] tokens = new int[batch * T];
      int[] targets = new int[batch * T];
      for (int b = 0; b < batch; b++) {
        for (int i = 0; i < HALF; i++) {
          int x = rng.nextInt(VOCAB);
          tokens[b * T + i] = x;
          tokens[b * T + HALF + i] = x;
        }
        for (int t = 0; t < T; t++) {
          // position t predicts token t+1; positions HALF-1 .. T-2 predict the copied half
          targets[b * T + t] = t >= HALF - 1 && t < T - 1 ? tokens[b * T + t + 1] : -1;
        }
      }
      return new Batch(Tensor.ofInts(tokens, dev, batch, T), Tensor.ofInts(targets, dev, batch, T), tokens);
    }
  }

  /** GPT-2 layout, one block: embeddings, pre-LN attention and MLP, final LN, tied LM head. */
  static final class TinyTransformer implements AutoCloseable {
    final List<Tensor> params = new ArrayList<>();
    final Tensor wte, wpe, ln1w, ln1b, attnW, attnB, projW, projB, ln2w, ln2b, fcW, fcB, fcProjW, fcProjB,
        lnfW, lnfB;
    private long rngOffset;
    private final long seed;

    TinyTransformer(Device dev, long seed) {
      this.seed = seed;
      wte = normal(dev, 0.02f, VOCAB, C);
      wpe = normal(dev, 0.01f, T, C);
      ln1w = ones(dev, C);
      ln1b = zeros(dev, C);
      attnW = normal(dev, 0.02f, 3 * C, C);
      attnB = zeros(dev, 3 * C);
      projW = normal(dev, 0.02f, C, C);
      projB = zeros(dev, C);
      ln2w = ones(dev, C);
      ln2b = zeros(dev, C);
      fcW = normal(dev, 0.02f, 4 * C, C);
      fcB = zeros(dev, 4 * C);
      fcProjW = normal(dev, 0.02f, C, 4 * C);
      fcProjB = zeros(dev, C);
      lnfW = ones(dev, C);
      lnfB = zeros(dev, C);
    }

    private Tensor param(Tensor t) {
      params.add(t.requiresGrad(true));
      return t;
    }

    private Tensor normal(Device dev, float std, long... shape) {
      Tensor t = Tensor.randn(seed, rngOffset, 0f, std, dev, shape);
      rngOffset += t.numel();
      return param(t);
    }

    private Tensor ones(Device dev, long n) {
      return param(Tensor.full(1f, DType.F32, dev, n));
    }

    private Tensor zeros(Device dev, long n) {
      return param(Tensor.zeros(DType.F32, dev, n));
    }

    /** logits [B,T,V] */
    Tensor logits(Tensor tokens) {
      Tensor x = Ops.embedding(tokens, null, wte, wpe);
      Tensor h = Ops.layerNorm(x, ln1w, ln1b, 1e-5f);
      x = Ops.residual(x, Ops.linear(Ops.attention(Ops.linear(h, attnW, attnB), HEADS, null), projW, projB));
      h = Ops.layerNorm(x, ln2w, ln2b, 1e-5f);
      x = Ops.residual(x, Ops.linear(Ops.gelu(Ops.linear(h, fcW, fcB)), fcProjW, fcProjB));
      return Ops.linear(Ops.layerNorm(x, lnfW, lnfB, 1e-5f), wte, null);
    }

    Tensor loss(Batch b) {
      return Ops.crossEntropyMean(logits(b.tokens), b.targets, -1);
    }

    /** Share of copied tokens the model predicts exactly (greedy, teacher-forced). */
    double heldOutAccuracy(Random rng, int sequences, Device dev) {
      try (Scope s = Scope.open(); Autograd.NoGrad ng = Autograd.noGrad()) {
        Batch b = Batch.copyTask(rng, sequences, dev);
        int[] predicted = Ops.sample(logits(b.tokens), VOCAB, 0f, 0, 1f, 0, 0).toIntArray();
        int[] targets = b.targets.toIntArray();
        int right = 0, counted = 0;
        for (int i = 0; i < targets.length; i++) {
          if (targets[i] >= 0) {
            counted++;
            right += predicted[i] == targets[i] ? 1 : 0;
          }
        }
        return (double) right / counted;
      }
    }

    @Override
    public void close() {
      params.forEach(Tensor::close);
    }
  }
}
