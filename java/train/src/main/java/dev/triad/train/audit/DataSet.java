package dev.triad.train.audit;

import java.util.List;

/**
 * A named set of samples and the phase it belongs to: for a training set, the phase that learns
 * from it; for an evaluation set, the phase whose result it judges. A training set can leak into an
 * evaluation set only when its phase comes no later: RL training on SFT's evaluation prompts after
 * SFT was judged on them (the embedded data does so) leaks nothing into that judgement.
 */
public record DataSet(String name, Phase phase, List<Sample> samples) {
  /** The phases in training order. */
  public enum Phase { PRETRAIN, SFT, PREFERENCE, RL }

  public DataSet {
    samples = List.copyOf(samples);
  }

  /** Whether training on {@code training} happens before (or while) this set judges. */
  public boolean judgesAfter(DataSet training) {
    return training.phase().ordinal() <= phase.ordinal();
  }
}
