package dev.triad.data;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Whole words of the embedded corpus as single tokens, every other byte as itself: ids 0..255 are
 * UTF-8 bytes, 256 is end-of-text (as in {@link ByteTokenizer}), and 257.. are the words of a fixed
 * vocabulary file ({@code words-vocab.txt} beside this class). For the small models of the demo: a
 * sentence of the corpus is ~3.5 times fewer tokens than in bytes, so a step sees ~3.5 times more
 * text, and copying a word ("Which town is the bulletin for?" &rarr; "Bayport") is one token to find,
 * not seven to copy in order. Any text still round-trips exactly: a word outside the vocabulary, a
 * digit, punctuation and non-ASCII text are bytes.
 *
 * <p>Encoding splits text into pieces: a maximal run of ASCII letters, with the one space before it
 * when there is one (" capital", as GPT-2's BPE treats a leading space), and single characters
 * otherwise. A letter piece in the vocabulary is one token; anything else is its UTF-8 bytes. So a
 * vocabulary word never matches inside a longer word ("red" in "reddish" stays bytes), and digits
 * are always one token each, which suits arithmetic.
 *
 * <p>The vocabulary is data, not derived at run time: the file lists one piece per line, {@code _}
 * standing for the leading space (pieces are letters only, so it is unambiguous). It was built by
 * {@link #vocabularyOf} from the default corpus and the embedded instruction and preference data
 * (pieces seen at least twice); changing the corpus does not change it, so checkpoints keep their
 * meaning. Immutable and thread-safe.
 */
public final class WordTokenizer implements Tokenizer {
  /** The name {@link Tokenizer#byName} knows it by. */
  public static final String NAME = "words";
  /** The end-of-text id, one past the bytes (as {@link ByteTokenizer#EOT}). */
  public static final int EOT = 256;
  /** The id of the vocabulary's first word. */
  public static final int FIRST_WORD = 257;
  /** The resource listing the vocabulary, one piece per line. */
  static final String VOCABULARY_FILE = "words-vocab.txt";

  private static volatile WordTokenizer instance;

  private final List<String> words;                  // id FIRST_WORD + i -> piece text (leading space included)
  private final Map<String, Integer> ids;
  private final byte[][] wordBytes;

  private WordTokenizer(List<String> words) {
    this.words = List.copyOf(words);
    this.ids = new HashMap<>(words.size() * 2);
    this.wordBytes = new byte[words.size()][];
    for (int i = 0; i < words.size(); i++) {
      String w = words.get(i);
      if (!isPiece(w) || ids.putIfAbsent(w, FIRST_WORD + i) != null) {
        throw new IllegalStateException("word vocabulary: entry " + (i + 1) + " '" + w + "' is "
            + (isPiece(w) ? "repeated" : "not letters with an optional leading space"));
      }
      wordBytes[i] = w.getBytes(StandardCharsets.US_ASCII);
    }
  }

  /** The tokenizer with the embedded vocabulary (read once). */
  public static WordTokenizer get() {
    WordTokenizer t = instance;
    if (t == null) {
      synchronized (WordTokenizer.class) {
        if (instance == null) {
          instance = new WordTokenizer(readVocabulary());
        }
        t = instance;
      }
    }
    return t;
  }

  /** The vocabulary's pieces in id order (id = {@link #FIRST_WORD} + index), leading spaces as spaces. */
  public List<String> words() {
    return words;
  }

  @Override
  public int[] encode(String text) {
    int[] out = new int[Math.max(16, text.length())];
    int n = 0;
    int i = 0;
    int len = text.length();
    while (i < len) {
      int start = i;
      int end = letterPieceEnd(text, i);
      byte[] bytes;
      if (end > start) {                                // a letter piece, maybe with its space
        Integer id = ids.get(text.substring(start, end));
        if (id != null) {
          if (n == out.length) {
            out = java.util.Arrays.copyOf(out, 2 * n);
          }
          out[n++] = id;
          i = end;
          continue;
        }
        bytes = text.substring(start, end).getBytes(StandardCharsets.US_ASCII);
        i = end;
      } else {                                           // one character (a surrogate pair whole)
        int cp = text.codePointAt(i);
        i += Character.charCount(cp);
        bytes = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8);
      }
      if (n + bytes.length > out.length) {
        out = java.util.Arrays.copyOf(out, Math.max(2 * out.length, n + bytes.length));
      }
      for (byte b : bytes) {
        out[n++] = b & 0xFF;
      }
    }
    return java.util.Arrays.copyOf(out, n);
  }

  /**
   * Lenient as {@link ByteTokenizer#decode}: bytes that are not valid UTF-8 become U+FFFD.
   *
   * @throws IllegalArgumentException naming the first id outside the vocabulary and its index
   */
  @Override
  public String decode(int[] tokens) {
    StringBuilder text = new StringBuilder(tokens.length * 4);
    ByteArrayOutputStream run = new ByteArrayOutputStream(tokens.length * 4);
    for (int i = 0; i < tokens.length; i++) {
      int t = tokens[i];
      if (t < 0 || t >= vocabSize()) {
        throw new IllegalArgumentException("words decode: token id " + t + " at index " + i
            + " is outside the vocabulary [0, " + vocabSize() + ")");
      }
      if (t == EOT) {
        text.append(run.toString(StandardCharsets.UTF_8)).append(EOT_TEXT);
        run.reset();
      } else if (t < EOT) {
        run.write(t);
      } else {
        run.writeBytes(wordBytes[t - FIRST_WORD]);
      }
    }
    return text.append(run.toString(StandardCharsets.UTF_8)).toString();
  }

  @Override
  public int vocabSize() {
    return FIRST_WORD + words.size();
  }

  @Override
  public int eotToken() {
    return EOT;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String toString() {
    return NAME + " (" + words.size() + " corpus words + UTF-8 bytes + end-of-text, " + vocabSize() + " ids)";
  }

  // ---------------------------------------------------------------- the vocabulary

  private static boolean isLetter(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  }

  private static boolean isPiece(String w) {
    int from = w.startsWith(" ") ? 1 : 0;
    if (w.length() <= from) {
      return false;
    }
    for (int i = from; i < w.length(); i++) {
      if (!isLetter(w.charAt(i))) {
        return false;
      }
    }
    return true;
  }

  private static List<String> readVocabulary() {
    try (InputStream in = WordTokenizer.class.getResourceAsStream(VOCABULARY_FILE)) {
      if (in == null) {
        throw new IllegalStateException("word vocabulary " + VOCABULARY_FILE + " is missing from the classpath"
            + " (dev/triad/data/" + VOCABULARY_FILE + " in the jar)");
      }
      List<String> out = new ArrayList<>();
      BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII));
      for (String line = r.readLine(); line != null; line = r.readLine()) {
        if (!line.isEmpty()) {
          out.add(line.startsWith("_") ? " " + line.substring(1) : line);
        }
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the word vocabulary " + VOCABULARY_FILE + ": " + e.getMessage(), e);
    }
  }

  /**
   * The end of the letter piece (letters, with at most one leading space) that starts at {@code i}, or
   * {@code i} when none does (a space not followed by a letter, a digit, punctuation).
   */
  private static int letterPieceEnd(String text, int i) {
    int len = text.length();
    int letters = text.charAt(i) == ' ' && i + 1 < len && isLetter(text.charAt(i + 1)) ? i + 1 : i;
    int end = letters;
    while (end < len && isLetter(text.charAt(end))) {
      end++;
    }
    return end > letters ? end : i;
  }

  /**
   * The letter pieces of {@code texts} seen at least {@code minCount} times, most frequent first
   * (ties in string order): how {@code words-vocab.txt} was built. Lines in the file spell a
   * leading space as {@code _}.
   */
  static List<String> vocabularyOf(Iterable<String> texts, int minCount) {
    Map<String, Integer> counts = new TreeMap<>();
    for (String text : texts) {
      int len = text.length();
      int i = 0;
      while (i < len) {
        int end = letterPieceEnd(text, i);
        if (end > i) {
          counts.merge(text.substring(i, end), 1, Integer::sum);
          i = end;
        } else {
          i++;
        }
      }
    }
    List<Map.Entry<String, Integer>> entries = new ArrayList<>(counts.entrySet());
    entries.removeIf(e -> e.getValue() < minCount);
    entries.sort(Map.Entry.<String, Integer>comparingByValue(Collections.reverseOrder())
        .thenComparing(Map.Entry.comparingByKey()));
    List<String> out = new ArrayList<>(entries.size());
    entries.forEach(e -> out.add(e.getKey()));
    return out;
  }
}
