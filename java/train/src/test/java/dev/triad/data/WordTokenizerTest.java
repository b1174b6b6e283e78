package dev.triad.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class WordTokenizerTest {
  private final WordTokenizer tok = WordTokenizer.get();

  @Test
  void byNameKnowsItAndIdsFollowTheBytes() {
    assertSame(tok, Tokenizer.byName("words"));
    assertTrue(Tokenizer.NAMES.contains("words"));
    assertEquals(256, tok.eotToken());
    assertEquals(WordTokenizer.FIRST_WORD + tok.words().size(), tok.vocabSize());
    assertTrue(tok.words().size() > 400, "the corpus's words: " + tok.words().size());
  }

  @Test
  void aVocabularyWordIsOneTokenWithOrWithoutItsSpace() {
    int[] ids = tok.encode("The capital of Kenya is Nairobi.");
    // The, " capital", " of", " Kenya", " is", " Nairobi", "."
    assertEquals(7, ids.length, java.util.Arrays.toString(ids));
    assertEquals(" capital", tok.words().get(ids[1] - WordTokenizer.FIRST_WORD));
    assertEquals(" Nairobi", tok.words().get(ids[5] - WordTokenizer.FIRST_WORD));
    assertEquals('.', ids[6]);
  }

  @Test
  void wordsNeverMatchInsideLongerWordsAndDigitsAreSingleBytes() {
    // "red" is in the vocabulary, "reddish" is not: it stays bytes, and so does every digit
    assertTrue(tok.words().contains(" red"));
    assertArrayEquals(ByteTokenizer.INSTANCE.encode(" reddish"), tok.encode(" reddish"));
    assertArrayEquals(new int[] {'4', '2'}, tok.encode("42"));
    // two spaces: the first is a byte, the second belongs to the word
    int[] ids = tok.encode("  red");
    assertEquals(2, ids.length);
    assertEquals(' ', ids[0]);
    assertEquals(" red", tok.words().get(ids[1] - WordTokenizer.FIRST_WORD));
  }

  @Test
  void anyTextRoundTripsExactly() {
    Random rng = new Random(12345);
    String alphabet = "abcXYZ \n\t.,?!0123456789é漢😀<|>";
    for (int n = 0; n < 300; n++) {
      StringBuilder sb = new StringBuilder();
      int len = rng.nextInt(40);
      for (int i = 0; i < len; i++) {
        if (rng.nextInt(4) == 0) {
          sb.append(tok.words().get(rng.nextInt(tok.words().size())));
        } else {
          int cp = alphabet.codePointAt(alphabet.offsetByCodePoints(0, rng.nextInt(alphabet.codePointCount(0,
              alphabet.length()))));
          sb.appendCodePoint(cp);
        }
      }
      String s = sb.toString();
      assertEquals(s, tok.decode(tok.encode(s)), "round trip of '" + s + "'");
    }
    // the end-of-text text is ordinary text when encoded, the token when decoded
    assertEquals(-1, java.util.Arrays.stream(tok.encode(Tokenizer.EOT_TEXT)).filter(t -> t == 256).findAny().orElse(-1));
    assertEquals("a" + Tokenizer.EOT_TEXT + "b", tok.decode(new int[] {'a', 256, 'b'}));
  }

  @Test
  void theCorpusIsAboutAThirdAsManyTokensAsBytesAndRoundTrips() {
    List<String> docs = SyntheticCorpus.documents(7, 200_000);
    long bytes = 0;
    long tokens = 0;
    for (String d : docs) {
      int[] ids = tok.encode(d);
      assertEquals(d, tok.decode(ids));
      bytes += d.length();
      tokens += ids.length;
    }
    double ratio = (double) bytes / tokens;
    assertTrue(ratio > 3.0 && ratio < 5.0, "bytes per token " + ratio);
  }

  @Test
  void decodeNamesAnIdOutsideTheVocabulary() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> tok.decode(new int[] {'a', tok.vocabSize()}));
    assertTrue(e.getMessage().contains("token id " + tok.vocabSize() + " at index 1"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> tok.decode(new int[] {-1}));
  }

  @Test
  void vocabularyOfCountsPiecesMostFrequentFirst() {
    List<String> v = WordTokenizer.vocabularyOf(List.of("a dog a dog a cat", "dog! cat cat x"), 2);
    // " dog" x2, "a" x1 (first, no space) and " a" x2, " cat" x3, "dog" x1, "x" once
    assertEquals(List.of(" cat", " a", " dog"), v);
  }
}
