package dev.triad.data.chat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.triad.data.ByteTokenizer;
import dev.triad.data.chat.ChatTemplate.Rendered;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Packed rows keep every example whole, apart, and trained exactly where its mask says. */
class PackingTest {
  private static final int PAD = 999;

  /** Example {@code id} of length {@code len}: tokens id*1000+i (unique), loss on the second half. */
  private static Rendered example(int id, int len) {
    int[] t = new int[len];
    boolean[] l = new boolean[len];
    for (int i = 0; i < len; i++) {
      t[i] = id * 1000 + i;
      l[i] = i >= len / 2;
    }
    return new Rendered(t, l);
  }

  private static List<Rendered> randomExamples(long seed, int n, int maxLen) {
    Random rng = new Random(seed);
    List<Rendered> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(example(i + 1, 1 + rng.nextInt(maxLen)));
    }
    return out;
  }

  /**
   * Checks every invariant of a packing against its input: each kept example appears whole in
   * exactly one row, contiguous, with positions 0..L-1, one doc id of its own, and targets exactly
   * where its loss is; padding is pad/-1/-1/0; the totals add up.
   */
  private static void verify(List<Rendered> examples, Packing.Packed p, int T) {
    int[] seen = new int[examples.size()];
    long loss = 0;
    long real = 0;
    for (Packing.Row row : p.rows()) {
      assertEquals(T, row.length());
      int t = 0;
      int expectDoc = 0;
      while (t < T && row.docIds()[t] != Packing.PAD_DOC) {
        int id = row.tokens()[t] / 1000 - 1;
        Rendered e = examples.get(id);
        int len = e.length();
        seen[id]++;
        assertTrue(t + len <= T, "example " + id + " split across the row end");
        for (int i = 0; i < len; i++) {
          int at = t + i;
          assertEquals(e.token(i), row.tokens()[at], "token " + i + " of example " + id);
          assertEquals(i, row.positions()[at], "position " + i + " of example " + id);
          assertEquals(expectDoc, row.docIds()[at], "doc id within example " + id);
          int want = i + 1 < len && e.loss(i + 1) ? e.token(i + 1) : Packing.IGNORE;
          assertEquals(want, row.targets()[at], "target " + i + " of example " + id);
          loss += want == Packing.IGNORE ? 0 : 1;
        }
        real += len;
        t += len;
        expectDoc++;
      }
      for (; t < T; t++) {
        assertEquals(PAD, row.tokens()[t]);
        assertEquals(Packing.IGNORE, row.targets()[t], "padding target");
        assertEquals(Packing.PAD_DOC, row.docIds()[t]);
        assertEquals(0, row.positions()[t]);
      }
    }
    int dropped = 0;
    for (int i = 0; i < examples.size(); i++) {
      boolean fits = examples.get(i).length() <= T;
      assertEquals(fits ? 1 : 0, seen[i], "example " + i + " (length " + examples.get(i).length() + ") placements");
      dropped += fits ? 0 : 1;
    }
    assertEquals(dropped, p.dropped());
    assertEquals(loss, p.lossTokens());
    assertEquals(real, p.realTokens());
    assertEquals((long) p.rows().size() * T, p.capacity());
  }

  @Test
  void smallExampleExactly() {
    ChatTemplate tpl = new ChatTemplate(ByteTokenizer.INSTANCE);
    Rendered r = tpl.render(Conversation.promptCompletion(null, "Hi", "Yo"));
    // tokens EOT USR H i END AST ' ' Y o END; loss on ' ' Y o END (the reply starts with one space)
    Packing.Packed p = Packing.padded(List.of(r), 12, tpl.endToken());
    assertEquals(1, p.rows().size());
    Packing.Row row = p.rows().get(0);
    assertArrayEquals(new int[] {256, 258, 'H', 'i', 260, 259, ' ', 'Y', 'o', 260, 260, 260}, row.tokens());
    assertArrayEquals(new int[] {-1, -1, -1, -1, -1, ' ', 'Y', 'o', 260, -1, -1, -1}, row.targets());
    assertArrayEquals(new int[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -1, -1}, row.docIds());
    assertArrayEquals(new int[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 0}, row.positions());
    assertEquals(4, p.lossTokens());
    assertEquals(10, p.realTokens());
    assertEquals(10.0 / 12, p.usefulShare(), 1e-12);
    assertEquals(4.0 / 12, p.lossShare(), 1e-12);
  }

  @Test
  void twoExamplesInOneRowStayApart() {
    List<Rendered> ex = List.of(example(1, 4), example(2, 3));
    Packing.Packed p = Packing.bestFit(ex, 8, PAD);
    assertEquals(1, p.rows().size());
    Packing.Row row = p.rows().get(0);
    assertArrayEquals(new int[] {1000, 1001, 1002, 1003, 2000, 2001, 2002, PAD}, row.tokens());
    // loss on i >= len/2: example 1 tokens 2,3; example 2 tokens 1,2. The last of each is -1.
    assertArrayEquals(new int[] {-1, 1002, 1003, -1, 2001, 2002, -1, -1}, row.targets());
    assertArrayEquals(new int[] {0, 0, 0, 0, 1, 1, 1, -1}, row.docIds());
    assertArrayEquals(new int[] {0, 1, 2, 3, 0, 1, 2, 0}, row.positions());
    verify(ex, p, 8);
  }

  @Test
  void bestFitPicksTheTightestRowAndFillsRows() {
    // lengths 6, 5, 4, 3, 2 into T = 10: 6 -> row0 (4 free); 5 -> row1 (5 free); 4 -> row0 (tightest
    // that fits, now full); 3 -> row1 (2 free); 2 -> row1 (full). Two full rows.
    List<Rendered> ex = List.of(example(1, 3), example(2, 6), example(3, 2), example(4, 5), example(5, 4));
    Packing.Packed p = Packing.bestFit(ex, 10, PAD);
    verify(ex, p, 10);
    assertEquals(2, p.rows().size());
    assertEquals(1.0, p.usefulShare(), 1e-12);
    assertArrayEquals(new int[] {2000, 2001, 2002, 2003, 2004, 2005, 5000, 5001, 5002, 5003},
        p.rows().get(0).tokens());
    assertArrayEquals(new int[] {4000, 4001, 4002, 4003, 4004, 1000, 1001, 1002, 3000, 3001},
        p.rows().get(1).tokens());
  }

  @Test
  void equalLengthsKeepInputOrder() {
    List<Rendered> ex = List.of(example(1, 3), example(2, 3), example(3, 3));
    Packing.Packed p = Packing.bestFit(ex, 6, PAD);
    assertEquals(2, p.rows().size());
    assertEquals(1000, p.rows().get(0).tokens()[0]);
    assertEquals(2000, p.rows().get(0).tokens()[3]);
    assertEquals(3000, p.rows().get(1).tokens()[0]);
  }

  @Test
  void randomDatasetsKeepEveryInvariant() {
    for (long seed = 1; seed <= 5; seed++) {
      List<Rendered> ex = randomExamples(seed, 300, 80);
      for (int T : new int[] {16, 64, 128}) {
        Packing.Packed best = Packing.bestFit(ex, T, PAD);
        Packing.Packed pad = Packing.padded(ex, T, PAD);
        verify(ex, best, T);
        verify(ex, pad, T);
        assertEquals(pad.dropped(), best.dropped());
        assertEquals(pad.realTokens(), best.realTokens());
        assertEquals(pad.lossTokens(), best.lossTokens());
        assertTrue(best.rows().size() <= pad.rows().size(), "bestFit uses no more rows than padded");
        // rows are full where possible: a row was opened only because its first (longest) example
        // fit in no earlier row, and rows only fill up, so every earlier row has less free space
        int[] free = best.rows().stream()
            .mapToInt(r -> (int) Arrays.stream(r.docIds()).filter(d -> d == Packing.PAD_DOC).count()).toArray();
        for (int j = 1; j < free.length; j++) {
          int[] d = best.rows().get(j).docIds();
          int opener = (int) Arrays.stream(d).filter(x -> x == 0).count();
          for (int i = 0; i < j; i++) {
            assertTrue(free[i] < opener, "row " + i + " has " + free[i] + " free but row " + j
                + " was opened for an example of " + opener);
          }
        }
      }
    }
    // with lengths up to 80 and T = 128, best fit is much fuller than one example per row
    List<Rendered> ex = randomExamples(7, 300, 80);
    assertTrue(Packing.bestFit(ex, 128, PAD).usefulShare() > 0.9);
    assertTrue(Packing.padded(ex, 128, PAD).usefulShare() < 0.5);
  }

  @Test
  void tooLongExamplesAreCountedAsDropped() {
    List<Rendered> ex = List.of(example(1, 5), example(2, 9), example(3, 8), example(4, 12));
    Packing.Packed best = Packing.bestFit(ex, 8, PAD);
    verify(ex, best, 8);
    assertEquals(2, best.dropped());
    assertEquals(2, best.rows().size());
    assertTrue(best.summary().contains("2 examples dropped as longer than 8 tokens"), best.summary());
    Packing.Packed pad = Packing.padded(ex, 8, PAD);
    assertEquals(2, pad.dropped());
    Packing.Packed none = Packing.bestFit(List.of(example(1, 9)), 8, PAD);
    assertEquals(0, none.rows().size());
    assertEquals(1, none.dropped());
    assertEquals(0.0, none.usefulShare());
  }

  @Test
  void packingIsDeterministic() {
    List<Rendered> ex = randomExamples(11, 500, 60);
    assertEquals(Packing.bestFit(ex, 100, PAD), Packing.bestFit(ex, 100, PAD));
    assertEquals(Packing.bestFit(ex, 100, PAD), Packing.bestFit(new ArrayList<>(ex), 100, PAD));
    assertEquals(Packing.padded(ex, 100, PAD), Packing.padded(ex, 100, PAD));
  }

  @Test
  void badArgumentsAreRejected() {
    assertThrows(IllegalArgumentException.class, () -> Packing.bestFit(List.of(example(1, 2)), 1, PAD));
    assertThrows(IllegalArgumentException.class, () -> Packing.bestFit(List.of(example(1, 2)), 8, -1));
    assertThrows(IllegalArgumentException.class, () -> Packing.padded(null, 8, PAD));
  }
}
