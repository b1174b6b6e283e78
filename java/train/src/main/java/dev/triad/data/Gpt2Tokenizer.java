package dev.triad.data;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import com.knuddels.jtokkit.api.IntArrayList;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * GPT-2's byte-pair encoding (tiktoken's {@code r50k_base}), through jtokkit, whose jar carries
 * the vocabulary: no download at run time. 50257 ids; 50256 is {@code <|endoftext|>}. The same
 * ids as llm.c's and nanoGPT's GPT-2 data, so their shards and ours are interchangeable.
 *
 * <p>Loading the merge table takes a moment, so there is one shared instance ({@link #get()});
 * jtokkit encodings are immutable and thread-safe, and so is this class.
 */
public final class Gpt2Tokenizer implements Tokenizer {
  /** GPT-2's vocabulary size. */
  public static final int VOCAB_SIZE = 50257;
  /** GPT-2's {@code <|endoftext|>} id. */
  public static final int EOT = 50256;

  private final Encoding encoding;

  private Gpt2Tokenizer() {
    this.encoding = Encodings.newDefaultEncodingRegistry().getEncoding(EncodingType.R50K_BASE);
  }

  private static final class Holder {
    static final Gpt2Tokenizer INSTANCE = new Gpt2Tokenizer();
  }

  /** The shared instance (created, thread-safely, on first use). */
  public static Gpt2Tokenizer get() {
    return Holder.INSTANCE;
  }

  @Override
  public int[] encode(String text) {
    return encoding.encodeOrdinary(text).toArray();
  }

  /**
   * Decodes runs of ordinary tokens as bytes (so a character split across tokens is rejoined) and
   * the end-of-text token as {@link #EOT_TEXT}; malformed UTF-8 (a sequence cut mid-character)
   * becomes replacement characters.
   *
   * @throws IllegalArgumentException naming the first id outside {@code [0, 50257)} and its index
   */
  @Override
  public String decode(int[] tokens) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(tokens.length * 4);
    IntArrayList run = new IntArrayList(tokens.length);
    for (int i = 0; i < tokens.length; i++) {
      int t = tokens[i];
      if (t < 0 || t >= VOCAB_SIZE) {
        throw new IllegalArgumentException("gpt2 decode: token id " + t + " at index " + i
            + " is outside the vocabulary [0, " + VOCAB_SIZE + ")");
      }
      if (t == EOT) {
        flush(run, out);
        out.writeBytes(EOT_TEXT.getBytes(StandardCharsets.UTF_8));
      } else {
        run.add(t);
      }
    }
    flush(run, out);
    return out.toString(StandardCharsets.UTF_8);
  }

  private void flush(IntArrayList run, ByteArrayOutputStream out) {
    if (!run.isEmpty()) {
      out.writeBytes(encoding.decodeBytes(run));
      run.clear();
    }
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
    return "gpt2";
  }

  @Override
  public String toString() {
    return "gpt2 (r50k_base, " + VOCAB_SIZE + " ids)";
  }
}
