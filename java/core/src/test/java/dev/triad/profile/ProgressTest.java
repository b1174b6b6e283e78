package dev.triad.profile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link Progress}: at most one line per interval, none for short work, counts, times and the ETA. */
class ProgressTest {
  private static final long S = 1_000_000_000L;

  /** A clock the test moves by hand. */
  private static final class Clock {
    long now = 5 * S;
  }

  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
  private final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);

  private List<String> lines() {
    return bytes.toString(StandardCharsets.UTF_8).lines().toList();
  }

  @Test
  void printsAtMostOneLinePerIntervalWithCountTimeAndEta() {
    Clock c = new Clock();
    Progress p = new Progress("task accuracy", 100, "prompts", out::println, () -> c.now, 10 * S);
    c.now += 4 * S;
    p.advance(20);
    assertEquals(List.of(), lines(), "quiet before the interval");
    c.now += 6 * S;                         // 10 s in, 40 of 100 done: 15 s left at this rate
    p.advance(20);
    assertEquals(List.of("  task accuracy: 40/100 prompts (40%), 10 s, ~15 s left"), lines());
    c.now += 9 * S;
    p.advance(10);
    assertEquals(1, lines().size(), "the next line waits a full interval after the last: " + lines());
    c.now += 1 * S;
    p.advance(0);
    assertEquals("  task accuracy: 50/100 prompts (50%), 20 s, ~20 s left", lines().get(1));
    assertEquals(2, p.lines());
    p.close();
    assertEquals("  task accuracy: 50/100 prompts, 20 s, ~20 s left, done", lines().get(2));
  }

  @Test
  void shortWorkPrintsNothingAtAll() {
    Clock c = new Clock();
    Progress p = new Progress("reward-model evaluation", 8, "pairs", out::println, () -> c.now, 10 * S);
    for (int i = 0; i < 8; i++) {
      c.now += S;
      p.advance(1);
    }
    p.close();
    assertEquals("", bytes.toString(StandardCharsets.UTF_8));
  }

  @Test
  void unknownTotalShowsTheTimeOnly() {
    Clock c = new Clock();
    Progress p = new Progress("validation loss", 0, null, out::println, () -> c.now, 10 * S);
    c.now += 12 * S;
    p.advance(0);
    assertEquals(List.of("  validation loss: 12 s"), lines());
  }

  @Test
  void pollPrintsForThisThreadsInnermostProgressAndCloseRestoresTheOuter() {
    Progress.poll();                        // nothing open: nothing happens
    PrintStream old = System.out;
    System.setOut(out);
    try (Progress outer = Progress.start("outer", 3, "parts")) {
      try (Progress inner = Progress.start("inner", 0, null)) {
        Progress.poll();                    // within the interval: silent
        assertEquals(0, inner.lines());
      }
      Progress.poll();
      assertEquals(0, outer.lines());
    } finally {
      System.setOut(old);
    }
    assertEquals("", bytes.toString(StandardCharsets.UTF_8));
  }

  @Test
  void badArgumentsAreNamed() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new Progress("x", -1, "rows", out::println, System::nanoTime, S));
    assertTrue(e.getMessage().contains("total -1"), e.getMessage());
  }
}
