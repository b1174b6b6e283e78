package dev.triad.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.triad.TestUtil;
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
 * A whole GPT forward + backward (f32) on CUDA against the same model on the CPU: the loss and
 * every parameter's gradient, relative L2 error <= 1e-4 (fp32 through every op, different
 * summation orders; the CUDA model pads its vocabulary to a multiple of 128, so wte is compared
 * on its real rows and the padding rows' gradient must be zero). Tagged "gpu".
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
    Random rng = TestUtil.freshRandom();
    int batch = 3, t = 40;
    int[] tokens = rng.ints(batch * t, 0, SMALL.vocabSize()).toArray();
    int[] targets = rng.ints(batch * t, 0, SMALL.vocabSize()).toArray();
    targets[5] = Gpt.IGNORE;
    try (Gpt cpu = new Gpt(SMALL, Device.CPU, rng.nextLong()); Gpt gpu = new Gpt(SMALL, Device.CUDA, 1)) {
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
      assertEquals(lossCpu, lossGpu, 1e-4 * Math.abs(lossCpu), "loss (" + rng + ")");
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
        assertTrue(rel <= 1e-4, "gradient of " + e.getKey() + ": relative error " + rel + " (" + rng + ")");
      }
    }
  }
}
