package dev.triad.train;

import dev.triad.dist.Communicator;
import java.util.function.Supplier;

/**
 * Who writes in a data-parallel run: rank 0 alone writes a run's files (config.json, reports,
 * metrics, checkpoints, the tokenized embedded corpus); the other ranks read them. In a single
 * process every call here is the plain single-process behaviour.
 */
public final class Ranks {
  private Ranks() {}

  /** The started communicator of more than one rank, or null. */
  public static Communicator job() {
    Communicator c = Communicator.current();
    return c != null && c.size() > 1 ? c : null;
  }

  /** Whether this process writes the run's files: a single process, or rank 0. */
  public static boolean writes() {
    Communicator c = job();
    return c == null || c.isRoot();
  }

  /**
   * Runs {@code work} on rank 0 first and on the other ranks after it is done (so they find what
   * it wrote, e.g. a cache it fills): a barrier between. In a single process, just runs it.
   */
  public static <T> T rootFirst(Supplier<T> work) {
    Communicator c = job();
    if (c == null) {
      return work.get();
    }
    T result = c.isRoot() ? work.get() : null;
    c.barrier();
    return c.isRoot() ? result : work.get();
  }
}
