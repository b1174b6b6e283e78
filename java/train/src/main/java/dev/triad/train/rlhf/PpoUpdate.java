package dev.triad.train.rlhf;

import dev.triad.dist.Communicator;
import dev.triad.nn.Gpt;
import dev.triad.nn.RewardModel;
import dev.triad.optim.AdamW;
import dev.triad.optim.GradClip;
import dev.triad.profile.Profiler;
import dev.triad.tensor.Device;
import dev.triad.tensor.Ops;
import dev.triad.tensor.Scope;
import dev.triad.tensor.Tensor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * PPO's optimisation of one scored rollout: {@code epochs} passes over minibatches of its rows
 * (shuffled by the step's generator, or in the rollout's order), each one update of policy and
 * critic together: clipped policy loss + vfCoef * clipped value loss - entCoef * entropy, the
 * gradients clipped per model and one AdamW step per model. The rest of a PPO step (rollout,
 * rewards, advantages, logging) is {@link Ppo}'s.
 */
final class PpoUpdate {
  private PpoUpdate() {}

  /**
   * A scored rollout as the update reads it, row-major [B, T] like {@code padded}: which positions
   * predict a reply token (1), the log-probs and values it was sampled with, whitened advantages and
   * returns.
   */
  record Rollout(SequenceLogProbs.Padded padded, float[] mask, float[] oldLogProbs, float[] oldValues,
      double[] advantages, double[] returns) {}

  /** Means over the minibatch updates, and the tokens (rows x T) the update trained on. */
  record Figures(double policyLoss, double valueLoss, double entropy, double clipFraction, double approxKl,
      long trainTokens) {}

  /**
   * comm: null in one process; data-parallel, this rank's share of the rollout and of each
   * minibatch ({@code miniBatch / size} rows), the gradients averaged over the ranks before each
   * step, so every rank takes the same step on its whole copy of both models.
   */
  static Figures run(PpoOptions o, Random rng, Communicator comm, Gpt policy, RewardModel critic, AdamW policyOpt,
      AdamW criticOpt, Rollout r) {
    int B = r.padded().batch();
    int miniBatch = comm == null ? o.miniBatch() : o.miniBatch() / comm.size();
    int T = r.padded().length();
    double ent = 0, clip = 0, akl = 0, pl = 0, vl = 0;
    int updates = 0;
    long trainTokens = 0;
    for (int epoch = 0; epoch < o.epochs(); epoch++) {
      List<Integer> order = new ArrayList<>();
      for (int b = 0; b < B; b++) {
        order.add(b);
      }
      if (o.dataOrder().shuffled()) {
        Collections.shuffle(order, rng);
      }
      for (int s = 0; s < B; s += miniBatch) {
        List<Integer> rows = order.subList(s, Math.min(B, s + miniBatch));
        int mb = rows.size();
        int[] tok = new int[mb * T], tgt = new int[mb * T];
        float[] mk = new float[mb * T], lo = new float[mb * T], vo = new float[mb * T], ad = new float[mb * T],
            rt = new float[mb * T];
        try (Profiler.Phase ph = Profiler.phase("data")) { // the minibatch's rows of the rollout
          for (int row = 0; row < mb; row++) {
            int src = rows.get(row) * T;
            System.arraycopy(r.padded().tokens(), src, tok, row * T, T);
            System.arraycopy(r.padded().targets(), src, tgt, row * T, T);
            System.arraycopy(r.mask(), src, mk, row * T, T);
            System.arraycopy(r.oldLogProbs(), src, lo, row * T, T);
            System.arraycopy(r.oldValues(), src, vo, row * T, T);
            for (int t = 0; t < T; t++) {
              ad[row * T + t] = (float) r.advantages()[src + t];
              rt[row * T + t] = (float) r.returns()[src + t];
            }
          }
        }
        try (Scope scope = Scope.open()) {
          Device d = policy.device;
          Tensor tokT, maskT, logits, loss, vLoss, entropy;
          PpoLosses.Policy pol;
          try (Profiler.Phase ph = Profiler.phase("forward")) {
            tokT = Tensor.ofInts(tok, d, mb, T);
            maskT = Tensor.of(mk, d, mb, T);
            logits = policy.logits(tokT);
            Tensor lpNew = policy.tokenLoss(logits, Tensor.ofInts(tgt, d, mb, T), null).logprob;
            pol = PpoLosses.policy(lpNew, Tensor.of(lo, d, mb, T), Tensor.of(ad, d, mb, T), maskT, o.clipEps());
            entropy = PpoLosses.entropy(logits, maskT, policy.config.vocabSize());
            Tensor vNew = critic.values(tokT, null);
            vLoss = PpoLosses.value(vNew, Tensor.of(vo, d, mb, T), Tensor.of(rt, d, mb, T), maskT,
                o.valueClipEps());
            loss = Ops.add(Ops.add(pol.loss(), Ops.mulScalar(vLoss, o.vfCoef())),
                Ops.mulScalar(entropy, -o.entCoef()));
          }
          try (Profiler.Phase ph = Profiler.phase("backward")) {
            loss.backward();
          }
          try (Profiler.Phase ph = Profiler.phase("optimizer")) {
            if (comm != null) {
              comm.averageGradients(policy.parameters());
              comm.averageGradients(critic.parameters());
            }
            // clipped on the device, as Trainer does: no read of either norm
            try (Tensor pn = GradClip.squaredNorm(policy.parameters());
                Tensor cn = GradClip.squaredNorm(critic.parameters())) {
              policyOpt.step(pn, o.gradClip());
              criticOpt.step(cn, o.gradClip());
            }
            policyOpt.zeroGrad();
            criticOpt.zeroGrad();
          }
          float[] read = Tensor.items(pol.loss(), vLoss, entropy);  // one read for the three
          pl += read[0];
          vl += read[1];
          ent += read[2];
          clip += pol.clipFraction();
          akl += pol.approxKl();
          updates++;
          trainTokens += (long) mb * T;
        }
      }
    }
    return new Figures(pl / updates, vl / updates, ent / updates, clip / updates, akl / updates, trainTokens);
  }
}
