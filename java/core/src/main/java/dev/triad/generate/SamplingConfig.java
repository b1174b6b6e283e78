package dev.triad.generate;

import java.util.Arrays;

/**
 * How to pick each next token: temperature (&lt;= 0: greedy), top-k (&lt;= 0: off), top-p (&gt;= 1: off),
 * stop tokens (a row ends when it emits one; the stop token is not returned), a token budget and
 * a seed (the same seed and prompts give the same output).
 */
public record SamplingConfig(int maxNewTokens, float temperature, int topK, float topP, int[] stopTokens, long seed) {
  public SamplingConfig {
    if (maxNewTokens < 1) {
      throw new IllegalArgumentException("maxNewTokens must be >= 1, got " + maxNewTokens);
    }
    if (!(topP > 0)) {
      throw new IllegalArgumentException("topP must be > 0, got " + topP);
    }
    stopTokens = stopTokens == null ? new int[0] : stopTokens.clone();
  }

  public static SamplingConfig greedy(int maxNewTokens) {
    return new SamplingConfig(maxNewTokens, 0f, 0, 1f, new int[0], 0);
  }

  boolean isStop(int token) {
    return Arrays.stream(stopTokens).anyMatch(s -> s == token);
  }
}
