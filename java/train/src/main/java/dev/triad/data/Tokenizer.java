package dev.triad.data;

import java.util.List;

/**
 * Text to token ids and back. Training only ever sees token ids; a tokenizer fixes the vocabulary
 * size (the embedding and classifier width) and the end-of-text token that separates documents in
 * a token stream, so a model and its data must agree on one.
 *
 * <p>{@link #encode} treats its input as ordinary text: a literal {@code "<|endoftext|>"} inside a
 * document is encoded as plain characters, never as {@link #eotToken()}, so user text cannot forge
 * document boundaries. The end-of-text token is inserted only by code that knows where documents
 * end ({@link Tokenize}).
 */
public interface Tokenizer {
  /** The text the end-of-text token decodes to, as in GPT-2. */
  String EOT_TEXT = "<|endoftext|>";

  /** The names {@link #byName} knows, in the order it lists them. */
  List<String> NAMES = List.of("gpt2", "byte", WordTokenizer.NAME);

  /** Token ids of ordinary text (special-token text is not special here). */
  int[] encode(String text);

  /** Text of token ids; the end-of-text token decodes to {@link #EOT_TEXT}. */
  String decode(int[] tokens);

  /** Number of token ids: every id is in {@code [0, vocabSize())}. */
  int vocabSize();

  /** The end-of-text id, which separates (precedes) documents in a token stream. */
  int eotToken();

  /** The name {@link #byName} accepts for this tokenizer. */
  String name();

  /**
   * The tokenizer called {@code name}: {@code "gpt2"} (GPT-2 BPE, 50257 ids), {@code "byte"}
   * (UTF-8 bytes, 257 ids, for tiny models) or {@code "words"} (the embedded corpus's words as
   * single tokens over bytes, {@link WordTokenizer}, for the demo's small models).
   *
   * @throws IllegalArgumentException naming the unknown name and the known ones
   */
  static Tokenizer byName(String name) {
    if (name == null) {
      throw new IllegalArgumentException("tokenizer name is null; known tokenizers: " + String.join(", ", NAMES));
    }
    switch (name.trim().toLowerCase(java.util.Locale.ROOT)) {
      case "gpt2":
        return Gpt2Tokenizer.get();
      case "byte":
        return ByteTokenizer.INSTANCE;
      case WordTokenizer.NAME:
        return WordTokenizer.get();
      default:
        throw new IllegalArgumentException(
            "unknown tokenizer '" + name + "'; known tokenizers: " + String.join(", ", NAMES));
    }
  }
}
