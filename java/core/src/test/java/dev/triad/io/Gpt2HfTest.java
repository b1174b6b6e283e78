package dev.triad.io;

import static dev.triad.io.SafetensorsTest.assertMessage;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * GPT-2 import/export against a tiny model whose HF-layout file is built here by hand (HF names,
 * Conv1D weights [in, out], the causal-mask buffers and a tied lm_head as transformers writes
 * them): every Triad tensor must equal the (transposed) source exactly, export must reproduce the
 * HF file, padding rows must be zero on import and dropped on export, and every mismatch must be
 * an error naming the tensor.
 */
class Gpt2HfTest {
  static final int L = 2, C = 8, NH = 2, V = 11, P = 16;
  static final HfGpt2Config CFG = new HfGpt2Config(C, L, NH, V, P, 1e-5);
  static final String[] CONV1D = {"attn.c_attn.weight", "attn.c_proj.weight", "mlp.c_fc.weight", "mlp.c_proj.weight"};

  @TempDir Path dir;
  /** HF name -> (HF shape, data), in the order transformers stores them. */
  final Map<String, long[]> hfShape = new LinkedHashMap<>();
  final Map<String, float[]> hfData = new LinkedHashMap<>();

  private void add(String name, float[] data, long... shape) {
    hfShape.put(name, shape);
    hfData.put(name, data);
  }

  @BeforeEach
  void buildHfModel() {
    Random rng = new Random(2024);
    add("wte.weight", values(rng, V * C), V, C);
    add("wpe.weight", values(rng, P * C), P, C);
    for (int i = 0; i < L; i++) {
      String h = "h." + i + ".";
      add(h + "ln_1.weight", values(rng, C), C);
      add(h + "ln_1.bias", values(rng, C), C);
      add(h + "attn.bias", new float[P * P], 1, 1, P, P); // causal-mask buffer
      add(h + "attn.masked_bias", new float[] {-1e4f});
      add(h + "attn.c_attn.weight", values(rng, C * 3 * C), C, 3 * C); // Conv1D: [in, out]
      add(h + "attn.c_attn.bias", values(rng, 3 * C), 3 * C);
      add(h + "attn.c_proj.weight", values(rng, C * C), C, C);
      add(h + "attn.c_proj.bias", values(rng, C), C);
      add(h + "ln_2.weight", values(rng, C), C);
      add(h + "ln_2.bias", values(rng, C), C);
      add(h + "mlp.c_fc.weight", values(rng, C * 4 * C), C, 4 * C);
      add(h + "mlp.c_fc.bias", values(rng, 4 * C), 4 * C);
      add(h + "mlp.c_proj.weight", values(rng, 4 * C * C), 4 * C, C);
      add(h + "mlp.c_proj.bias", values(rng, C), C);
    }
    add("ln_f.weight", values(rng, C), C);
    add("ln_f.bias", values(rng, C), C);
  }

