package dev.triad.train.sft;

import dev.triad.data.Tokenizer;
import dev.triad.data.chat.ChatTemplate;
import dev.triad.data.chat.Message;
import dev.triad.data.instruct.Example;
import dev.triad.data.instruct.InstructionData;
import dev.triad.generate.Generator;
import dev.triad.generate.SamplingConfig;
import dev.triad.nn.Gpt;
import dev.triad.profile.Progress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Task accuracy by generation: each example's prompt goes through the chat template, the model
 * answers greedily until end-of-turn, and the family's scorer judges the reply. Reported per task
 * family, marking the families never seen in training.
 */
public final class TaskEval {
  private TaskEval() {}

  /** One family's result. */
  public record Score(String family, boolean heldOut, int correct, int total) {
    public double accuracy() {
      return total == 0 ? 0 : (double) correct / total;
    }
  }

  /** The assistant's greedy reply to a single user prompt, decoded (end-of-turn excluded). */
  public static List<String> reply(Gpt model, ChatTemplate template, List<String> prompts, int maxNewTokens) {
    int[][] inputs = new int[prompts.size()][];
    for (int i = 0; i < inputs.length; i++) {
      inputs[i] = template.renderPrompt(List.of(new Message("user", prompts.get(i))));
    }
    int[][] out = greedy(model, inputs, maxNewTokens, new int[] {template.endToken()});
    List<String> replies = new ArrayList<>();
    for (int[] o : out) {
      replies.add(template.decodeText(o));
    }
    return replies;
  }

  /**
   * The pretrained model's greedy answers when asked in the embedded corpus's own quiz form,
   * "Q: prompt" then "A:" on the next line, up to the end of the answer's line (leading and
   * trailing space stripped). A pretrained model has no chat format yet; this shows whether a skill
   * is already in it before tuning makes it reachable through the chat template.
   */
  public static List<String> quizReply(Gpt model, Tokenizer tokenizer, List<String> prompts, int maxNewTokens) {
    int[][] inputs = new int[prompts.size()][];
    for (int i = 0; i < inputs.length; i++) {
      int[] text = tokenizer.encode("Q: " + prompts.get(i) + "\nA:");
      inputs[i] = new int[text.length + 1];
      inputs[i][0] = tokenizer.eotToken();             // as every pretraining document starts
      System.arraycopy(text, 0, inputs[i], 1, text.length);
    }
    int[] newline = tokenizer.encode("\n");
    int[] stop = newline.length == 1 ? newline : new int[] {tokenizer.eotToken()};
    int[][] out = greedy(model, inputs, maxNewTokens, stop);
    List<String> replies = new ArrayList<>();
    for (int[] o : out) {
      String text = tokenizer.decode(o);
      int eol = text.indexOf('\n');
      replies.add((eol < 0 ? text : text.substring(0, eol)).strip());
    }
    return replies;
  }

  /**
   * Greedy continuations of {@code inputs} (stop token excluded), at most {@code maxNewTokens} and
   * no more than the longest prompt leaves of the model's context.
   *
   * @throws IllegalArgumentException when the longest prompt fills the context
   */
  private static int[][] greedy(Gpt model, int[][] inputs, int maxNewTokens, int[] stop) {
    int longest = 0;
    for (int[] in : inputs) {
      longest = Math.max(longest, in.length);
    }
    int budget = Math.min(maxNewTokens, model.config.blockSize() - longest);
    if (budget < 1) {
      throw new IllegalArgumentException("a prompt of " + longest + " tokens fills the model's context of "
          + model.config.blockSize());
    }
    return Generator.generate(model, inputs, new SamplingConfig(budget, 0f, 0, 1f, stop, 0));
  }

  /** Accuracy per family of chat replies, in the order families first appear in {@code examples}. */
  public static Map<String, Score> evaluate(Gpt model, ChatTemplate template, List<Example> examples,
      Set<String> heldOut, int batchSize, int maxNewTokens) {
    return evaluate(examples, heldOut, batchSize, prompts -> reply(model, template, prompts, maxNewTokens));
  }

  /** Accuracy per family of {@link #quizReply quiz-form} answers (for a model without chat tuning). */
  public static Map<String, Score> evaluateQuizForm(Gpt model, Tokenizer tokenizer, List<Example> examples,
      Set<String> heldOut, int batchSize, int maxNewTokens) {
    return evaluate(examples, heldOut, batchSize, prompts -> quizReply(model, tokenizer, prompts, maxNewTokens));
  }

  /** Accuracy per family of {@code answer}'s replies, asked {@code batchSize} prompts at a time. */
  private static Map<String, Score> evaluate(List<Example> examples, Set<String> heldOut, int batchSize,
      Function<List<String>, List<String>> answer) {
    Map<String, int[]> counts = new LinkedHashMap<>();
    try (Progress progress = Progress.start("task accuracy", examples.size(), "prompts")) {
      for (int i = 0; i < examples.size(); i += batchSize) {
        List<Example> chunk = examples.subList(i, Math.min(examples.size(), i + batchSize));
        List<String> replies = answer.apply(chunk.stream().map(Example::prompt).toList());
        for (int j = 0; j < chunk.size(); j++) {
          int[] c = counts.computeIfAbsent(chunk.get(j).family(), f -> new int[2]);
          c[0] += InstructionData.score(chunk.get(j), replies.get(j)) ? 1 : 0;
          c[1]++;
        }
        progress.advance(chunk.size());
      }
    }
    Map<String, Score> out = new LinkedHashMap<>();
    counts.forEach((f, c) -> out.put(f, new Score(f, heldOut.contains(f), c[0], c[1])));
    return out;
  }

  /** Mean accuracy over the families of one kind (held out or trained). */
  public static double mean(Map<String, Score> scores, boolean heldOut) {
    return scores.values().stream().filter(s -> s.heldOut() == heldOut).mapToDouble(Score::accuracy).average()
        .orElse(Double.NaN);
  }
}
