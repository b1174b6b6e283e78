package dev.triad.train.sft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.triad.data.Tokenizer;
import dev.triad.data.chat.ChatTemplate;
import dev.triad.data.chat.Packing;
import dev.triad.data.chat.SftDataset;
import dev.triad.io.Safetensors;
import dev.triad.io.SafetensorsFile;
import dev.triad.tensor.Device;
import dev.triad.train.TrainConfig;
import dev.triad.train.pretrain.Pretrain;
import dev.triad.train.pretrain.PretrainOptions;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Exact resume of instruction tuning on the CPU: an SFT run interrupted after N steps and resumed
 * to 2N ends bit-identical to one that went straight to 2N (parameters, including the four new
 * special-token rows, both AdamW moments, the data position, and every logged loss, learning
 * rate, gradient norm and validation loss). As in {@code ResumeTest}, the warmup is N steps so both
 * runs see the same learning rates before the interruption although their total step counts differ.
 */
class SftResumeTest {
  private static final int N = 4;
  private static final int BATCH = 2;
  private static final int SEQ = 128;
  private static final long SEED = 99;
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir static Path shared;
  private static Path base;

  @TempDir Path tmp;

  /** A tiny byte-level model pretrained for two steps: the starting point of every SFT run here. */
  @BeforeAll
  static void pretrainBase() {
    base = shared.resolve("base");
    TrainConfig t = TrainConfig.builder().steps(2).warmupSteps(1).evalEvery(0).sampleEvery(0).checkpointEvery(2)
        .keepCheckpoints(1).seed(7).build();
    Pretrain.run(PretrainOptions.builder().runDir(base).tokenizer("byte").preset("tiny").device(Device.CPU).batch(2)
        .seqLen(32).totalBatchTokens(64).train(t).evalBatches(1).build());
  }

  private static SftOptions options(Path runDir, Path data, int steps, boolean resume) {
    // clipping at 0.5 so the clip factor is exercised; validation and checkpoints every N steps
    TrainConfig t = TrainConfig.builder().steps(steps).lr(2e-3f).warmupSteps(N).gradClip(0.5f).evalEvery(N)
        .sampleEvery(0).checkpointEvery(N).keepCheckpoints(10).seed(SEED).build();
    return SftOptions.builder().runDir(runDir).baseRun(base).dataFile(data).device(Device.CPU).batch(BATCH)
        .seqLen(SEQ).pack(true).train(t).evalPerFamily(0).resume(resume).build();
  }

