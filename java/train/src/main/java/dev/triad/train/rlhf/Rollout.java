package dev.triad.train.rlhf;

import dev.triad.generate.Generator;
import dev.triad.generate.SamplingConfig;
import dev.triad.nn.Gpt;
import java.util.Arrays;

/**
 * The policy's sampled replies to a batch of prompts, laid out for training and scoring. A reply that
 * stopped by itself (shorter than the budget) ends with {@code <|end|>}, which then belongs to it.
 *
 * @param prompts the rendered prompts, one per row
 * @param replies the generated tokens of each row, without the stop token
 * @param budget the reply budget the rows were sampled with
 * @param sequences prompt + reply (+ {@code <|end|>} when it stopped): what the policy is trained on
 * @param masks true on each sequence's reply tokens
 * @param scored prompt + reply + {@code <|end|>} always: what a reward model reads at its last token
 */
public record Rollout(int[][] prompts, int[][] replies, int budget, int[][] sequences, boolean[][] masks,
    int[][] scored) {

  /** Samples up to {@code budget} tokens after each prompt (stop at {@code endToken}), by {@code seed}. */
  public static Rollout sample(Gpt policy, int[][] prompts, int budget, float temperature, int endToken, long seed) {
    int[][] replies = Generator.generate(policy, prompts,
        new SamplingConfig(budget, temperature, 0, 1f, new int[] {endToken}, seed));
    return of(prompts, replies, budget, endToken);
  }

  /** The layout of replies already sampled. */
  public static Rollout of(int[][] prompts, int[][] replies, int budget, int endToken) {
    int n = prompts.length;
    int[][] seq = new int[n][];
    boolean[][] mask = new boolean[n][];
    int[][] scored = new int[n][];
    for (int i = 0; i < n; i++) {
      int[] pr = prompts[i], re = replies[i];
      boolean stopped = re.length < budget;
      int len = pr.length + re.length + (stopped ? 1 : 0);
      seq[i] = Arrays.copyOf(pr, len);
      System.arraycopy(re, 0, seq[i], pr.length, re.length);
      if (stopped) {
        seq[i][len - 1] = endToken;
      }
      mask[i] = new boolean[len];
      Arrays.fill(mask[i], pr.length, len, true);
      scored[i] = Arrays.copyOf(pr, pr.length + re.length + 1);
      System.arraycopy(re, 0, scored[i], pr.length, re.length);
      scored[i][scored[i].length - 1] = endToken;
    }
    return new Rollout(prompts, replies, budget, seq, mask, scored);
  }

  /** The training sequences right-padded with {@code padToken}, with their next-token targets. */
  public SequenceLogProbs.Padded padded(int padToken) {
    return SequenceLogProbs.pad(sequences, masks, padToken);
  }

  /** Tokens the policy produced: each reply plus its {@code <|end|>} when it stopped by itself. */
  public long trainedReplyTokens() {
    long n = 0;
    for (int i = 0; i < replies.length; i++) {
      n += sequences[i].length - prompts[i].length;
    }
    return n;
  }
}
