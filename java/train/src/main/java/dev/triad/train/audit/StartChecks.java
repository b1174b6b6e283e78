package dev.triad.train.audit;

import dev.triad.data.pref.PreferencePair;
import dev.triad.train.audit.DataSet.Phase;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The cheap part of the audit that the training phases run at start on the data they were given
 * (milliseconds on the embedded data): evaluation prompts that are training prompts exactly, and the
 * length/style bias of preference pairs. Returns warning lines for the phase to log; never fails a run
 * and changes nothing it trains on.
 */
public final class StartChecks {
  private StartChecks() {}

  /** SFT: validation and evaluation prompts that are training prompts. */
  public static List<String> sft(List<Sample> train, List<Sample> validation, List<Sample> evaluation) {
    CheckResult c = NgramOverlap.evalVsTrain(List.of(new DataSet("validation", Phase.SFT, validation),
        new DataSet("evaluation", Phase.SFT, evaluation)), List.of(new DataSet("training", Phase.SFT, train)), true);
    return warnings(List.of(c));
  }

  /** Reward model: held-out prompts that are training prompts, and a length/style shortcut. */
  public static List<String> preference(List<PreferencePair> train, List<PreferencePair> heldOut) {
    List<Sample> t = new ArrayList<>();
    train.forEach(p -> t.add(Sample.chosen(p)));
    List<Sample> h = new ArrayList<>();
    heldOut.forEach(p -> h.add(Sample.chosen(p)));
    return warnings(List.of(
        NgramOverlap.evalVsTrain(List.of(new DataSet("held-out pairs", Phase.PREFERENCE, h)),
            List.of(new DataSet("training pairs", Phase.PREFERENCE, t)), true),
        LengthBias.check(train, heldOut)));
  }

  /**
   * DPO, whose pairs arrive as tokens: held-out prompts that are training prompts (same tokens), and
   * how often the shorter reply (in tokens) is the chosen one on the held-out pairs.
   *
   * @param train each pair as {prompt, chosen, rejected} tokens
   */
  public static List<String> tokenPairs(List<int[][]> train, List<int[][]> heldOut) {
    List<String> out = new ArrayList<>();
    Set<List<Integer>> prompts = new HashSet<>();
    train.forEach(p -> prompts.add(Arrays.stream(p[0]).boxed().toList()));
    int leaked = 0;
    for (int[][] p : heldOut) {
      leaked += prompts.contains(Arrays.stream(p[0]).boxed().toList()) ? 1 : 0;
    }
    if (leaked > 0) {
      out.add("audit: eval-train overlap: " + leaked + " of " + heldOut.size()
          + " held-out pairs' prompts are training prompts (exact tokens)");
    }
    List<int[][]> scored = heldOut.isEmpty() ? train : heldOut;
    if (!scored.isEmpty()) {
      double shorter = 0;
      for (int[][] p : scored) {
        shorter += p[1].length < p[2].length ? 1 : p[1].length == p[2].length ? 0.5 : 0;
      }
      double a = Math.max(shorter, scored.size() - shorter) / scored.size();
      double z = (a - 0.5) / (0.5 / Math.sqrt(scored.size()));
      if (a >= LengthBias.WARN_ACCURACY && z >= LengthBias.MIN_Z) {
        out.add(String.format(java.util.Locale.ROOT, "audit: length/style bias: a length-only ranker (%s wins) ranks"
            + " %.1f%% of %d pairs (warn >= %.0f%%; docs/AUDIT.md)", shorter * 2 >= scored.size() ? "shorter" : "longer",
            100 * a, scored.size(), 100 * LengthBias.WARN_ACCURACY));
      }
    }
    return out;
  }

  private static List<String> warnings(List<CheckResult> checks) {
    List<String> out = new ArrayList<>();
    for (CheckResult c : checks) {
      if (c.status() == Status.WARN || c.status() == Status.FAIL) {
        out.add("audit: " + c.check() + ": " + c.summary() + " (docs/AUDIT.md; `triad audit` for the full check)");
      }
    }
    return out;
  }
}