  /** Distinct values, so any index mix-up (a wrong transpose) shows. */
  static float[] values(Random rng, int n) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) rng.nextGaussian();
    }
    return a;
  }

  private Path writeHf(String fileName, UnaryOperator<String> rename, boolean withLmHead) throws IOException {
    List<HostTensor> ts = new ArrayList<>();
    hfData.forEach((name, data) -> ts.add(HostTensor.f32(rename.apply(name), data, hfShape.get(name))));
    if (withLmHead) {
      ts.add(HostTensor.f32("lm_head.weight", hfData.get("wte.weight").clone(), V, C));
    }
    Path p = dir.resolve(fileName);
    Safetensors.writeHost(p, ts, Map.of("format", "pt"));
    return p;
  }

  private static boolean isConv1d(String name) {
    for (String s : CONV1D) {
      if (name.endsWith(s)) {
        return true;
      }
    }
    return false;
  }

  /** Triad's expected names, in state-dict order (written out here independently of Gpt2Hf). */
  static List<String> triadNames() {
    List<String> names = new ArrayList<>(List.of("wte.weight", "wpe.weight"));
    for (int i = 0; i < L; i++) {
      for (String s : new String[] {"ln_1.weight", "ln_1.bias", "attn.c_attn.weight", "attn.c_attn.bias",
          "attn.c_proj.weight", "attn.c_proj.bias", "ln_2.weight", "ln_2.bias", "mlp.c_fc.weight", "mlp.c_fc.bias",
          "mlp.c_proj.weight", "mlp.c_proj.bias"}) {
        names.add("h." + i + "." + s);
      }
    }
    names.add("ln_f.weight");
    names.add("ln_f.bias");
    return names;
  }

  /** Checks loaded Triad state against the hand-built HF source, element by element. */
  private void assertMatchesSource(Map<String, float[]> triad, int paddedVocab) {
    assertEquals(triadNames(), List.copyOf(triad.keySet()));
    for (String name : triad.keySet()) {
      float[] got = triad.get(name);
      float[] src = hfData.get(name);
      if (isConv1d(name)) {
        int in = (int) hfShape.get(name)[0], out = (int) hfShape.get(name)[1];
        assertEquals(in * out, got.length, name);
        for (int o = 0; o < out; o++) {
          for (int i = 0; i < in; i++) {
            // Triad [out, in] element (o, i) is HF [in, out] element (i, o)
            assertEquals(src[i * out + o], got[o * in + i], name + "[" + o + ", " + i + "]");
          }
        }
      } else if (name.equals("wte.weight")) {
        assertEquals(paddedVocab * C, got.length);
        for (int k = 0; k < paddedVocab * C; k++) {
          assertEquals(k < V * C ? src[k] : 0f, got[k], "wte element " + k);
        }
      } else {
        assertArrayEquals(src, got, name);
      }
    }
  }

  @Test
  void importsHandBuiltHfFile() throws IOException {
    Path model = dir.resolve("gpt2");
    Files.createDirectories(model);
    writeHf("gpt2/model.safetensors", n -> n, true);
    Files.writeString(model.resolve("config.json"), "{\"model_type\":\"gpt2\",\"n_embd\":8,\"n_layer\":2,\"n_head\":2,"
        + "\"vocab_size\":11,\"n_ctx\":16,\"activation_function\":\"gelu_new\",\"n_inner\":null}");
    HfGpt2Config cfg = Gpt2Hf.readConfig(model);
    assertEquals(CFG, cfg);
    assertMatchesSource(Gpt2Hf.load(model, cfg, V), V);
    assertMatchesSource(Gpt2Hf.load(model.resolve("model.safetensors"), cfg, V), V);
  }

  @Test
  void transformerPrefixAccepted() throws IOException {
    Path f = writeHf("prefixed.safetensors", n -> n.startsWith("lm_head") ? n : "transformer." + n, true);
    assertMatchesSource(Gpt2Hf.load(f, CFG, V), V);
  }

  @Test
  void paddedVocabularyRoundTrip() throws IOException {
    Path f = writeHf("m.safetensors", n -> n, false);
    Map<String, float[]> padded = Gpt2Hf.load(f, CFG, 16);
    assertMatchesSource(padded, 16);

    Path out = dir.resolve("export");
    padded.get("wte.weight")[V * C] = 123f; // padding rows are not part of the model: dropped
    Gpt2Hf.save(out, CFG, padded);
    assertEquals(CFG, Gpt2Hf.readConfig(out));
    try (SafetensorsFile st = Safetensors.open(out.resolve("model.safetensors"))) {
      assertEquals("pt", st.metadata().get("format"));
      assertEquals(triadNames().size(), st.names().size());
      for (String name : triadNames()) {
        assertArrayEquals(hfShape.get(name), st.info(name).shape(), name);
        assertEquals(SafetensorsDType.F32, st.info(name).dtype());
        assertArrayEquals(hfData.get(name), st.readFloats(name), name + ": export must reproduce the HF source");
      }
    }
    Map<String, float[]> again = Gpt2Hf.load(out, CFG, 16);
    assertMatchesSource(again, 16); // padding zero again
    Map<String, float[]> unpadded = Gpt2Hf.load(out, CFG, V);
    assertMatchesSource(unpadded, V);
  }

  @Test
  void exportThenReimportIsIdentity() throws IOException {
    Random rng = new Random(5);
    Map<String, float[]> state = new LinkedHashMap<>();
    Gpt2Hf.triadShapes(CFG, 12).forEach((name, shape) -> {
      long n = 1;
      for (long d : shape) {
        n *= d;
      }
      state.put(name, values(rng, (int) n));
    });
    for (int k = V * C; k < 12 * C; k++) {
      state.get("wte.weight")[k] = 0f;
    }
    Path out = dir.resolve("rt");
    Gpt2Hf.save(out, CFG, state);
    Map<String, float[]> back = Gpt2Hf.load(out, Gpt2Hf.readConfig(out), 12);
    assertEquals(List.copyOf(state.keySet()), List.copyOf(back.keySet()));
    state.forEach((name, a) -> assertArrayEquals(a, back.get(name), name));
    // saving again over the same directory replaces the files
    state.get("ln_f.bias")[0] = 99f;
    Gpt2Hf.save(out, CFG, state);
    assertEquals(99f, Gpt2Hf.load(out, CFG, 12).get("ln_f.bias")[0]);
  }

  @Test
  void transposeIsATranspose() {
    float[] m = {1, 2, 3, 4, 5, 6}; // [[1,2,3],[4,5,6]]
    assertArrayEquals(new float[] {1, 4, 2, 5, 3, 6}, Gpt2Hf.transpose(m, 2, 3));
    assertArrayEquals(m, Gpt2Hf.transpose(Gpt2Hf.transpose(m, 2, 3), 3, 2));
  }

  @Test
  void missingTensorIsNamed() throws IOException {
    hfData.remove("h.1.mlp.c_fc.bias");
    Path f = writeHf("m.safetensors", n -> n, false);
    CheckpointFormatException e = assertThrows(CheckpointFormatException.class, () -> Gpt2Hf.load(f, CFG, V));
    assertMessage(e, f.toString(), "missing", "h.1.mlp.c_fc.bias [32]");
  }

  @Test
  void wrongShapeIsNamedWithExpectedAndFound() throws IOException {
    // a Conv1D weight stored in Triad's [out, in] layout by mistake
    String name = "h.0.attn.c_attn.weight";
    hfData.put(name, Gpt2Hf.transpose(hfData.get(name), C, 3 * C));
    hfShape.put(name, new long[] {3 * C, C});
    Path f = writeHf("m.safetensors", n -> n, false);
    CheckpointFormatException e = assertThrows(CheckpointFormatException.class, () -> Gpt2Hf.load(f, CFG, V));
    assertMessage(e, f.toString(), name, "has shape [24, 8]", "expected [8, 24]");
  }

  @Test
  void wrongVocabularyShape() throws IOException {
    Path f = writeHf("m.safetensors", n -> n, false);
    HfGpt2Config bigger = new HfGpt2Config(C, L, NH, V + 1, P, 1e-5);
    CheckpointFormatException e = assertThrows(CheckpointFormatException.class, () -> Gpt2Hf.load(f, bigger, 16));
    assertMessage(e, "wte.weight", "[11, 8]", "expected [12, 8]");
    assertThrows(IllegalArgumentException.class, () -> Gpt2Hf.load(f, CFG, V - 1));
  }

  @Test
  void unexpectedTensorIsNamed() throws IOException {
    add("h.2.ln_1.weight", new float[C], C); // a third layer the config does not have
    add("h.2.attn.bias", new float[P * P], 1, 1, P, P);
    Path f = writeHf("m.safetensors", n -> n, false);
    CheckpointFormatException e = assertThrows(CheckpointFormatException.class, () -> Gpt2Hf.load(f, CFG, V));
    assertMessage(e, f.toString(), "unexpected", "h.2.ln_1.weight", "h.2.attn.bias");
  }

  @Test
  void untiedLmHeadIsRejected() throws IOException {
    List<HostTensor> ts = new ArrayList<>();
    hfData.forEach((name, data) -> ts.add(HostTensor.f32(name, data, hfShape.get(name))));
    float[] head = hfData.get("wte.weight").clone();
    head[3] += 1f;
    ts.add(HostTensor.f32("lm_head.weight", head, V, C));
    Path f = dir.resolve("untied.safetensors");
    Safetensors.writeHost(f, ts, Map.of());
    CheckpointFormatException e = assertThrows(CheckpointFormatException.class, () -> Gpt2Hf.load(f, CFG, V));
    assertMessage(e, "lm_head.weight differs from wte.weight");
  }

  @Test
  void bf16SourceIsWidenedExactly() throws IOException {
    List<HostTensor> ts = new ArrayList<>();
    hfData.forEach((name, data) -> ts.add(HostTensor.bf16(name, data, hfShape.get(name))));
    Path f = dir.resolve("bf16.safetensors");
    Safetensors.writeHost(f, ts, Map.of());
    hfData.replaceAll((name, data) -> {
      float[] r = new float[data.length];
      for (int i = 0; i < r.length; i++) {
        r[i] = HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(data[i]));
      }
      return r;
    });
    assertMatchesSource(Gpt2Hf.load(f, CFG, V), V);
  }

  @Test
  void saveRejectsStateNotMatchingConfig() {
    Map<String, float[]> state = new LinkedHashMap<>();
    Gpt2Hf.triadShapes(CFG, V).forEach((n, s) -> {
      long k = 1;
      for (long d : s) {
        k *= d;
      }
      state.put(n, new float[(int) k]);
    });
    state.remove("h.0.ln_2.bias");
    state.put("extra", new float[1]);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Gpt2Hf.save(dir.resolve("x"), CFG, state));
    assertMessage(e, "missing h.0.ln_2.bias", "unexpected extra");
    state.remove("extra");
    state.put("h.0.ln_2.bias", new float[C + 1]);
    e = assertThrows(IllegalArgumentException.class, () -> Gpt2Hf.save(dir.resolve("x"), CFG, state));
    assertMessage(e, "h.0.ln_2.bias has 9 elements, expected [8]");
    assertTrue(Files.notExists(dir.resolve("x").resolve("model.safetensors")));
  }

  @Test
  void configParsing() throws IOException {
    HfGpt2Config c = HfGpt2Config.parse("{\"n_embd\":768,\"n_layer\":12,\"n_head\":12,\"vocab_size\":50257,"
        + "\"n_positions\":1024,\"n_ctx\":1024,\"layer_norm_epsilon\":1e-05}", "config.json");
    assertEquals(HfGpt2Config.gpt2Small(), c);
    assertEquals(c, HfGpt2Config.parse(c.toJson(), "round trip"));
    assertTrue(c.toJson().contains("\"GPT2LMHeadModel\"") && c.toJson().contains("\"gelu_new\""));
    String base = "\"n_embd\":8,\"n_layer\":2,\"n_head\":2,\"vocab_size\":11,\"n_positions\":16";
    assertEquals(3e-6, HfGpt2Config.parse("{" + base + ",\"layer_norm_epsilon\":3e-6}", "c").layerNormEpsilon());
    assertMessage(assertThrows(CheckpointFormatException.class,
        () -> HfGpt2Config.parse("{\"n_layer\":2}", "cfg.json")), "cfg.json", "missing \"n_embd\"");
    assertMessage(assertThrows(CheckpointFormatException.class,
        () -> HfGpt2Config.parse("{" + base + ",\"activation_function\":\"relu\"}", "cfg.json")), "cfg.json", "relu");
    assertMessage(assertThrows(CheckpointFormatException.class,
        () -> HfGpt2Config.parse("{" + base + ",\"n_inner\":20}", "cfg.json")), "n_inner");
    assertMessage(assertThrows(CheckpointFormatException.class,
        () -> HfGpt2Config.parse("{" + base.replace("\"n_head\":2", "\"n_head\":3") + "}", "cfg.json")),
        "cfg.json", "not divisible");
    assertMessage(assertThrows(CheckpointFormatException.class,
        () -> HfGpt2Config.parse("{" + base + ",\"model_type\":\"llama\"}", "cfg.json")), "llama");
    assertMessage(assertThrows(CheckpointFormatException.class, () -> HfGpt2Config.parse("{", "cfg.json")),
        "cfg.json", "not valid JSON");
  }
}
