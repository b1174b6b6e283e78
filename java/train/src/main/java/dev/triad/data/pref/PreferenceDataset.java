package dev.triad.data.pref;

import com.fasterxml.jackson.databind.JsonNode;
import dev.triad.data.JsonlLines;
import dev.triad.data.chat.Message;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads preference data: a JSONL file (UTF-8), one pair per non-blank line, in either form (they may
 * be mixed line by line):
 *
 * <ul>
 *   <li><b>plain text</b>: {@code {"prompt": str, "chosen": str, "rejected": str}}; the prompt
 *       becomes one user message.</li>
 *   <li><b>chat</b>: {@code {"prompt": [{"role", "content"}, ...], "chosen": ..., "rejected": ...}}:
 *       the prompt is a chat history ending with a user message (optional system message first);
 *       each reply is a string, an assistant message object {@code {"role": "assistant", "content":
 *       str}}, or an array holding exactly that one message (the layout of TRL's conversational
 *       preference sets).</li>
 * </ul>
 *
 * Other top-level fields and other message fields are ignored. Replies that are empty or whitespace
 * only, and pairs whose replies are identical, are errors; so are duplicate keys and trailing
 * content after the object.
 *
 * <p>Every problem is an {@link IllegalArgumentException} whose message starts {@code file:line: }
 * (1-based) and names the field ({@code prompt[1].role}, {@code chosen.content}, {@code rejected}).
 * No line is skipped silently.
 */
public final class PreferenceDataset {
  private PreferenceDataset() {}

  /**
   * The pairs of a JSONL file, in file order.
   *
   * @throws IOException when the file cannot be read
   * @throws IllegalArgumentException naming {@code file:line} and the field for malformed content,
   *     and for a file with no pair at all
   */
  public static List<PreferencePair> readJsonl(Path file) throws IOException {
    return JsonlLines.readObjects(file, PreferenceDataset::parse,
        "no preference pairs: the file is empty or has only blank lines;"
        + " expected one JSON object per line, {\"prompt\": ..., \"chosen\": ..., \"rejected\": ...}");
  }

  /** The record of one line's JSON object; {@code where} ("file:line: ") starts every error. */
  static PreferencePair parse(String where, JsonNode node) {
    List<Message> prompt = prompt(where, node);
    String chosen = reply(where, node, "chosen");
    String rejected = reply(where, node, "rejected");
    try {
      return new PreferencePair(prompt, chosen, rejected);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(where + e.getMessage(), e);
    }
  }

  private static List<Message> prompt(String where, JsonNode node) {
    JsonNode p = require(where, node, "prompt", "prompt");
    if (p.isTextual()) {
      return List.of(message(where, "prompt", Message.USER, p.asText()));
    }
    if (!p.isArray()) {
      throw new IllegalArgumentException(where + "field \"prompt\" must be a string or an array of {\"role\","
          + " \"content\"} messages, found " + JsonlLines.type(p));
    }
    if (p.isEmpty()) {
      throw new IllegalArgumentException(where + "field \"prompt\" is an empty array; it needs a user message");
    }
    List<Message> out = new ArrayList<>(p.size());
    for (int i = 0; i < p.size(); i++) {
      String field = "prompt[" + i + "]";
      JsonNode m = p.get(i);
      if (!m.isObject()) {
        throw new IllegalArgumentException(where + "field \"" + field + "\" must be an object with \"role\" and"
            + " \"content\", found " + JsonlLines.type(m));
      }
      String role = string(where, m, "role", field + ".role");
      if (!Message.ROLES.contains(role)) {
        throw new IllegalArgumentException(where + "field \"" + field + ".role\": unknown role \"" + role
            + "\"; expected one of " + String.join(", ", Message.ROLES));
      }
      out.add(message(where, field + ".content", role, string(where, m, "content", field + ".content")));
    }
    return out;
  }

  /** A reply: a string, an assistant message object, or an array of exactly one such object. */
  private static String reply(String where, JsonNode node, String name) {
    JsonNode v = require(where, node, name, name);
    String field = name;
    if (v.isArray()) {
      if (v.size() != 1) {
        throw new IllegalArgumentException(where + "field \"" + name + "\" is an array of " + v.size()
            + " messages; a reply array must hold exactly one assistant message");
      }
      v = v.get(0);
      field = name + "[0]";
    }
    String text;
    if (v.isTextual()) {
      text = v.asText();
    } else if (v.isObject()) {
      String role = string(where, v, "role", field + ".role");
      if (!Message.ASSISTANT.equals(role)) {
        throw new IllegalArgumentException(where + "field \"" + field + ".role\" is \"" + role
            + "\"; a reply must be an assistant message");
      }
      field = field + ".content";
      text = string(where, v, "content", field);
    } else {
      throw new IllegalArgumentException(where + "field \"" + name + "\" must be a string or an assistant message"
          + " {\"role\": \"assistant\", \"content\": ...}, found " + JsonlLines.type(v));
    }
    if (text.isBlank()) {
      throw new IllegalArgumentException(where + "field \"" + field + "\" is "
          + (text.isEmpty() ? "empty" : "whitespace only") + "; a reply must say something");
    }
    return text;
  }

  private static Message message(String where, String field, String role, String content) {
    if (content.isBlank()) {
      throw new IllegalArgumentException(where + "field \"" + field + "\" is "
          + (content.isEmpty() ? "empty" : "whitespace only") + "; every turn must say something");
    }
    try {
      return new Message(role, content);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(where + "field \"" + field + "\": " + e.getMessage(), e);
    }
  }

  private static JsonNode require(String where, JsonNode node, String name, String field) {
    JsonNode v = node.get(name);
    if (v == null || v.isNull()) {
      throw new IllegalArgumentException(where + "field \"" + field + "\" is missing (fields present: "
          + JsonlLines.fieldNames(node) + ")");
    }
    return v;
  }

  private static String string(String where, JsonNode node, String name, String field) {
    JsonNode v = require(where, node, name, field);
    if (!v.isTextual()) {
      throw new IllegalArgumentException(where + "field \"" + field + "\" must be a string, found "
          + JsonlLines.type(v));
    }
    return v.asText();
  }


}
