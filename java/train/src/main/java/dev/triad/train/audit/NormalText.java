package dev.triad.train.audit;

import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The text form every comparison of the audit uses: lower case, every run of characters other than
 * letters and digits one space, no leading or trailing space. So "What is 17 plus 25?" and "what is
 * 17 plus 25" are the same item; a changed word or number is not.
 */
final class NormalText {
  private NormalText() {}

  /** Word n-gram size of the near-duplicate measures; see {@link NgramOverlap}. */
  static final int N = 3;

  private static final Pattern NOT_WORD = Pattern.compile("[^\\p{L}\\p{N}]+");
  private static final String EDGE = "\u0002";

  static String of(String text) {
    return NOT_WORD.matcher(text.toLowerCase(Locale.ROOT)).replaceAll(" ").strip();
  }

  static String[] words(String normal) {
    return normal.isEmpty() ? new String[0] : normal.split(" ");
  }

  /**
   * The distinct word {@link #N}-grams of normalised text, padded with {@code N - 1} edge markers on
   * each side: every word then lies in exactly N grams, so a word changed at the end of a text counts
   * as much as one in the middle.
   */
  static Set<String> grams(String normal) {
    String[] w = words(normal);
    Set<String> out = new HashSet<>();
    if (w.length == 0) {
      return out;
    }
    String[] padded = new String[w.length + 2 * (N - 1)];
    for (int i = 0; i < padded.length; i++) {
      int j = i - (N - 1);
      padded[i] = j < 0 || j >= w.length ? EDGE : w[j];
    }
    for (int i = 0; i + N <= padded.length; i++) {
      out.add(String.join(" ", java.util.Arrays.copyOfRange(padded, i, i + N)));
    }
    return out;
  }

  /** Whether normalised {@code phrase} occurs in normalised {@code text} as whole words. */
  static boolean containsWords(String text, String phrase) {
    if (phrase.isEmpty()) {
      return false;
    }
    return (" " + text + " ").contains(" " + phrase + " ");
  }

  /** Jaccard similarity of two gram sets (1 for two empty sets). */
  static double jaccard(Set<String> a, Set<String> b) {
    if (a.isEmpty() && b.isEmpty()) {
      return 1;
    }
    int shared = 0;
    for (String g : a) {
      shared += b.contains(g) ? 1 : 0;
    }
    return (double) shared / (a.size() + b.size() - shared);
  }

  /** A text shortened to one table line. */
  static String clip(String text, int max) {
    String one = text.replace('\n', ' ');
    return one.length() <= max ? one : one.substring(0, max - 3) + "...";
  }
}
