package dev.triad.autograd;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.triad.testing.TestUtil;
import dev.triad.tensor.Ops;
import dev.triad.tensor.Scope;
import dev.triad.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Whole models through autograd: a two-layer MLP and a one-block GPT-style transformer. Native
 * gradients of every parameter are compared with central finite differences of the float64
 * reference model (TestUtil.numericalGradient, eps 1e-6). Tolerance: atol 2e-5 + rtol 2e-3,
 * since the native model runs in fp32 through ~10 layers (relative rounding ~1e-6 per op,
 * amplified by the reductions of a few dozen terms).
 */
class AutogradModelTest {
  private static final double ATOL = 2e-5;
  private static final double RTOL = 2e-3;

  /** Parameters as named slices of one flat float64 vector, mirrored by native leaf tensors. */
  private static final class Params {
    final Map<String, int[]> slices = new LinkedHashMap<>(); // name -> {offset, length}
    final Map<String, long[]> shapes = new LinkedHashMap<>();
    final List<Tensor> leaves = new ArrayList<>();
    final Map<String, Tensor> tensors = new LinkedHashMap<>();
    double[] flat = new double[0];

    void add(String name, Random rng, double std, double mean, long... shape) {
      int n = (int) Arrays.stream(shape).reduce(1, (a, b) -> a * b);
      slices.put(name, new int[] {flat.length, n});
      shapes.put(name, shape);
      double[] grown = Arrays.copyOf(flat, flat.length + n);
      for (int i = 0; i < n; i++) {
        // round through float so the native fp32 parameters equal the float64 ones exactly
        grown[flat.length + i] = (float) (mean + std * rng.nextGaussian());
      }
      flat = grown;
    }

    double[] get(double[] x, String name) {
      int[] s = slices.get(name);
      return Arrays.copyOfRange(x, s[0], s[0] + s[1]);
    }

    void materialize() {
      for (Map.Entry<String, int[]> e : slices.entrySet()) {
        float[] data = new float[e.getValue()[1]];
        for (int i = 0; i < data.length; i++) {
          data[i] = (float) flat[e.getValue()[0] + i];
        }
        Tensor t = Tensor.of(data, shapes.get(e.getKey())).requiresGrad(true);
        leaves.add(t);
        tensors.put(e.getKey(), t);
      }
    }

    Tensor t(String name) {
      return tensors.get(name);
    }

    void assertGradients(Function<double[], Double> referenceLoss, String context) {
      double[] expected = TestUtil.numericalGradient(referenceLoss, flat);
      for (Map.Entry<String, int[]> e : slices.entrySet()) {
        Tensor p = tensors.get(e.getKey());
        double[] want = Arrays.copyOfRange(expected, e.getValue()[0], e.getValue()[0] + e.getValue()[1]);
        TestUtil.assertClose(want, p.grad().toFloatArray(), ATOL, RTOL, context + ": gradient of " + e.getKey());
      }
    }
  }

  private final List<Tensor> toClose = new ArrayList<>();

  @AfterEach
  void closeLeaves() {
    toClose.forEach(Tensor::close);
    toClose.clear();
  }

  @Test
  void twoLayerMlpGradientsMatchFiniteDifferences() {
    Random rng = TestUtil.freshRandom();
    int rows = 5, in = 6, hidden = 8, classes = 4;
    Params p = new Params();
    p.add("w1", rng, 0.5, 0, hidden, in);
    p.add("b1", rng, 0.1, 0, hidden);
    p.add("w2", rng, 0.5, 0, classes, hidden);
    p.add("b2", rng, 0.1, 0, classes);
    p.materialize();
    toClose.addAll(p.leaves);
    float[] xData = TestUtil.randn(rng, rows * in);
    int[] targets = rng.ints(rows, 0, classes).toArray();
    double[] xd = TestUtil.toDouble(xData);

    Function<double[], Double> reference = flat -> {
      double[] h = Reference.gelu(Reference.linear(xd, p.get(flat, "w1"), p.get(flat, "b1"), rows, in, hidden));
      double[] logits = Reference.linear(h, p.get(flat, "w2"), p.get(flat, "b2"), rows, hidden, classes);
      return Reference.crossEntropyMean(logits, targets, classes);
    };

    try (Scope s = Scope.open()) {
      Tensor x = Tensor.of(xData, rows, in);
      Tensor h = Ops.gelu(Ops.linear(x, p.t("w1"), p.t("b1")));
      Tensor logits = Ops.linear(h, p.t("w2"), p.t("b2"));
      Tensor loss = Ops.crossEntropyMean(logits, Tensor.ofInts(targets, rows), -1);
      assertEquals(reference.apply(p.flat), loss.item(), 1e-5, "loss " + rng);
      loss.backward();
    }
    p.assertGradients(reference, "mlp " + rng);
  }

