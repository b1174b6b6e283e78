package dev.triad.train.audit;

import com.fasterxml.jackson.databind.JsonNode;
import dev.triad.data.JsonlLines;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Reads a prompt set (RL prompts, an evaluation set): JSONL, one {@code {"prompt": str}} per line,
 * with an optional expected reply in {@code "answer"} or {@code "completion"} (so an SFT file in
 * prompt/completion form is an evaluation set too) and an optional {@code "family"}. Errors name
 * {@code file:line} and the field.
 */
public final class PromptFile {
  private PromptFile() {}

  public static List<Sample> read(Path file) throws IOException {
    return JsonlLines.readObjects(file, PromptFile::parse, "no prompts: the file is empty or has only blank lines;"
        + " expected one JSON object per line, {\"prompt\": ..., \"answer\": ... (optional)}");
  }

  static Sample parse(String where, JsonNode node) {
    String prompt = text(where, node, "prompt", true);
    String answer = text(where, node, "answer", false);
    if (answer == null) {
      answer = text(where, node, "completion", false);
    }
    return new Sample(text(where, node, "family", false), prompt, answer);
  }

  private static String text(String where, JsonNode node, String field, boolean required) {
    JsonNode v = node.get(field);
    if (v == null || v.isNull()) {
      if (required) {
        throw new IllegalArgumentException(where + "field \"" + field + "\" is missing (fields present: "
            + JsonlLines.fieldNames(node) + ")");
      }
      return null;
    }
    if (!v.isTextual() || v.asText().isBlank()) {
      throw new IllegalArgumentException(where + "field \"" + field + "\" must be a non-blank string, found "
          + JsonlLines.type(v));
    }
    return v.asText();
  }
}
