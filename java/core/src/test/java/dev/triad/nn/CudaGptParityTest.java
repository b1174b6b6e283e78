package dev.triad.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.triad.testing.TestUtil;
import dev.triad.tensor.Device;
import dev.triad.tensor.Scope;
import dev.triad.tensor.Tensor;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A whole GPT forward + backward on CUDA against the same model on the CPU: the loss and every
 * parameter's gradient. In f32 the relative L2 error is <= 1e-4 (fp32 through every op, different
 * summation orders); bf16 compares with the CPU's bf16 (tolerances below). The CUDA model pads its
 * vocabulary to a multiple of 128, so wte is compared on its real rows and the padding rows'
 * gradient must be zero. Tagged "gpu".
 */
@Tag("gpu")
class CudaGptParityTest {
  private static final GptConfig SMALL = new GptConfig("test", 2, 2, 64, 300, 48);

  @BeforeEach
  void requireCuda() {
    assumeTrue(Device.CUDA.isAvailable(), () -> "CUDA is not available: " + Device.CUDA.unavailabilityCause());
  }

  @Test
  void lossAndGradientsMatchTheCpu() {
    compare(SMALL, Precision.F32, 3, 40, 1e-4, 1e-4);
  }

  /**
   * The mixed-precision path on GPT-2's shapes (C 768, 12 heads of 64, vocabulary 50257 padded to
   * 50304; 2 layers, T 128): CUDA bf16 against the CPU's bf16 (the same rule: bf16 storage, f32
   * arithmetic, one rounding per store). The two round after differently ordered sums, so a
   * rounding can flip; the tolerances (loss 5e-3 relative, gradients 5e-2 relative L2) are far
   * below what a wrong tile, a lost K slice or a dropped padding mask gives (O(1)).
   */
  @Test
  void bf16Gpt2ShapedMatchesTheCpuInBf16() {
    GptConfig gpt2Shaped = new GptConfig("gpt2-2layer", 2, 12, 768, 50257, 128);
    compare(gpt2Shaped, Precision.BF16, 2, 128, 5e-3, 5e-2);
  }

  private static void compare(GptConfig cfg, Precision precision, int batch, int t, double lossTol, double gradTol) {
    Random rng = TestUtil.freshRandom();
    int[] tokens = rng.ints(batch * t, 0, cfg.vocabSize()).toArray();
    int[] targets = rng.ints(batch * t, 0, cfg.vocabSize()).toArray();
    targets[5] = Gpt.IGNORE;
    try (Gpt cpu = new Gpt(cfg, Device.CPU, precision, rng.nextLong(), false);
        Gpt gpu = new Gpt(cfg, Device.CUDA, precision, 1)) {
      Map<String, Tensor> pc = cpu.namedParameters(), pg = gpu.namedParameters();
      for (Map.Entry<String, Tensor> e : pc.entrySet()) {  // the same weights on both devices
        float[] v = e.getValue().toFloatArray();
        Tensor dst = pg.get(e.getKey());
        float[] padded = Arrays.copyOf(v, Math.toIntExact(dst.numel()));  // padding rows: 0
        dst.write(padded);
      }
      float lossCpu, lossGpu;
      try (Scope s = Scope.open()) {
        Tensor l = cpu.loss(Tensor.ofInts(tokens, batch, t), Tensor.ofInts(targets, batch, t));
        lossCpu = l.item();
        l.backward();
      }
      try (Scope s = Scope.open()) {
        Tensor l = gpu.loss(Tensor.ofInts(tokens, Device.CUDA, batch, t), Tensor.ofInts(targets, Device.CUDA, batch, t));
        lossGpu = l.item();
        l.backward();
      }
      assertEquals(lossCpu, lossGpu, lossTol * Math.abs(lossCpu), precision + " loss (" + rng + ")");
      for (Map.Entry<String, Tensor> e : pc.entrySet()) {
        float[] want = e.getValue().grad().toFloatArray();
        float[] got = pg.get(e.getKey()).grad().toFloatArray();
        for (int i = want.length; i < got.length; i++) {
          assertEquals(0f, got[i], "padding row gradient of " + e.getKey());
        }
        double num = 0, den = 0;
        for (int i = 0; i < want.length; i++) {
          num += (double) (got[i] - want[i]) * (got[i] - want[i]);
          den += (double) want[i] * want[i];
        }
        double rel = Math.sqrt(num / Math.max(den, 1e-30));
        System.out.printf("%s %s gradient relative L2 %.3g%n", precision, e.getKey(), rel);
        assertTrue(rel <= gradTol, precision + " gradient of " + e.getKey() + ": relative error " + rel + " (" + rng + ")");
      }
    }
  }
}
