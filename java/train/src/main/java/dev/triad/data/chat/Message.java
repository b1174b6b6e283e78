package dev.triad.data.chat;

import java.util.List;

/**
 * One turn of a chat: who speaks ({@code role}) and what they say ({@code content}). The role
 * decides whether the model is trained on the text ({@link ChatTemplate}): only the assistant's
 * words are targets, the system and user text is context.
 *
 * <p>Rules, checked here so that no malformed turn reaches the template:
 *
 * <ul>
 *   <li>{@code role} is exactly one of {@code "system"}, {@code "user"}, {@code "assistant"}
 *       (lower case, no surrounding spaces): a misspelt role would otherwise silently change what
 *       is trained on.</li>
 *   <li>{@code content} is not null and not empty: an empty assistant turn would teach the model
 *       to stop at once, an empty user turn is a broken example. Content is kept exactly as given
 *       (not trimmed). Whitespace-only content is allowed here (a chat front end may have to keep a
 *       model's blank reply in the history); {@link SftDataset} rejects it in training data.</li>
 * </ul>
 *
 * Content is ordinary text: a literal {@code "<|user|>"} in it is encoded as plain characters by the
 * base tokenizer, never as a special token, so data cannot forge turn boundaries.
 *
 * <p>Errors are {@link IllegalArgumentException}s naming the field ({@code role} or
 * {@code content}); {@link SftDataset} adds the file and line.
 */
public record Message(String role, String content) {
  /** The system role: instructions that frame the whole conversation; only as the first message. */
  public static final String SYSTEM = "system";
  /** The user role: what the model answers. */
  public static final String USER = "user";
  /** The assistant role: the model's own words, the only text trained on. */
  public static final String ASSISTANT = "assistant";
  /** The roles, in the order error messages list them. */
  public static final List<String> ROLES = List.of(SYSTEM, USER, ASSISTANT);

  /**
   * @throws IllegalArgumentException naming {@code role} (null or unknown) or {@code content}
   *     (null or empty)
   */
  public Message {
    if (role == null) {
      throw new IllegalArgumentException("role is missing (null); expected one of " + String.join(", ", ROLES));
    }
    if (!ROLES.contains(role)) {
      throw new IllegalArgumentException(
          "role \"" + role + "\" is unknown; expected one of " + String.join(", ", ROLES));
    }
    if (content == null) {
      throw new IllegalArgumentException("content of the " + role + " message is missing (null)");
    }
    if (content.isEmpty()) {
      throw new IllegalArgumentException("content of the " + role + " message is empty; every turn must say something");
    }
  }

  /** A system message. */
  public static Message system(String content) {
    return new Message(SYSTEM, content);
  }

  /** A user message. */
  public static Message user(String content) {
    return new Message(USER, content);
  }

  /** An assistant message. */
  public static Message assistant(String content) {
    return new Message(ASSISTANT, content);
  }

  /** Whether this is an assistant turn (trained on). */
  public boolean isAssistant() {
    return ASSISTANT.equals(role);
  }
}
