package dev.triad.train.rlhf;

import dev.triad.nn.Gpt;
import dev.triad.nn.RewardModel;
import dev.triad.profile.Profiler;
import dev.triad.tensor.Tensor;
import dev.triad.train.DataShard;
import dev.triad.train.Trainer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * GRPO's part of the training loop: each micro-batch is one rollout. P prompts are drawn (seeded by
 * (seed, rollout index), so a resumed run draws exactly what a straight one would), the policy
 * samples G responses to each (temperature 1, stop at {@code <|end|>}), the frozen reward model
 * scores prompt + response + {@code <|end|>} at its last token, advantages are normalised within
 * each prompt's group, and the loss is {@link GrpoLoss} over the response tokens (one update per
 * rollout, so the sampling policy's log-probs are the policy's own, detached). The response tokens
 * the policy is trained on are the generated ones plus {@code <|end|>} when it stopped by itself.
 */
public final class GrpoTask implements Trainer.Task {
  private final Gpt policy;
  private final Gpt reference;
  private final RewardModel rewardModel;
  private final List<int[]> prompts;
  private final int promptsPerStep;
  private final int group;
  private final int maxNewTokens;
  private final int endToken;
  private final int padToken;
  private final float clipEps;
  private final float beta;
  private final long seed;
  private DataShard shard = DataShard.WHOLE;
  private boolean sequential;
  private long rollouts;
  // figures since the last stepMetrics()
  private double rewardSum, groupStdSum, klSum, lengthSum, clipSum;
  private long responses, generatedTokens;
  private int batches;
  private double genSeconds;

  /**
   * @param reference the frozen reference, or null (no KL term)
   * @param prompts rendered prompts ({@code ...<|assistant|>}), each at most the context - 2 tokens
   */
  public GrpoTask(Gpt policy, Gpt reference, RewardModel rewardModel, List<int[]> prompts, int promptsPerStep,
      int group, int maxNewTokens, int endToken, int padToken, float clipEps, float beta, long seed) {
    if (prompts.isEmpty()) {
      throw new IllegalArgumentException("grpo: no prompts");
    }
    if (promptsPerStep < 1 || group < 2 || maxNewTokens < 1) {
      throw new IllegalArgumentException("grpo: need prompts per step >= 1, group >= 2 and max new tokens >= 1; got "
          + promptsPerStep + ", " + group + ", " + maxNewTokens);
    }
    for (int[] p : prompts) {
      if (p.length + 2 > policy.config.blockSize()) {
        throw new IllegalArgumentException("grpo: a prompt of " + p.length + " tokens leaves no room in the context of "
            + policy.config.blockSize());
      }
    }
    this.policy = policy;
    this.reference = reference;
    this.rewardModel = rewardModel;
    this.prompts = List.copyOf(prompts);
    this.promptsPerStep = Math.min(promptsPerStep, prompts.size());
    this.group = group;
    this.maxNewTokens = maxNewTokens;
    this.endToken = endToken;
    this.padToken = padToken;
    this.clipEps = clipEps;
    this.beta = beta;
    this.seed = seed;
  }

  /** Takes each step's prompts in {@code dataOrder}: drawn by the rollout's seed (the default) or in their order. */
  public GrpoTask withDataOrder(dev.triad.train.TrainConfig.DataOrder dataOrder) {
    sequential = !dataOrder.shuffled();
    return this;
  }

