package dev.triad;

/**
 * A setting refused by name: {@link #option()} is the name it has in the Java API (a builder's
 * setter, e.g. {@code seqLen}), and the message starts with it ("seqLen 2048 exceeds the model's
 * context of 1024"). A front end that spells options differently (the CLI: {@code --seq}) swaps
 * the name and keeps the rest, {@link #detail()}.
 */
public class InvalidOptionException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;
  private final String option;
  private final String detail;

  /** {@code detail} follows the option's name: " 0: must be >= 1", ": no checkpoint in runs/x". */
  public InvalidOptionException(String option, String detail) {
    super(option + detail);
    this.option = option;
    this.detail = detail;
  }

  /** The option's name in the Java API. */
  public String option() {
    return option;
  }

  /** The message after the option's name. */
  public String detail() {
    return detail;
  }
}
