package dev.triad.cli.label;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.triad.io.AtomicFiles;
import dev.triad.io.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The items of a labelling job on disk: one {@code {"id","prompt","first","second"}} line each, written atomically. */
final class ItemsFile {
  private ItemsFile() {}

  static void write(Path file, List<LabelItem> items) throws IOException {
    StringBuilder text = new StringBuilder();
    for (LabelItem item : items) {
      ObjectNode line = Json.MAPPER.createObjectNode();
      line.put("id", item.id()).put("prompt", item.prompt()).put("first", item.first()).put("second", item.second());
      text.append(Json.MAPPER.writeValueAsString(line)).append('\n');
    }
    Files.createDirectories(file.toAbsolutePath().getParent());
    AtomicFiles.writeString(file, text.toString());
  }

  /**
   * The items of {@code file}, in order.
   *
   * @throws IllegalArgumentException naming {@code file:line} for a line that is not an item, or whose id
   *     does not match its texts (edited by hand)
   */
  static List<LabelItem> read(Path file) throws IOException {
    List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    List<LabelItem> items = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).isBlank()) {
        continue;
      }
      String where = file + ":" + (i + 1) + ": ";
      try {
        JsonNode n = Json.MAPPER.readTree(lines.get(i));
        LabelItem item = LabelItem.of(text(n, "prompt"), text(n, "first"), text(n, "second"));
        if (!item.id().equals(n.path("id").asText())) {
          throw new IllegalArgumentException("id " + n.path("id") + " does not match the texts (expected " + item.id()
              + ")");
        }
        items.add(item);
      } catch (IOException | RuntimeException e) {
        throw new IllegalArgumentException(where + "not a labelling item: " + e.getMessage()
            + " (delete the file to sample the items anew)", e);
      }
    }
    if (items.isEmpty()) {
      throw new IllegalArgumentException(file + ": no items (delete the file to sample the items anew)");
    }
    return items;
  }

  private static String text(JsonNode n, String field) {
    JsonNode v = n.get(field);
    if (v == null || !v.isTextual()) {
      throw new IllegalArgumentException("field \"" + field + "\" is missing or not a string");
    }
    return v.asText();
  }
}