  /** The seed of rollout r: prompt choice and sampling both derive from it. */
  static long rolloutSeed(long seed, long rollout) {
    long z = seed * 0x9E3779B97F4A7C15L + rollout * 0xBF58476D1CE4E5B9L + 0x6A09E667L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  @Override
  public Trainer.MicroBatch next() {
    long rs = rolloutSeed(seed, rollouts++);
    Random rng = new Random(rs);
    int[] idx = new int[prompts.size()];
    for (int i = 0; i < idx.length; i++) {
      idx[i] = i;
    }
    int longest = 0;
    // every rank draws the step's prompts alike; it samples the groups of its share of them
    int from = shard.from(promptsPerStep), to = shard.to(promptsPerStep);
    int[][] rows = new int[(to - from) * group][];
    for (int p = 0; p < promptsPerStep; p++) {
      if (sequential) {
        // the prompts in their order, wrapping around: rollout r takes r * P .. r * P + P - 1
        idx[p] = (int) (((rollouts - 1) * promptsPerStep + p) % idx.length);
      } else {
        // a partial Fisher-Yates by the rollout's seed
        int j = p + rng.nextInt(idx.length - p);
        int t = idx[p];
        idx[p] = idx[j];
        idx[j] = t;
      }
      if (p < from || p >= to) {
        continue;
      }
      int[] prompt = prompts.get(idx[p]);
      longest = Math.max(longest, prompt.length);
      for (int g = 0; g < group; g++) {
        rows[(p - from) * group + g] = prompt;
      }
    }
    // room for the reply and the <|end|> the reward model reads
    int budget = Math.min(maxNewTokens, policy.config.blockSize() - longest - 1);
    long t0 = System.nanoTime();
    Rollout ro;
    try (Profiler.Phase ph = Profiler.phase("generation")) {
      // a rank's own sampling stream (one process: the rollout's seed as it always was)
      long sampling = shard.ranks() == 1 ? rs : rs + shard.rank() * 0x9E3779B97F4A7C15L;
      ro = Rollout.sample(policy, rows, budget, 1f, endToken, sampling & Long.MAX_VALUE);
    }
    genSeconds += (System.nanoTime() - t0) / 1e9;
    int[][] replies = ro.replies();

    double[] rewards;
    try (Profiler.Phase ph = Profiler.phase("reward scoring")) {
      rewards = RewardScores.noGrad(rewardModel, ro.scored(), padToken);
    }
    double[] adv = GrpoAdvantages.compute(rewards, group);
    SequenceLogProbs.Padded p = ro.padded(padToken);
    boolean[] mask = TokenLogProbs.mask(p);
    Tensor logp = TokenLogProbs.of(policy, p);
    float[] old = logp.toFloatArray();
    float[] ref = reference == null ? null : TokenLogProbs.noGrad(reference, p);
    GrpoLoss.Result r = GrpoLoss.compute(logp, old, ref, mask, adv, clipEps, beta);

    for (int i = 0; i < rewards.length; i++) {
      rewardSum += rewards[i];
      lengthSum += replies[i].length;
      generatedTokens += replies[i].length;
    }
    responses += rewards.length;
    groupStdSum += GrpoAdvantages.meanGroupStd(rewards, group);
    klSum += Double.isNaN(r.stats().kl()) ? 0 : r.stats().kl();
    clipSum += r.stats().clipFraction();
    batches++;
    // the loss is a mean over the responses with a token in the mask (GrpoLoss)
    long answered = 0;
    for (int b = 0; b < p.batch(); b++) {
      for (int t = 0; t < p.length(); t++) {
        if (mask[b * p.length() + t]) {
          answered++;
          break;
        }
      }
    }
    return new Trainer.MicroBatch(r.loss(), (long) p.batch() * p.length(), answered);
  }

  /** Splits each step's prompts (whole groups) over the ranks. */
  @Override
  public void shard(DataShard shard) {
    shard.requireSplittable(promptsPerStep, "prompts");
    this.shard = shard;
  }

  /** GRPO is evaluated by {@link Grpo} through {@link PolicyEval} (sampled replies), not by a held-out loss. */
  @Override
  public double evaluate() {
    return Double.NaN;
  }

  @Override
  public String sample() {
    return null;
  }

  /** Mean reward, within-group reward std, KL to the reference, reply length, clip share, generation tok/s. */
  @Override
  public Map<String, Object> stepMetrics() {
    Map<String, Object> m = new LinkedHashMap<>();
    if (batches > 0) {
      m.put("reward_mean", rewardSum / responses);
      m.put("reward_group_std", groupStdSum / batches);
      if (reference != null) {
        m.put("kl", klSum / batches);
      }
      m.put("response_length", lengthSum / responses);
      m.put("clip_fraction", clipSum / batches);
      m.put("gen_tokens_per_s", genSeconds > 0 ? generatedTokens / genSeconds : 0.0);
    }
    rewardSum = groupStdSum = klSum = lengthSum = clipSum = genSeconds = 0;
    responses = generatedTokens = 0;
    batches = 0;
    return m;
  }

  @Override
  public Map<String, String> state() {
    Map<String, String> s = new LinkedHashMap<>();
    s.put("grpo.rollouts", Long.toString(rollouts));
    return s;
  }

  @Override
  public void restore(Map<String, String> state) {
    String v = state.get("grpo.rollouts");
    if (v == null) {
      throw new IllegalArgumentException("grpo: the checkpoint holds no GRPO state (grpo.rollouts); is it a GRPO run?");
    }
    rollouts = Long.parseLong(v);
  }
}
