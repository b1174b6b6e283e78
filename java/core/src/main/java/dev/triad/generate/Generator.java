package dev.triad.generate;

import dev.triad.autograd.Autograd;
import dev.triad.nn.Gpt;
import dev.triad.nn.KvCache;
import dev.triad.tensor.Ops;
import dev.triad.tensor.Scope;
import dev.triad.tensor.Tensor;
import dev.triad.profile.Progress;
import java.util.Arrays;

/**
 * Batched autoregressive decoding with a KV cache. Prompts of different lengths are left-padded to
 * a common length L; row b's real tokens start at cache position start[b] = L - len(b), keep model
 * positions 0, 1, 2, ... and never attend to the padding. One prefill pass fills the cache with the
 * prompts; each further step feeds one token per row.
 */
public final class Generator {
  private Generator() {}

  /** Continuations of each prompt (token ids, stop token excluded). */
  public static int[][] generate(Gpt model, int[][] prompts, SamplingConfig cfg) {
    int batch = prompts.length;
    if (batch == 0) {
      throw new IllegalArgumentException("generate: no prompts");
    }
    int promptLen = 0;
    for (int b = 0; b < batch; b++) {
      if (prompts[b].length == 0) {
        throw new IllegalArgumentException("generate: prompt " + b + " is empty (start it with a token, e.g. end-of-text)");
      }
      for (int t : prompts[b]) {
        if (t < 0 || t >= model.config.vocabSize()) {
          throw new IllegalArgumentException("generate: prompt " + b + " holds token " + t + ", outside the vocabulary [0, "
              + model.config.vocabSize() + ")");
        }
      }
      promptLen = Math.max(promptLen, prompts[b].length);
    }
    int total = promptLen + cfg.maxNewTokens();
    if (total > model.config.blockSize()) {
      throw new IllegalArgumentException("generate: prompt of " + promptLen + " tokens + " + cfg.maxNewTokens()
          + " new tokens exceeds the model's context of " + model.config.blockSize());
    }
    int[] start = new int[batch];
    int[] tokens = new int[batch * promptLen];
    int[] positions = new int[batch * promptLen];
    for (int b = 0; b < batch; b++) {
      start[b] = promptLen - prompts[b].length;
      for (int p = 0; p < promptLen; p++) {
        tokens[b * promptLen + p] = p < start[b] ? 0 : prompts[b][p - start[b]];
        positions[b * promptLen + p] = Math.max(0, p - start[b]);
      }
    }
    int[][] out = new int[batch][cfg.maxNewTokens()];
    int[] produced = new int[batch];
    boolean[] done = new boolean[batch];
    try (Autograd.NoGrad ng = Autograd.noGrad();
         KvCache cache = new KvCache(model.config, batch, total, model.device, model.dtype());
         Tensor startT = Tensor.ofInts(start, model.device, batch)) {
      int[] next;
      try (Scope s = Scope.open()) {
        Tensor h = model.hiddenCached(Tensor.ofInts(tokens, model.device, batch, promptLen),
            Tensor.ofInts(positions, model.device, batch, promptLen), cache, startT, 0);
        next = sample(model, Ops.selectTime(h, promptLen - 1), cfg, 0);
      }
      for (int step = 0; ; step++) {
        boolean allDone = true;
        for (int b = 0; b < batch; b++) {
          if (!done[b]) {
            if (cfg.isStop(next[b])) {
              done[b] = true;
            } else {
              out[b][produced[b]++] = next[b];
              done[b] = produced[b] == cfg.maxNewTokens();
            }
          }
          allDone &= done[b];
        }
        if (allDone || step + 1 == cfg.maxNewTokens()) {
          break;
        }
        Progress.poll();                        // a long generation still shows signs of life
        int[] pos = new int[batch];
        for (int b = 0; b < batch; b++) {
          pos[b] = promptLen + step - start[b];
        }
        try (Scope s = Scope.open()) {
          Tensor h = model.hiddenCached(Tensor.ofInts(next, model.device, batch, 1),
              Tensor.ofInts(pos, model.device, batch, 1), cache, startT, promptLen + step);
          next = sample(model, Ops.selectTime(h, 0), cfg, step + 1);
        }
      }
    }
    int[][] result = new int[batch][];
    for (int b = 0; b < batch; b++) {
      result[b] = Arrays.copyOf(out[b], produced[b]);
    }
    return result;
  }

  /** One token per row from the last hidden states [B,C]; step picks this step's random streams. */
  private static int[] sample(Gpt model, Tensor lastHidden, SamplingConfig cfg, int step) {
    Tensor logits = model.lmHead(lastHidden);
    long rows = logits.size(0);
    return Ops.sample(logits, model.config.vocabSize(), cfg.temperature(), cfg.topK(), cfg.topP(), cfg.seed(),
        step * rows).toIntArray();
  }
}
