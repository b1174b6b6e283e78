package dev.triad.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;

/**
 * The parts of a Hugging Face GPT-2 config.json that fix the model's shapes and numerics. Why a
 * record: importing GPT-2 124M (or exporting a Triad model for HF tools) needs exactly these
 * numbers, and config fields that would change the computation in ways Triad does not implement
 * (another activation, a different MLP width, layer-scaled attention) are rejected on parse
 * rather than silently ignored.
 *
 * @param nEmbd model width C ("n_embd")
 * @param nLayer number of blocks ("n_layer")
 * @param nHead attention heads ("n_head"); divides nEmbd
 * @param vocabSize vocabulary size V ("vocab_size"), without Triad's padding
 * @param nPositions context length P ("n_positions", or the older "n_ctx")
 * @param layerNormEpsilon "layer_norm_epsilon" (default 1e-5)
 */
public record HfGpt2Config(int nEmbd, int nLayer, int nHead, int vocabSize, int nPositions, double layerNormEpsilon) {
  public HfGpt2Config {
    if (nEmbd <= 0 || nLayer <= 0 || nHead <= 0 || vocabSize <= 0 || nPositions <= 0) {
      throw new IllegalArgumentException("GPT-2 config sizes must be positive: " + this);
    }
    if (nEmbd % nHead != 0) {
      throw new IllegalArgumentException("n_embd " + nEmbd + " is not divisible by n_head " + nHead);
    }
    if (!(layerNormEpsilon > 0) || Double.isInfinite(layerNormEpsilon)) {
      throw new IllegalArgumentException("layer_norm_epsilon must be positive, got " + layerNormEpsilon);
    }
  }

  /** GPT-2 124M ("gpt2" on the Hub). */
  public static HfGpt2Config gpt2Small() {
    return new HfGpt2Config(768, 12, 12, 50257, 1024, 1e-5);
  }

  /** Parses config.json text; {@code source} names the file in messages. */
  public static HfGpt2Config parse(String json, String source) throws CheckpointFormatException {
    JsonNode root;
    try {
      root = SafetensorsFile.JSON.readTree(json);
    } catch (IOException e) {
      throw new CheckpointFormatException(source + ": not valid JSON: " + e.getMessage(), e);
    }
    if (root == null || !root.isObject()) {
      throw new CheckpointFormatException(source + ": not a JSON object");
    }
    String modelType = optText(root, "model_type", source);
    if (modelType != null && !modelType.equals("gpt2")) {
      throw new CheckpointFormatException(source + ": model_type is '" + modelType + "', expected 'gpt2'");
    }
    String act = optText(root, "activation_function", source);
    if (act != null && !act.equals("gelu_new") && !act.equals("gelu_pytorch_tanh")) {
      throw new CheckpointFormatException(source + ": activation_function '" + act
          + "' is not supported (Triad's GELU is the tanh approximation: gelu_new)");
    }
    if (root.path("scale_attn_by_inverse_layer_idx").asBoolean(false)) {
      throw new CheckpointFormatException(source + ": scale_attn_by_inverse_layer_idx = true is not supported");
    }
    if (!root.path("scale_attn_weights").asBoolean(true)) {
      throw new CheckpointFormatException(source + ": scale_attn_weights = false is not supported");
    }
    if (root.path("add_cross_attention").asBoolean(false)) {
      throw new CheckpointFormatException(source + ": add_cross_attention = true is not supported");
    }
    int nEmbd = requiredInt(root, "n_embd", source);
    int nLayer = requiredInt(root, "n_layer", source);
    int nHead = requiredInt(root, "n_head", source);
    int vocab = requiredInt(root, "vocab_size", source);
    int nPos = root.has("n_positions") ? requiredInt(root, "n_positions", source) : requiredInt(root, "n_ctx", source);
    JsonNode inner = root.get("n_inner");
    if (inner != null && !inner.isNull() && !(inner.isIntegralNumber() && inner.asLong() == 4L * nEmbd)) {
      throw new CheckpointFormatException(source + ": n_inner " + inner + " is not supported (Triad's MLP is 4 * n_embd = "
          + 4L * nEmbd + ")");
    }
    double eps = 1e-5;
    JsonNode e = root.get("layer_norm_epsilon");
    if (e != null && !e.isNull()) {
      if (!e.isNumber()) {
        throw new CheckpointFormatException(source + ": layer_norm_epsilon is not a number: " + e);
      }
      eps = e.doubleValue();
    }
    HfGpt2Config cfg;
    try {
      cfg = new HfGpt2Config(nEmbd, nLayer, nHead, vocab, nPos, eps);
    } catch (IllegalArgumentException bad) {
      throw new CheckpointFormatException(source + ": " + bad.getMessage(), bad);
    }
    cfg.requireLoadable(source, Runtime.getRuntime().maxMemory());
    return cfg;
  }

