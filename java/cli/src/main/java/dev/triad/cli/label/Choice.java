package dev.triad.cli.label;

import java.util.Arrays;
import java.util.stream.Collectors;

/** What an annotator said about the two replies, as shown to them (A on the left, B on the right). */
public enum Choice {
  A("A"), B("B"), TIE("tie"), BOTH_BAD("both_bad");

  /** The name on the wire and in the files. */
  public final String wire;

  Choice(String wire) {
    this.wire = wire;
  }

  /** Whether this choice prefers one reply (and so becomes a training pair). */
  public boolean prefersOne() {
    return this == A || this == B;
  }

  /** The choice named {@code wire}. */
  public static Choice parse(String wire) {
    for (Choice c : values()) {
      if (c.wire.equals(wire)) {
        return c;
      }
    }
    throw new IllegalArgumentException("choice \"" + wire + "\" is unknown; expected one of "
        + Arrays.stream(values()).map(c -> c.wire).collect(Collectors.joining(", ")));
  }
}
