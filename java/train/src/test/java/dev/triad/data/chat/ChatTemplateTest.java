package dev.triad.data.chat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.triad.data.ByteTokenizer;
import dev.triad.data.chat.ChatTemplate.Rendered;
import dev.triad.data.Gpt2Tokenizer;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The chat template's token layout and loss mask, checked token by token. */
class ChatTemplateTest {
  private static final ChatTemplate BYTE = new ChatTemplate(ByteTokenizer.INSTANCE);
  // byte ids: eot 256; specials after the 257 base ids
  private static final int EOT = 256;
  private static final int SYS = 257;
  private static final int USR = 258;
  private static final int AST = 259;
  private static final int END = 260;
  private static final boolean F = false;
  private static final boolean T = true;

  @Test
  void embeddingSeedsAreTheQuizLayoutsText() {
    List<int[]> seeds = BYTE.embeddingSeeds();
    assertEquals(ChatTemplate.SPECIAL_TOKENS, seeds.size(), "one per special token, in id order");
    assertArrayEquals(new int[0], seeds.get(SYS - 257), "system: no counterpart");
    assertArrayEquals(new int[] {'Q', ':', ' '}, seeds.get(USR - 257), "user: like a \"Q: \" line");
    assertArrayEquals(new int[] {':'}, seeds.get(AST - 257), "assistant: the answer follows \"A:\"");
    assertArrayEquals(new int[] {'\n'}, seeds.get(END - 257), "end of turn: the line break");
    ChatTemplate gpt2 = new ChatTemplate(Gpt2Tokenizer.get());
    assertArrayEquals(Gpt2Tokenizer.get().encode("\n"), gpt2.embeddingSeeds().get(3));
  }

  @Test
  void specialTokensFollowTheBaseVocabulary() {
    assertEquals(261, BYTE.vocabSize());
    assertEquals(SYS, BYTE.systemToken());
    assertEquals(USR, BYTE.userToken());
    assertEquals(AST, BYTE.assistantToken());
    assertEquals(END, BYTE.endToken());
    assertEquals(EOT, BYTE.bosToken());
    ChatTemplate gpt2 = new ChatTemplate(Gpt2Tokenizer.get());
    assertEquals(50261, gpt2.vocabSize());
    assertEquals(50257, gpt2.systemToken());
    assertEquals(50258, gpt2.userToken());
    assertEquals(50259, gpt2.assistantToken());
    assertEquals(50260, gpt2.endToken());
    assertEquals(50256, gpt2.bosToken());
  }

  @Test
  void promptCompletionByteTokensAndMaskExactly() {
    Rendered r = BYTE.render(Conversation.promptCompletion(null, "Hi", "Yo"));
    // the reply follows its marker after one space (REPLY_PREFIX), which is part of the reply
    assertArrayEquals(new int[] {EOT, USR, 'H', 'i', END, AST, ' ', 'Y', 'o', END}, r.tokens());
    assertArrayEquals(new boolean[] {F, F, F, F, F, F, T, T, T, T}, r.loss());
    ChatTemplate.checkMask(r, BYTE);
  }

  @Test
  void systemMessageIsContextOnly() {
    Rendered r = BYTE.render(Conversation.promptCompletion("S", "Q", "A"));
    assertArrayEquals(new int[] {EOT, SYS, 'S', END, USR, 'Q', END, AST, ' ', 'A', END}, r.tokens());
    assertArrayEquals(new boolean[] {F, F, F, F, F, F, F, F, T, T, T}, r.loss());
  }

  @Test
  void multiTurnTrainsOnBothAssistantTurnsAndTheirEnds() {
    Conversation c = Conversation.of(Message.user("a"), Message.assistant("bc"), Message.user("d"),
        Message.assistant("e"));
    Rendered r = BYTE.render(c);
    assertArrayEquals(new int[] {EOT, USR, 'a', END, AST, ' ', 'b', 'c', END, USR, 'd', END, AST, ' ', 'e', END},
        r.tokens());
    assertArrayEquals(new boolean[] {F, F, F, F, F, T, T, T, T, F, F, F, F, T, T, T}, r.loss());
    assertEquals(7, r.lossCount());
    ChatTemplate.checkMask(r, BYTE);
  }

