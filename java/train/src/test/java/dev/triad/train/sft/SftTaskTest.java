package dev.triad.train.sft;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.triad.autograd.Autograd;
import dev.triad.data.Tokenizer;
import dev.triad.data.chat.ChatTemplate;
import dev.triad.data.chat.ChatTemplate.Rendered;
import dev.triad.data.chat.Conversation;
import dev.triad.data.chat.Message;
import dev.triad.data.chat.Packing;
import dev.triad.nn.Gpt;
import dev.triad.nn.GptConfig;
import dev.triad.tensor.Device;
import dev.triad.tensor.Scope;
import dev.triad.train.Trainer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * SftTask's batches: targets only on assistant tokens, every row once per epoch, a reproducible
 * order per seed, and restore() continuing exactly where the saved state was.
 *
 * <p>Which rows a micro-batch used is not exposed, so rows are identified by their loss: with one
 * row per micro-batch, {@code next()}'s loss is bit-identical to that row's loss computed directly
 * (the CPU kernels are deterministic), and the rows' losses are checked to be pairwise distinct.
 */
class SftTaskTest {
  private static final int T = 96;
  private static final long SEED = 77;

  private static ChatTemplate template;
  private static List<Rendered> examples;
  private static List<Packing.Row> rows;
  private static Gpt model;
  /** Bits of each row's loss alone (a batch of one). */
  private static int[] rowLossBits;

  @BeforeAll
  static void setUp() {
    template = new ChatTemplate(Tokenizer.byName("byte"));
    List<Conversation> conversations = new ArrayList<>();
    for (int i = 0; i < 16; i++) {
      String q = "question " + i + ": what is " + i + " plus " + (2 * i) + "?";
      String a = "It is " + (3 * i) + ".";
      if (i % 3 == 0) {
        conversations.add(Conversation.of(Message.system("Be brief #" + i), Message.user(q), Message.assistant(a),
            Message.user("and twice that?"), Message.assistant(Integer.toString(6 * i))));
      } else {
        conversations.add(Conversation.promptCompletion(null, q, a + " ".repeat(i % 4)));
      }
    }
    examples = conversations.stream().map(template::render).toList();
    examples.forEach(e -> ChatTemplate.checkMask(e, template));
    Packing.Packed packed = Packing.bestFit(examples, T, template.bosToken());
    assertEquals(0, packed.dropped(), "test data must fit rows of " + T + ": " + packed.summary());
    rows = packed.rows();
    assertTrue(rows.size() >= 7 && rows.size() % 2 == 1,
        "want an odd number of rows (>= 7) so batches of 2 straddle epochs; got " + packed.summary());
    // a micro model: the task is under test, not the model; its losses only need to tell rows apart
    model = new Gpt(new GptConfig("micro", 1, 2, 16, template.vocabSize(), T), Device.CPU, 5);
    rowLossBits = new int[rows.size()];
    Set<Integer> seen = new HashSet<>();
    for (int r = 0; r < rows.size(); r++) {
      rowLossBits[r] = Float.floatToRawIntBits(loss(rows.get(r)));
      assertTrue(seen.add(rowLossBits[r]), "rows must have distinct losses to be told apart; row " + r);
    }
  }

  @AfterAll
  static void tearDown() {
    if (model != null) {
      model.close();
    }
  }

  /** The mean loss over the given rows' targets, computed straight from the packed rows. */
  private static float loss(Packing.Row... batch) {
    try (Scope s = Scope.open(); Autograd.NoGrad ng = Autograd.noGrad()) {
      SftTask.Batch b = SftTask.Batch.of(batch, model);
      return model.loss(b.tokens, b.positions, b.docIds, b.targets).item();
    }
  }

  private static SftTask task(int batch, long seed) {
    return new SftTask(model, rows, List.of(), batch, seed, null);
  }

