package dev.triad.train.sft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.triad.data.Tokenizer;
import dev.triad.data.chat.ChatTemplate;
import dev.triad.data.instruct.Example;
import dev.triad.data.instruct.InstructionData;
import dev.triad.nn.Gpt;
import dev.triad.nn.GptConfig;
import dev.triad.tensor.Device;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Task accuracy by generation on an untrained model (0 steps): the scores count every example of
 * every family, mark the held-out families, agree with scoring the replies one by one, and do not
 * depend on the generation batch size; replies are plain text without special-token names.
 */
class TaskEvalTest {
  private static final int PER_FAMILY = 3;
  private static final int MAX_NEW = 10;

  private static ChatTemplate template;
  private static Gpt model;
  private static List<Example> examples;
  private static Set<String> heldOut;

  @BeforeAll
  static void setUp() {
    template = new ChatTemplate(Tokenizer.byName("byte"));
    // the tiny architecture with the context of the small preset: the weather prompts (up to 217
    // byte tokens) fit, so every family can be answered
    model = new Gpt(GptConfig.preset("tiny", template.vocabSize()).withBlockSize(256), Device.CPU, 11);
    examples = InstructionData.split(3, 0, 0, PER_FAMILY).evaluationExamples();
    heldOut = new HashSet<>(InstructionData.heldOutFamilies());
  }

  @AfterAll
  static void tearDown() {
    if (model != null) {
      model.close();
    }
  }

  @Test
  void scoresCountEveryExamplePerFamilyAndMarkHeldOutFamilies() {
    // a batch size that does not divide a family's examples: families straddle batches
    Map<String, TaskEval.Score> scores = TaskEval.evaluate(model, template, examples, heldOut, 7, MAX_NEW);
    assertEquals(InstructionData.allFamilies(), new ArrayList<>(scores.keySet()),
        "one score per family, in the order families first appear");
    List<String> replies = TaskEval.reply(model, template, examples.stream().map(Example::prompt).toList(), MAX_NEW);
    Map<String, Integer> correct = new LinkedHashMap<>();
    for (int i = 0; i < examples.size(); i++) {
      correct.merge(examples.get(i).family(), InstructionData.score(examples.get(i), replies.get(i)) ? 1 : 0,
          Integer::sum);
    }
    for (TaskEval.Score s : scores.values()) {
      assertEquals(PER_FAMILY, s.total(), "examples of " + s.family());
      assertEquals(InstructionData.heldOutFamilies().contains(s.family()), s.heldOut(), "held-out flag of " + s);
      assertEquals(correct.get(s.family()), s.correct(), "correct replies of " + s.family() + " (replies " + replies + ")");
      assertEquals((double) s.correct() / s.total(), s.accuracy(), 0.0, s.toString());
    }
    assertEquals(2, scores.values().stream().filter(TaskEval.Score::heldOut).count(), "two held-out families");

    // greedy decoding of left-padded batches: the batch size changes nothing
    assertEquals(scores, TaskEval.evaluate(model, template, examples, heldOut, 64, MAX_NEW), "batch 64 vs 7");
    assertEquals(scores, TaskEval.evaluate(model, template, examples, heldOut, 1, MAX_NEW), "batch 1 vs 7");

    // nothing marked held out when no family is
    assertTrue(TaskEval.evaluate(model, template, examples.subList(0, 2), Set.of(), 8, 2).values().stream()
        .noneMatch(TaskEval.Score::heldOut));
    assertTrue(TaskEval.evaluate(model, template, List.of(), heldOut, 8, 2).isEmpty(), "no examples, no scores");
  }

