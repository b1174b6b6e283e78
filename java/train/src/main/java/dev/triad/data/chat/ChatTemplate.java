package dev.triad.data.chat;

import dev.triad.data.Tokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Triad's chat template (docs/CHAT_TEMPLATE.md): how a conversation becomes tokens, and which of
 * them the model is trained on. Training ({@link #render}) and generation ({@link #renderPrompt})
 * use this one class, so the model is always prompted in exactly the layout it was tuned on.
 *
 * <p>Four special tokens are appended after the base tokenizer's vocabulary, so no existing id
 * changes meaning and a pretrained model only grows its embedding by four rows:
 *
 * <pre>
 *   &lt;|system|&gt;    = base.vocabSize() + 0
 *   &lt;|user|&gt;      = base.vocabSize() + 1
 *   &lt;|assistant|&gt; = base.vocabSize() + 2
 *   &lt;|end|&gt;       = base.vocabSize() + 3   end of a turn; the stop token of generation
 * </pre>
 *
 * A conversation renders as the base end-of-text token (as beginning-of-sequence, as in
 * pretraining, where it precedes every document) and then, per message,
 * {@code <|role|> base.encode(content) <|end|>}, where an assistant's content is preceded by one
 * space ({@link #REPLY_PREFIX}). Special tokens never come out of
 * {@code base.encode}: message text that spells {@code "<|end|>"} stays ordinary text.
 *
 * <p>Loss: exactly the tokens of each assistant message's content (with its leading space) and that turn's {@code <|end|>}
 * are targets (the model learns what to say and when to stop); the beginning-of-sequence token,
 * role markers, and system and user text are context only. The {@code <|assistant|>} marker is
 * context because generation supplies it ({@link #renderPrompt}).
 *
 * <p>Immutable and thread-safe when the base tokenizer is (both of Triad's are).
 */
public final class ChatTemplate {
  /** How many special tokens the template appends to the base vocabulary. */
  public static final int SPECIAL_TOKENS = 4;
  /** The special tokens' names, in id order from {@code base.vocabSize()}. */
  public static final List<String> SPECIAL_NAMES = List.of("<|system|>", "<|user|>", "<|assistant|>", "<|end|>");
  /** Opens a run of tokens in the loss in {@link #show}. */
  public static final String LOSS_OPEN = "⟦";
  /** Closes a run of tokens in the loss in {@link #show}. */
  public static final String LOSS_CLOSE = "⟧";

  private final Tokenizer base;
  private final int system;
  private final int user;
  private final int assistant;
  private final int end;

  /** The template over {@code base}: its ids keep their meaning; four special ids follow them. */
  public ChatTemplate(Tokenizer base) {
    if (base == null) {
      throw new IllegalArgumentException("chat template: base tokenizer is null");
    }
    this.base = base;
    int v = base.vocabSize();
    this.system = v;
    this.user = v + 1;
    this.assistant = v + 2;
    this.end = v + 3;
  }

  /**
   * The text each special token plays the part of in the embedded corpus's quiz layout ("Q: ..."
   * line, answer after "A:", a newline ending each line), in id order; null where there is none
   * (system). A user turn opens like "Q: ", the answer follows the colon of "A:", and end-of-turn
   * is the line break.
   */
  public static final List<String> SEED_TEXTS = Arrays.asList(null, "Q: ", ":", "\n");

  /**
   * What every assistant reply starts with: one space, so {@code <|assistant|>} (seeded at ":")
   * followed by the reply reads like "A: answer" in the corpus, and with GPT-2 BPE the reply's first
   * word is its usual " word" token. The space is part of the reply (in the loss; the model writes
   * it) and {@link #decodeText} drops it. Without it the first tuning steps spend a large loss on
   * unlearning the space the pretrained model puts after a colon.
   */
  public static final String REPLY_PREFIX = " ";

  /**
   * The version of this template, recorded in a tuned run's config.json ({@code chat_template}):
   * raise it whenever the tokens of a conversation change, so a run tuned in another version is refused
   * rather than prompted in tokens it never saw.
   */
  public static final String VERSION = "triad-chat-v2";

  /**
   * For each special token in id order, the base ids of its {@link #SEED_TEXTS} (empty for none):
   * a tuned model's new embeddings start there ({@code Gpt.withVocabulary}), so a pretrained model
   * reads a chat prompt much as it reads a quiz question from its first tuning step.
   */
  public List<int[]> embeddingSeeds() {
    List<int[]> seeds = new ArrayList<>();
    for (String text : SEED_TEXTS) {
      seeds.add(text == null ? new int[0] : base.encode(text));
    }
    return seeds;
  }

  /** The base tokenizer that encodes message text. */
  public Tokenizer base() {
    return base;
  }

  /** The base vocabulary plus the four special tokens: the model's embedding width. */
  public int vocabSize() {
    return base.vocabSize() + SPECIAL_TOKENS;
  }

  /** The beginning-of-sequence id: the base tokenizer's end-of-text. */
  public int bosToken() {
    return base.eotToken();
  }

  /** {@code <|system|>}. */
  public int systemToken() {
    return system;
  }

  /** {@code <|user|>}. */
  public int userToken() {
    return user;
  }

  /** {@code <|assistant|>}. */
  public int assistantToken() {
    return assistant;
  }

  /** {@code <|end|>}: ends every turn; generation stops when the model writes it. */
  public int endToken() {
    return end;
  }

  /** The marker that opens a turn of {@code role}. */
  public int roleToken(String role) {
    switch (role == null ? "" : role) {
      case Message.SYSTEM:
        return system;
      case Message.USER:
        return user;
      case Message.ASSISTANT:
        return assistant;
      default:
        throw new IllegalArgumentException(
            "role \"" + role + "\" is unknown; expected one of " + String.join(", ", Message.ROLES));
    }
  }

  /** Whether {@code id} is one of the template's four special tokens. */
  public boolean isSpecial(int id) {
    return id >= system && id <= end;
  }

  /** The name of special token {@code id}, e.g. {@code "<|end|>"}. */
  public String specialName(int id) {
    if (!isSpecial(id)) {
      throw new IllegalArgumentException("token id " + id + " is not a chat special token (those are "
          + system + ".." + end + ")");
    }
    return SPECIAL_NAMES.get(id - system);
  }

  /**
   * The training example of {@code conversation}: tokens in the template's layout and the loss mask
   * (assistant content and each assistant {@code <|end|>}).
   */
  public Rendered render(Conversation conversation) {
    if (conversation == null) {
      throw new IllegalArgumentException("chat template: conversation is null");
    }
    Builder b = new Builder();
    b.add(bosToken(), false);
    for (Message m : conversation.messages()) {
      appendTurn(b, m);
    }
    return new Rendered(b.tokens(), b.loss());
  }

  /**
   * The prompt that generation continues: {@code history} rendered as in training (a user message
   * last, {@link Conversation#checkHistory}) followed by {@code <|assistant|>}. The model then writes
   * the reply and {@code <|end|>}.
   */
  public int[] renderPrompt(List<Message> history) {
    Conversation.checkHistory(history);
    Builder b = new Builder();
    b.add(bosToken(), false);
    for (Message m : history) {
      appendTurn(b, m);
    }
    b.add(assistant, false);
    return b.tokens();
  }

  /**
   * The tokens of an assistant reply's text as the template lays it out after {@code <|assistant|>}
   * ({@link #REPLY_PREFIX} then the text), without the closing {@code <|end|>}.
   */
  public int[] encodeReply(String text) {
    return base.encode(REPLY_PREFIX + text);
  }

  private void appendTurn(Builder b, Message m) {
    boolean learn = m.isAssistant();
    b.add(roleToken(m.role()), false);
    for (int t : learn ? encodeReply(m.content()) : base.encode(m.content())) {
      b.add(t, learn);
    }
    b.add(end, learn);
  }

  /**
   * Text of template token ids: base tokens through the base tokenizer (end-of-text as
   * {@code <|endoftext|>}), special tokens by their names.
   *
   * @throws IllegalArgumentException naming the first id outside {@code [0, vocabSize())} and its
   *     index
   */
  public String decode(int[] tokens) {
    StringBuilder out = new StringBuilder();
    Run run = new Run(tokens.length);
    for (int i = 0; i < tokens.length; i++) {
      int t = checkId(tokens[i], i);
      if (isSpecial(t)) {
        run.flush(out);
        out.append(specialName(t));
      } else {
        run.add(t);
      }
    }
    run.flush(out);
    return out.toString();
  }

  /**
   * The plain text of a model's reply (the tokens generated after {@link #renderPrompt}): base
   * tokens decoded together, stopping at the first {@code <|end|>} if there is one; other special
   * tokens and the base end-of-text are not text and are left out; the reply's leading
   * {@link #REPLY_PREFIX} is dropped. For showing and scoring replies; {@link #decode} shows every
   * token.
   *
   * @throws IllegalArgumentException naming the first id outside {@code [0, vocabSize())} and its
   *     index
   */
  public String decodeText(int[] tokens) {
    StringBuilder out = new StringBuilder();
    Run run = new Run(tokens.length);
    for (int i = 0; i < tokens.length; i++) {
      int t = checkId(tokens[i], i);
      if (t == end) {
        break;
      }
      if (!isSpecial(t) && t != base.eotToken()) {
        run.add(t);
      }
    }
    run.flush(out);
    String text = out.toString();
    return text.startsWith(REPLY_PREFIX) ? text.substring(REPLY_PREFIX.length()) : text;
  }

  /**
   * A human-readable view of a rendered example for checking a dataset by eye
   * ({@code triad sft --check}): a legend line, the decoded text with every run of loss tokens
   * wrapped in {@value #LOSS_OPEN} {@value #LOSS_CLOSE}, a line break after each {@code <|end|>}
   * (for reading only; it is not a token), and a summary line with the token and loss counts.
   */
  public String show(Rendered r) {
    StringBuilder out = new StringBuilder();
    out.append("legend: ").append(LOSS_OPEN).append("...").append(LOSS_CLOSE)
        .append(" = trained on (loss); everything else is context; a line break follows each <|end|>\n");
    Run run = new Run(r.length());
    boolean open = false;
    int n = r.length();
    for (int i = 0; i < n; i++) {
      int t = checkId(r.token(i), i);
      boolean loss = r.loss(i);
      if (loss != open) {
        run.flush(out);
        out.append(loss ? LOSS_OPEN : LOSS_CLOSE);
        open = loss;
      }
      if (isSpecial(t)) {
        run.flush(out);
        out.append(specialName(t));
        if (t == end) {
          if (open && (i + 1 == n || !r.loss(i + 1))) {
            out.append(LOSS_CLOSE);
            open = false;
          }
          out.append('\n');
        }
      } else {
        run.add(t);
      }
    }
    run.flush(out);
    if (open) {
      out.append(LOSS_CLOSE);
    }
    if (out.charAt(out.length() - 1) != '\n') {
      out.append('\n');
    }
    int lossCount = r.lossCount();
    out.append(String.format(Locale.ROOT, "-- %d tokens, %d in the loss (%.1f%%)%n", n, lossCount,
        100.0 * lossCount / n));
    return out.toString();
  }

  /**
   * Checks that a rendered example trains on something sensible; a broken mask otherwise trains
   * silently on the wrong tokens. The rules, each named in the error:
   *
   * <ol>
   *   <li>the mask is not all false (the example would teach nothing);</li>
   *   <li>the mask is not all true (the prompt would be trained on: this is pretraining, not
   *       instruction tuning);</li>
   *   <li>every assistant turn's {@code <|end|>} is in the loss (else the model never learns to
   *       stop).</li>
   * </ol>
   *
   * @throws IllegalArgumentException naming the broken rule (and, for rule 3, the token index)
   */
  public static void checkMask(Rendered r, ChatTemplate t) {
    if (r == null || t == null) {
      throw new IllegalArgumentException("checkMask: " + (r == null ? "rendered example" : "template") + " is null");
    }
    int n = r.length();
    int lossCount = r.lossCount();
    if (lossCount == 0) {
      throw new IllegalArgumentException("loss mask rule 'not all false' broken: none of the " + n
          + " tokens is in the loss, so the example teaches nothing (does it have an assistant turn?)");
    }
    if (lossCount == n) {
      throw new IllegalArgumentException("loss mask rule 'not all true' broken: all " + n
          + " tokens are in the loss, so the prompt and role markers would be trained on too");
    }
    int role = -1;
    for (int i = 0; i < n; i++) {
      int tok = r.token(i);
      if (tok == t.system || tok == t.user || tok == t.assistant) {
        role = tok;
      } else if (tok == t.end) {
        if (role == t.assistant && !r.loss(i)) {
          throw new IllegalArgumentException("loss mask rule 'assistant <|end|> in the loss' broken: the <|end|> at"
              + " token " + i + " closes an assistant turn but is not in the loss, so the model would not learn"
              + " to stop");
        }
        role = -1;
      }
    }
  }

  private int checkId(int t, int index) {
    if (t < 0 || t >= vocabSize()) {
      throw new IllegalArgumentException("chat decode: token id " + t + " at index " + index
          + " is outside the vocabulary [0, " + vocabSize() + ")");
    }
    return t;
  }

  @Override
  public String toString() {
    return "chat template over " + base.name() + " (" + vocabSize() + " ids; specials from " + system + ")";
  }

  /**
   * One rendered training example: its token ids and, per token, whether that token is a training
   * target ({@code loss[i]}: the model is trained to predict {@code tokens[i]} from
   * {@code tokens[0..i)}). Produced by {@link ChatTemplate#render}, checked by
   * {@link ChatTemplate#checkMask}, turned into training rows by {@link Packing}.
   *
   * <p>The arrays are copied in, and {@link #tokens()} / {@link #loss()} return copies, so an example
   * cannot change after it was checked; hot loops read single entries with {@link #token(int)} and
   * {@link #loss(int)}. {@code loss[0]} can never become a target (nothing precedes it) and is ignored
   * by packing.
   */
  public record Rendered(int[] tokens, boolean[] loss) {
    /**
     * @throws IllegalArgumentException when either array is null or empty, their lengths differ, or a
     *     token id is negative
     */
    public Rendered {
      if (tokens == null || loss == null) {
        throw new IllegalArgumentException("rendered example: " + (tokens == null ? "tokens" : "loss") + " is null");
      }
      if (tokens.length != loss.length) {
        throw new IllegalArgumentException("rendered example: tokens has " + tokens.length + " entries but loss has "
            + loss.length + "; there must be one loss flag per token");
      }
      if (tokens.length == 0) {
        throw new IllegalArgumentException("rendered example: tokens is empty");
      }
      tokens = tokens.clone();
      loss = loss.clone();
      for (int i = 0; i < tokens.length; i++) {
        if (tokens[i] < 0) {
          throw new IllegalArgumentException("rendered example: tokens[" + i + "] = " + tokens[i] + " is negative");
        }
      }
    }

    /** A copy of the token ids. */
    @Override
    public int[] tokens() {
      return tokens.clone();
    }

    /** A copy of the loss flags. */
    @Override
    public boolean[] loss() {
      return loss.clone();
    }

    /** The number of tokens. */
    public int length() {
      return tokens.length;
    }

    /** Token {@code i}. */
    public int token(int i) {
      return tokens[i];
    }

    /** Whether token {@code i} is a training target. */
    public boolean loss(int i) {
      return loss[i];
    }

    /** The number of tokens flagged as targets. */
    public int lossCount() {
      int n = 0;
      for (boolean b : loss) {
        n += b ? 1 : 0;
      }
      return n;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Rendered r && Arrays.equals(tokens, r.tokens) && Arrays.equals(loss, r.loss);
    }

    @Override
    public int hashCode() {
      return 31 * Arrays.hashCode(tokens) + Arrays.hashCode(loss);
    }

    @Override
    public String toString() {
      return "Rendered[" + tokens.length + " tokens, " + lossCount() + " in the loss]";
    }
  }

  /** A run of base tokens decoded together (so a character split across tokens is rejoined). */
  private final class Run {
    private int[] ids;
    private int size;

    Run(int capacity) {
      ids = new int[Math.max(capacity, 1)];
    }

    void add(int t) {
      ids[size++] = t;
    }

    void flush(StringBuilder out) {
      if (size > 0) {
        out.append(base.decode(Arrays.copyOf(ids, size)));
        size = 0;
      }
    }
  }

  /** Growable token and loss arrays. */
  private static final class Builder {
    private int[] tokens = new int[64];
    private boolean[] loss = new boolean[64];
    private int size;

    void add(int t, boolean l) {
      if (size == tokens.length) {
        tokens = Arrays.copyOf(tokens, size * 2);
        loss = Arrays.copyOf(loss, size * 2);
      }
      tokens[size] = t;
      loss[size++] = l;
    }

    int[] tokens() {
      return Arrays.copyOf(tokens, size);
    }

    boolean[] loss() {
      return Arrays.copyOf(loss, size);
    }
  }
}
