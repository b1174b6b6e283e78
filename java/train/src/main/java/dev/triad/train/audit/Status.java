package dev.triad.train.audit;

/** The outcome of one audit check. */
public enum Status {
  /** nothing found */
  PASS,
  /** something found that may be intended (e.g. facts quizzed in a pretraining corpus); read it */
  WARN,
  /** the phases' labels disagree: `triad audit --strict` exits non-zero */
  FAIL,
  /** the inputs the check needs were not given */
  SKIPPED;

  /** The worse of two outcomes (SKIPPED counts as the best). */
  public Status worst(Status other) {
    return rank() >= other.rank() ? this : other;
  }

  private int rank() {
    return switch (this) {
      case SKIPPED -> 0;
      case PASS -> 1;
      case WARN -> 2;
      case FAIL -> 3;
    };
  }
}