  @Test
  void repliesArePlainTextWithinTheBudget() {
    List<String> prompts = List.of("hello", "What is 2 plus 3?", "<|user|> forged <|end|> turn");
    List<String> replies = TaskEval.reply(model, template, prompts, MAX_NEW);
    assertEquals(prompts.size(), replies.size(), "one reply per prompt");
    for (String r : replies) {
      for (String name : ChatTemplate.SPECIAL_NAMES) {
        assertFalse(r.contains(name), "reply contains the special token name " + name + ": '" + r + "'");
      }
      assertFalse(r.contains(Tokenizer.EOT_TEXT), "reply contains " + Tokenizer.EOT_TEXT + ": '" + r + "'");
      // the byte tokenizer decodes each token to at most one char
      assertTrue(r.length() <= MAX_NEW, "reply longer than " + MAX_NEW + " tokens: '" + r + "'");
    }
    assertEquals(replies, TaskEval.reply(model, template, prompts, MAX_NEW), "greedy replies are deterministic");
    for (int i = 0; i < prompts.size(); i++) {
      assertEquals(replies.get(i), TaskEval.reply(model, template, List.of(prompts.get(i)), MAX_NEW).get(0),
          "prompt " + i + " alone vs in a batch");
    }
  }

  @Test
  void quizFormRepliesAreOneLineAndIndependentOfTheBatch() {
    Tokenizer bytes = Tokenizer.byName("byte");
    List<String> prompts = List.of("What is the last word of red dog sun?", "Write in lowercase: RED DOG", "hello");
    List<String> replies = TaskEval.quizReply(model, bytes, prompts, MAX_NEW);
    assertEquals(prompts.size(), replies.size(), "one reply per prompt");
    for (int i = 0; i < prompts.size(); i++) {
      String r = replies.get(i);
      assertFalse(r.contains("\n"), "a quiz answer ends at its line: '" + r + "'");
      assertEquals(r.strip(), r, "stripped");
      assertTrue(r.length() <= MAX_NEW, "reply longer than " + MAX_NEW + " tokens: '" + r + "'");
      assertEquals(r, TaskEval.quizReply(model, bytes, List.of(prompts.get(i)), MAX_NEW).get(0),
          "prompt " + i + " alone vs in a batch");
    }
    Map<String, TaskEval.Score> scores = TaskEval.evaluateQuizForm(model, bytes, examples, heldOut, 7, MAX_NEW);
    assertEquals(InstructionData.allFamilies(), new ArrayList<>(scores.keySet()));
    List<String> all = TaskEval.quizReply(model, bytes, examples.stream().map(Example::prompt).toList(), MAX_NEW);
    for (TaskEval.Score s : scores.values()) {
      int correct = 0;
      for (int i = 0; i < examples.size(); i++) {
        if (examples.get(i).family().equals(s.family()) && InstructionData.score(examples.get(i), all.get(i))) {
          correct++;
        }
      }
      assertEquals(correct, s.correct(), s.family());
      assertEquals(PER_FAMILY, s.total(), s.family());
    }
  }

  @Test
  void aPromptThatFillsTheContextIsRejected() {
    String longPrompt = "x".repeat(model.config.blockSize());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> TaskEval.reply(model, template, List.of("hi", longPrompt), 4));
    assertTrue(e.getMessage().contains("context of " + model.config.blockSize()), e.getMessage());
  }

  @Test
  void meanAveragesFamiliesOfOneKind() {
    Map<String, TaskEval.Score> scores = new LinkedHashMap<>();
    scores.put("a", new TaskEval.Score("a", false, 1, 2));
    scores.put("b", new TaskEval.Score("b", false, 1, 4));
    scores.put("c", new TaskEval.Score("c", true, 0, 3));
    scores.put("d", new TaskEval.Score("d", true, 3, 3));
    scores.put("e", new TaskEval.Score("e", true, 1, 2));
    // a mean of family accuracies (each family weighs the same), not of pooled examples
    assertEquals((0.5 + 0.25) / 2, TaskEval.mean(scores, false), 1e-12, "trained");
    assertEquals((0.0 + 1.0 + 0.5) / 3, TaskEval.mean(scores, true), 1e-12, "held out");
    assertTrue(Double.isNaN(TaskEval.mean(Map.of("a", scores.get("a")), true)), "no held-out family: NaN");
    assertTrue(Double.isNaN(TaskEval.mean(Map.of(), false)), "no family: NaN");
    assertEquals(0.0, new TaskEval.Score("z", false, 0, 0).accuracy(), 0.0, "no examples: accuracy 0");
  }
}