  /** GPT-2's parameter count for this config (LM head tied to wte), in double: absurd sizes overflow long. */
  public double parameterCount() {
    double c = nEmbd;
    return (double) vocabSize * c + (double) nPositions * c + (double) nLayer * (12 * c * c + 13 * c) + 2 * c;
  }

  /**
   * Refuses, before any memory is taken, a config whose weights cannot be imported: a tensor larger
   * than a Java array (wte is V x C, mlp.c_fc 4C x C) or f32 weights beyond {@code heapBytes}
   * (the import holds every tensor in the heap at once).
   */
  public void requireLoadable(String source, long heapBytes) throws CheckpointFormatException {
    double params = parameterCount();
    double bytes = 4 * params;
    String sizes = "n_layer " + nLayer + ", n_embd " + nEmbd + ", n_head " + nHead + ", vocab_size " + vocabSize
        + ", n_positions " + nPositions;
    double largest = Math.max(Math.max((double) vocabSize * nEmbd, (double) nPositions * nEmbd), 4.0 * nEmbd * nEmbd);
    if (largest > Integer.MAX_VALUE - 8) {
      throw new CheckpointFormatException(String.format(java.util.Locale.ROOT,
          "%s: %s give a tensor of %.3g elements, more than one Java array holds (%d); %.4g parameters, %.4g bytes"
              + " in f32", source, sizes, largest, Integer.MAX_VALUE - 8, params, bytes));
    }
    if (bytes > heapBytes) {
      throw new CheckpointFormatException(String.format(java.util.Locale.ROOT,
          "%s: %s give %.4g parameters = %.4g bytes in f32, more than this JVM's heap of %d bytes (-Xmx) can hold"
              + " for the import", source, sizes, params, bytes, heapBytes));
    }
  }

  /** config.json text that Hugging Face transformers loads as a GPT2LMHeadModel. */
  public String toJson() {
    ObjectNode root = JsonNodeFactory.instance.objectNode();
    root.put("model_type", "gpt2");
    root.putArray("architectures").add("GPT2LMHeadModel");
    root.put("activation_function", "gelu_new");
    root.put("n_embd", nEmbd);
    root.put("n_layer", nLayer);
    root.put("n_head", nHead);
    root.put("vocab_size", vocabSize);
    root.put("n_positions", nPositions);
    root.put("n_ctx", nPositions);
    root.put("layer_norm_epsilon", layerNormEpsilon);
    root.put("tie_word_embeddings", true);
    root.put("torch_dtype", "float32");
    try {
      return SafetensorsFile.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n";
    } catch (IOException e) {
      throw new IllegalStateException(e); // an in-memory tree always serialises
    }
  }

  private static String optText(JsonNode root, String key, String source) throws CheckpointFormatException {
    JsonNode v = root.get(key);
    if (v == null || v.isNull()) {
      return null;
    }
    if (!v.isTextual()) {
      throw new CheckpointFormatException(source + ": " + key + " is not a string: " + v);
    }
    return v.textValue();
  }

  private static int requiredInt(JsonNode root, String key, String source) throws CheckpointFormatException {
    JsonNode v = root.get(key);
    if (v == null || v.isNull()) {
      throw new CheckpointFormatException(source + ": missing \"" + key + "\"");
    }
    if (!v.isIntegralNumber() || !v.canConvertToInt() || v.intValue() <= 0) {
      throw new CheckpointFormatException(source + ": \"" + key + "\" must be a positive integer, got " + v);
    }
    return v.intValue();
  }
}
