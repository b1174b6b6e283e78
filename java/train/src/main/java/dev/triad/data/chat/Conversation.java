package dev.triad.data.chat;

import java.util.ArrayList;
import java.util.List;

/**
 * One supervised fine-tuning example: a chat whose assistant turns are what the model learns to
 * write. The turn order is fixed so that every example renders to the one shape the model will
 * see at generation time ({@link ChatTemplate#renderPrompt}):
 *
 * <ol>
 *   <li>an optional {@code system} message, only as the first message (at most one);</li>
 *   <li>then turns that alternate {@code user}, {@code assistant}, {@code user}, ..., starting
 *       with {@code user};</li>
 *   <li>ending with an {@code assistant} message, so there is at least one assistant turn (the
 *       loss is never empty) and no trailing user turn that nothing answers (it would cost
 *       context and teach nothing).</li>
 * </ol>
 *
 * Each message is itself valid ({@link Message}: known role, non-blank content). Errors are
 * {@link IllegalArgumentException}s naming the offending {@code messages[i]} (0-based) and why;
 * {@link SftDataset} adds the file and line.
 */
public record Conversation(List<Message> messages) {
  /**
   * @throws IllegalArgumentException when {@code messages} is null, empty, holds a null, or breaks
   *     the order rules above
   */
  public Conversation {
    if (messages == null) {
      throw new IllegalArgumentException("messages is missing (null)");
    }
    messages = copy(messages);
    if (messages.isEmpty()) {
      throw new IllegalArgumentException("messages is empty; a conversation needs a user message and an assistant reply");
    }
    checkOrder(messages, true);
    if (!messages.get(messages.size() - 1).isAssistant()) {
      throw new IllegalArgumentException("messages[" + (messages.size() - 1) + "] is a "
          + messages.get(messages.size() - 1).role() + " message, but a conversation must end with an assistant"
          + " reply (trailing turns with no reply teach nothing)"
          + (messages.stream().anyMatch(Message::isAssistant) ? "" : "; it has no assistant message at all"));
    }
  }

  /** A conversation of the given messages, in order. */
  public static Conversation of(Message... messages) {
    return new Conversation(List.of(messages));
  }

  /**
   * The single-turn example {@code [system?, user: prompt, assistant: completion]}.
   *
   * @param system the system message's content, or null for none
   */
  public static Conversation promptCompletion(String system, String prompt, String completion) {
    List<Message> m = new ArrayList<>(3);
    if (system != null) {
      m.add(Message.system(system));
    }
    m.add(Message.user(prompt));
    m.add(Message.assistant(completion));
    return new Conversation(m);
  }

  /** The number of assistant turns (each one trained on). */
  public int assistantTurns() {
    int n = 0;
    for (Message m : messages) {
      n += m.isAssistant() ? 1 : 0;
    }
    return n;
  }

  /**
   * Checks a chat history that a reply is to be generated for: the same order rules as a
   * conversation, except that it must end with a user message (the assistant answers next) and may
   * start, after the optional system message, with an assistant message (a long chat whose oldest
   * turns were cut to fit the context).
   *
   * @throws IllegalArgumentException naming the offending {@code messages[i]}
   */
  public static void checkHistory(List<Message> history) {
    if (history == null) {
      throw new IllegalArgumentException("history is missing (null)");
    }
    List<Message> h = copy(history);
    if (h.isEmpty()) {
      throw new IllegalArgumentException("history is empty; a prompt needs at least one user message");
    }
    checkOrder(h, false);
    Message last = h.get(h.size() - 1);
    if (!Message.USER.equals(last.role())) {
      throw new IllegalArgumentException("messages[" + (h.size() - 1) + "] is a " + last.role()
          + " message, but a prompt history must end with a user message (the assistant replies next)");
    }
  }

  private static List<Message> copy(List<Message> messages) {
    for (int i = 0; i < messages.size(); i++) {
      if (messages.get(i) == null) {
        throw new IllegalArgumentException("messages[" + i + "] is null");
      }
    }
    return List.copyOf(messages);
  }

  /**
   * System only first; then user and assistant alternating, the first of them a user message when
   * {@code userFirst}.
   */
  private static void checkOrder(List<Message> messages, boolean userFirst) {
    int start = Message.SYSTEM.equals(messages.get(0).role()) ? 1 : 0;
    String first = userFirst || start >= messages.size() ? Message.USER : messages.get(start).role();
    for (int i = start; i < messages.size(); i++) {
      String role = messages.get(i).role();
      if (Message.SYSTEM.equals(role)) {
        throw new IllegalArgumentException("messages[" + i + "] is a system message; a system message may only"
            + " come first (at most one)");
      }
      String expected = (i - start) % 2 == 0 ? first : other(first);
      if (!expected.equals(role)) {
        throw new IllegalArgumentException("messages[" + i + "] is a " + role + " message where a " + expected
            + " message is expected; after the optional system message, turns alternate user, assistant, ..."
            + (userFirst ? " starting with user" : ""));
      }
    }
  }

  private static String other(String role) {
    return Message.USER.equals(role) ? Message.ASSISTANT : Message.USER;
  }
}
