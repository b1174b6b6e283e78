package dev.triad.cli.label;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.triad.data.pref.PreferenceDataset;
import dev.triad.data.pref.PreferencePair;
import dev.triad.io.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Judgements keyed by (item, annotator): idempotent, concurrent-safe, undoable, read back on restart. */
class LabelQueueTest {
  @TempDir Path tmp;

  /** {@code n} items with distinct prompts and replies. */
  static List<LabelItem> items(int n) {
    List<LabelItem> items = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      items.add(LabelItem.of("What is " + i + " plus 1?", "It is " + (i + 1) + ".", "Maybe " + (i + 7) + ", who knows."));
    }
    return items;
  }

  private static LabelQueue.Submission choice(String item, String annotator, Choice c) {
    return new LabelQueue.Submission(item, annotator, c, c.prefersOne() ? "better" : null, Map.of("correct", true), null);
  }

  @Test
  void aPreferenceBecomesAPairTheRewardReaderAcceptsWithTheShownSideChosen() throws Exception {
    LabelFiles files = LabelFiles.beside(tmp.resolve("labels.jsonl"));
    try (LabelQueue q = LabelQueue.open(items(3), files)) {
      LabelQueue.Shown shown = q.next("ann");
      q.submit(new LabelQueue.Submission(shown.item().id(), "ann", Choice.B, "much_better",
          Map.of("concise", true), "  shorter  "));
      LabelQueue.Shown second = q.next("ann");
      q.submit(choice(second.item().id(), "ann", Choice.TIE));
      JsonNode r = q.recordOf(shown.item().id(), "ann");
      assertEquals(shown.b(), r.path("chosen").asText(), "B as shown is chosen");
      assertEquals(shown.a(), r.path("rejected").asText());
      assertEquals("B", r.path("choice").asText());
      assertEquals("much_better", r.path("grade").asText());
      assertEquals("shorter", r.path("note").asText());
      assertTrue(r.path("aspects").path("concise").asBoolean() && !r.path("aspects").path("correct").asBoolean());
      assertEquals(2, q.judgedBy("ann"));
    }
    List<PreferencePair> pairs = PreferenceDataset.readJsonl(files.pairs());
    assertEquals(1, pairs.size(), "the tie is not a training pair");
    JsonNode tie = Json.MAPPER.readTree(Files.readAllLines(files.skipped()).get(0));
    assertEquals("tie", tie.path("choice").asText());
    assertTrue(tie.has("a") && tie.has("b") && !tie.has("chosen") && !tie.has("grade"), tie.toString());
  }

  @Test
  void twoTabsSubmittingTheSameItemWriteOneRecord() throws Exception {
    LabelFiles files = LabelFiles.beside(tmp.resolve("labels.jsonl"));
    try (LabelQueue q = LabelQueue.open(items(2), files)) {
      String item = q.next("ann").item().id();
      String sameInTab2 = q.next("ann").item().id();
      assertEquals(item, sameInTab2, "both tabs show the first item not yet judged");
      assertFalse(q.submit(choice(item, "ann", Choice.A)).duplicate());
      LabelQueue.Outcome again = q.submit(choice(item, "ann", Choice.B)); // tab 2, or a retried request
      assertTrue(again.duplicate());
      assertEquals("A", again.record().path("choice").asText(), "the first judgement stands");
      assertEquals(1, Files.readAllLines(files.pairs()).size());
      assertFalse(q.submit(choice(item, "bob", Choice.B)).duplicate(), "another annotator judges it too");
      assertEquals(2, Files.readAllLines(files.pairs()).size());
    }
  }

  @Test
  void concurrentSubmissionsLoseNothingAndDuplicateNothing() throws Exception {
    LabelFiles files = LabelFiles.beside(tmp.resolve("labels.jsonl"));
    List<LabelItem> items = items(40);
    try (LabelQueue q = LabelQueue.open(items, files)) {
      ExecutorService pool = Executors.newFixedThreadPool(4);
      List<Callable<Integer>> tabs = new ArrayList<>();
      for (int tab = 0; tab < 4; tab++) {
        String annotator = tab < 2 ? "ann" : "bob"; // two tabs each
        tabs.add(() -> {
          int recorded = 0;
          for (LabelItem item : items) {
            recorded += q.submit(choice(item.id(), annotator, Choice.A)).duplicate() ? 0 : 1;
          }
          return recorded;
        });
      }
      int recorded = 0;
      for (Future<Integer> f : pool.invokeAll(tabs)) {
        recorded += f.get();
      }
      pool.shutdown();
      assertEquals(80, recorded, "each (item, annotator) recorded exactly once");
      assertEquals(40, q.judgedBy("ann"));
      assertNull(q.next("bob"));
    }
    Set<String> keys = new HashSet<>();
    for (String line : Files.readAllLines(files.pairs())) {
      JsonNode r = Json.MAPPER.readTree(line);
      assertTrue(keys.add(r.path("item").asText() + "/" + r.path("annotator").asText()), "duplicate: " + line);
    }
    assertEquals(80, keys.size());
  }

  @Test
  void undoTakesBackTheAnnotatorsLastChoiceOnlyAndARestartContinues() throws Exception {
    LabelFiles files = LabelFiles.beside(tmp.resolve("labels.jsonl"));
    List<LabelItem> items = items(4);
    try (LabelQueue q = LabelQueue.open(items, files)) {
      q.submit(choice(items.get(0).id(), "ann", Choice.A));
      q.submit(choice(items.get(0).id(), "bob", Choice.A));
      q.submit(choice(items.get(1).id(), "ann", Choice.BOTH_BAD));
      assertEquals(items.get(1).id(), q.undo("ann"));
      assertEquals(items.get(1).id(), q.next("ann").item().id(), "the undone item comes back");
      assertEquals(1, q.judgedBy("bob"), "bob's choice untouched");
      assertEquals(0, Files.readAllLines(files.skipped()).size(), "the both-bad record is gone from its file");
      q.submit(choice(items.get(1).id(), "ann", Choice.B));
    }
    try (LabelQueue q = LabelQueue.open(items, files)) {
      assertEquals(2, q.judgedBy("ann"));
      assertEquals(items.get(2).id(), q.next("ann").item().id(), "progress continues after a restart");
      assertEquals(items.get(1).id(), q.undo("ann"), "undo after a restart takes back the latest");
      assertEquals(items.get(0).id(), q.undo("ann"));
      assertNull(q.undo("ann"), "nothing left to undo");
      assertEquals(1, PreferenceDataset.readJsonl(files.pairs()).size(), "only bob's pair is left");
    }
  }

  @Test
  void agreementComparesVerdictsInTheItemsOwnTerms() throws Exception {
    List<LabelItem> items = items(2);
    try (LabelQueue q = LabelQueue.open(items, LabelFiles.beside(tmp.resolve("labels.jsonl")))) {
      for (LabelItem item : items) {
        // each picks the item's first reply, on whatever side they see it
        for (String annotator : List.of("ann", "bob")) {
          Choice side = LabelQueue.swapped(item.id(), annotator) ? Choice.B : Choice.A;
          q.submit(choice(item.id(), annotator, side));
        }
      }
      Agreement.Pair p = q.agreement().get(0);
      assertEquals(2, p.items());
      assertEquals(1.0, p.agreement());
    }
  }

  @Test
  void badSubmissionsAreRefusedWithAMessage() throws Exception {
    List<LabelItem> items = items(1);
    String id = items.get(0).id();
    try (LabelQueue q = LabelQueue.open(items, LabelFiles.beside(tmp.resolve("labels.jsonl")))) {
      assertMessage("unknown item", () -> q.submit(choice("nope", "ann", Choice.A)));
      assertMessage("annotator is missing", () -> q.submit(choice(id, " ", Choice.A)));
      assertMessage("a grade goes with A or B",
          () -> q.submit(new LabelQueue.Submission(id, "ann", Choice.TIE, "better", Map.of(), null)));
      assertMessage("aspect \"funny\" is unknown",
          () -> q.submit(new LabelQueue.Submission(id, "ann", Choice.A, null, Map.of("funny", true), null)));
      assertMessage("grade \"best\"",
          () -> q.submit(new LabelQueue.Submission(id, "ann", Choice.A, "best", Map.of(), null)));
      assertEquals(0, q.judgedBy("ann"));
    }
  }

  private static void assertMessage(String part, org.junit.jupiter.api.function.Executable call) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
    assertNotNull(e.getMessage());
    assertTrue(e.getMessage().contains(part), e.getMessage());
  }
}