  /** The rows of the next {@code n} single-row micro-batches, identified by their loss. */
  private static int[] nextRows(SftTask task, int n) {
    Map<Integer, Integer> byBits = new HashMap<>();
    for (int r = 0; r < rowLossBits.length; r++) {
      byBits.put(rowLossBits[r], r);
    }
    int[] out = new int[n];
    for (int i = 0; i < n; i++) {
      try (Scope s = Scope.open(); Autograd.NoGrad ng = Autograd.noGrad()) {
        Trainer.MicroBatch mb = task.next();
        assertEquals(T, mb.tokens(), "a micro-batch of one row counts its T positions");
        Integer row = byBits.get(Float.floatToRawIntBits(mb.loss().item()));
        if (row == null) {
          fail("micro-batch " + i + " has loss " + mb.loss().item() + ", which is no single row's loss");
        }
        out[i] = row;
      }
    }
    return out;
  }

  @Test
  void targetsAreIgnoredExceptOnAssistantTokensAsTheMaskSays() {
    Packing.Row[] all = rows.toArray(new Packing.Row[0]);
    int[] tokens, targets, docIds, positions;
    long lossTokens;
    try (Scope s = Scope.open()) {
      SftTask.Batch b = SftTask.Batch.of(all, model);
      assertArrayEquals(new long[] {all.length, T}, b.targets.shape(), "targets are [B,T]");
      tokens = b.tokens.toIntArray();
      targets = b.targets.toIntArray();
      docIds = b.docIds.toIntArray();
      positions = b.positions.toIntArray();
      lossTokens = b.lossTokens;
    }
    int expectedLoss = 0;
    boolean[] found = new boolean[examples.size()];
    for (int r = 0; r < all.length; r++) {
      int base = r * T;
      for (int t = 0; t < T; t++) {
        assertEquals(all[r].tokens()[t], tokens[base + t], "tokens row " + r + " pos " + t);
        assertEquals(all[r].docIds()[t], docIds[base + t], "docIds row " + r + " pos " + t);
        assertEquals(all[r].positions()[t], positions[base + t], "positions row " + r + " pos " + t);
      }
      int t = 0;
      while (t < T) {
        if (docIds[base + t] == Packing.PAD_DOC) {
          assertEquals(Packing.IGNORE, targets[base + t], "padding has no target: row " + r + " pos " + t);
          t++;
          continue;
        }
        int start = t;
        while (t < T && docIds[base + t] == docIds[base + start]) {
          t++;
        }
        int[] segment = Arrays.copyOfRange(tokens, base + start, base + t);
        int ex = indexOf(segment);
        assertTrue(ex >= 0, "row " + r + " positions " + start + ".." + t + " hold no whole example");
        assertTrue(!found[ex], "example " + ex + " appears twice");
        found[ex] = true;
        Rendered e = examples.get(ex);
        // the role each token belongs to, walking the template from first principles
        int role = -1;
        for (int i = 0; i < e.length(); i++) {
          int tok = e.token(i);
          boolean marker = tok == template.systemToken() || tok == template.userToken()
              || tok == template.assistantToken();
          if (marker) {
            role = tok;
          }
          boolean assistantText = !marker && role == template.assistantToken() && tok != template.bosToken();
          assertEquals(assistantText, e.loss(i), "example " + ex + " token " + i + ": loss mask vs assistant turn");
          if (i > 0) {
            int expected = e.loss(i) ? tok : Packing.IGNORE;
            assertEquals(expected, targets[base + start + i - 1], "example " + ex + " (row " + r + "): the target"
                + " predicting token " + i + " (" + template.decode(new int[] {tok}) + ")");
            expectedLoss += e.loss(i) ? 1 : 0;
          }
        }
        assertEquals(Packing.IGNORE, targets[base + t - 1], "an example's last position predicts nothing");
      }
    }
    for (int i = 0; i < found.length; i++) {
      assertTrue(found[i], "example " + i + " is in no row");
    }
    assertEquals(expectedLoss, lossTokens, "the batch's count of loss tokens");
    assertEquals(expectedLoss, Arrays.stream(targets).filter(v -> v >= 0).count(), "targets >= 0");
  }

