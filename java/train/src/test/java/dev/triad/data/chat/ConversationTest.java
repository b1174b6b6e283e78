package dev.triad.data.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Messages and conversations reject what would render into a broken training example. */
class ConversationTest {
  private static void assertFails(Executable call, String... fragments) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
    for (String f : fragments) {
      assertTrue(e.getMessage().contains(f), "expected '" + f + "' in: " + e.getMessage());
    }
  }

  @Test
  void messageRejectsUnknownRolesAndBlankContent() {
    assertFails(() -> new Message("bot", "hi"), "role", "\"bot\"", "system, user, assistant");
    assertFails(() -> new Message("User", "hi"), "role", "\"User\"");
    assertFails(() -> new Message(null, "hi"), "role");
    assertFails(() -> new Message("user", null), "content", "null");
    assertFails(() -> new Message("assistant", ""), "content", "empty");
    assertEquals(" ", Message.assistant(" ").content()); // a live chat may keep a blank reply
    assertEquals("  keep spaces \n", Message.user("  keep spaces \n").content());
  }

  @Test
  void validConversationsAreAccepted() {
    Conversation c = Conversation.of(Message.system("Be brief."), Message.user("a"), Message.assistant("b"),
        Message.user("c"), Message.assistant("d"));
    assertEquals(5, c.messages().size());
    assertEquals(2, c.assistantTurns());
    assertEquals(List.of(Message.user("p"), Message.assistant("q")),
        Conversation.promptCompletion(null, "p", "q").messages());
    assertEquals(Message.system("s"), Conversation.promptCompletion("s", "p", "q").messages().get(0));
  }

  @Test
  void conversationOrderRulesNameTheMessage() {
    assertFails(() -> Conversation.of(Message.user("a")), "messages[0]", "no assistant message");
    assertFails(() -> Conversation.of(Message.system("s"), Message.user("a")), "messages[1]", "no assistant");
    assertFails(() -> Conversation.of(Message.user("a"), Message.system("s"), Message.assistant("b")),
        "messages[1]", "system message may only come first");
    assertFails(() -> Conversation.of(Message.assistant("b")), "messages[0]", "user message is expected");
    assertFails(() -> Conversation.of(Message.user("a"), Message.user("a2"), Message.assistant("b")),
        "messages[1]", "assistant message is expected");
    assertFails(() -> Conversation.of(Message.user("a"), Message.assistant("b"), Message.user("c")),
        "messages[2]", "must end with an assistant");
    assertFails(() -> new Conversation(List.of()), "empty");
    assertFails(() -> new Conversation(null), "null");
    assertFails(() -> new Conversation(Arrays.asList(Message.user("a"), null)), "messages[1] is null");
  }

  @Test
  void conversationIsImmutable() {
    List<Message> m = new ArrayList<>(List.of(Message.user("a"), Message.assistant("b")));
    Conversation c = new Conversation(m);
    m.add(Message.user("c"));
    assertEquals(2, c.messages().size());
    assertThrows(UnsupportedOperationException.class, () -> c.messages().add(Message.user("x")));
  }

  @Test
  void historyMustEndWithAUserMessage() {
    Conversation.checkHistory(List.of(Message.system("s"), Message.user("a")));
    Conversation.checkHistory(List.of(Message.user("a"), Message.assistant("b"), Message.user("c")));
    assertFails(() -> Conversation.checkHistory(List.of(Message.user("a"), Message.assistant("b"))),
        "messages[1]", "end with a user message");
    assertFails(() -> Conversation.checkHistory(List.of()), "empty");
    assertFails(() -> Conversation.checkHistory(List.of(Message.system("s"))), "messages[0]", "user");
    // a chat cut to fit the context may start with the assistant, but must still alternate
    Conversation.checkHistory(List.of(Message.system("s"), Message.assistant("b"), Message.user("c")));
    assertFails(() -> Conversation.checkHistory(List.of(Message.assistant("b"), Message.assistant("b2"),
        Message.user("c"))), "messages[1]", "user message is expected");
    // training conversations may not
    assertFails(() -> Conversation.of(Message.assistant("b"), Message.user("c"), Message.assistant("d")),
        "messages[0]", "starting with user");
  }
}
