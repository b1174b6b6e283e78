package dev.triad.data;

import java.util.ArrayList;
import java.util.List;

/**
 * A fixed, spread-out subset of a list: evaluation sets are often grouped by family or kind, and
 * taking their first n items would test one group only.
 */
public final class EvenlySpaced {
  private EvenlySpaced() {}

  /**
   * {@code min(n, items.size())} items at indices {@code floor(i * size / k)}, {@code i = 0..k-1}:
   * distinct, in list order, the first item always included; all of them when {@code n >= size}.
   *
   * @throws IllegalArgumentException if {@code n} is negative
   */
  public static <T> List<T> pick(List<T> items, int n) {
    if (n < 0) {
      throw new IllegalArgumentException("cannot pick a negative number of items: " + n);
    }
    int k = Math.min(n, items.size());
    List<T> out = new ArrayList<>(k);
    for (int i = 0; i < k; i++) {
      out.add(items.get((int) ((long) i * items.size() / k)));
    }
    return out;
  }
}
