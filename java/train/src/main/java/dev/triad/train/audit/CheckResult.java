package dev.triad.train.audit;

import java.util.List;

/**
 * What one check found.
 *
 * @param check the check's name, as the table shows it ("eval-train overlap")
 * @param status pass, warn, fail or skipped
 * @param count how many items the finding concerns (0 when nothing was found; for a ranker, the pairs ranked)
 * @param summary one line: the figures behind the status, and the threshold it was judged by
 * @param examples a few of the items found, each one line
 */
public record CheckResult(String check, Status status, long count, String summary, List<String> examples) {
  /** How many examples a check keeps. */
  public static final int MAX_EXAMPLES = 3;

  public CheckResult {
    examples = List.copyOf(examples.subList(0, Math.min(examples.size(), MAX_EXAMPLES)));
  }

  /** A check that did not run for want of inputs. */
  public static CheckResult skipped(String check, String why) {
    return new CheckResult(check, Status.SKIPPED, 0, why, List.of());
  }
}
