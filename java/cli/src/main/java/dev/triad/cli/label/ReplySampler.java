package dev.triad.cli.label;

import dev.triad.data.chat.ChatTemplate;
import dev.triad.data.chat.Message;
import dev.triad.generate.Generator;
import dev.triad.generate.SamplingConfig;
import dev.triad.nn.Gpt;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The items of a labelling job, sampled from a policy: {@code k} replies per prompt (as the RL phases
 * sample: the full distribution at the given temperature, stopping at {@code <|end|>}), and an item
 * for every two different, non-blank replies of a prompt. A prompt whose replies come out blank or
 * all alike is sampled again (a few more rounds, other seeds) and skipped if that does not help:
 * a pair of equal replies teaches a reward model nothing, and the pair readers refuse it.
 */
final class ReplySampler {
  /** Rows generated per batch. */
  private static final int ROWS = 16;
  /** Sampling rounds per prompt, the first one included. */
  private static final int ROUNDS = 4;

  private final Gpt model;
  private final ChatTemplate template;
  private final int k;
  private final float temperature;
  private final int maxNewTokens;
  private final long seed;

  ReplySampler(Gpt model, ChatTemplate template, int k, float temperature, int maxNewTokens, long seed) {
    this.model = model;
    this.template = template;
    this.k = k;
    this.temperature = temperature;
    this.maxNewTokens = maxNewTokens;
    this.seed = seed;
  }

  /**
   * Up to {@code limit} items from {@code prompts}, in prompt order; {@code log} hears about skipped
   * prompts and progress.
   */
  List<LabelItem> items(List<String> allPrompts, int limit, Consumer<String> log) {
    List<String> prompts = new ArrayList<>();
    List<String> tooLong = new ArrayList<>();
    for (String p : allPrompts) {
      (template.renderPrompt(List.of(Message.user(p))).length >= model.config.blockSize() ? tooLong : prompts).add(p);
    }
    if (!tooLong.isEmpty()) {
      log.accept("skipped " + tooLong.size() + " prompt(s) that fill the model's context of " + model.config.blockSize()
          + " tokens, e.g. " + abbreviate(tooLong.get(0)));
    }
    List<LabelItem> items = new ArrayList<>();
    int perBatch = Math.max(1, ROWS / k);
    long lastReport = System.nanoTime();
    for (int start = 0; start < prompts.size() && items.size() < limit; start += perBatch) {
      List<String> chunk = prompts.subList(start, Math.min(prompts.size(), start + perBatch));
      List<Set<String>> replies = new ArrayList<>();
      for (String p : chunk) {
        replies.add(new LinkedHashSet<>());
      }
      for (int round = 0; round < ROUNDS; round++) {
        List<Integer> wanting = new ArrayList<>();
        for (int i = 0; i < chunk.size(); i++) {
          if (replies.get(i).size() < (round == 0 ? k : 2)) { // later rounds only rescue prompts short of a pair
            wanting.add(i);
          }
        }
        if (wanting.isEmpty()) {
          break;
        }
        sampleInto(chunk, wanting, replies, seed + 7919L * ((long) start * ROUNDS + round));
      }
      for (int i = 0; i < chunk.size() && items.size() < limit; i++) {
        List<String> distinct = new ArrayList<>(replies.get(i)).subList(0, Math.min(k, replies.get(i).size()));
        if (distinct.size() < 2) {
          log.accept("skipped a prompt: fewer than two different non-blank replies in " + ROUNDS + " rounds: "
              + abbreviate(chunk.get(i)));
          continue;
        }
        for (int a = 0; a < distinct.size() && items.size() < limit; a++) {
          for (int b = a + 1; b < distinct.size() && items.size() < limit; b++) {
            items.add(LabelItem.of(chunk.get(i), distinct.get(a), distinct.get(b)));
          }
        }
      }
      if (System.nanoTime() - lastReport > 10_000_000_000L) {
        log.accept("sampled " + items.size() + " of " + limit + " items");
        lastReport = System.nanoTime();
      }
    }
    return items;
  }

  /** Samples {@code k} replies for each prompt of {@code chunk} at the indices {@code wanting}. */
  private void sampleInto(List<String> chunk, List<Integer> wanting, List<Set<String>> replies, long roundSeed) {
    List<int[]> rows = new ArrayList<>();
    List<Integer> owner = new ArrayList<>();
    int longest = 0;
    for (int i : wanting) {
      int[] rendered = template.renderPrompt(List.of(Message.user(chunk.get(i))));
      longest = Math.max(longest, rendered.length);
      for (int r = 0; r < k; r++) {
        rows.add(rendered);
        owner.add(i);
      }
    }
    int budget = Math.min(maxNewTokens, model.config.blockSize() - longest); // >= 1: longer prompts were skipped
    int[][] out = Generator.generate(model, rows.toArray(new int[0][]),
        new SamplingConfig(budget, temperature, 0, 1f, new int[] {template.endToken()}, roundSeed));
    for (int r = 0; r < out.length; r++) {
      String text = template.decodeText(out[r]);
      if (!text.isBlank()) {
        replies.get(owner.get(r)).add(text);
      }
    }
  }

  private static String abbreviate(String s) {
    String one = s.replaceAll("\\s+", " ").strip();
    return one.length() <= 60 ? one : one.substring(0, 57) + "...";
  }
}
