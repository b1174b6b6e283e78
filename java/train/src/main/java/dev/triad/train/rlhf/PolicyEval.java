package dev.triad.train.rlhf;

import dev.triad.data.chat.ChatTemplate;
import dev.triad.data.chat.Message;
import dev.triad.data.instruct.Example;
import dev.triad.data.instruct.InstructionData;
import dev.triad.data.pref.RuleScorer;
import dev.triad.nn.Gpt;
import dev.triad.nn.RewardModel;
import dev.triad.profile.Progress;
import java.util.ArrayList;
import java.util.List;

/**
 * The before/after evaluation shared by PPO, GRPO and DPO: the policy answers held-out RL prompts
 * (never trained on), {@link #SAMPLES} sampled replies per prompt at temperature
 * {@link #TEMPERATURE} with a fixed seed, and every reply is scored by the reward model (when
 * given), by the evaluation-only {@link RuleScorer}, and for KL to the reference (when given).
 *
 * <p>Sampled, not greedy: RL optimises the expected reward of the policy's samples, and the habits it
 * should remove (wordy or rude replies) live in the tail of the distribution that greedy decoding
 * never shows. The same seed gives the same replies, so before and after differ only by the policy.
 */
public final class PolicyEval {
  private PolicyEval() {}

  /** Sampled replies per prompt. */
  public static final int SAMPLES = 4;
  /** Sampling temperature (1: the policy's own distribution). */
  public static final float TEMPERATURE = 1f;
  /** Rows generated per batch. */
  private static final int CHUNK = 16;

  /**
   * Means over all replies: reward-model score (NaN without a reward model), rule score, per-token
   * k3 KL estimate to the reference (NaN without one), the share of replies that are exactly right
   * ({@link InstructionData#score}), that contain a harmful word, and the reply length in characters.
   * {@code sample} is the first prompt with its first reply.
   */
  public record Result(int prompts, int replies, double reward, double ruleScore, double kl, double exactShare,
      double harmfulShare, double meanLength, String sample) {
    /** The figures under stable keys for a JSON report; NaN (not measured) becomes null. */
    public java.util.Map<String, Object> toMap() {
      java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
      m.put("prompts", prompts);
      m.put("replies", replies);
      m.put("reward", finite(reward));
      m.put("rule_score", finite(ruleScore));
      m.put("kl", finite(kl));
      m.put("exact_share", finite(exactShare));
      m.put("harmful_share", finite(harmfulShare));
      m.put("mean_length", finite(meanLength));
      m.put("sample", sample);
      return m;
    }

    private static Double finite(double v) {
      return Double.isFinite(v) ? v : null;
    }

    /** The same figures with {@code kl} replaced (e.g. 0 for a policy that still is the reference). */
    public Result withKl(double kl) {
      return new Result(prompts, replies, reward, ruleScore, kl, exactShare, harmfulShare, meanLength, sample);
    }
  }

  /** The chat prompt of a user message, ready for generation. */
  static int[] render(ChatTemplate template, Example e) {
    return template.renderPrompt(List.of(Message.user(e.prompt())));
  }

  /**
   * Evaluates {@code policy} on {@code prompts} (each must fit the context with {@code maxNewTokens}
   * to spare); {@code reference} and {@code rm} may be null.
   */
  public static Result evaluate(Gpt policy, Gpt reference, RewardModel rm, ChatTemplate template, List<Example> prompts,
      int maxNewTokens, long seed) {
    if (prompts.isEmpty()) {
      throw new IllegalArgumentException("policy evaluation: no prompts");
    }
    List<Example> rows = new ArrayList<>(prompts.size() * SAMPLES);
    for (Example e : prompts) {
      for (int k = 0; k < SAMPLES; k++) {
        rows.add(e);
      }
    }
    int pad = template.bosToken();
    double reward = 0, rule = 0, kl = 0, exact = 0, harmful = 0, length = 0;
    int klRows = 0;
    String sample = null;
    try (Progress progress = Progress.start("policy evaluation", rows.size(), "replies")) {
      for (int i = 0; i < rows.size(); i += CHUNK) {
        List<Example> part = rows.subList(i, Math.min(rows.size(), i + CHUNK));
        int[][] in = new int[part.size()][];
        int longest = 0;
        for (int j = 0; j < in.length; j++) {
          in[j] = render(template, part.get(j));
          longest = Math.max(longest, in[j].length);
        }
        int budget = Math.min(maxNewTokens, policy.config.blockSize() - longest - 1);
        if (budget < 1) {
          throw new IllegalArgumentException("policy evaluation: a prompt of " + longest + " tokens fills the context of "
              + policy.config.blockSize());
        }
        // row j of this chunk draws from stream (seed, i + j): the same replies for the same policy
        Rollout ro = Rollout.sample(policy, in, budget, TEMPERATURE, template.endToken(), seed + i);
        int[][] out = ro.replies();
        double[] scores = rm == null ? null : RewardScores.noGrad(rm, ro.scored(), pad);
        for (int j = 0; j < in.length; j++) {
          Example e = part.get(j);
          String reply = template.decodeText(out[j]);
          if (sample == null) {
            sample = e.prompt() + " -> " + reply;
          }
          reward += scores == null ? 0 : scores[j];
          rule += RuleScorer.score(e, reply);
          exact += InstructionData.score(e, reply) ? 1 : 0;
          harmful += RuleScorer.harmful(reply) ? 1 : 0;
          length += reply.strip().length();
        }
        if (reference != null) {
          SequenceLogProbs.Padded p = ro.padded(pad);
          float[] lp = TokenLogProbs.noGrad(policy, p);
          float[] ref = TokenLogProbs.noGrad(reference, p);
          GrpoLoss.Stats st = GrpoLoss.stats(lp, lp, ref, TokenLogProbs.mask(p), new double[p.batch()], p.length(),
              0.2, 0.0);
          if (!Double.isNaN(st.kl())) {
            kl += st.kl() * in.length;            // stats averages over this chunk's replies
            klRows += in.length;
          }
        }
        progress.advance(in.length);
      }
    }
    int n = rows.size();
    return new Result(prompts.size(), n, rm == null ? Double.NaN : reward / n, rule / n,
        reference == null ? Double.NaN : klRows == 0 ? 0.0 : kl / klRows, exact / n, harmful / n, length / n, sample);
  }
}
