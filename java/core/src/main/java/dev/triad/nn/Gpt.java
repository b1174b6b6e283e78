package dev.triad.nn;

import dev.triad.tensor.Device;
import dev.triad.tensor.Ops;
import dev.triad.tensor.Tensor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * GPT-2: token + learned position embeddings, nLayer pre-LN blocks, a final LayerNorm, and an LM
 * head tied to the token embedding. Parameter names follow Hugging Face's GPT-2
 * ("wte.weight", "h.0.attn.c_attn.weight", ...), with Linear weights stored [out, in].
 */
public final class Gpt extends Module {
  /** Targets equal to this are ignored by the loss (prompt tokens, padding). */
  public static final int IGNORE = -1;

  public final GptConfig config;
  public final Device device;
  /** Parameters and activations in {@code precision.dtype()}; statistics and losses in f32. */
  public final Precision precision;
  /** Rows of wte: the vocabulary, padded to a multiple of 128 on CUDA. */
  public final int paddedVocab;
  public final Tensor wte;
  public final Tensor wpe;
  public final List<Block> blocks;
  public final LayerNorm lnF;

  /** A freshly initialised f32 model (GPT-2 initialisation, std 0.02) from {@code seed}. */
  public Gpt(GptConfig config, Device device, long seed) {
    this(config, device, Precision.F32, seed);
  }

  /** An f32 model with the embedding table padded to a multiple of 128 rows when {@code padVocab}. */
  public Gpt(GptConfig config, Device device, long seed, boolean padVocab) {
    this(config, device, Precision.F32, seed, padVocab);
  }

  /**
   * A freshly initialised model in {@code precision} from {@code seed}: the weights are drawn in
   * f32 and rounded into the precision's dtype. The vocabulary is padded on CUDA.
   */
  public Gpt(GptConfig config, Device device, Precision precision, long seed) {
    this(config, device, precision, seed, device == Device.CUDA);
  }

  /** As above, with the embedding table padded to a multiple of 128 rows when {@code padVocab}. */
  public Gpt(GptConfig config, Device device, Precision precision, long seed, boolean padVocab) {
    this.config = config;
    this.device = device;
    this.precision = precision;
    this.paddedVocab = config.paddedVocab(padVocab);
    Init init = new Init(seed, device, precision);
    wte = param("wte.weight", init.normal(0.02f, paddedVocab, config.nEmbd()));
    wpe = param("wpe.weight", init.normal(0.02f, config.blockSize(), config.nEmbd()));
    List<Block> hs = new ArrayList<>();
    for (int i = 0; i < config.nLayer(); i++) {
      hs.add(child("h." + i, new Block(init, config)));
    }
    blocks = Collections.unmodifiableList(hs);
    lnF = child("ln_f", new LayerNorm(init, config.nEmbd()));
  }

  /**
   * A copy of {@code base} with a larger vocabulary (e.g. for a chat template's special tokens):
   * every weight is copied; each new token's embedding starts at the mean of the existing ones,
   * so new tokens begin with unremarkable logits instead of random ones.
   */
  public static Gpt withVocabulary(Gpt base, int vocabSize) {
    return withVocabulary(base, vocabSize, List.of());
  }

  /**
   * As {@link #withVocabulary(Gpt, int)}, but new token {@code base.vocabSize() + k} starts at the
   * mean embedding of the existing ids {@code seeds.get(k)} when that entry is present and non-empty
   * (a new token that plays the part of some text starts out meaning that text); the rest start at
   * the mean of all rows. The classifier is tied, so a seeded token's logit starts equal to its seeds'
   * mean logit.
   *
   * @throws IllegalArgumentException if {@code vocabSize} shrinks the vocabulary, there are more seeds
   *     than new tokens, or a seed id is not an existing token
   */
  public static Gpt withVocabulary(Gpt base, int vocabSize, List<int[]> seeds) {
    GptConfig c = base.config;
    if (vocabSize < c.vocabSize()) {
      throw new IllegalArgumentException("withVocabulary: " + vocabSize + " is smaller than the current " + c.vocabSize());
    }
    if (seeds.size() > vocabSize - c.vocabSize()) {
      throw new IllegalArgumentException("withVocabulary: " + seeds.size() + " seeds for " + (vocabSize - c.vocabSize())
          + " new tokens");
    }
    for (int[] ids : seeds) {
      for (int id : ids == null ? new int[0] : ids) {
        if (id < 0 || id >= c.vocabSize()) {
          throw new IllegalArgumentException("withVocabulary: seed id " + id + " is not one of the " + c.vocabSize()
              + " existing tokens");
        }
      }
    }
    boolean pad = base.paddedVocab > c.vocabSize() || base.device == Device.CUDA;  // keep the base's padding
    Gpt out = new Gpt(new GptConfig(c.name(), c.nLayer(), c.nHead(), c.nEmbd(), vocabSize, c.blockSize()), base.device,
        base.precision, 0, pad);
    for (java.util.Map.Entry<String, Tensor> e : base.namedParameters().entrySet()) {
      Tensor target = out.namedParameters().get(e.getKey());
      float[] v = e.getValue().toFloatArray();
      if (e.getKey().equals("wte.weight")) {
        // real rows only in, padding rows (zero) appended to the new table's padded size
        v = grownEmbedding(java.util.Arrays.copyOf(v, c.vocabSize() * c.nEmbd()), c.vocabSize(), vocabSize, c.nEmbd(), seeds);
        v = java.util.Arrays.copyOf(v, Math.toIntExact(target.numel()));
      }
      target.write(v);
    }
    return out;
  }

