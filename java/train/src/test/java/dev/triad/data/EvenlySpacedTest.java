package dev.triad.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class EvenlySpacedTest {
  private static List<Integer> range(int n) {
    return IntStream.range(0, n).boxed().toList();
  }

  @Test
  void picksSpreadOutDistinctItemsInOrder() {
    assertEquals(List.of(0, 2, 5, 7), EvenlySpaced.pick(range(10), 4));      // floor(i * 10 / 4)
    assertEquals(List.of(0, 3, 6), EvenlySpaced.pick(range(9), 3));
    assertEquals(range(5), EvenlySpaced.pick(range(5), 5), "n = size: all");
    assertEquals(range(5), EvenlySpaced.pick(range(5), 9), "n > size: all, no repeats");
    assertEquals(List.of(), EvenlySpaced.pick(range(5), 0));
    assertEquals(List.of(), EvenlySpaced.pick(List.of(), 3));
    for (int size = 1; size < 40; size++) {
      for (int n = 1; n <= size; n++) {
        List<Integer> p = EvenlySpaced.pick(range(size), n);
        assertEquals(n, p.size());
        assertEquals(0, p.get(0));
        for (int i = 1; i < n; i++) {
          int gap = p.get(i) - p.get(i - 1);
          // strictly increasing, gaps within one of size / n
          assertEquals(true, gap >= size / n && gap <= (size + n - 1) / n, size + " " + n + " " + p);
        }
      }
    }
    assertThrows(IllegalArgumentException.class, () -> EvenlySpaced.pick(range(3), -1));
  }
}
