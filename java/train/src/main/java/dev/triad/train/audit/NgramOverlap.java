package dev.triad.train.audit;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Evaluation items that a training set already holds, exactly or nearly.
 *
 * <ul>
 *   <li><b>exact</b>: the same prompt after {@link NormalText} (case, punctuation and spacing
 *       ignored), whatever the reply.</li>
 *   <li><b>near</b>: at least {@link #NEAR_CONTAINMENT} of the evaluation prompt's word
 *       {@value NormalText#N}-grams are in one training prompt (containment, not Jaccard, so a
 *       training prompt that wraps the evaluation one in extra words still counts), <i>and</i>, when
 *       both have replies, the evaluation answer appears in the training reply as whole words. The
 *       answer condition is what separates a leaked item from a sibling of the same template: two
 *       bulletins that differ in the one number asked about are different questions, and n-grams
 *       alone cannot tell.</li>
 * </ul>
 *
 * Why 3-grams: the prompts of instruction data are short (5 to 40 words); the 8- to 13-grams of
 * pretraining contamination studies never occur in a six-word question, and a 3-gram still changes
 * when any one word does (each word lies in 3 grams; the grams are padded at the edges, so the last
 * word counts as much as the others). Why 0.8: one changed word in a question of 10 words leaves
 * 9/12 = 0.75 of its grams (a different question); a changed word in 15 or more words, or added
 * words around an unchanged prompt, stay above it.
 */
public final class NgramOverlap {
  private NgramOverlap() {}

  /** Share of an evaluation prompt's grams a training prompt must hold for a near duplicate. */
  public static final double NEAR_CONTAINMENT = 0.8;

  /** An index of one training set: normalised prompts, their grams and an inverted gram index. */
  static final class Index {
    final List<Sample> samples;
    final Map<String, Integer> exact = new HashMap<>();
    final List<Set<String>> grams = new ArrayList<>();
    final Map<String, List<Integer>> byGram = new HashMap<>();

    Index(List<Sample> samples) {
      this.samples = samples;
      for (int i = 0; i < samples.size(); i++) {
        String p = NormalText.of(samples.get(i).prompt());
        exact.putIfAbsent(p, i);
        Set<String> g = NormalText.grams(p);
        grams.add(g);
        for (String s : g) {
          byGram.computeIfAbsent(s, k -> new ArrayList<>()).add(i);
        }
      }
    }

    /** The index of a training sample holding {@code e} exactly, or -1. */
    int exact(Sample e) {
      return exact.getOrDefault(NormalText.of(e.prompt()), -1);
    }

    /** The index of a training sample holding {@code e} nearly (see the class comment), or -1. */
    int near(Sample e) {
      Set<String> g = NormalText.grams(NormalText.of(e.prompt()));
      if (g.isEmpty()) {
        return -1;
      }
      Map<Integer, Integer> shared = new HashMap<>();
      for (String s : g) {
        for (int i : byGram.getOrDefault(s, List.of())) {
          shared.merge(i, 1, Integer::sum);
        }
      }
      int need = (int) Math.ceil(NEAR_CONTAINMENT * g.size());
      String answer = e.reply() == null ? null : NormalText.of(e.reply());
      int best = -1;
      for (Map.Entry<Integer, Integer> c : shared.entrySet()) {
        if (c.getValue() < need) {
          continue;
        }
        Sample t = samples.get(c.getKey());
        if (answer != null && t.reply() != null && !NormalText.containsWords(NormalText.of(t.reply()), answer)) {
          continue;
        }
        if (best < 0 || c.getKey() < best) {
          best = c.getKey();   // the first in file order, so the example shown is stable
        }
      }
      return best;
    }
  }

  /**
   * Every evaluation set against every training set.
   *
   * @param evaluation evaluation sets (what a phase is judged on)
   * @param training training sets (what a phase learns from), each compared with the evaluation
   *     sets that judge after it ({@link DataSet#judgesAfter})
   * @param exactOnly skip the near-duplicate search (the cheap form phases run at start)
   */
  public static CheckResult evalVsTrain(List<DataSet> evaluation, List<DataSet> training, boolean exactOnly) {
    String name = "eval-train overlap";
    if (evaluation.isEmpty() || training.isEmpty()) {
      return CheckResult.skipped(name, "needs an evaluation set and a training set");
    }
    long exactCount = 0;
    long nearCount = 0;
    List<String> parts = new ArrayList<>();
    List<String> examples = new ArrayList<>();
    int compared = 0;
    for (DataSet t : training) {
      Index index = new Index(t.samples());
      for (DataSet ev : evaluation) {
        if (!ev.judgesAfter(t)) {
          continue;
        }
        compared++;
        int exact = 0;
        int near = 0;
        for (Sample e : ev.samples()) {
          int i = index.exact(e);
          if (i >= 0) {
            exact++;
            examples.add(ev.name() + " in " + t.name() + " (exact): " + NormalText.clip(e.prompt(), 70));
            continue;
          }
          if (!exactOnly) {
            i = index.near(e);
            if (i >= 0) {
              near++;
              examples.add(ev.name() + " in " + t.name() + " (near): " + NormalText.clip(e.prompt(), 60)
                  + " ~ " + NormalText.clip(t.samples().get(i).prompt(), 60));
            }
          }
        }
        if (exact + near > 0) {
          parts.add(String.format(Locale.ROOT, "%s in %s: %d exact, %d near", ev.name(), t.name(), exact, near));
        }
        exactCount += exact;
        nearCount += near;
      }
    }
    String sets = compared + " evaluation/training pairs";
    if (exactCount + nearCount == 0) {
      return new CheckResult(name, Status.PASS, 0, sets + ": no evaluation prompt in a training set"
          + (exactOnly ? " (exact)" : " (exact or near, 3-gram containment >= 0.8)"), List.of());
    }
    return new CheckResult(name, Status.FAIL, exactCount + nearCount, sets + ": " + String.join("; ", parts), examples);
  }

  /**
   * Evaluation prompts that occur word for word (normalised) in a pretraining document. A warning,
   * never a failure: a corpus that states facts and quizzes them is what makes a held-out family's
   * transfer measurable (the embedded corpus does so on purpose), and pretraining contamination is
   * reported, as in published contamination studies, rather than forbidden. Near duplicates are not
   * searched: against documents of templated text every short question has 3-gram siblings.
   */
  public static CheckResult evalVsCorpus(List<DataSet> evaluation, List<String> corpus) {
    String name = "eval-corpus overlap";
    if (evaluation.isEmpty() || corpus == null || corpus.isEmpty()) {
      return CheckResult.skipped(name, "needs an evaluation set and a pretraining corpus");
    }
    StringBuilder all = new StringBuilder(" ");
    for (String d : corpus) {
      all.append(NormalText.of(d)).append(" \u0003 ");
    }
    String text = all.toString();
    long found = 0;
    List<String> parts = new ArrayList<>();
    List<String> examples = new ArrayList<>();
    Map<String, Boolean> seen = new HashMap<>();
    for (DataSet ev : evaluation) {
      int n = 0;
      for (Sample e : ev.samples()) {
        String p = NormalText.of(e.prompt());
        if (!p.isEmpty() && seen.computeIfAbsent(p, k -> text.contains(" " + k + " "))) {
          n++;
          examples.add(ev.name() + ": " + NormalText.clip(e.prompt(), 70));
        }
      }
      if (n > 0) {
        parts.add(ev.name() + " " + n + "/" + ev.samples().size());
      }
      found += n;
    }
    if (found == 0) {
      return new CheckResult(name, Status.PASS, 0, "no evaluation prompt occurs in the " + corpus.size()
          + " corpus documents", List.of());
    }
    return new CheckResult(name, Status.WARN, found, "evaluation prompts stated verbatim in the corpus ("
        + corpus.size() + " documents): " + String.join(", ", parts) + "; a warning: see docs/AUDIT.md", examples);
  }
}