  /** wte [V,C] grown to [newV,C]: new rows at their seeds' mean, else at the mean of all rows. */
  private static float[] grownEmbedding(float[] wte, int V, int newV, int C, List<int[]> seeds) {
    float[] grown = new float[newV * C];
    System.arraycopy(wte, 0, grown, 0, V * C);
    for (int r = V; r < newV; r++) {
      int k = r - V;
      int[] ids = k < seeds.size() && seeds.get(k) != null && seeds.get(k).length > 0 ? seeds.get(k) : null;
      int count = ids == null ? V : ids.length;
      double[] sum = new double[C];
      for (int i = 0; i < count; i++) {
        int row = ids == null ? i : ids[i];
        for (int j = 0; j < C; j++) {
          sum[j] += wte[row * C + j];
        }
      }
      for (int j = 0; j < C; j++) {
        grown[r * C + j] = (float) (sum[j] / count);
      }
    }
    return grown;
  }

  /** The dtype of parameters and activations. */
  public dev.triad.tensor.DType dtype() {
    return precision.dtype();
  }

  private void checkTokens(Tensor tokens, Tensor positions) {
    if (tokens.rank() != 2) {
      throw new IllegalArgumentException("gpt: tokens must be [B,T], got " + tokens.describe());
    }
    if (positions == null && tokens.size(1) > config.blockSize()) {
      throw new IllegalArgumentException("gpt: sequence length T=" + tokens.size(1)
          + " exceeds the model's context of " + config.blockSize() + " positions");
    }
  }

  /**
   * Final hidden states [B,T,C] for tokens i32 [B,T]. positions i32 [B,T] or null (0..T-1);
   * docIds i32 [B,T] or null (packed documents attend only within themselves).
   */
  public Tensor hidden(Tensor tokens, Tensor positions, Tensor docIds) {
    checkTokens(tokens, positions);
    Tensor x = Ops.embedding(tokens, positions, wte, wpe);
    for (Block b : blocks) {
      x = b.forward(x, docIds);
    }
    return lnF.forward(x);
  }

  /** Logits [B,T,paddedVocab]; columns >= vocabSize are padding. */
  public Tensor logits(Tensor tokens, Tensor positions, Tensor docIds) {
    return Ops.linear(hidden(tokens, positions, docIds), wte, null);
  }

  public Tensor logits(Tensor tokens) {
    return logits(tokens, null, null);
  }

  /**
   * Per-token cross-entropy of the next-token targets i32 [B,T] ({@link #IGNORE} skips a token),
   * with optional per-token weights: the one loss of all three training phases.
   */
  public Ops.CrossEntropy tokenLoss(Tensor logits, Tensor targets, Tensor weights) {
    return Ops.crossEntropy(logits, targets, weights, config.vocabSize(), IGNORE);
  }

  /**
   * Mean next-token loss over the non-ignored targets: the pretraining objective. Counts the
   * targets by reading them back; training loops pass the count instead (no device sync).
   */
  public Tensor loss(Tensor tokens, Tensor targets) {
    return Ops.crossEntropyMean(logits(tokens), targets, config.vocabSize(), IGNORE);
  }

  /** As above with {@code counted} = the number of targets that are not {@link #IGNORE}. */
  public Tensor loss(Tensor tokens, Tensor targets, long counted) {
    return Ops.crossEntropyMean(logits(tokens), targets, config.vocabSize(), IGNORE, counted);
  }

  /** The same over packed rows: positions and document ids as in {@link #hidden}. */
  public Tensor loss(Tensor tokens, Tensor positions, Tensor docIds, Tensor targets) {
    return Ops.crossEntropyMean(logits(tokens, positions, docIds), targets, config.vocabSize(), IGNORE);
  }

  /** Packed rows with {@code counted} = the number of targets that are not {@link #IGNORE}. */
  public Tensor loss(Tensor tokens, Tensor positions, Tensor docIds, Tensor targets, long counted) {
    return Ops.crossEntropyMean(logits(tokens, positions, docIds), targets, config.vocabSize(), IGNORE, counted);
  }

  /** LM head: hidden [..., C] -> logits [..., paddedVocab] (tied to the token embedding). */
  public Tensor lmHead(Tensor hidden) {
    return Ops.linear(hidden, wte, null);
  }

  /**
   * Generation: final hidden states [B,Tn,C] of Tn new tokens at cache positions [past, past+Tn).
   * positions i32 [B,Tn] (model positions, which differ from cache positions under left padding);
   * start i32 [B] or null: each row's first real cache position.
   */
  public Tensor hiddenCached(Tensor tokens, Tensor positions, KvCache cache, Tensor start, long past) {
    if (past + tokens.size(1) > cache.maxLen()) {
      throw new IllegalArgumentException("gpt: " + (past + tokens.size(1)) + " positions exceed the KV cache of "
          + cache.maxLen());
    }
    Tensor x = Ops.embedding(tokens, positions, wte, wpe);
    for (int i = 0; i < blocks.size(); i++) {
      x = blocks.get(i).forwardCached(x, cache.layer(i), start, past);
    }
    return lnF.forward(x);
  }
}
