package dev.triad.train;

/**
 * This process's part of every batch in a data-parallel run: every rank forms the same global
 * batch (the same data order, so one data position resumes on any number of ranks) and trains on
 * its slice of it. Items are split as evenly as possible, the first {@code items % ranks} ranks
 * taking one more.
 *
 * @param rank this process, in [0, ranks)
 * @param ranks processes in the job
 */
public record DataShard(int rank, int ranks) {
  /** One process: the whole batch. */
  public static final DataShard WHOLE = new DataShard(0, 1);

  public DataShard {
    if (ranks < 1 || rank < 0 || rank >= ranks) {
      throw new IllegalArgumentException("rank " + rank + " of " + ranks + " ranks");
    }
  }

  /** First item of this rank's slice of a batch of {@code items}. */
  public int from(int items) {
    return rank * (items / ranks) + Math.min(rank, items % ranks);
  }

  /** One past the last item of this rank's slice. */
  public int to(int items) {
    return from(items) + items / ranks + (rank < items % ranks ? 1 : 0);
  }

  /** Refuses a batch that leaves a rank without items. */
  public void requireSplittable(int items, String what) {
    if (items < ranks) {
      throw new dev.triad.InvalidOptionException("batch", " " + items + " " + what + " cannot be split over " + ranks
          + " ranks (each needs at least one); raise {batch}");
    }
  }
}
