package dev.triad.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Both tokenizers round-trip text and treat end-of-text as the one special token. */
class TokenizerTest {
  private static final String UNICODE = "naïve café — 東京 🚀 Ωμέγα\n\ttabs";

  @Test
  void gpt2EncodesLikeGpt2() {
    Tokenizer t = Tokenizer.byName("gpt2");
    assertArrayEquals(new int[] {15496, 995}, t.encode("Hello world"));
    assertEquals(50257, t.vocabSize());
    assertEquals(50256, t.eotToken());
    assertEquals("gpt2", t.name());
    assertSame(t, Tokenizer.byName("gpt2"));
  }

  @Test
  void gpt2RoundTripsUnicode() {
    Tokenizer t = Gpt2Tokenizer.get();
    for (String s : new String[] {"Hello world", UNICODE, "", "  leading spaces and 123 numbers."}) {
      int[] ids = t.encode(s);
      assertEquals(s, t.decode(ids), Arrays.toString(ids));
      for (int id : ids) {
        assertTrue(id >= 0 && id < 50256, "ordinary text must not produce eot or out-of-range ids: " + id);
      }
    }
  }

  @Test
  void gpt2EotDecodesAndIsNotForgedByText() {
    Tokenizer t = Gpt2Tokenizer.get();
    int[] hello = t.encode("Hello");
    int[] withEot = {t.eotToken(), hello[0], t.eotToken()};
    assertEquals("<|endoftext|>Hello<|endoftext|>", t.decode(withEot));
    int[] literal = t.encode("<|endoftext|>");
    assertTrue(literal.length > 1, "literal special-token text is ordinary text: " + Arrays.toString(literal));
    assertTrue(Arrays.stream(literal).noneMatch(id -> id == 50256));
  }

  @Test
  void byteTokenizerIsExactBytes() {
    Tokenizer t = Tokenizer.byName("byte");
    assertArrayEquals(new int[] {72, 105}, t.encode("Hi"));
    assertArrayEquals(new int[] {0xC3, 0xA9}, t.encode("é"));
    assertEquals(257, t.vocabSize());
    assertEquals(256, t.eotToken());
    assertEquals(UNICODE, t.decode(t.encode(UNICODE)));
    int[] withEot = {256, 72, 105, 256};
    assertEquals("<|endoftext|>Hi<|endoftext|>", t.decode(withEot));
  }

  @Test
  void byteDecodeIsLenientOnMalformedUtf8() {
    Tokenizer t = ByteTokenizer.INSTANCE;
    assertEquals("a\uFFFDb", t.decode(new int[] {'a', 0xC3, 'b'}));   // cut two-byte sequence
    assertEquals("\uFFFD<|endoftext|>x", t.decode(new int[] {0xFF, 256, 'x'}));
  }

  @Test
  void decodeRejectsIdsOutsideTheVocabulary() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ByteTokenizer.INSTANCE.decode(new int[] {1, 257}));
    assertTrue(e.getMessage().contains("257") && e.getMessage().contains("index 1"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> Gpt2Tokenizer.get().decode(new int[] {-1}));
    assertTrue(e.getMessage().contains("-1"), e.getMessage());
  }

  @Test
  void unknownNameListsTheKnownOnes() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Tokenizer.byName("llama"));
    assertTrue(e.getMessage().contains("llama") && e.getMessage().contains("gpt2")
        && e.getMessage().contains("byte"), e.getMessage());
  }
}
