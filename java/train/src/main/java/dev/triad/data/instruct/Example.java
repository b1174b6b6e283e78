package dev.triad.data.instruct;

import java.util.Objects;

/**
 * One instruction-tuning conversation: a single user {@code prompt} and the exact expected
 * assistant reply {@code answer}, tagged with the task {@code family} it was generated from.
 * Text is ASCII, so characters equal UTF-8 bytes.
 */
public record Example(String family, String prompt, String answer) {
  public Example {
    Objects.requireNonNull(family, "family");
    Objects.requireNonNull(prompt, "prompt");
    Objects.requireNonNull(answer, "answer");
  }

  /** Bytes of prompt plus answer (ASCII, so also characters). */
  public int bytes() {
    return prompt.length() + answer.length();
  }
}
