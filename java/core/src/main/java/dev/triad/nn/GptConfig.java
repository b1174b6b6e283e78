package dev.triad.nn;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * GPT-2 architecture hyperparameters. The vocabulary comes from the tokenizer; the presets fix
 * the rest. On GPUs the embedding table is padded to a multiple of 128 rows (tensor-core friendly);
 * the padding is never predicted.
 */
public record GptConfig(String name, int nLayer, int nHead, int nEmbd, int vocabSize, int blockSize) {
  public GptConfig {
    if (nLayer < 1 || nHead < 1 || nEmbd < 1 || vocabSize < 1 || blockSize < 1) {
      throw new IllegalArgumentException("GptConfig " + name + ": every size must be >= 1");
    }
    if (nEmbd % nHead != 0) {
      throw new IllegalArgumentException("GptConfig " + name + ": nEmbd " + nEmbd + " is not divisible by nHead " + nHead);
    }
  }

  /** Architecture presets (vocabulary and context filled in by {@link #preset}). */
  private static final Map<String, int[]> PRESETS = new LinkedHashMap<>();

  static {
    // name -> {nLayer, nHead, nEmbd, default context}
    PRESETS.put("tiny", new int[] {2, 4, 128, 128});
    PRESETS.put("small", new int[] {4, 4, 256, 256});
    PRESETS.put("gpt2", new int[] {12, 12, 768, 1024});
    PRESETS.put("gpt2-medium", new int[] {24, 16, 1024, 1024});
    PRESETS.put("gpt2-large", new int[] {36, 20, 1280, 1024});
    PRESETS.put("gpt2-xl", new int[] {48, 25, 1600, 1024});
  }

  /** The preset names, in size order. */
  public static String[] presetNames() {
    return PRESETS.keySet().toArray(new String[0]);
  }

  /** A preset with the given vocabulary and its default context length. */
  public static GptConfig preset(String name, int vocabSize) {
    int[] p = PRESETS.get(name);
    if (p == null) {
      throw new IllegalArgumentException("unknown model preset '" + name + "' (known: " + String.join(", ", PRESETS.keySet()) + ")");
    }
    return new GptConfig(name, p[0], p[1], p[2], vocabSize, p[3]);
  }

  public GptConfig withBlockSize(int blockSize) {
    return new GptConfig(name, nLayer, nHead, nEmbd, vocabSize, blockSize);
  }

  public GptConfig withVocabSize(int vocabSize) {
    return new GptConfig(name, nLayer, nHead, nEmbd, vocabSize, blockSize);
  }

  public int headDim() {
    return nEmbd / nHead;
  }

  /** Rows of the embedding table: the vocabulary, rounded up to 128 when {@code pad}. */
  public int paddedVocab(boolean pad) {
    return pad ? (vocabSize + 127) / 128 * 128 : vocabSize;
  }

  /** Parameters of the model with a tied LM head (padding rows included). */
  public long parameterCount(boolean padVocab) {
    long c = nEmbd;
    long perLayer = 2 * c + (3 * c * c + 3 * c) + (c * c + c) + 2 * c + (4 * c * c + 4 * c) + (4 * c * c + c);
    return (long) paddedVocab(padVocab) * c + (long) blockSize * c + nLayer * perLayer + 2 * c;
  }
}
