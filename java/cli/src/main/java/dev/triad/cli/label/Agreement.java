package dev.triad.cli.label;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * How far annotators agree, per pair of annotators, on the items both judged: the share of items
 * with the same verdict (raw agreement) and Cohen's kappa, which discounts the agreement two
 * annotators would reach by chance given how often each uses each verdict:
 * {@code kappa = (observed - expected) / (1 - expected)}, {@code expected = sum over verdicts of
 * p_a(v) * p_b(v)}. Verdicts are compared in the item's own terms (first reply better, second
 * better, tie, both bad), not as shown, since each annotator sees the replies in their own order;
 * the grade (better / much better) is not compared.
 */
public final class Agreement {
  private Agreement() {}

  /**
   * One pair of annotators.
   *
   * @param kappa Cohen's kappa; NaN when chance agreement is 1 (both gave one and the same verdict to
   *     every shared item: kappa is undefined then)
   */
  public record Pair(String first, String second, int items, double agreement, double kappa) {}

  /**
   * Every pair of annotators (names in sorted order) with at least one item in common;
   * {@code verdicts} maps annotator to item id to verdict.
   */
  public static <V> List<Pair> of(Map<String, Map<String, V>> verdicts) {
    List<String> names = new ArrayList<>(new TreeMap<>(verdicts).keySet());
    List<Pair> out = new ArrayList<>();
    for (int i = 0; i < names.size(); i++) {
      for (int j = i + 1; j < names.size(); j++) {
        Pair p = between(names.get(i), names.get(j), verdicts.get(names.get(i)), verdicts.get(names.get(j)));
        if (p != null) {
          out.add(p);
        }
      }
    }
    return out;
  }

  /** The agreement of two annotators on the items both judged; null when they share none. */
  static <V> Pair between(String a, String b, Map<String, V> byA, Map<String, V> byB) {
    int n = 0, same = 0;
    Map<V, Integer> countA = new HashMap<>(), countB = new HashMap<>();
    for (Map.Entry<String, V> e : byA.entrySet()) {
      V other = byB.get(e.getKey());
      if (other == null) {
        continue;
      }
      n++;
      if (other.equals(e.getValue())) {
        same++;
      }
      countA.merge(e.getValue(), 1, Integer::sum);
      countB.merge(other, 1, Integer::sum);
    }
    if (n == 0) {
      return null;
    }
    double observed = (double) same / n;
    double expected = 0;
    for (Map.Entry<V, Integer> e : countA.entrySet()) {
      expected += (double) e.getValue() / n * countB.getOrDefault(e.getKey(), 0) / n;
    }
    double kappa = expected > 1 - 1e-12 ? Double.NaN : (observed - expected) / (1 - expected);
    return new Pair(a, b, n, observed, kappa);
  }
}
