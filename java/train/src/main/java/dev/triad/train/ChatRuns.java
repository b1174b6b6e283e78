package dev.triad.train;

import dev.triad.data.Tokenizer;
import dev.triad.data.chat.ChatTemplate;
import java.nio.file.Path;

/**
 * The checks a command makes before it builds on a run in the chat template (reward, dpo, grpo, ppo,
 * chat): that the run speaks {@link ChatTemplate#VERSION}, so its prompts render as it was tuned.
 */
public final class ChatRuns {
  private ChatRuns() {}

  /**
   * Checks that {@code run} (read from {@code dir}) is instruction-tuned in this Triad's chat template,
   * before {@code command} builds on it: its vocabulary holds the template's special tokens, and
   * {@link #requireCurrentTemplate its template version} is this one.
   *
   * @throws IllegalArgumentException naming the run, what differs and the command (the CLI prefixes
   *     "triad COMMAND:" itself)
   */
  public static void requireChatRun(String command, Path dir, RunInfo run) {
    int vocab = new ChatTemplate(Tokenizer.byName(run.tokenizer())).vocabSize();
    if (run.vocabSize() != vocab) {
      throw new IllegalArgumentException(dir + " is not an instruction-tuned run: a " + run.phase()
          + " run" + (templateOf(run) == null ? " without a chat template" : "") + " (vocabulary " + run.vocabSize()
          + "); " + command + " needs a `triad sft` run, whose vocabulary is " + vocab + " with template "
          + ChatTemplate.VERSION);
    }
    requireCurrentTemplate(command, dir, run);
  }

  /**
   * Checks that the chat template version {@code run} records, if it records one, is
   * {@link ChatTemplate#VERSION}, so prompts render as it was tuned; a run without one (a pretrained
   * base) passes.
   *
   * @throws IllegalArgumentException naming the run, both versions and the command
   */
  public static void requireCurrentTemplate(String command, Path dir, RunInfo run) {
    Object used = templateOf(run);
    if (used != null && !ChatTemplate.VERSION.equals(used)) {
      throw new IllegalArgumentException(dir + " was tuned with chat template " + used + ", and this Triad renders "
          + ChatTemplate.VERSION + " (docs/CHAT_TEMPLATE.md); tune it again with `triad sft` before " + command);
    }
  }

  private static Object templateOf(RunInfo run) {
    return run.settings() == null ? null : run.settings().get(RunDirectory.CHAT_TEMPLATE);
  }
}
