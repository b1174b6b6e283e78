package dev.triad.data;

import java.util.ArrayList;
import java.util.List;

/**
 * A user's data file split into what trains and what is held out for evaluation: every nth item is
 * held out, spread through the file so a file ordered by topic is held out across its topics.
 *
 * @param kept the items trained on, in file order
 * @param heldOut every nth item ({@code n-1}, {@code 2n-1}, ...), in file order; none when there are
 *     fewer than n items, so a small file trains on everything
 */
public record EveryNth<T>(List<T> kept, List<T> heldOut) {
  public static <T> EveryNth<T> split(List<T> all, int n) {
    List<T> kept = new ArrayList<>(), heldOut = new ArrayList<>();
    for (int i = 0; i < all.size(); i++) {
      (all.size() >= n && i % n == n - 1 ? heldOut : kept).add(all.get(i));
    }
    return new EveryNth<>(kept, heldOut);
  }
}
