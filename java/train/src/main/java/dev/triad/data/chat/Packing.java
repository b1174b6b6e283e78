package dev.triad.data.chat;

import dev.triad.data.chat.ChatTemplate.Rendered;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Turns rendered chat examples into fixed-length training rows of {@code T} tokens. Chat examples
 * are short and of very different lengths; one per row wastes most of each row on padding, so
 * several are packed into one row, each kept apart by its own document id (attention only looks at
 * earlier tokens of the same id, see {@code Ops.attention}) and its own positions restarting at 0,
 * so a packed example computes exactly what it would alone.
 *
 * <p>A {@link Row} holds, per position {@code t} of the row:
 *
 * <ul>
 *   <li>{@code tokens[t]}: the example's token, or {@code padToken} in the padding at the end;</li>
 *   <li>{@code targets[t]}: {@code tokens[t+1]} of the same example where that next token is in the
 *       loss, otherwise {@link #IGNORE} ({@code -1}, {@code Gpt.IGNORE}); the last position of each
 *       example and every padding position are always {@code -1}, so no example is ever trained to
 *       predict its neighbour's first token;</li>
 *   <li>{@code docIds[t]}: {@code 0, 1, 2, ...} for the examples of the row in order, {@link #PAD_DOC}
 *       ({@code -1}) for padding;</li>
 *   <li>{@code positions[t]}: {@code 0..L-1} within each example, {@code 0} in padding.</li>
 * </ul>
 *
 * An example of {@code L} tokens occupies {@code L} positions and is never split across rows; one
 * longer than {@code T} cannot be placed and is dropped, and the number dropped is reported in
 * {@link Packed#dropped()} (never silently). Both packers are deterministic: the same examples give
 * the same rows.
 */
public final class Packing {
  /** The target of a position that is not trained on ({@code Gpt.IGNORE}). */
  public static final int IGNORE = -1;
  /** The document id of padding positions. */
  public static final int PAD_DOC = -1;

  private Packing() {}

  /**
   * One training row of {@code T} positions (see {@link Packing} for the meaning of each array). The
   * arrays are not copied (rows are many and large): treat them as read-only.
   */
  public record Row(int[] tokens, int[] targets, int[] docIds, int[] positions) {
    /** @throws IllegalArgumentException when an array is null or the four lengths differ */
    public Row {
      if (tokens == null || targets == null || docIds == null || positions == null) {
        throw new IllegalArgumentException("row: tokens, targets, docIds and positions must all be given");
      }
      if (targets.length != tokens.length || docIds.length != tokens.length || positions.length != tokens.length) {
        throw new IllegalArgumentException("row: tokens, targets, docIds and positions have lengths " + tokens.length
            + ", " + targets.length + ", " + docIds.length + ", " + positions.length + "; they must be equal");
      }
    }

    /** The row length {@code T}. */
    public int length() {
      return tokens.length;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Row r && Arrays.equals(tokens, r.tokens) && Arrays.equals(targets, r.targets)
          && Arrays.equals(docIds, r.docIds) && Arrays.equals(positions, r.positions);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(new int[] {Arrays.hashCode(tokens), Arrays.hashCode(targets), Arrays.hashCode(docIds),
          Arrays.hashCode(positions)});
    }

    @Override
    public String toString() {
      return "Row[T=" + tokens.length + "]";
    }
  }

  /**
   * The packed rows of a dataset and what they hold.
   *
   * @param rows the rows, each of {@code seqLen} positions
   * @param seqLen the row length {@code T}
   * @param lossTokens positions with a target (not {@link #IGNORE}) over all rows
   * @param realTokens positions holding an example's token (not padding) over all rows
   * @param dropped examples left out because they are longer than {@code seqLen}
   */
  public record Packed(List<Row> rows, int seqLen, long lossTokens, long realTokens, int dropped) {
    public Packed {
      rows = List.copyOf(rows);
    }

    /** {@code rows * seqLen}: every position, real or padding. */
    public long capacity() {
      return (long) rows.size() * seqLen;
    }

    /** The share of positions holding real tokens (0 when there are no rows). */
    public double usefulShare() {
      return capacity() == 0 ? 0 : (double) realTokens / capacity();
    }

    /** The share of positions that are trained on (0 when there are no rows). */
    public double lossShare() {
      return capacity() == 0 ? 0 : (double) lossTokens / capacity();
    }

    /** One line for logs: rows, fill, loss share and any dropped examples. */
    public String summary() {
      return String.format(Locale.ROOT, "%d row%s of %d tokens: %d real (%.1f%%), %d in the loss (%.1f%%)%s",
          rows.size(), rows.size() == 1 ? "" : "s", seqLen, realTokens, 100 * usefulShare(), lossTokens, 100 * lossShare(),
          dropped == 0 ? "" : "; " + dropped + " example" + (dropped == 1 ? "" : "s")
              + " dropped as longer than " + seqLen + " tokens");
    }
  }

  /**
   * Packs the examples best-fit decreasing: longest first (ties in input order); each goes into the
   * open row with the least free space that still fits it (ties to the earliest row), or else into a
   * new row. Rows come out in the order they were opened; within a row, examples in the order they
   * were placed.
   */
  public static Packed bestFit(List<Rendered> examples, int T, int padToken) {
    check(examples, T, padToken);
    List<Integer> order = new ArrayList<>(examples.size());
    for (int i = 0; i < examples.size(); i++) {
      order.add(i);
    }
    // List.sort is stable: equal lengths keep input order
    order.sort(Comparator.comparingInt((Integer i) -> examples.get(i).length()).reversed());

    List<RowBuilder> rows = new ArrayList<>();
    // free space -> rows (by index) with exactly that much free; full rows leave the map
    TreeMap<Integer, TreeSet<Integer>> byFree = new TreeMap<>();
    int dropped = 0;
    for (int i : order) {
      Rendered e = examples.get(i);
      int len = e.length();
      if (len > T) {
        dropped++;
        continue;
      }
      Integer free = byFree.ceilingKey(len);
      int rowIndex;
      if (free == null) {
        rowIndex = rows.size();
        rows.add(new RowBuilder(T, padToken));
        free = T;
      } else {
        TreeSet<Integer> set = byFree.get(free);
        rowIndex = set.pollFirst();
        if (set.isEmpty()) {
          byFree.remove(free);
        }
      }
      rows.get(rowIndex).add(e);
      int left = free - len;
      if (left > 0) {
        byFree.computeIfAbsent(left, k -> new TreeSet<>()).add(rowIndex);
      }
    }
    return finish(rows, T, dropped);
  }

  /** One example per row, in input order, the rest of each row padding: the baseline bestFit beats. */
  public static Packed padded(List<Rendered> examples, int T, int padToken) {
    check(examples, T, padToken);
    List<RowBuilder> rows = new ArrayList<>(examples.size());
    int dropped = 0;
    for (Rendered e : examples) {
      if (e.length() > T) {
        dropped++;
        continue;
      }
      RowBuilder row = new RowBuilder(T, padToken);
      row.add(e);
      rows.add(row);
    }
    return finish(rows, T, dropped);
  }

  private static void check(List<Rendered> examples, int T, int padToken) {
    if (examples == null) {
      throw new IllegalArgumentException("packing: examples is null");
    }
    if (T < 2) {
      throw new IllegalArgumentException("packing: row length T = " + T + " must be at least 2");
    }
    if (padToken < 0) {
      throw new IllegalArgumentException("packing: padToken = " + padToken + " must be a token id (>= 0)");
    }
    for (int i = 0; i < examples.size(); i++) {
      if (examples.get(i) == null) {
        throw new IllegalArgumentException("packing: examples[" + i + "] is null");
      }
    }
  }

  private static Packed finish(List<RowBuilder> builders, int T, int dropped) {
    List<Row> rows = new ArrayList<>(builders.size());
    long loss = 0;
    long real = 0;
    for (RowBuilder b : builders) {
      rows.add(b.build());
      loss += b.loss;
      real += b.used;
    }
    return new Packed(rows, T, loss, real, dropped);
  }

  /** A row being filled from the left; the untouched tail is padding. */
  private static final class RowBuilder {
    final int[] tokens;
    final int[] targets;
    final int[] docIds;
    final int[] positions;
    int used;
    int docs;
    long loss;

    RowBuilder(int T, int padToken) {
      tokens = new int[T];
      targets = new int[T];
      docIds = new int[T];
      positions = new int[T];
      Arrays.fill(tokens, padToken);
      Arrays.fill(targets, IGNORE);
      Arrays.fill(docIds, PAD_DOC);
    }

    void add(Rendered e) {
      int len = e.length();
      int doc = docs++;
      for (int i = 0; i < len; i++) {
        int t = used + i;
        tokens[t] = e.token(i);
        docIds[t] = doc;
        positions[t] = i;
        if (i + 1 < len && e.loss(i + 1)) {
          targets[t] = e.token(i + 1);
          loss++;
        }
      }
      used += len;
    }

    Row build() {
      return new Row(tokens, targets, docIds, positions);
    }
  }
}