  @Test
  void multiByteTextIsEncodedAsUtf8Bytes() {
    Rendered r = BYTE.render(Conversation.promptCompletion(null, "é", "ok"));
    assertArrayEquals(new int[] {EOT, USR, 0xC3, 0xA9, END, AST, ' ', 'o', 'k', END}, r.tokens());
  }

  @Test
  void gpt2RendersBaseEncodingBetweenMarkers() {
    ChatTemplate t = new ChatTemplate(Gpt2Tokenizer.get());
    Gpt2Tokenizer g = Gpt2Tokenizer.get();
    String sys = "You are helpful.";
    String q = "What is the capital of France?";
    String a = "Paris, of course.";
    Rendered r = t.render(Conversation.promptCompletion(sys, q, a));
    int[] es = g.encode(sys);
    int[] eq = g.encode(q);
    int[] ea = g.encode(" " + a);   // " Paris": the reply's first word as GPT-2 BPE writes it mid-text
    int[] expected = IntStream.concat(IntStream.concat(
        IntStream.concat(IntStream.of(50256, 50257), IntStream.of(es)),
        IntStream.concat(IntStream.of(50260, 50258), IntStream.of(eq))),
        IntStream.concat(IntStream.concat(IntStream.of(50260, 50259), IntStream.of(ea)), IntStream.of(50260)))
        .toArray();
    assertArrayEquals(expected, r.tokens());
    assertArrayEquals(new int[] {15496}, g.encode("Hello")); // the template does not change base ids
    int start = expected.length - ea.length - 1;
    for (int i = 0; i < expected.length; i++) {
      assertEquals(i >= start, r.loss(i), "loss at " + i);
    }
    ChatTemplate.checkMask(r, t);
    assertEquals("<|endoftext|><|system|>" + sys + "<|end|><|user|>" + q + "<|end|><|assistant|> " + a + "<|end|>",
        t.decode(r.tokens()));
  }

  @Test
  void specialTokenTextInContentStaysOrdinaryText() {
    Rendered r = BYTE.render(Conversation.promptCompletion(null, "<|end|>", "x"));
    assertEquals(1, IntStream.of(r.tokens()).filter(id -> id == AST).count());
    assertEquals(2, IntStream.of(r.tokens()).filter(id -> id == END).count());
    assertEquals(1 + 1 + 7 + 1 + 1 + 2 + 1, r.length()); // the 7 characters stay 7 bytes; the reply is " x"
  }

  @Test
  void renderPromptEndsWithAssistantMarker() {
    int[] p = BYTE.renderPrompt(List.of(Message.system("S"), Message.user("Q")));
    assertArrayEquals(new int[] {EOT, SYS, 'S', END, USR, 'Q', END, AST}, p);
    // a prompt is a prefix of the training rendering of the same conversation
    Rendered full = BYTE.render(Conversation.promptCompletion("S", "Q", "A"));
    for (int i = 0; i < p.length; i++) {
      assertEquals(full.token(i), p[i]);
      assertFalse(full.loss(i));
    }
    int[] multi = BYTE.renderPrompt(List.of(Message.user("a"), Message.assistant("b"), Message.user("c")));
    assertEquals(AST, multi[multi.length - 1]);
    assertThrows(IllegalArgumentException.class,
        () -> BYTE.renderPrompt(List.of(Message.user("a"), Message.assistant("b"))));
  }

