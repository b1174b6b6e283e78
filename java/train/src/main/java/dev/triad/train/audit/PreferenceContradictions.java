package dev.triad.train.audit;

import dev.triad.data.pref.PreferencePair;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Replies that one phase teaches and another marks down, for the same prompt (normalised text,
 * {@link NormalText}):
 *
 * <ul>
 *   <li><b>SFT target rejected</b>: an SFT target that is a {@code rejected} reply of a preference
 *       pair on the same prompt, exactly or nearly (word 3-gram Jaccard of the two replies at least
 *       {@link #NEAR_JACCARD}: the same reply with a word or two changed);</li>
 *   <li><b>pairs reversed</b>: a pair whose chosen reply is the rejected reply of another pair on
 *       the same prompt and the other way round (the preference data contradicts itself).</li>
 * </ul>
 *
 * Only the same prompt counts: "42" is the right answer to one sum and a fine wrong answer to
 * another. Any finding fails: SFT pulls the model toward a reply the reward model and DPO push it
 * away from, so the phases partly undo each other.
 */
public final class PreferenceContradictions {
  private PreferenceContradictions() {}

  /** Jaccard similarity of two replies' word 3-grams from which they count as the same reply. */
  public static final double NEAR_JACCARD = 0.8;

  public static CheckResult check(List<Sample> sft, List<PreferencePair> pairs) {
    String name = "sft-preference contradictions";
    if (pairs == null || pairs.isEmpty()) {
      return CheckResult.skipped(name, "needs preference data");
    }
    // rejected replies by prompt
    Map<String, List<String>> rejected = new HashMap<>();
    Set<String> orderedPairs = new HashSet<>();
    for (PreferencePair p : pairs) {
      String prompt = NormalText.of(Sample.promptText(p.prompt()));
      rejected.computeIfAbsent(prompt, k -> new ArrayList<>()).add(p.rejected());
      orderedPairs.add(prompt + "\u0000" + NormalText.of(p.chosen()) + "\u0000" + NormalText.of(p.rejected()));
    }
    List<String> examples = new ArrayList<>();
    int exact = 0;
    int near = 0;
    int checked = 0;
    if (sft != null) {
      for (Sample s : sft) {
        List<String> r = rejected.get(NormalText.of(s.prompt()));
        if (r == null || s.reply() == null) {
          continue;
        }
        checked++;
        String target = NormalText.of(s.reply());
        String nearOne = null;
        boolean same = false;
        for (String x : r) {
          String rx = NormalText.of(x);
          if (rx.equals(target)) {
            same = true;
            break;
          }
          if (nearOne == null && NormalText.jaccard(NormalText.grams(rx), NormalText.grams(target)) >= NEAR_JACCARD) {
            nearOne = x;
          }
        }
        if (same) {
          exact++;
          examples.add("SFT target = rejected: " + NormalText.clip(s.prompt(), 40) + " -> \"" + NormalText.clip(s.reply(), 50) + "\"");
        } else if (nearOne != null) {
          near++;
          examples.add("SFT target ~ rejected: \"" + NormalText.clip(s.reply(), 40) + "\" ~ \"" + NormalText.clip(nearOne, 40) + "\"");
        }
      }
    }
    int reversed = 0;
    for (PreferencePair p : pairs) {
      String prompt = NormalText.of(Sample.promptText(p.prompt()));
      if (orderedPairs.contains(prompt + "\u0000" + NormalText.of(p.rejected()) + "\u0000" + NormalText.of(p.chosen()))) {
        reversed++;
        examples.add("pair reversed elsewhere: " + NormalText.clip(p.lastUserMessage(), 40) + " \"" + NormalText.clip(p.chosen(), 30)
            + "\" > \"" + NormalText.clip(p.rejected(), 30) + "\"");
      }
    }
    String figures = String.format(Locale.ROOT, "%d SFT targets on a preference prompt: %d equal a rejected reply, %d near"
        + " (3-gram Jaccard >= %.1f); %d of %d pairs reversed by another", checked, exact, near, NEAR_JACCARD, reversed,
        pairs.size());
    if (sft == null) {
      figures = String.format(Locale.ROOT, "no SFT data given; %d of %d pairs reversed by another", reversed, pairs.size());
    }
    long count = exact + near + reversed;
    return new CheckResult(name, count == 0 ? Status.PASS : Status.FAIL, count, figures, examples);
  }
}
