package dev.triad.io;

import dev.triad.nn.Gpt;
import dev.triad.nn.GptConfig;
import dev.triad.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** A Triad {@link Gpt} to and from the Hugging Face GPT-2 layout (model.safetensors + config.json). */
public final class GptExport {
  private GptExport() {}

  /** The HF config describing {@code cfg}. */
  public static HfGpt2Config hfConfig(GptConfig cfg) {
    return new HfGpt2Config(cfg.nEmbd(), cfg.nLayer(), cfg.nHead(), cfg.vocabSize(), cfg.blockSize(), 1e-5);
  }

  /** Writes the model's weights in HF GPT-2 layout into {@code dir} (vocabulary padding dropped). */
  public static void save(Gpt model, Path dir) throws IOException {
    Map<String, float[]> state = new LinkedHashMap<>();
    for (Map.Entry<String, Tensor> e : model.namedParameters().entrySet()) {
      state.put(e.getKey(), e.getValue().toFloatArray());
    }
    Gpt2Hf.save(dir, hfConfig(model.config), state);
  }

  /** Copies HF GPT-2 weights from {@code dir} into a model of the matching architecture. */
  public static void load(Gpt model, Path dir) throws IOException {
    Map<String, float[]> state = Gpt2Hf.load(dir, hfConfig(model.config), model.paddedVocab);
    for (Map.Entry<String, Tensor> e : model.namedParameters().entrySet()) {
      float[] v = state.get(e.getKey());
      if (v == null) {
        throw new IllegalArgumentException("GPT-2 weights in " + dir + " lack " + e.getKey());
      }
      e.getValue().write(v);
    }
  }

  /** The Triad architecture of an HF config. */
  public static GptConfig modelConfig(HfGpt2Config hf, String name) {
    return new GptConfig(name, hf.nLayer(), hf.nHead(), hf.nEmbd(), hf.vocabSize(), hf.nPositions());
  }
}
