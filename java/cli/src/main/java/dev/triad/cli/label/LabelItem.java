package dev.triad.cli.label;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * One thing to judge: a prompt and two different replies to it, in the order they were sampled.
 * The id is a digest of the three texts, so it stays the same across restarts and names the same
 * item in every annotator's records.
 */
public record LabelItem(String id, String prompt, String first, String second) {
  public LabelItem {
    if (prompt.isBlank() || first.isBlank() || second.isBlank()) {
      throw new IllegalArgumentException("an item needs a prompt and two non-blank replies");
    }
    if (first.equals(second)) {
      throw new IllegalArgumentException("an item's two replies must differ (a pair of equal replies teaches nothing)");
    }
  }

  /** The item of these texts, its id derived from them. */
  public static LabelItem of(String prompt, String first, String second) {
    return new LabelItem(idOf(prompt, first, second), prompt, first, second);
  }

  /** The reply at {@code index} (0: first, 1: second). */
  public String reply(int index) {
    return index == 0 ? first : second;
  }

  private static String idOf(String prompt, String first, String second) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      for (String part : new String[] {prompt, first, second}) {
        sha.update(part.getBytes(StandardCharsets.UTF_8));
        sha.update((byte) 0); // separator: ("ab", "c") and ("a", "bc") differ
      }
      return HexFormat.of().formatHex(sha.digest(), 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JDK", e);
    }
  }
}
