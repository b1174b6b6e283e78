package dev.triad.data.pref;

import dev.triad.data.chat.Conversation;
import dev.triad.data.chat.Message;
import java.util.List;

/**
 * One preference judgement: for the chat history {@code prompt} (ending with a user message), the
 * assistant reply {@code chosen} is preferred to {@code rejected}. The reward model learns to score
 * {@code chosen} higher (Bradley–Terry).
 *
 * <p>Rules, checked here: the prompt is a valid generation history
 * ({@link Conversation#checkHistory}: optional system message first, user and assistant turns
 * alternating, a user message last); both replies are non-empty, not whitespace only, and differ
 * (an identical pair teaches nothing). Errors are {@link IllegalArgumentException}s naming the field
 * ({@code prompt}, {@code chosen}, {@code rejected}); {@link PreferenceDataset} adds file and line.
 */
public record PreferencePair(List<Message> prompt, String chosen, String rejected) {
  public PreferencePair {
    if (prompt == null) {
      throw new IllegalArgumentException("field \"prompt\" is missing (null)");
    }
    try {
      Conversation.checkHistory(prompt);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("field \"prompt\": " + e.getMessage(), e);
    }
    prompt = List.copyOf(prompt);
    reply("chosen", chosen);
    reply("rejected", rejected);
    if (chosen.equals(rejected)) {
      throw new IllegalArgumentException("field \"rejected\" is identical to \"chosen\"; a pair must differ");
    }
  }

  /** A single-turn pair: the prompt is one user message. */
  public static PreferencePair of(String userPrompt, String chosen, String rejected) {
    return new PreferencePair(List.of(Message.user(userPrompt)), chosen, rejected);
  }

  private static void reply(String field, String text) {
    if (text == null) {
      throw new IllegalArgumentException("field \"" + field + "\" is missing (null)");
    }
    if (text.isBlank()) {
      throw new IllegalArgumentException("field \"" + field + "\" is " + (text.isEmpty() ? "empty" : "whitespace only")
          + "; a reply must say something");
    }
  }

  /** The content of the last user message: what the replies answer (e.g. for {@link RuleScorer}). */
  public String lastUserMessage() {
    return prompt.get(prompt.size() - 1).content();
  }
}
