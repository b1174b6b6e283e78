package dev.triad.data.chat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.triad.data.JsonlLines;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads instruction-tuning data: a JSONL file (UTF-8), one example per non-blank line, in one of
 * the two layouts most published SFT sets use (they may be mixed line by line):
 *
 * <ul>
 *   <li><b>prompt/completion</b>: {@code {"prompt": str, "completion": str}}, optionally with
 *       {@code "system": str}; becomes {@code [system?, user: prompt, assistant: completion]}.</li>
 *   <li><b>messages</b>: {@code {"messages": [{"role": "system"|"user"|"assistant", "content":
 *       str}, ...]}}, for multi-turn chats, in the order rules of {@link Conversation}.</li>
 * </ul>
 *
 * Other top-level fields (ids, sources, metadata) and other fields of a message (e.g. {@code name})
 * are ignored. Content that is empty or only whitespace is an error (stricter than {@link Message},
 * which must accept a model's blank reply in a live chat). A line that mixes the layouts
 * ({@code "messages"} with {@code "prompt"}, {@code "completion"} or {@code "system"}) is an error,
 * not a guess: a silently dropped system prompt changes what is learnt. Duplicate keys and trailing
 * content after the object are errors too.
 *
 * <p>Every problem is an {@link IllegalArgumentException} whose message starts
 * {@code file:line: } (1-based) and names the field, e.g. {@code messages[2].role}, so a bad
 * example among a hundred thousand is found at once. No line is ever skipped silently.
 */
public final class SftDataset {
  private SftDataset() {}

  /**
   * The conversations of a JSONL file, in file order.
   *
   * @throws IOException when the file cannot be read (missing, unreadable)
   * @throws IllegalArgumentException naming {@code file:line} and the field for malformed content,
   *     and for a file with no example at all
   */
  public static List<Conversation> readJsonl(Path file) throws IOException {
    return JsonlLines.readObjects(file, SftDataset::parse, "no examples: the file is empty or has only blank lines;"
        + " expected one JSON object per line, {\"prompt\": ..., \"completion\": ...} or {\"messages\": [...]}");
  }

  /** The record of one line's JSON object; {@code where} ("file:line: ") starts every error. */
  static Conversation parse(String where, JsonNode node) {
    boolean messages = node.has("messages");
    boolean pc = node.has("prompt") || node.has("completion");
    if (messages) {
      for (String f : List.of("prompt", "completion", "system")) {
        if (node.has(f)) {
          throw new IllegalArgumentException(where + "field \"" + f + "\" cannot be combined with \"messages\"; use"
              + " either {\"prompt\", \"completion\", \"system\"?} or {\"messages\": [...]}"
              + ("system".equals(f) ? " (put a {\"role\": \"system\"} message first instead)" : ""));
        }
      }
      return messages(where, node.get("messages"));
    }
    if (pc) {
      return promptCompletion(where, node);
    }
    throw new IllegalArgumentException(where + "neither format: expected fields \"prompt\" and \"completion\", or"
        + " \"messages\" (fields present: " + JsonlLines.fieldNames(node) + ")");
  }

  private static Conversation promptCompletion(String where, JsonNode node) {
    String system = node.has("system") ? string(where, node, "system", "system") : null;
    String prompt = string(where, node, "prompt", "prompt");
    String completion = string(where, node, "completion", "completion");
    List<Message> m = new ArrayList<>(3);
    if (system != null) {
      m.add(message(where, "system", Message.SYSTEM, system));
    }
    m.add(message(where, "prompt", Message.USER, prompt));
    m.add(message(where, "completion", Message.ASSISTANT, completion));
    return new Conversation(m);
  }

  private static Conversation messages(String where, JsonNode array) {
    if (!array.isArray()) {
      throw new IllegalArgumentException(where + "field \"messages\" must be an array of {\"role\", \"content\"}"
          + " objects, found " + JsonlLines.type(array));
    }
    List<Message> m = new ArrayList<>(array.size());
    for (int i = 0; i < array.size(); i++) {
      String field = "messages[" + i + "]";
      JsonNode msg = array.get(i);
      if (!msg.isObject()) {
        throw new IllegalArgumentException(where + "field \"" + field + "\" must be an object with \"role\" and"
            + " \"content\", found " + JsonlLines.type(msg));
      }
      String role = string(where, msg, "role", field + ".role");
      if (!Message.ROLES.contains(role)) {
        throw new IllegalArgumentException(where + "field \"" + field + ".role\": unknown role \"" + role
            + "\"; expected one of " + String.join(", ", Message.ROLES));
      }
      String content = string(where, msg, "content", field + ".content");
      m.add(message(where, field + ".content", role, content));
    }
    try {
      return new Conversation(m);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(where + "field \"messages\": " + e.getMessage(), e);
    }
  }

  private static Message message(String where, String field, String role, String content) {
    if (!content.isEmpty() && content.isBlank()) {
      throw new IllegalArgumentException(where + "field \"" + field + "\": content of the " + role
          + " message is whitespace only; every turn of training data must say something");
    }
    try {
      return new Message(role, content);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(where + "field \"" + field + "\": " + e.getMessage(), e);
    }
  }

  /** The string {@code node.name}, or an error naming {@code field}. */
  private static String string(String where, JsonNode node, String name, String field) {
    JsonNode v = node.get(name);
    if (v == null) {
      throw new IllegalArgumentException(where + "field \"" + field + "\" is missing (fields present: "
          + JsonlLines.fieldNames(node) + ")");
    }
    if (!v.isTextual()) {
      throw new IllegalArgumentException(where + "field \"" + field + "\" must be a string, found "
          + JsonlLines.type(v));
    }
    return v.asText();
  }


}
