package dev.triad.cli.label;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.triad.data.pref.PreferenceDataset;
import dev.triad.io.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 of {@code triad label} while two "tabs" post choices as fast as they can: afterwards the
 * pairs file parses as preference data and holds every choice the server acknowledged, once; a
 * restart on it reads everything back and continues where the annotators stopped.
 */
class LabelDurabilityTest {
  @TempDir Path tmp;

  @Test
  void everyAcknowledgedChoiceSurvivesAKill() throws Exception {
    Path out = tmp.resolve("labels.jsonl");
    List<LabelItem> items = LabelQueueTest.items(400);
    ItemsFile.write(LabelFiles.beside(out).items(), items); // no model needed: the server reuses saved items
    Set<String> acknowledged = Collections.synchronizedSet(new HashSet<>());
    try (LabelProcess server = LabelProcess.start(tmp.resolve("log1"), "--out", out.toString())) {
      ExecutorService tabs = Executors.newFixedThreadPool(2);
      List<Future<?>> running = new ArrayList<>();
      for (String annotator : List.of("ann", "bob")) {
        running.add(tabs.submit(() -> {
          for (LabelItem item : items) {
            String choice = item.id().charAt(0) < '8' ? "A" : "tie"; // into both files
            Http.Answer a;
            try {
              a = Http.postJson(server.base() + "/api/choice", "{\"item\":\"" + item.id() + "\",\"annotator\":\""
                  + annotator + "\",\"choice\":\"" + choice + "\"}");
            } catch (IOException killed) {
              return null; // the server is gone: this choice was in flight, never acknowledged
            }
            if (a.status() == 200) {
              acknowledged.add(item.id() + "/" + annotator);
            }
          }
          return null;
        }));
      }
      // let it record a good number of choices, then kill it in the middle of the stream
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (acknowledged.size() < 150 && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      server.kill();
      for (Future<?> f : running) {
        f.get(30, TimeUnit.SECONDS);
      }
      tabs.shutdown();
    }
    assertTrue(acknowledged.size() >= 150, "too few choices before the kill: " + acknowledged.size());
    assertTrue(acknowledged.size() < 2 * items.size(), "killed after the end: the test proves nothing");

    Set<String> stored = new HashSet<>();
    LabelFiles files = LabelFiles.beside(out);
    for (Path f : List.of(files.pairs(), files.skipped())) {
      for (String line : Files.readAllLines(f)) {
        JsonNode r = Json.MAPPER.readTree(line); // every line parses: a kill between write and force cuts none
        assertTrue(stored.add(r.path("item").asText() + "/" + r.path("annotator").asText()), "duplicate " + line);
      }
    }
    assertTrue(stored.containsAll(acknowledged), "acknowledged but lost: "
        + acknowledged.stream().filter(k -> !stored.contains(k)).toList());
    assertTrue(stored.size() <= acknowledged.size() + 2, "at most the two choices in flight beyond the acknowledged");
    assertEquals(Files.readAllLines(files.pairs()).size(), PreferenceDataset.readJsonl(files.pairs()).size(),
        "the pairs file is valid preference data, every line a pair");

    // a restart reads it all back: each annotator's progress continues from what is stored
    try (LabelProcess again = LabelProcess.start(tmp.resolve("log2"), "--out", out.toString())) {
      long ann = stored.stream().filter(k -> k.endsWith("/ann")).count();
      JsonNode state = Http.get(again.base() + "/api/state?annotator=ann").body();
      assertEquals(ann, state.path("judged").asLong(), state.toString());
      assertEquals(items.size(), state.path("total").asInt());
    }
  }
}
