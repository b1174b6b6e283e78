package dev.triad.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.triad.io.Gpt2Hf;
import dev.triad.io.HfGpt2Config;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code triad pretrain}, {@code sample} and {@code export} end to end on the tiny preset, and the
 * one-line errors every bad input must give (exit code != 0, message on stderr, no stack trace).
 */
class PretrainCliTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path tmp;

  /** Exit code and what the command printed. */
  record Run(int exit, String out, String err) {
    @Override
    public String toString() {
      return "exit " + exit + "\n--- stdout:\n" + out + "\n--- stderr:\n" + err;
    }
  }

  static Run run(String... args) {
    PrintStream oldOut = System.out, oldErr = System.err;
    ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
    try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
      System.setOut(o);
      System.setErr(e);
      int exit = Main.run(args);
      return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(oldOut);
      System.setErr(oldErr);
    }
  }

  /** Pretrains the tiny preset for 2 steps into {@code dir}. */
  static Run pretrainTiny(Path dir, String... extra) {
    String[] base = {"pretrain", "--steps", "2", "--out", dir.toString(), "--model", "tiny", "--batch", "2", "--seq",
        "16", "--eval-every", "1", "--eval-batches", "2", "--sample-every", "0", "--device", "cpu"};
    String[] args = new String[base.length + extra.length];
    System.arraycopy(base, 0, args, 0, base.length);
    System.arraycopy(extra, 0, args, base.length, extra.length);
    return run(args);
  }

  @Test
  void pretrainThenSampleThenExport() throws IOException {
    Path runDir = tmp.resolve("run");
    Run r = pretrainTiny(runDir);
    assertEquals(0, r.exit(), r.toString());
    assertTrue(r.out().contains("run directory " + runDir.toAbsolutePath()), "run directory not printed: " + r);
    assertTrue(Files.isRegularFile(runDir.resolve("config.json")), "config.json");
    JsonNode config = JSON.readTree(runDir.resolve("config.json").toFile());
    assertEquals("tiny", config.get("preset").asText(), config.toString());
    assertEquals("byte", config.get("tokenizer").asText(), config.toString());
    assertEquals(128, config.get("blockSize").asInt(), config.toString());

    List<String> lines = Files.readAllLines(runDir.resolve("metrics.jsonl"));
    assertEquals(3, lines.size(), "step-0 validation line + 2 step lines: " + lines);
    JsonNode first = JSON.readTree(lines.get(0));
    assertEquals(0, first.get("step").asInt(), lines.get(0));
    assertTrue(first.get("val_loss").asDouble() > 0, lines.get(0));
    for (int i = 1; i <= 2; i++) {
      JsonNode rec = JSON.readTree(lines.get(i));
      assertEquals(i, rec.get("step").asInt(), lines.get(i));
      for (String key : new String[] {"loss", "lr", "grad_norm", "tokens_per_s", "val_loss"}) {
        assertTrue(rec.has(key) && rec.get(key).isNumber(), "'" + key + "' missing in " + lines.get(i));
      }
      // a fresh byte-level model predicts ~uniformly over 257 ids: loss near ln(257) = 5.55
      assertEquals(Math.log(257), rec.get("loss").asDouble(), 0.5, lines.get(i));
      assertEquals(32, rec.get("tokens").asInt(), "2 x 16 tokens per step: " + lines.get(i));
    }
    assertTrue(Files.isRegularFile(runDir.resolve("checkpoints/step_00000002.safetensors")), "final checkpoint");

    Run s = run("sample", "--run", runDir.toString(), "--max-new-tokens", "5", "--prompt", "The", "--device", "cpu");
    assertEquals(0, s.exit(), s.toString());
    String text = s.out().strip();
    assertTrue(text.startsWith("The"), "the sample continues the prompt: " + s);
    assertTrue(text.length() > "The".length(), "the sample adds text: " + s);

    Path export = tmp.resolve("hf");
    Run e = run("export", "--run", runDir.toString(), "--out", export.toString());
    assertEquals(0, e.exit(), e.toString());
    assertTrue(Files.isRegularFile(export.resolve("model.safetensors")), "model.safetensors: " + e);
    HfGpt2Config hf = Gpt2Hf.readConfig(export);
    assertEquals(new HfGpt2Config(128, 2, 4, 257, 128, 1e-5), hf, "exported config.json");
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

  @Test
  void missingDataDirectory() {
    Path missing = tmp.resolve("no-such-dir");
    assertOneLineError(pretrainTiny(tmp.resolve("run"), "--data", missing.toString(), "--tokenizer", "byte"),
        "triad pretrain:", missing.toString(), "no such directory");
  }

  @Test
  void dataDirectoryWithoutTrainShards() throws IOException {
    Path data = Files.createDirectories(tmp.resolve("data"));
    Files.writeString(data.resolve("val_000000.bin"), "x");
    assertOneLineError(pretrainTiny(tmp.resolve("run"), "--data", data.toString(), "--tokenizer", "byte"),
        data.toString(), "train_*.bin");
  }

  @Test
  void sequenceLongerThanTheContext() {
    Path runDir = tmp.resolve("run");
    Run r = run("pretrain", "--steps", "2", "--out", runDir.toString(), "--model", "tiny", "--seq", "1000",
        "--device", "cpu");
    assertOneLineError(r, "--seq 1000", "context of 128");
    assertFalse(Files.exists(runDir.resolve("data")), "a bad --seq must fail before tokenizing the corpus");
  }

  @Test
  void dataWithoutValidationShardsTrainsWithoutValidation() throws IOException {
    // `triad tokenize --val-fraction 0` writes train shards only
    Path data = Files.createDirectories(tmp.resolve("data"));
    int[] tokens = new java.util.Random(5).ints(2000, 0, 257).toArray();
    dev.triad.data.TokenShard.write(data.resolve("train_000000.bin"), tokens);
    Path runDir = tmp.resolve("run");
    Run r = pretrainTiny(runDir, "--data", data.toString(), "--tokenizer", "byte");
    assertEquals(0, r.exit(), r.toString());
    List<String> lines = Files.readAllLines(runDir.resolve("metrics.jsonl"));
    assertEquals(2, lines.size(), "no step-0 validation line, one line per step: " + lines);
    assertFalse(lines.get(1).contains("val_loss"), lines.get(1));
  }

  @Test
  void unknownModelPreset() {
    Run r = run("pretrain", "--out", tmp.resolve("run").toString(), "--model", "huge", "--steps", "1", "--device",
        "cpu");
    assertOneLineError(r, "--model huge: must be one of", "tiny");
  }

  @Test
  void precisionFlagIsRecordedAndAnUnknownOneIsAUsageError() throws IOException {
    assertOneLineError(pretrainTiny(tmp.resolve("bad"), "--precision", "fp16"), "--precision fp16", "bf16", "f32");
    Path runDir = tmp.resolve("bf16");
    Run r = pretrainTiny(runDir, "--precision", "bf16");
    assertEquals(0, r.exit(), r.toString());
    assertTrue(r.out().contains("in bf16"), r.toString());
    assertEquals("bf16", dev.triad.train.RunInfo.read(runDir).precision(), "config.json precision");
    Run s = run("sample", "--run", runDir.toString(), "--device", "cpu", "--precision", "bf16", "--max-new-tokens", "4",
        "--prompt", "A");
    assertEquals(0, s.exit(), s.toString());
    assertOneLineError(run("sample", "--run", runDir.toString(), "--device", "cpu", "--precision", "half"),
        "--precision half");
  }

  @Test
  void profilePrintsEveryStepAndTheSteadyState() {
    try {
      Run r = run("pretrain", "--steps", "4", "--out", tmp.resolve("profiled").toString(), "--model", "tiny",
          "--batch", "2", "--seq", "16", "--eval-every", "0", "--sample-every", "0", "--device", "cpu", "--profile");
      assertEquals(0, r.exit(), r.toString());
      assertTrue(r.out().contains("profile: training steps on cpu"), r.toString());
      assertTrue(r.out().contains("step 1 (warm-up):"), r.toString());
      assertTrue(r.out().matches("(?s).*steady state \\(\\d+ steps\\): [0-9.]+ ms/step.*"), r.toString());
    } finally {
      dev.triad.train.StepProfile.disable();
    }
  }

  @Test
  void unknownScheduleAndTokenizer() {
    assertOneLineError(pretrainTiny(tmp.resolve("a"), "--schedule", "linear"), "--schedule", "linear", "cosine", "wsd");
    assertOneLineError(pretrainTiny(tmp.resolve("b"), "--tokenizer", "bpe"), "--tokenizer bpe: must be one of gpt2, byte");
  }

  @Test
  void resumeInAnEmptyRunDirectory() throws IOException {
    Path runDir = Files.createDirectories(tmp.resolve("empty"));
    assertOneLineError(pretrainTiny(runDir, "--resume"), "--resume", "no checkpoint", runDir.toString());
    assertFalse(Files.exists(runDir.resolve("config.json")), "a failed --resume must not write config.json");
  }

  @Test
  void resumeWithAnotherArchitectureKeepsTheRunIntact() throws IOException {
    Path runDir = tmp.resolve("run");
    assertEquals(0, pretrainTiny(runDir).exit());
    String config = Files.readString(runDir.resolve("config.json"));
    Run r = run("pretrain", "--steps", "4", "--out", runDir.toString(), "--model", "small", "--batch", "2", "--seq",
        "16", "--device", "cpu", "--resume");
    assertOneLineError(r, "--resume", "tiny", "small");
    assertEquals(config, Files.readString(runDir.resolve("config.json")), "config.json of the run was changed");
  }

  @Test
  void freshRunIntoADirectoryWithCheckpointsIsRefused() throws IOException {
    // otherwise the old run's later checkpoints would outrank (and make keep-k prune) the new ones
    Path runDir = tmp.resolve("run");
    assertEquals(0, pretrainTiny(runDir).exit());
    assertOneLineError(pretrainTiny(runDir), runDir.toString(), "--resume");
  }

  @Test
  void sampleAndExportWithoutARun() {
    Path notARun = tmp.resolve("nothing");
    assertOneLineError(run("sample", "--run", notARun.toString(), "--device", "cpu"), "triad sample:",
        "--run " + notARun, "no such directory");
    assertOneLineError(run("export", "--run", notARun.toString(), "--out", tmp.resolve("x").toString()),
        "triad export:", "--run " + notARun, "no such directory");
  }
}