  private static int indexOf(int[] tokens) {
    for (int i = 0; i < examples.size(); i++) {
      if (Arrays.equals(examples.get(i).tokens(), tokens)) {
        return i;
      }
    }
    return -1;
  }

  @Test
  void everyEpochVisitsEveryRowOnceInAnOrderFixedByTheSeed() {
    int n = rows.size();
    SftTask a = task(1, SEED);
    int[] seq = nextRows(a, 3 * n);
    List<int[]> epochs = new ArrayList<>();
    for (int e = 0; e < 3; e++) {
      int[] ep = Arrays.copyOfRange(seq, e * n, (e + 1) * n);
      int[] sorted = ep.clone();
      Arrays.sort(sorted);
      int[] identity = new int[n];
      Arrays.setAll(identity, i -> i);
      assertArrayEquals(identity, sorted, "epoch " + e + " must visit each of the " + n + " rows once: "
          + Arrays.toString(ep));
      epochs.add(ep);
    }
    assertTrue(!Arrays.equals(epochs.get(0), epochs.get(1)) || !Arrays.equals(epochs.get(1), epochs.get(2)),
        "every epoch has the same order; each epoch should be reshuffled");
    assertEquals(Map.of("data.epoch", "2", "data.index", Integer.toString(n)), a.state(), "state after 3 epochs");

    assertArrayEquals(seq, nextRows(task(1, SEED), 3 * n), "the same seed must give the same order");
    assertNotEquals(Arrays.toString(seq), Arrays.toString(nextRows(task(1, SEED + 1), 3 * n)),
        "another seed should give another order");

    // larger micro-batches take the same row sequence, straddling epoch boundaries (n is odd)
    SftTask pairs = task(2, SEED);
    for (int i = 0; i + 1 < 3 * n; i += 2) {
      try (Scope s = Scope.open(); Autograd.NoGrad ng = Autograd.noGrad()) {
        Trainer.MicroBatch mb = pairs.next();
        assertEquals(2L * T, mb.tokens());
        float expected = loss(rows.get(seq[i]), rows.get(seq[i + 1]));
        assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(mb.loss().item()),
            "micro-batch of 2 at rows " + i + "," + (i + 1) + " of the sequence");
      }
    }
  }

  @Test
  void restoreContinuesExactlyLikeTheOriginal() {
    int n = rows.size();
    for (int k : new int[] {0, 1, n - 1, n, n + 2, 2 * n}) {
      SftTask original = task(1, SEED);
      nextRows(original, k);
      Map<String, String> state = original.state();
      SftTask restored = task(1, SEED);
      nextRows(restored, 3); // a restored task must not depend on where it was before
      restored.restore(state);
      assertEquals(state, restored.state(), "state right after restore, k = " + k);
      assertArrayEquals(nextRows(original, 2 * n + 1), nextRows(restored, 2 * n + 1),
          "after restoring the state at " + k + " rows " + state);
    }
  }

  @Test
  void evaluateIsTheTokenWeightedMeanOverValidationRows() {
    double sum = 0;
    long count = 0;
    for (Packing.Row r : rows) {
      long n = Arrays.stream(r.targets()).filter(v -> v >= 0).count();
      sum += (double) loss(r) * n;
      count += n;
    }
    double expected = sum / count;
    for (int batch : new int[] {1, 3, 64}) {
      SftTask t = new SftTask(model, rows.subList(0, 1), rows, batch, SEED, null);
      double got;
      try (Autograd.NoGrad ng = Autograd.noGrad()) {
        got = t.evaluate();
      }
      assertEquals(expected, got, 1e-5 * expected, "validation loss with batch " + batch);
    }
    assertTrue(Double.isNaN(new SftTask(model, rows, List.of(), 2, SEED, null).evaluate()), "no validation rows");
    assertTrue(Double.isNaN(new SftTask(model, rows, null, 2, SEED, null).evaluate()), "null validation rows");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new SftTask(model, List.of(), rows, 2, SEED, null));
    assertTrue(e.getMessage().contains("no training rows"), e.getMessage());
  }
}