  @Test
  void oneBlockTransformerGradientsMatchFiniteDifferences() {
    Random rng = TestUtil.freshRandom();
    int batch = 2, t = 4, c = 8, heads = 2, vocab = 11, positions = 6;
    double eps = 1e-5;
    Params p = new Params();
    p.add("wte", rng, 0.3, 0, vocab, c);
    p.add("wpe", rng, 0.3, 0, positions, c);
    p.add("ln1.w", rng, 0.1, 1, c);
    p.add("ln1.b", rng, 0.1, 0, c);
    p.add("attn.w", rng, 0.3, 0, 3 * c, c);
    p.add("attn.b", rng, 0.1, 0, 3 * c);
    p.add("proj.w", rng, 0.3, 0, c, c);
    p.add("proj.b", rng, 0.1, 0, c);
    p.add("ln2.w", rng, 0.1, 1, c);
    p.add("ln2.b", rng, 0.1, 0, c);
    p.add("fc.w", rng, 0.3, 0, 4 * c, c);
    p.add("fc.b", rng, 0.1, 0, 4 * c);
    p.add("fcproj.w", rng, 0.3, 0, c, 4 * c);
    p.add("fcproj.b", rng, 0.1, 0, c);
    p.add("lnf.w", rng, 0.1, 1, c);
    p.add("lnf.b", rng, 0.1, 0, c);
    p.materialize();
    toClose.addAll(p.leaves);
    int rows = batch * t;
    int[] tokens = rng.ints(rows, 0, vocab).toArray();
    int[] targets = rng.ints(rows, 0, vocab).toArray();

    Function<double[], Double> reference = flat -> {
      double[] wte = p.get(flat, "wte"), wpe = p.get(flat, "wpe");
      double[] x = new double[rows * c];
      for (int r = 0; r < rows; r++) {
        for (int i = 0; i < c; i++) {
          x[r * c + i] = wte[tokens[r] * c + i] + wpe[(r % t) * c + i];
        }
      }
      double[] h = Reference.layerNorm(x, p.get(flat, "ln1.w"), p.get(flat, "ln1.b"), rows, c, eps);
      double[] qkv = Reference.linear(h, p.get(flat, "attn.w"), p.get(flat, "attn.b"), rows, c, 3 * c);
      double[] att = Reference.attention(qkv, batch, t, heads, c / heads);
      x = Reference.add(x, Reference.linear(att, p.get(flat, "proj.w"), p.get(flat, "proj.b"), rows, c, c));
      h = Reference.layerNorm(x, p.get(flat, "ln2.w"), p.get(flat, "ln2.b"), rows, c, eps);
      double[] f = Reference.gelu(Reference.linear(h, p.get(flat, "fc.w"), p.get(flat, "fc.b"), rows, c, 4 * c));
      x = Reference.add(x, Reference.linear(f, p.get(flat, "fcproj.w"), p.get(flat, "fcproj.b"), rows, 4 * c, c));
      h = Reference.layerNorm(x, p.get(flat, "lnf.w"), p.get(flat, "lnf.b"), rows, c, eps);
      double[] logits = Reference.linear(h, wte, null, rows, c, vocab); // tied LM head
      return Reference.crossEntropyMean(logits, targets, vocab);
    };

    try (Scope s = Scope.open()) {
      Tensor x = Ops.embedding(Tensor.ofInts(tokens, batch, t), null, p.t("wte"), p.t("wpe"));
      Tensor h = Ops.layerNorm(x, p.t("ln1.w"), p.t("ln1.b"), (float) eps);
      Tensor att = Ops.attention(Ops.linear(h, p.t("attn.w"), p.t("attn.b")), heads, null);
      x = Ops.residual(x, Ops.linear(att, p.t("proj.w"), p.t("proj.b")));
      h = Ops.layerNorm(x, p.t("ln2.w"), p.t("ln2.b"), (float) eps);
      Tensor f = Ops.gelu(Ops.linear(h, p.t("fc.w"), p.t("fc.b")));
      x = Ops.residual(x, Ops.linear(f, p.t("fcproj.w"), p.t("fcproj.b")));
      h = Ops.layerNorm(x, p.t("lnf.w"), p.t("lnf.b"), (float) eps);
      Tensor logits = Ops.linear(h, p.t("wte"), null); // [B,T,V], weight tied to the embedding
      Tensor loss = Ops.crossEntropyMean(logits, Tensor.ofInts(targets, batch, t), -1);
      assertEquals(reference.apply(p.flat), loss.item(), 1e-5, "loss " + rng);
      loss.backward();
    }
    p.assertGradients(reference, "transformer block " + rng);
  }
}
