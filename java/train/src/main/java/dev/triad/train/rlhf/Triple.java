package dev.triad.train.rlhf;

import dev.triad.data.chat.ChatTemplate;
import dev.triad.data.chat.Message;
import java.util.Arrays;
import java.util.List;

/**
 * One preference pair, already tokenized: the prompt as {@link ChatTemplate#renderPrompt} renders
 * it (ending with {@code <|assistant|>}), and two replies, each its tokens followed by
 * {@code <|end|>}. The chosen reply is preferred to the rejected one. DPO scores a reply by the
 * summed log-probability of its tokens (the {@code <|end|>} included) after the prompt, exactly the
 * tokens SFT trains on ({@code ChatTemplate.Rendered.loss()}).
 *
 * <p>This is the seam to the preference-data layer: anything that yields prompt and reply tokens
 * in this layout can feed {@link Dpo}.
 */
public record Triple(int[] prompt, int[] chosen, int[] rejected) {
  public Triple {
    if (prompt == null || chosen == null || rejected == null) {
      throw new IllegalArgumentException("preference triple: prompt, chosen and rejected must all be given");
    }
    if (prompt.length == 0) {
      throw new IllegalArgumentException("preference triple: the prompt has no tokens");
    }
    if (chosen.length == 0 || rejected.length == 0) {
      throw new IllegalArgumentException("preference triple: the " + (chosen.length == 0 ? "chosen" : "rejected")
          + " reply has no tokens");
    }
    prompt = prompt.clone();
    chosen = chosen.clone();
    rejected = rejected.clone();
  }

  /**
   * The triple of a prompt history (ending with a user message) and two reply texts, in the chat
   * template's layout: {@code renderPrompt(prompt)}, and each reply's tokens plus {@code <|end|>}.
   */
  public static Triple of(ChatTemplate template, List<Message> prompt, String chosen, String rejected) {
    if (chosen == null || chosen.isBlank() || rejected == null || rejected.isBlank()) {
      throw new IllegalArgumentException("preference triple: the " + (chosen == null || chosen.isBlank() ? "chosen"
          : "rejected") + " reply is empty");
    }
    return new Triple(template.renderPrompt(prompt), reply(template, chosen), reply(template, rejected));
  }

  private static int[] reply(ChatTemplate template, String text) {
    int[] t = template.encodeReply(text);
    int[] out = Arrays.copyOf(t, t.length + 1);
    out[t.length] = template.endToken();
    return out;
  }

  /** The chosen sequence: prompt then chosen reply. */
  public int[] chosenSequence() {
    return concat(prompt, chosen);
  }

  /** The rejected sequence: prompt then rejected reply. */
  public int[] rejectedSequence() {
    return concat(prompt, rejected);
  }

  /** The response mask of {@link #chosenSequence()}: false on the prompt, true on the reply. */
  public boolean[] chosenMask() {
    return mask(prompt.length, chosen.length);
  }

  /** The response mask of {@link #rejectedSequence()}. */
  public boolean[] rejectedMask() {
    return mask(prompt.length, rejected.length);
  }

  /** The longer of the two sequences, in tokens. */
  public int maxLength() {
    return prompt.length + Math.max(chosen.length, rejected.length);
  }

  private static int[] concat(int[] a, int[] b) {
    int[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  private static boolean[] mask(int prompt, int reply) {
    boolean[] m = new boolean[prompt + reply];
    Arrays.fill(m, prompt, prompt + reply, true);
    return m;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Triple t && Arrays.equals(prompt, t.prompt) && Arrays.equals(chosen, t.chosen)
        && Arrays.equals(rejected, t.rejected);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * Arrays.hashCode(prompt) + Arrays.hashCode(chosen)) + Arrays.hashCode(rejected);
  }

  @Override
  public String toString() {
    return "Triple[prompt " + prompt.length + " tokens, chosen " + chosen.length + ", rejected " + rejected.length + "]";
  }
}
