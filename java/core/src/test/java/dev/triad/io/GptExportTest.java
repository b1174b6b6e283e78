package dev.triad.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.triad.testing.TestUtil;
import dev.triad.autograd.Autograd;
import dev.triad.nn.Gpt;
import dev.triad.nn.GptConfig;
import dev.triad.tensor.Device;
import dev.triad.tensor.Scope;
import dev.triad.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Triad GPT through the Hugging Face GPT-2 layout and back: the reloaded model must compute
 * bit-identical logits, and the file must hold HF's shapes (Conv1D weights transposed to [in, out]).
 */
class GptExportTest {
  // odd sizes (vocab 37, context 12) so a swapped dimension cannot go unnoticed
  private static final GptConfig CFG = new GptConfig("export-test", 2, 2, 16, 37, 12);
  private static final int C = 16;

  @TempDir Path dir;

  private static float[] logits(Gpt m, int[] tokens, int batch, int t) {
    try (Autograd.NoGrad ng = Autograd.noGrad(); Scope s = Scope.open()) {
      return m.logits(Tensor.ofInts(tokens, batch, t)).toFloatArray();
    }
  }

  @Test
  void exportedThenLoadedModelGivesBitIdenticalLogits() throws IOException {
    Random rng = TestUtil.freshRandom();
    int batch = 3, t = CFG.blockSize();
    int[] tokens = rng.ints(batch * t, 0, CFG.vocabSize()).toArray();
    try (Gpt a = new Gpt(CFG, Device.CPU, rng.nextLong()); Gpt b = new Gpt(CFG, Device.CPU, rng.nextLong())) {
      float[] expected = logits(a, tokens, batch, t);
      assertFalse(Arrays.equals(expected, logits(b, tokens, batch, t)),
          "differently seeded models must differ before the load, or the test proves nothing (" + rng + ")");
      GptExport.save(a, dir);
      GptExport.load(b, dir);
      for (Map.Entry<String, Tensor> e : a.namedParameters().entrySet()) {
        assertArrayEquals(e.getValue().toFloatArray(), b.namedParameters().get(e.getKey()).toFloatArray(),
            "parameter " + e.getKey() + " after the round trip (" + rng + ")");
      }
      float[] actual = logits(b, tokens, batch, t);
      assertEquals(expected.length, actual.length);
      for (int i = 0; i < expected.length; i++) {
        if (Float.floatToRawIntBits(expected[i]) != Float.floatToRawIntBits(actual[i])) {
          fail("logit " + i + " is " + actual[i] + " after the round trip, " + expected[i] + " before (" + rng + ")");
        }
      }
    }
  }

  @Test
  void fileHasHuggingFaceShapesAndTransposedConv1dWeights() throws IOException {
    try (Gpt m = new Gpt(CFG, Device.CPU, 3)) {
      assertEquals(CFG.vocabSize(), m.paddedVocab, "the CPU does not pad the vocabulary");
      GptExport.save(m, dir);
      HfGpt2Config hf = Gpt2Hf.readConfig(dir);
      assertEquals(new HfGpt2Config(C, 2, 2, 37, 12, 1e-5), hf, "config.json");
      try (SafetensorsFile f = Safetensors.open(dir.resolve(Gpt2Hf.WEIGHTS_FILE))) {
        assertEquals("pt", f.metadata().get("format"), "transformers expects metadata format=pt");
        Map<String, long[]> shapes = Map.of(
            "wte.weight", new long[] {37, C},
            "wpe.weight", new long[] {12, C},
            "h.0.attn.c_attn.weight", new long[] {C, 3 * C},
            "h.1.attn.c_attn.bias", new long[] {3 * C},
            "h.1.attn.c_proj.weight", new long[] {C, C},
            "h.0.mlp.c_fc.weight", new long[] {C, 4 * C},
            "h.0.mlp.c_proj.weight", new long[] {4 * C, C},
            "ln_f.bias", new long[] {C});
        shapes.forEach((name, shape) -> assertArrayEquals(shape, f.info(name).shape(), "HF shape of " + name));
        assertEquals(4 + 12 * 2, f.names().size(), "exactly GPT-2's tensors: " + f.names());

        // HF c_attn [in, out] element (i, o) is Triad's [out, in] element (o, i)
        float[] triad = m.namedParameters().get("h.0.attn.c_attn.weight").toFloatArray(); // [3C, C]
        float[] hfW = f.readFloats("h.0.attn.c_attn.weight"); // [C, 3C]
        for (int o = 0; o < 3 * C; o++) {
          for (int i = 0; i < C; i++) {
            assertEquals(triad[o * C + i], hfW[i * 3 * C + o], "c_attn: HF (" + i + ", " + o + ")");
          }
        }
        assertArrayEquals(m.wte.toFloatArray(), f.readFloats("wte.weight"), "wte is stored as is");
      }
    }
  }

  @Test
  void loadingIntoAnotherArchitectureNamesTheMismatch() throws IOException {
    try (Gpt m = new Gpt(CFG, Device.CPU, 3);
        Gpt wider = new Gpt(new GptConfig("wider", 2, 2, 32, 37, 12), Device.CPU, 3)) {
      GptExport.save(m, dir);
      CheckpointFormatException e = assertThrows(CheckpointFormatException.class, () -> GptExport.load(wider, dir));
      assertTrue(e.getMessage().contains("wte.weight") && e.getMessage().contains("[37, 16]")
          && e.getMessage().contains("[37, 32]"), e.getMessage());
    }
  }
}
