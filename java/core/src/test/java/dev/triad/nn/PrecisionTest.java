package dev.triad.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.triad.tensor.DType;
import dev.triad.tensor.Device;
import dev.triad.tensor.Scope;
import dev.triad.tensor.Tensor;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The precision policy's defaults and parsing, and models built in bf16. */
class PrecisionTest {
  static float bf16(float f) {
    int bits = Float.floatToRawIntBits(f);
    return Float.intBitsToFloat((bits + 0x7FFF + ((bits >>> 16) & 1)) & 0xFFFF0000);
  }

  @Test
  void defaultsParseAndDTypes() {
    assertEquals(Precision.BF16, Precision.defaultFor(Device.CUDA));
    assertEquals(Precision.F32, Precision.defaultFor(Device.CPU));
    assertEquals(DType.BF16, Precision.BF16.dtype());
    assertEquals(DType.F32, Precision.F32.dtype());
    assertEquals(Precision.BF16, Precision.parse("bf16"));
    assertEquals(Precision.BF16, Precision.parse(" BF16 "));
    assertEquals(Precision.F32, Precision.parse("f32"));
    assertEquals("bf16", Precision.BF16.toString());
    assertEquals(Precision.BF16, Precision.parseOrDefault("auto", Device.CUDA));
    assertEquals(Precision.F32, Precision.parseOrDefault(null, Device.CPU));
    assertEquals(Precision.BF16, Precision.parseOrDefault("bf16", Device.CPU));
    assertEquals(Precision.BF16, Precision.of(DType.BF16));
    for (String bad : new String[] {"fp16", "", "float32", "bf-16"}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Precision.parse(bad));
      assertTrue(e.getMessage().contains("'" + bad + "'") && e.getMessage().contains("bf16 or f32"), e.getMessage());
    }
    assertThrows(IllegalArgumentException.class, () -> Precision.parse(null));
    assertThrows(IllegalArgumentException.class, () -> Precision.of(DType.I32));
  }

  /** A bf16 model of a seed holds exactly the f32 model's weights of that seed, rounded to nearest even. */
  @Test
  void bf16ModelIsTheRoundedF32ModelAndComputesInBf16() {
    GptConfig cfg = new GptConfig("t", 2, 2, 32, 50, 16);
    try (Gpt f32 = new Gpt(cfg, Device.CPU, 7); Gpt b16 = new Gpt(cfg, Device.CPU, Precision.BF16, 7);
         RewardModel rm = new RewardModel(cfg, Device.CPU, Precision.BF16, 3); Scope s = Scope.open()) {
      assertEquals(Precision.F32, f32.precision);
      assertEquals(DType.BF16, b16.dtype());
      Map<String, Tensor> a = f32.namedParameters(), b = b16.namedParameters();
      assertEquals(a.keySet(), b.keySet());
      for (String n : a.keySet()) {
        assertEquals(DType.BF16, b.get(n).dtype(), n);
        float[] x = a.get(n).toFloatArray(), y = b.get(n).toFloatArray();
        for (int i = 0; i < x.length; i++) {
          assertEquals(bf16(x[i]), y[i], 0f, n + "[" + i + "]");
        }
      }
      rm.namedParameters().forEach((n, t) -> assertEquals(DType.BF16, t.dtype(), "reward model " + n));
      Tensor tokens = Tensor.ofInts(new int[] {1, 2, 3, 4, 5, 6}, 2, 3);
      Tensor logits = b16.logits(tokens);
      assertEquals(DType.BF16, logits.dtype(), "activations are bf16");
      Tensor loss = b16.loss(tokens, Tensor.ofInts(new int[] {2, 3, 4, 5, 6, 7}, 2, 3));
      assertEquals(DType.F32, loss.dtype(), "the loss is f32");
      // the bf16 loss is close to the f32 model's (random init: ln(50) ~ 3.9)
      float l32 = f32.loss(tokens, Tensor.ofInts(new int[] {2, 3, 4, 5, 6, 7}, 2, 3)).item();
      assertEquals(l32, loss.item(), 0.02, "bf16 vs f32 loss at init");
      Tensor values = rm.values(tokens, null);
      assertEquals(DType.F32, values.dtype(), "reward/value head outputs are f32 statistics");
      try (KvCache cache = new KvCache(cfg, 2, 8, Device.CPU, b16.dtype())) {
        assertEquals(DType.BF16, cache.layer(0).k().dtype());
        assertEquals(2L * 2 * 2 * 8 * 32 * 2, cache.bytes(), "bf16 cache bytes: layers x (k,v) x B x T x C x 2");
      }
    }
  }

  @Test
  void withVocabularyKeepsThePrecision() {
    GptConfig cfg = new GptConfig("t", 1, 2, 16, 20, 8);
    try (Gpt b16 = new Gpt(cfg, Device.CPU, Precision.BF16, 1); Gpt grown = Gpt.withVocabulary(b16, 24)) {
      assertEquals(Precision.BF16, grown.precision);
      grown.namedParameters().forEach((n, t) -> assertEquals(DType.BF16, t.dtype(), n));
    }
  }

  /** HF export of a bf16 model writes its values exactly (f32 file); loading them into a bf16 model is lossless. */
  @Test
  void hfExportAndImportOfABf16Model(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) throws Exception {
    GptConfig cfg = new GptConfig("t", 1, 2, 16, 30, 8);
    try (Gpt a = new Gpt(cfg, Device.CPU, Precision.BF16, 11); Gpt b = new Gpt(cfg, Device.CPU, Precision.BF16, 12);
         Gpt c = new Gpt(cfg, Device.CPU, Precision.F32, 13)) {
      dev.triad.io.GptExport.save(a, tmp);
      dev.triad.io.GptExport.load(b, tmp);
      dev.triad.io.GptExport.load(c, tmp);
      for (String n : a.namedParameters().keySet()) {
        float[] x = a.namedParameters().get(n).toFloatArray();
        org.junit.jupiter.api.Assertions.assertArrayEquals(x, b.namedParameters().get(n).toFloatArray(), 0f, n);
        org.junit.jupiter.api.Assertions.assertArrayEquals(x, c.namedParameters().get(n).toFloatArray(), 0f, n);
      }
    }
  }
}
