package dev.triad.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.triad.cli.PretrainCliTest.Run;
import dev.triad.data.Tokenizer;
import dev.triad.data.chat.ChatTemplate;
import dev.triad.data.instruct.InstructionData;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code triad sft} and {@code triad chat} end to end on a tiny byte-level base: --check output,
 * a short tuning run, resuming it, chatting with it through standard input, and the one-line
 * errors of bad input (exit code != 0, message on stderr, no stack trace).
 */
class SftCliTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir static Path shared;
  /** A tiny byte-level run pretrained for 2 steps (no chat template). */
  private static Path base;

  @TempDir Path tmp;

  @BeforeAll
  static void pretrainBase() {
    base = shared.resolve("base");
    Run r = PretrainCliTest.pretrainTiny(base);
    assertEquals(0, r.exit(), r.toString());
  }

  /** Runs the CLI with {@code input} as standard input. */
  private static Run runWithInput(String input, String... args) {
    InputStream old = System.in;
    try {
      System.setIn(new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)));
      return PretrainCliTest.run(args);
    } finally {
      System.setIn(old);
    }
  }

  /** 30 short chats in both layouts; every 20th becomes validation data. */
  private Path goodData() throws IOException {
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      String q = "what is " + i + " plus 3?";
      String a = "It is " + (i + 3) + ".";
      lines.add(i % 5 == 0
          ? "{\"messages\": [{\"role\": \"system\", \"content\": \"Be terse.\"}, {\"role\": \"user\", \"content\": \""
              + q + "\"}, {\"role\": \"assistant\", \"content\": \"" + a + "\"}]}"
          : "{\"prompt\": \"" + q + "\", \"completion\": \"" + a + "\"}");
    }
    return Files.write(tmp.resolve("chats.jsonl"), lines, StandardCharsets.UTF_8);
  }

  private static String[] sftArgs(Path out, Path data, int steps, String... extra) {
    return sftArgs(base, out, data, steps, extra);
  }

  private static String[] sftArgs(Path baseRun, Path out, Path data, int steps, String... extra) {
    List<String> a = new ArrayList<>(List.of("sft", "--base", baseRun.toString(), "--out", out.toString(), "--steps",
        Integer.toString(steps), "--batch", "2", "--seq", "128", "--warmup", "1", "--eval-every", "1",
        "--checkpoint-every", "2", "--eval-per-family", "0", "--device", "cpu"));
    if (data != null) {
      a.add("--data");
      a.add(data.toString());
    }
    a.addAll(List.of(extra));
    return a.toArray(new String[0]);
  }

  /** Asserts a failed run with exactly one line on stderr containing every fragment. */
  private static void assertOneLineError(Run r, String... fragments) {
    assertNotEquals(0, r.exit(), "expected failure: " + r);
    String err = r.err().strip();
    assertFalse(err.isEmpty(), "no message on stderr: " + r);
    assertFalse(err.contains("\n"), "expected a one-line message on stderr: " + r);
    assertFalse(err.contains("Exception") || err.contains("\tat "), "stack trace or exception name: " + r);
    for (String f : fragments) {
      assertTrue(err.contains(f), "stderr lacks '" + f + "': " + r);
    }
  }

  private static void assertNoSpecialTokenNames(String text, Run r) {
    for (String name : ChatTemplate.SPECIAL_NAMES) {
      assertFalse(text.contains(name), "special token " + name + " in the output: " + r);
    }
    assertFalse(text.contains(Tokenizer.EOT_TEXT), Tokenizer.EOT_TEXT + " in the output: " + r);
  }

  @Test
  void checkShowsTheLossTokensAndValidatesEveryMaskWithoutWritingAnything() throws IOException {
    Path out = tmp.resolve("not-written");
    Run r = PretrainCliTest.run("sft", "--check", "--base", base.toString(), "--out", out.toString(), "--device", "cpu");
    assertEquals(0, r.exit(), r.toString());
    assertTrue(r.out().contains("legend: " + ChatTemplate.LOSS_OPEN + "..." + ChatTemplate.LOSS_CLOSE), r.toString());
    assertTrue(r.out().contains("<|endoftext|><|user|>"), "the example starts with BOS and a user turn: " + r);
    assertTrue(r.out().contains("<|assistant|>" + ChatTemplate.LOSS_OPEN), "the reply opens a loss span: " + r);
    assertTrue(r.out().contains("<|end|>" + ChatTemplate.LOSS_CLOSE), "the assistant's <|end|> is in the loss: " + r);
    int train = InstructionData.trainedFamilies().size() * InstructionData.TRAIN_PER_FAMILY;
    int val = InstructionData.trainedFamilies().size() * InstructionData.VALIDATION_PER_FAMILY;
    assertTrue(r.out().contains("all " + train + " training and " + val + " validation examples have valid loss masks"),
        r.toString());
    assertFalse(Files.exists(out), "--check must not write the run directory");

    Path data = goodData();
    Run d = PretrainCliTest.run("sft", "--check", "--base", base.toString(), "--data", data.toString(), "--out",
        out.toString());
    assertEquals(0, d.exit(), d.toString());
    // the first record: system, user, assistant, with only the reply and its <|end|> marked
    assertTrue(d.out().contains("<|endoftext|><|system|>Be terse.<|end|>\n<|user|>what is 0 plus 3?<|end|>\n"
        + "<|assistant|>" + ChatTemplate.LOSS_OPEN + " It is 3.<|end|>" + ChatTemplate.LOSS_CLOSE), d.toString());
    assertTrue(d.out().contains("all 29 training and 1 validation examples have valid loss masks"), d.toString());
    assertFalse(Files.exists(out), "--check must not write the run directory");
  }

  @Test
  void checkWorksWithoutAPretrainedRun() {
    // a fresh checkout: --check needs the tokenizer and template, not weights
    Path noBase = tmp.resolve("runs/pretrain");
    Path out = tmp.resolve("runs/sft");
    Run r = PretrainCliTest.run("sft", "--check", "--base", noBase.toString(), "--out", out.toString(), "--device", "cpu");
    assertEquals(0, r.exit(), r.toString());
    assertTrue(r.out().contains("no run in " + noBase) && r.out().contains("byte tokenizer"), r.toString());
    assertTrue(r.out().contains(ChatTemplate.LOSS_OPEN) && r.out().contains("<|assistant|>"), r.toString());
    assertTrue(r.out().contains("have valid loss masks"), r.toString());
    assertFalse(Files.exists(out), "--check must not write the run directory");
    assertFalse(Files.exists(noBase), "--check must not create the base run");
  }

  @Test
  void checkWithAMalformedRecordNamesFileAndLine() throws IOException {
    Path bad = Files.writeString(tmp.resolve("bad.jsonl"), "{\"prompt\": \"hi\", \"completion\": \"hello\"}\n"
        + "\n"
        + "{\"messages\": [{\"role\": \"user\", \"content\": \"a\"}, {\"role\": \"bot\", \"content\": \"b\"}]}\n"
        + "{\"prompt\": \"fine\", \"completion\": \"ok\"}\n", StandardCharsets.UTF_8);
    assertOneLineError(PretrainCliTest.run("sft", "--check", "--base", base.toString(), "--data", bad.toString()),
        "triad sft:", bad + ":3:", "messages[1].role", "bot");
    // the data is checked before the base run is needed
    Path noBase = tmp.resolve("no-base");
    assertOneLineError(PretrainCliTest.run("sft", "--check", "--base", noBase.toString(), "--data", bad.toString()),
        "triad sft:", bad + ":3:", "messages[1].role");
    Path notJson = Files.writeString(tmp.resolve("notjson.jsonl"), "{\"prompt\": \"hi\", \"completion\": \"x\"}\n{oops\n");
    assertOneLineError(PretrainCliTest.run("sft", "--check", "--base", base.toString(), "--data", notJson.toString()),
        notJson + ":2:", "invalid JSON");
  }

  @Test
  void tuneThenResumeThenChat() throws IOException {
    Path data = goodData();
    Path run = tmp.resolve("sft");
    Run s = PretrainCliTest.run(sftArgs(run, data, 2));
    assertEquals(0, s.exit(), s.toString());
    assertTrue(s.out().contains("29 examples packed (best fit)"), s.toString());

    JsonNode config = JSON.readTree(run.resolve("config.json").toFile());
    assertEquals("sft", config.get("phase").asText(), config.toString());
    assertEquals("triad-chat-v2", config.path("settings").path("chat_template").asText(), config.toString());
    assertEquals("byte", config.get("tokenizer").asText(), config.toString());
    assertEquals(257 + ChatTemplate.SPECIAL_TOKENS, config.get("vocabSize").asInt(), config.toString());
    assertEquals(base.toString(), config.path("settings").path("base_run").asText(), config.toString());
    assertEquals(data.toString(), config.path("settings").path("data").asText(), config.toString());
    assertTrue(Files.isRegularFile(run.resolve("checkpoints/step_00000002.safetensors")), "final checkpoint: " + s);
    List<String> metrics = Files.readAllLines(run.resolve("metrics.jsonl"));
    assertEquals(3, metrics.size(), "step-0 validation line + 2 steps: " + metrics);
    for (String line : metrics.subList(1, 3)) {
      JsonNode m = JSON.readTree(line);
      assertTrue(m.get("loss").asDouble() > 0 && Double.isFinite(m.get("loss").asDouble()), line);
      assertTrue(m.has("val_loss"), "--eval-every 1: " + line);
    }

    // a fresh run into it is refused; --resume continues it
    assertOneLineError(PretrainCliTest.run(sftArgs(run, data, 2)), run.toString(), "already holds checkpoints",
        "--resume");
    Run resumed = PretrainCliTest.run(sftArgs(run, data, 3, "--resume"));
    assertEquals(0, resumed.exit(), resumed.toString());
    assertTrue(resumed.out().contains("resumed from") && resumed.out().contains("at step 2"), resumed.toString());
    assertTrue(Files.isRegularFile(run.resolve("checkpoints/step_00000003.safetensors")), resumed.toString());
    assertEquals(4, Files.readAllLines(run.resolve("metrics.jsonl")).size(), "one more step line after resuming");

    Run chat = runWithInput("hello\nwhat is 2 plus 3?\n", "chat", "--run", run.toString(), "--max-new-tokens", "24");
    assertEquals(0, chat.exit(), chat.toString());
    List<String> lines = chat.out().lines().toList();
    assertEquals(4, lines.size(), "piped: each input line echoed as 'you: ...', then its reply: " + chat);
    assertEquals("you: hello", lines.get(0), chat.toString());
    assertTrue(lines.get(1).startsWith("triad: "), chat.toString());
    assertEquals("you: what is 2 plus 3?", lines.get(2), chat.toString());
    assertTrue(lines.get(3).startsWith("triad: "), chat.toString());
    assertNoSpecialTokenNames(chat.out(), chat);
    assertTrue(chat.err().isBlank(), chat.toString());

    // greedy: the same input gives the same replies; an empty line ends the chat
    Run again = runWithInput("hello\n\nnot read\n", "chat", "--run", run.toString(), "--max-new-tokens", "24");
    assertEquals(0, again.exit(), again.toString());
    assertEquals(lines.subList(0, 2), again.out().lines().toList(), "the chat ends at the empty line: " + again);

    // piped lines are separate conversations: the second question is answered as if asked alone
    Run alone = runWithInput("what is 2 plus 3?\n", "chat", "--run", run.toString(), "--max-new-tokens", "24");
    assertEquals(0, alone.exit(), alone.toString());
    assertEquals(lines.subList(2, 4), alone.out().lines().toList(), "no history between piped lines: " + alone);

    // --keep-history: one conversation; longer than the context it keeps its newest turns and the system message
    String longInput = ("please repeat this sentence back to me, word for word.\n").repeat(6);
    Run longChat = runWithInput(longInput, "chat", "--run", run.toString(), "--max-new-tokens", "16", "--system",
        "You are terse.", "--keep-history");
    assertEquals(0, longChat.exit(), longChat.toString());
    assertEquals(6, longChat.out().lines().filter(l -> l.startsWith("triad: ")).count(), "six replies: " + longChat);
    assertNoSpecialTokenNames(longChat.out(), longChat);

    // one message longer than the context
    assertOneLineError(runWithInput("x".repeat(300) + "\n", "chat", "--run", run.toString()), "triad chat:",
        "longer than the model's context of 128");
  }

  @Test
  void chatWithAPretrainingRunIsRefused() {
    assertOneLineError(runWithInput("hello\n", "chat", "--run", base.toString()), "triad chat:", base.toString(),
        "pretrain run without a chat template", "triad sft");
  }

  @Test
  void missingOrUnusableRunsAreReportedClearly() throws IOException {
    Path missing = tmp.resolve("no-such-run");
    assertOneLineError(PretrainCliTest.run(sftArgs(missing, tmp.resolve("out"), goodData(), 2)),
        "triad sft:", "--base " + missing, "no such directory");
    assertFalse(Files.exists(tmp.resolve("out")), "a failed start must not create the run directory");
    assertOneLineError(runWithInput("hi\n", "chat", "--run", missing.toString()), "triad chat:",
        "--run " + missing, "no such directory");
    Path empty = Files.createDirectories(tmp.resolve("empty"));
    assertOneLineError(PretrainCliTest.run(sftArgs(empty, goodData(), 2, "--resume")), "--resume", "no checkpoint");
  }

  @Test
  void embeddedDataOnATinyBaseEvaluatesOnlyWhatFitsItsContext() throws IOException {
    // the tiny preset's context (128) cannot hold the weather bulletins (up to 220 byte tokens):
    // training drops them and the accuracy report must leave them out instead of failing
    Path run = tmp.resolve("embedded");
    Run r = PretrainCliTest.run("sft", "--base", base.toString(), "--out", run.toString(), "--steps", "1", "--batch",
        "8", "--seq", "128", "--eval-every", "0", "--eval-per-family", "1", "--device", "cpu");
    assertEquals(0, r.exit(), r.toString());
    assertTrue(r.out().contains("examples longer than 128 dropped"), r.toString());
    assertTrue(r.out().contains("evaluation examples are longer than 128 tokens"), r.toString());
    JsonNode report = JSON.readTree(run.resolve("eval.json").toFile());
    JsonNode families = report.get("families");
    assertTrue(families.has(InstructionData.ADDITION) && families.has(InstructionData.CAPITAL_CITY),
        report.toString());
    assertFalse(families.has(InstructionData.WEATHER_CITY), "weather prompts do not fit: " + report);
    assertTrue(families.get(InstructionData.CAPITAL_CITY).get("held_out").asBoolean(), report.toString());
    // the pretrained model was also asked in the corpus's quiz form
    assertTrue(families.get(InstructionData.CAPITAL_CITY).get("accuracy_quiz_form_before").isNumber(), report.toString());
    assertTrue(report.get("accuracy_heldout_quiz_form_before").isNumber(), report.toString());
    assertFalse(families.get(InstructionData.ADDITION).get("held_out").asBoolean(), report.toString());
    families.forEach(f -> assertEquals(1, f.get("examples").asInt(), report.toString()));
  }
}
