package dev.triad.nn;

import dev.triad.tensor.DType;
import dev.triad.tensor.Device;
import dev.triad.tensor.Ops;
import dev.triad.tensor.Tensor;

/**
 * A reward model: a GPT backbone (its final hidden states; the LM head is not used) and a
 * {@link ScalarHead} read at the last real token of each sequence. Parameters are the backbone's
 * under "backbone." ("backbone.wte.weight", "backbone.h.0.attn.c_attn.weight", ...) and the head's
 * as "score.weight" [1, C] and "score.bias" [1].
 *
 * <p>Sequences are right-padded: row b's real tokens are {@code [0, lastIndex[b]]}. Attention is
 * causal, so nothing after {@code lastIndex[b]} (padding, whatever its token) can change the
 * reward of row b.
 */
public final class RewardModel extends Module {
  /** Standard deviation of the head's initial weight. */
  public static final float HEAD_STD = 0.02f;

  public final Gpt backbone;
  public final ScalarHead score;

  /** A reward model over {@code backbone} (which it now owns), its head initialised from {@code seed}. */
  public RewardModel(Gpt backbone, long seed, float headStd) {
    this.backbone = child("backbone", backbone);
    this.score = child("score", new ScalarHead(new Init(seed, backbone.device, backbone.precision),
        backbone.config.nEmbd(), headStd));
  }

  /** A freshly initialised f32 reward model of {@code config}. */
  public RewardModel(GptConfig config, Device device, long seed) {
    this(config, device, Precision.F32, seed);
  }

  /** A freshly initialised reward model of {@code config} in {@code precision}. */
  public RewardModel(GptConfig config, Device device, Precision precision, long seed) {
    this(new Gpt(config, device, precision, seed), seed ^ 0x5C0FEL, HEAD_STD);
  }

  public Device device() {
    return backbone.device;
  }

  /**
   * Rewards f32 [B] of tokens i32 [B,T]: the head applied to the final hidden state at
   * {@code lastIndex[b]} of each row. positions i32 [B,T] or null (0..T-1). Differentiable.
   */
  public Tensor rewards(Tensor tokens, Tensor positions, int[] lastIndex) {
    long B = tokens.size(0), T = tokens.size(1);
    if (lastIndex == null || lastIndex.length != B) {
      throw new IllegalArgumentException("rewards: lastIndex must have one entry per row (" + B + "), got "
          + (lastIndex == null ? "null" : lastIndex.length));
    }
    for (int b = 0; b < B; b++) {
      if (lastIndex[b] < 0 || lastIndex[b] >= T) {
        throw new IllegalArgumentException("rewards: lastIndex[" + b + "] = " + lastIndex[b] + " is outside [0, " + T + ")");
      }
    }
    Tensor values = values(tokens, positions);
    Tensor index = Tensor.ofInts(lastIndex, device(), B);
    return Ops.gather(values, index);
  }

  /**
   * The head at every position: f32 [B,T] (the reward of each prefix). Differentiable. In a bf16
   * model the head computes in bf16 and its output is cast to f32: rewards and values are
   * statistics that losses compare with f32 targets and returns.
   */
  public Tensor values(Tensor tokens, Tensor positions) {
    // [B,T,C] -> [B,T,1] -> [B,T]
    Tensor v = score.forward(backbone.hidden(tokens, positions, null)).reshape(tokens.size(0), tokens.size(1));
    return Ops.cast(v, DType.F32);
  }
}
