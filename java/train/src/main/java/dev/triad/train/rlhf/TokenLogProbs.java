package dev.triad.train.rlhf;

import dev.triad.autograd.Autograd;
import dev.triad.nn.Gpt;
import dev.triad.tensor.Scope;
import dev.triad.tensor.Tensor;

/**
 * Per-token log-probs of a padded batch ({@link SequenceLogProbs#pad}): for each of the B*T positions,
 * {@code log p(target | tokens before)}, 0 where the target is ignored. The one computation behind
 * DPO's sequence scores, GRPO's and PPO's ratios and KL terms, and the policy evaluation's KL.
 */
public final class TokenLogProbs {
  private TokenLogProbs() {}

  /** The log-probs [B, T] on the model's device, in the current Scope; differentiable when recording. */
  public static Tensor of(Gpt model, SequenceLogProbs.Padded p) {
    if (p.length() > model.config.blockSize()) {
      throw new IllegalArgumentException("sequence log-probs: a sequence of " + p.length()
          + " tokens exceeds the model's context of " + model.config.blockSize());
    }
    Tensor tok = Tensor.ofInts(p.tokens(), model.device, p.batch(), p.length());
    Tensor tgt = Tensor.ofInts(p.targets(), model.device, p.batch(), p.length());
    return model.tokenLoss(model.logits(tok), tgt, null).logprob;
  }

  /** The same as host values [B*T], without a graph (a rollout's old or reference log-probs). */
  public static float[] noGrad(Gpt model, SequenceLogProbs.Padded p) {
    try (Autograd.NoGrad ng = Autograd.noGrad(); Scope s = Scope.open()) {
      return of(model, p).toFloatArray();
    }
  }

  /** Which of the B*T positions of a padded batch predict a response token. */
  public static boolean[] mask(SequenceLogProbs.Padded p) {
    int[] tg = p.targets();
    boolean[] m = new boolean[tg.length];
    for (int i = 0; i < tg.length; i++) {
      m[i] = tg[i] != Gpt.IGNORE;
    }
    return m;
  }
}