  /**
   * 30 small chats in both JSONL layouts (some multi-turn, some with a system message); every 20th
   * line becomes validation data, so 29 train and 1 validation conversation.
   */
  private Path writeData() throws IOException {
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      String q = "what is " + i + " plus " + (i % 7) + "?";
      String a = "It is " + (i + i % 7) + ".";
      if (i % 4 == 0) {
        lines.add("{\"messages\": [{\"role\": \"system\", \"content\": \"Answer briefly.\"}, {\"role\": \"user\","
            + " \"content\": \"" + q + "\"}, {\"role\": \"assistant\", \"content\": \"" + a + "\"}, {\"role\":"
            + " \"user\", \"content\": \"and doubled?\"}, {\"role\": \"assistant\", \"content\": \""
            + 2 * (i + i % 7) + "\"}]}");
      } else {
        lines.add("{\"prompt\": \"" + q + "\", \"completion\": \"" + a + "\"}");
      }
    }
    return Files.write(tmp.resolve("chats.jsonl"), lines, StandardCharsets.UTF_8);
  }

  @Test
  void resumedRunOnAJsonlFileIsBitIdenticalAcrossAnEpochBoundary() throws IOException {
    Path data = writeData();
    // the training rows, as Sft builds them: conversations 1-19 and 21-30, packed best-fit into SEQ
    ChatTemplate template = new ChatTemplate(Tokenizer.byName("byte"));
    var all = SftDataset.readJsonl(data);
    List<ChatTemplate.Rendered> train = new ArrayList<>();
    for (int i = 0; i < all.size(); i++) {
      if (i % 20 != 19) {
        train.add(template.render(all.get(i)));
      }
    }
    int rows = Packing.bestFit(train, SEQ, template.bosToken()).rows().size();
    assertTrue(rows > N * BATCH && rows < 2 * N * BATCH,
        "the test wants the epoch to end in the resumed half: " + rows + " rows, " + 2 * N * BATCH + " consumed");

    Map<String, String> meta = assertExactResume(data);
    int consumed = 2 * N * BATCH;
    assertEquals("1", meta.get("data.epoch"), "one epoch of " + rows + " rows done after " + consumed + ": " + meta);
    assertEquals(Integer.toString(consumed - rows), meta.get("data.index"), "position in the second epoch: " + meta);
  }

  @Test
  void resumedRunOnTheEmbeddedDataIsBitIdentical() throws IOException {
    Map<String, String> meta = assertExactResume(null);
    // thousands of rows: still in the first epoch
    assertEquals("0", meta.get("data.epoch"), meta.toString());
    assertEquals(Integer.toString(2 * N * BATCH), meta.get("data.index"), meta.toString());
  }

  /** Runs straight to 2N and interrupted at N then resumed; returns the final checkpoint's metadata. */
  private Map<String, String> assertExactResume(Path data) throws IOException {
    Path a = tmp.resolve("straight");
    Path b = tmp.resolve("resumed");
    Sft.Result ra = Sft.run(options(a, data, 2 * N, false));
    Sft.run(options(b, data, N, false));
    assertTrue(Files.exists(checkpoint(b, N)), "the first half saved no checkpoint at step " + N);
    assertFalse(Files.exists(checkpoint(b, 2 * N)), "the first half must stop at step " + N);
    Sft.Result rb = Sft.run(options(b, data, 2 * N, true));
    assertEquals(2 * N, rb.training().steps());
    assertTrue(rb.before().isEmpty() && rb.after().isEmpty(), "--eval-per-family 0 (or --data): no accuracy report");

    assertSameCheckpoint(checkpoint(a, N), checkpoint(b, N));
    Map<String, String> meta = assertSameCheckpoint(checkpoint(a, 2 * N), checkpoint(b, 2 * N));
    assertEquals(Long.toString(2L * N), meta.get("optimizer_step"), "optimizer step in " + meta);
    try (SafetensorsFile f = Safetensors.open(checkpoint(a, 2 * N))) {
      long[] wte = f.info("model.wte.weight").shape();
      assertEquals(257 + ChatTemplate.SPECIAL_TOKENS, wte[0], "the token embedding grew by the special tokens");
    }

    List<JsonNode> la = metrics(a);
    List<JsonNode> lb = metrics(b);
    assertEquals(2 * N + 1, la.size(), "straight run: step-0 validation line + one line per step: " + la);
    assertEquals(la.size(), lb.size(), "resumed run's metrics.jsonl has another number of lines: " + lb);
    for (int i = 0; i < la.size(); i++) {
      JsonNode x = la.get(i), y = lb.get(i);
      assertEquals(i, x.get("step").asInt(), "line " + i + " of the straight run: " + x);
      assertEquals(i, y.get("step").asInt(), "line " + i + " of the resumed run: " + y);
      for (String key : new String[] {"loss", "lr", "grad_norm", "val_loss", "tokens"}) {
        assertEquals(x.has(key), y.has(key), "step " + i + ": '" + key + "' in only one run: " + x + " vs " + y);
        if (x.has(key)) {
          assertEquals(Double.doubleToLongBits(x.get(key).asDouble()), Double.doubleToLongBits(y.get(key).asDouble()),
              "step " + i + ": " + key + " " + x.get(key) + " (straight) vs " + y.get(key) + " (resumed)");
        }
      }
      if (i > 0) {
        assertEquals((long) BATCH * SEQ, x.get("tokens").asLong(), "every processed position counts: " + x);
      }
    }
    for (int step : new int[] {0, N, 2 * N}) {
      assertTrue(la.get(step).has("val_loss"), "validation loss at step " + step + ": " + la.get(step));
    }
    assertTrue(la.get(2 * N).get("lr").asDouble() < la.get(N).get("lr").asDouble(),
        "the resumed half should run the decaying part of the schedule: " + la);
    assertEquals(Double.doubleToLongBits(ra.training().lastLoss()),
        Double.doubleToLongBits(la.get(2 * N).get("loss").asDouble()), "the result's last loss is the logged one");
    return meta;
  }

  private static Path checkpoint(Path run, long step) {
    return run.resolve("checkpoints").resolve(String.format("step_%08d.safetensors", step));
  }

  /** Asserts equal tensor names, bit-identical data and equal metadata; returns the metadata. */
  private static Map<String, String> assertSameCheckpoint(Path x, Path y) throws IOException {
    try (SafetensorsFile fx = Safetensors.open(x); SafetensorsFile fy = Safetensors.open(y)) {
      assertEquals(new TreeMap<>(fx.metadata()), new TreeMap<>(fy.metadata()), "metadata of " + x + " and " + y);
      assertTrue(fx.metadata().containsKey("data.epoch") && fx.metadata().containsKey("data.index"),
          "the data position is not in the checkpoint: " + fx.metadata());
      assertEquals(new TreeSet<>(fx.names()), new TreeSet<>(fy.names()), "tensor names");
      assertTrue(fx.names().contains("adam_m.wte.weight") && fx.names().contains("adam_v.h.1.mlp.c_fc.weight"),
          "checkpoint lacks AdamW moments: " + fx.names());
      for (String name : fx.names()) {
        float[] u = fx.readFloats(name), v = fy.readFloats(name);
        assertEquals(u.length, v.length, name);
        for (int i = 0; i < u.length; i++) {
          if (Float.floatToRawIntBits(u[i]) != Float.floatToRawIntBits(v[i])) {
            fail(name + "[" + i + "] differs: " + u[i] + " (straight) vs " + v[i] + " (resumed), in " + y);
          }
        }
      }
      return fx.metadata();
    }
  }

  private static List<JsonNode> metrics(Path run) throws IOException {
    List<JsonNode> out = new ArrayList<>();
    for (String line : Files.readAllLines(run.resolve("metrics.jsonl"), StandardCharsets.UTF_8)) {
      if (!line.isBlank()) {
        out.add(JSON.readTree(line));
      }
    }
    return out;
  }
}
