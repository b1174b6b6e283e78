package dev.triad.cli.label;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.triad.io.Json;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The durable JSONL file: appended lines read back, a cut-off last line dropped, removal rewrites. */
class LabelStoreTest {
  @TempDir Path tmp;

  private static ObjectNode record(int n) {
    return Json.MAPPER.createObjectNode().put("n", n).put("text", "line " + n + " with \"quotes\"\nand a newline");
  }

  @Test
  void appendedRecordsAreOnDiskAndReadBack() throws Exception {
    Path file = tmp.resolve("sub/labels.jsonl");
    try (LabelStore s = LabelStore.open(file)) {
      s.append(record(1));
      s.append(record(2));
      // on disk as it returns: another reader sees both lines, each one JSON object
      List<String> lines = Files.readAllLines(file);
      assertEquals(2, lines.size());
      assertEquals(2, Json.MAPPER.readTree(lines.get(1)).path("n").asInt());
    }
    try (LabelStore s = LabelStore.open(file)) {
      assertNull(s.repairNote());
      assertEquals(List.of(1, 2), s.records().stream().map(r -> r.path("n").asInt()).toList());
      assertTrue(s.records().get(0).path("text").asText().contains("\n"), "a newline inside a value survives");
    }
  }

  @Test
  void aCutOffLastLineIsDroppedAndAppendingContinuesAfterIt() throws Exception {
    Path file = tmp.resolve("labels.jsonl");
    try (LabelStore s = LabelStore.open(file)) {
      s.append(record(1));
    }
    Files.write(file, "{\"n\": 2, \"text\": \"cut of".getBytes(StandardCharsets.UTF_8), StandardOpenOption.APPEND);
    try (LabelStore s = LabelStore.open(file)) {
      assertTrue(s.repairNote() != null && s.repairNote().contains("cut-off last line"), s.repairNote());
      assertEquals(1, s.records().size());
      s.append(record(3));
    }
    List<String> lines = Files.readAllLines(file);
    assertEquals(2, lines.size(), "the torn line is gone, the new one follows the last whole one: " + lines);
    assertEquals(3, Json.MAPPER.readTree(lines.get(1)).path("n").asInt());
  }

  @Test
  void removeRewritesTheFileWithoutTheRecord() throws Exception {
    Path file = tmp.resolve("labels.jsonl");
    try (LabelStore s = LabelStore.open(file)) {
      s.append(record(1));
      s.append(record(2));
      s.remove(s.records().get(1));
      s.append(record(3)); // appending still works after the rewrite
      assertEquals(List.of(1, 3), s.records().stream().map(r -> r.path("n").asInt()).toList());
    }
    assertEquals(2, Files.readAllLines(file).size());
    try (java.util.stream.Stream<Path> left = Files.list(tmp)) {
      assertEquals(List.of(file), left.toList(), "no temporary file left");
    }
  }

  @Test
  void aFileThatIsNotJsonLinesIsRefusedNotOverwritten() throws Exception {
    Path file = tmp.resolve("notes.txt");
    Files.writeString(file, "{\"ok\": 1}\nsome prose\n");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LabelStore.open(file));
    assertTrue(e.getMessage().contains(file + ":2:"), e.getMessage());
    assertEquals("{\"ok\": 1}\nsome prose\n", Files.readString(file));
  }

}
