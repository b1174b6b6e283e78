package dev.triad.train.audit;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The task families each set holds (data whose items carry a family: the embedded sets),
 * and whether a family meant to be held out (evaluated only, to measure transfer) is trained on by
 * any phase, which fails: its held-out score would no longer measure transfer.
 */
public final class FamilyMix {
  private FamilyMix() {}

  /**
   * @param training training sets by phase
   * @param evaluation evaluation sets by name
   * @param heldOutFamilies families no phase may train on
   */
  public static CheckResult check(List<DataSet> training, List<DataSet> evaluation, Set<String> heldOutFamilies) {
    String name = "family mix";
    List<DataSet> all = new ArrayList<>(training);
    all.addAll(evaluation);
    Map<String, Map<String, Integer>> mix = table(all);
    if (mix.isEmpty()) {
      return CheckResult.skipped(name, "no data with task families (only the embedded data has them)");
    }
    List<String> parts = new ArrayList<>();
    mix.forEach((phase, c) -> parts.add(phase + " " + c.size() + " families"
        + (c.size() > 1 ? String.format(java.util.Locale.ROOT, " (largest %.0f%%)", 100.0 * max(c) / total(c)) : "")));
    List<String> examples = new ArrayList<>();
    long leaks = 0;
    for (DataSet t : training) {
      for (Sample s : t.samples()) {
        if (s.family() != null && heldOutFamilies.contains(s.family())) {
          leaks++;
          examples.add("held-out family " + s.family() + " trained in " + t.name() + ": " + NormalText.clip(s.prompt(), 50));
        }
      }
    }
    String summary = String.join("; ", parts) + (heldOutFamilies.isEmpty() ? ""
        // sorted: Set.copyOf's iteration order changes from one JVM to the next
        : "; held-out families " + new java.util.TreeSet<>(heldOutFamilies) + " trained by no phase" + (leaks > 0 ? ": NO, " + leaks + " items" : ""));
    return new CheckResult(name, leaks > 0 ? Status.FAIL : Status.PASS, leaks, summary, examples);
  }

  /** Items per family of each set that has families, by set name, families in name order. */
  public static Map<String, Map<String, Integer>> table(List<DataSet> sets) {
    Map<String, Map<String, Integer>> mix = new LinkedHashMap<>();
    sets.forEach(set -> counts(set.name(), set.samples(), mix));
    return mix;
  }

  private static void counts(String phase, List<Sample> set, Map<String, Map<String, Integer>> mix) {
    Map<String, Integer> c = new TreeMap<>();
    for (Sample s : set) {
      if (s.family() != null) {
        c.merge(s.family(), 1, Integer::sum);
      }
    }
    if (!c.isEmpty()) {
      mix.put(phase, c);
    }
  }

  private static int max(Map<String, Integer> c) {
    return c.values().stream().mapToInt(Integer::intValue).max().orElse(0);
  }

  private static int total(Map<String, Integer> c) {
    return c.values().stream().mapToInt(Integer::intValue).sum();
  }
}
