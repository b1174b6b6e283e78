package dev.triad.nn;

import dev.triad.testing.TestUtil;
import dev.triad.tensor.Device;
import dev.triad.tensor.Scope;
import dev.triad.tensor.Tensor;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Packing never lets attention cross examples: examples packed into one row (document ids,
 * positions restarting at 0) give the same logits, and the same parameter gradients, as each
 * example alone in its own row. Tolerance 2e-5 + 2e-4 relative: the same arithmetic, except that
 * BLAS may block the larger matmuls of a packed row differently.
 */
class PackedRowsTest {
  private static final GptConfig CFG = new GptConfig("test", 2, 2, 16, 19, 16);

  @Test
  void packedRowEqualsSeparateRows() {
    Random rng = TestUtil.freshRandom();
    int[] lengths = {5, 3, 6};
    int t = 16; // 14 real tokens + 2 padding
    int[][] examples = new int[lengths.length][];
    for (int i = 0; i < lengths.length; i++) {
      examples[i] = rng.ints(lengths[i], 0, CFG.vocabSize()).toArray();
    }
    int[] tokens = new int[t], positions = new int[t], docIds = new int[t];
    Arrays.fill(docIds, -1);
    int at = 0;
    for (int i = 0; i < examples.length; i++) {
      for (int p = 0; p < examples[i].length; p++, at++) {
        tokens[at] = examples[i][p];
        positions[at] = p;
        docIds[at] = i;
      }
    }
    try (Gpt model = new Gpt(CFG, Device.CPU, rng.nextLong()); Scope s = Scope.open()) {
      float[] packed = model.logits(Tensor.ofInts(tokens, 1, t), Tensor.ofInts(positions, 1, t),
          Tensor.ofInts(docIds, 1, t)).toFloatArray();
      int v = CFG.vocabSize();
      at = 0;
      for (int i = 0; i < examples.length; i++) {
        float[] alone = model.logits(Tensor.ofInts(examples[i], 1, examples[i].length)).toFloatArray();
        float[] slice = Arrays.copyOfRange(packed, at * v, (at + examples[i].length) * v);
        TestUtil.assertClose(alone, slice, 2e-5, 2e-4, "example " + i + " logits, " + rng);
        at += examples[i].length;
      }
    }
  }

  @Test
  void packedGradientsEqualSumOfSeparateGradients() {
    Random rng = TestUtil.freshRandom();
    int[][] examples = {rng.ints(4, 0, 19).toArray(), rng.ints(7, 0, 19).toArray()};
    int t = 11;
    int[] tokens = new int[t], positions = new int[t], docIds = new int[t], targets = new int[t];
    int at = 0;
    for (int i = 0; i < examples.length; i++) {
      for (int p = 0; p < examples[i].length; p++, at++) {
        tokens[at] = examples[i][p];
        positions[at] = p;
        docIds[at] = i;
        targets[at] = p + 1 < examples[i].length ? examples[i][p + 1] : Gpt.IGNORE;
      }
    }
    long seed = rng.nextLong();
    float[] packedGrad;
    float[] separateGrad;
    try (Gpt model = new Gpt(CFG, Device.CPU, seed); Scope s = Scope.open()) {
      // sum (not mean) of token losses, so packed and separate runs weigh tokens alike
      dev.triad.tensor.Ops.sum(model.tokenLoss(model.logits(Tensor.ofInts(tokens, 1, t), Tensor.ofInts(positions, 1, t),
          Tensor.ofInts(docIds, 1, t)), Tensor.ofInts(targets, 1, t), null).loss).backward();
      packedGrad = model.blocks.get(0).attn.cAttn.weight.grad().toFloatArray();
    }
    try (Gpt model = new Gpt(CFG, Device.CPU, seed); Scope s = Scope.open()) {
      for (int[] ex : examples) {
        int[] tg = new int[ex.length];
        for (int p = 0; p < ex.length; p++) {
          tg[p] = p + 1 < ex.length ? ex[p + 1] : Gpt.IGNORE;
        }
        dev.triad.tensor.Ops.sum(model.tokenLoss(model.logits(Tensor.ofInts(ex, 1, ex.length)),
            Tensor.ofInts(tg, 1, ex.length), null).loss).backward();
      }
      separateGrad = model.blocks.get(0).attn.cAttn.weight.grad().toFloatArray();
    }
    TestUtil.assertClose(separateGrad, packedGrad, 2e-5, 2e-4, "c_attn gradient, " + rng);
  }
}
