package dev.triad.data.instruct;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The held-back examples (evaluation and validation) of one split, for decontaminating its train
 * set: a train candidate is refused when, besides not repeating a held-back prompt, it is a near
 * duplicate of one with the same answer. Templated prompts have siblings that differ only in a detail
 * the question does not ask about (two bulletins for Fairview issued on Saturday evening that differ
 * only in the amount of rain, both asking for the town); training on one teaches the answer to the
 * other, so they must fall on the same side of the split.
 *
 * <p><b>Near</b>: at least {@link #MAX_SHARED} of the held-back prompt's word 3-grams (lower case,
 * non-alphanumerics as spaces, edges padded, so every word lies in three grams) occur in the
 * candidate's prompt. <b>Same answer</b>: the held-back answer occurs in the candidate's answer as
 * whole words ("snow" in "snow", "RED DOG" in "RED DOG SUN"), the answer a sibling's memorised reply
 * would give. A sibling that asks for a different detail (the amount, where the other asks for the
 * town) has another answer and stays: it is another question.
 *
 * <p>The bound sits a little below the 0.8 at which {@code triad audit} reports a near duplicate
 * (docs/AUDIT.md), so long prompts keep a margin from the check that judges them. Much lower is not
 * possible: in "What is the last word of noon snow?" the list is 2 of 8 words, and at 0.6 every
 * train list ending in "snow" would be its near duplicate, leaving the family without train prompts.
 */
final class NearDuplicates {
  /** The share of a held-back prompt's 3-grams a train prompt with the same answer may not reach. */
  static final double MAX_SHARED = 0.75;

  private static final Pattern NOT_WORD = Pattern.compile("[^a-z0-9]+");
  private static final String EDGE = "\u0002";

  private record HeldBack(String answer, Set<String> grams) {}

  private final List<HeldBack> heldBack = new ArrayList<>();

  /** Holds {@code e} back: later candidates may not be its near duplicates with the same answer. */
  void add(Example e) {
    heldBack.add(new HeldBack(normal(e.answer()), grams(normal(e.prompt()))));
  }

  /** Whether {@code candidate} is a near duplicate, with the same answer, of a held-back example. */
  boolean nearHeldBack(Example candidate) {
    String answer = " " + normal(candidate.answer()) + " ";
    Set<String> grams = null;
    for (HeldBack h : heldBack) {
      if (h.answer().isEmpty() || !answer.contains(" " + h.answer() + " ")) {
        continue;
      }
      if (grams == null) {
        grams = grams(normal(candidate.prompt()));
      }
      int shared = 0;
      for (String g : h.grams()) {
        shared += grams.contains(g) ? 1 : 0;
      }
      if (shared >= MAX_SHARED * h.grams().size()) {
        return true;
      }
    }
    return false;
  }

  static String normal(String text) {
    return NOT_WORD.matcher(text.toLowerCase(Locale.ROOT)).replaceAll(" ").strip();
  }

  /** Word 3-grams of normalised text, padded with two edge markers on each side. */
  static Set<String> grams(String normal) {
    Set<String> out = new HashSet<>();
    if (normal.isEmpty()) {
      return out;
    }
    String[] w = normal.split(" ");
    String[] p = new String[w.length + 4];
    for (int i = 0; i < p.length; i++) {
      p[i] = i < 2 || i >= w.length + 2 ? EDGE : w[i - 2];
    }
    for (int i = 0; i + 3 <= p.length; i++) {
      out.add(p[i] + " " + p[i + 1] + " " + p[i + 2]);
    }
    return out;
  }
}