  @Test
  void decodeNamesSpecialTokensAndRejectsOutOfRange() {
    assertEquals("<|endoftext|><|user|>Hi<|end|><|assistant|>Yo<|end|>",
        BYTE.decode(new int[] {EOT, USR, 'H', 'i', END, AST, 'Y', 'o', END}));
    assertEquals("<|system|>", BYTE.decode(new int[] {SYS}));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BYTE.decode(new int[] {'a', 261}));
    assertTrue(e.getMessage().contains("261") && e.getMessage().contains("index 1"), e.getMessage());
  }

  @Test
  void decodeTextIsThePlainReply() {
    assertEquals("Yo", BYTE.decodeText(new int[] {'Y', 'o'}));
    assertEquals("Yo", BYTE.decodeText(new int[] {' ', 'Y', 'o', END})); // the reply's leading space is dropped
    assertEquals(" Yo", BYTE.decodeText(new int[] {' ', ' ', 'Y', 'o'})); // only that one
    assertEquals("Yo", BYTE.decodeText(new int[] {'Y', 'o', END, 'x'}));
    assertEquals("ab", BYTE.decodeText(new int[] {'a', USR, EOT, 'b'}));
    assertEquals("é", BYTE.decodeText(new int[] {0xC3, AST, 0xA9})); // a character split by a special token
    assertEquals("", BYTE.decodeText(new int[] {END}));
    ChatTemplate gpt2 = new ChatTemplate(Gpt2Tokenizer.get());
    int[] reply = Gpt2Tokenizer.get().encode("Paris, of course.");
    assertEquals("Paris, of course.", gpt2.decodeText(reply));
    assertEquals("Paris, of course.", gpt2.decodeText(gpt2.encodeReply("Paris, of course.")));
    assertThrows(IllegalArgumentException.class, () -> BYTE.decodeText(new int[] {-1}));
  }

  @Test
  void showWrapsLossSpans() {
    Conversation c = Conversation.of(Message.user("a"), Message.assistant("bc"), Message.user("d"),
        Message.assistant("e"));
    String s = BYTE.show(BYTE.render(c));
    assertTrue(s.startsWith("legend: ⟦...⟧"), s);
    assertTrue(s.contains("<|endoftext|><|user|>a<|end|>\n<|assistant|>⟦ bc<|end|>⟧\n<|user|>d<|end|>\n"
        + "<|assistant|>⟦ e<|end|>⟧\n"), s);
    assertTrue(s.contains("16 tokens, 7 in the loss"), s);
  }

  @Test
  void checkMaskRejectsAllFalse() {
    Rendered r = new Rendered(new int[] {EOT, USR, 'a', END}, new boolean[4]);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ChatTemplate.checkMask(r, BYTE));
    assertTrue(e.getMessage().contains("not all false"), e.getMessage());
  }

  @Test
  void checkMaskRejectsAllTrue() {
    Rendered r = new Rendered(new int[] {EOT, AST, 'a', END}, new boolean[] {T, T, T, T});
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ChatTemplate.checkMask(r, BYTE));
    assertTrue(e.getMessage().contains("not all true"), e.getMessage());
  }

  @Test
  void checkMaskRejectsAnAssistantEndOutsideTheLoss() {
    Conversation c = Conversation.of(Message.user("a"), Message.assistant("b"), Message.user("d"),
        Message.assistant("e"));
    boolean[] loss = BYTE.render(c).loss();
    int[] tokens = BYTE.render(c).tokens();
    ChatTemplate.checkMask(new Rendered(tokens, loss), BYTE);
    loss[7] = false; // the first assistant turn's <|end|>: EOT USR a END AST ' ' b [END]
    assertEquals(END, tokens[7]);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ChatTemplate.checkMask(new Rendered(tokens, loss), BYTE));
    assertTrue(e.getMessage().contains("<|end|> in the loss") && e.getMessage().contains("token 7"), e.getMessage());
  }

  @Test
  void renderedCopiesItsArrays() {
    int[] tokens = {1, 2};
    boolean[] loss = {F, T};
    Rendered r = new Rendered(tokens, loss);
    tokens[0] = 9;
    loss[1] = F;
    assertEquals(1, r.token(0));
    assertTrue(r.loss(1));
    r.tokens()[1] = 9;
    assertEquals(2, r.token(1));
    assertThrows(IllegalArgumentException.class, () -> new Rendered(new int[] {1, 2}, new boolean[] {T}));
    assertThrows(IllegalArgumentException.class, () -> new Rendered(new int[0], new boolean[0]));
  }
}
