package dev.triad.data;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * One token per UTF-8 byte (ids 0..255) plus end-of-text (256): 257 ids. For tiny models and
 * tests, where a 50257-wide embedding would dwarf the rest of the model; any text round-trips
 * exactly, with no vocabulary file.
 *
 * <p>Decoding is lenient: bytes that are not valid UTF-8 (a sequence cut mid-character, as a
 * sampled model may produce) become U+FFFD replacement characters instead of an error.
 */
public final class ByteTokenizer implements Tokenizer {
  /** The end-of-text id, one past the bytes. */
  public static final int EOT = 256;
  /** 256 bytes plus end-of-text. */
  public static final int VOCAB_SIZE = 257;

  /** The instance; the class has no state. */
  public static final ByteTokenizer INSTANCE = new ByteTokenizer();

  private ByteTokenizer() {}

  @Override
  public int[] encode(String text) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    int[] tokens = new int[bytes.length];
    for (int i = 0; i < bytes.length; i++) {
      tokens[i] = bytes[i] & 0xFF;
    }
    return tokens;
  }

  /**
   * @throws IllegalArgumentException naming the first id outside {@code [0, 257)} and its index
   */
  @Override
  public String decode(int[] tokens) {
    StringBuilder text = new StringBuilder(tokens.length);
    ByteArrayOutputStream run = new ByteArrayOutputStream(tokens.length);
    for (int i = 0; i < tokens.length; i++) {
      int t = tokens[i];
      if (t < 0 || t >= VOCAB_SIZE) {
        throw new IllegalArgumentException("byte decode: token id " + t + " at index " + i
            + " is outside the vocabulary [0, " + VOCAB_SIZE + ")");
      }
      if (t == EOT) {
        // String(byte[], UTF_8) replaces malformed input with U+FFFD rather than throwing
        text.append(run.toString(StandardCharsets.UTF_8)).append(EOT_TEXT);
        run.reset();
      } else {
        run.write(t);
      }
    }
    return text.append(run.toString(StandardCharsets.UTF_8)).toString();
  }

  @Override
  public int vocabSize() {
    return VOCAB_SIZE;
  }

  @Override
  public int eotToken() {
    return EOT;
  }

  @Override
  public String name() {
    return "byte";
  }

  @Override
  public String toString() {
    return "byte (UTF-8 bytes + end-of-text, " + VOCAB_SIZE + " ids)";
  }
}
