package dev.triad.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import org.junit.jupiter.api.Test;

/** The CLI's one line for a failure: Triad's messages as they are, JDK texts translated or labelled. */
class ErrorTextTest {
  @Test
  void ownMessagesPassThrough() {
    assertEquals("--batch 0: must be an integer >= 1",
        ErrorText.of(new IllegalArgumentException("--batch 0: must be an integer >= 1")));
  }

  @Test
  void fileErrorsSayWhichFileAndWhy() {
    assertEquals("/x/config.json: no such file or directory", ErrorText.of(new NoSuchFileException("/x/config.json")));
    assertEquals("/x/y: permission denied", ErrorText.of(new AccessDeniedException("/x/y")));
    assertEquals("cannot read /x/y: /x/y: no such file or directory",
        ErrorText.of(new UncheckedIOException("cannot read /x/y: /x/y", new NoSuchFileException("/x/y"))));
  }

  @Test
  void bareJdkTextsAreLabelledAsBugsWithWhereTheyHappened() {
    String divide = ErrorText.of(divide(0));
    assertTrue(divide.startsWith("internal error: ArithmeticException at ErrorTextTest.divide(ErrorTextTest.java:"),
        divide);
    assertTrue(divide.contains("this is a bug"), divide);
    assertTrue(ErrorText.of(new ArrayIndexOutOfBoundsException("-1")).startsWith("internal error: "));
    assertTrue(ErrorText.of(new NumberFormatException("For input string: \"abc\"")).startsWith("not a number: "));
    assertTrue(ErrorText.of(new OutOfMemoryError("Java heap space")).startsWith("out of Java heap memory"));
  }

  private static RuntimeException divide(int d) {
    try {
      return new IllegalStateException("unreachable " + (1 / d));
    } catch (ArithmeticException e) {
      return e;
    }
  }
}
