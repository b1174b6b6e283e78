package dev.triad.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.triad.io.Safetensors;
import dev.triad.io.SafetensorsFile;
import dev.triad.tensor.Device;
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
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Exact resume on the CPU (whose kernels are deterministic): a run interrupted after N steps and
 * resumed to 2N must end bit-identical to a run that went straight to 2N: parameters, both AdamW
 * moments, the data position, and every logged loss, learning rate and gradient norm.
 *
 * <p>The interrupted run is simulated as "train with steps = N, then resume with steps = 2N". The
 * cosine schedule depends on the total step count, so warmup is N steps: the linear warmup
 * lr * (step + 1) / warmup does not depend on the total, so both runs see the same learning rates
 * in their first N steps, and the resumed half exercises the schedule after warmup.
 */
class ResumeTest {
  private static final int N = 3;
  private static final int BATCH = 2;
  private static final int SEQ = 32;
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path tmp;

  private static PretrainOptions options(Path runDir, int steps, int gradAccum, boolean resume) {
    // gradient clipping at 0.5 so the clip factor (folded into AdamW) is exercised at init
    TrainConfig train = TrainConfig.builder().steps(steps).lr(3e-3f).warmupSteps(N).gradClip(0.5f).evalEvery(N)
        .sampleEvery(N).checkpointEvery(N).keepCheckpoints(10).seed(4242).build();
    return PretrainOptions.builder().runDir(runDir).tokenizer("byte").preset("tiny").device(Device.CPU).batch(BATCH)
        .seqLen(SEQ).totalBatchTokens((long) gradAccum * BATCH * SEQ).train(train).evalBatches(2).resume(resume)
        .build();
  }

  @ParameterizedTest(name = "gradient accumulation {0}")
  @ValueSource(ints = {1, 2})
  void resumedRunIsBitIdenticalToAStraightRun(int gradAccum) throws IOException {
    Path a = tmp.resolve("straight");
    Path b = tmp.resolve("resumed");
    Trainer.Result ra = Pretrain.run(options(a, 2 * N, gradAccum, false));
    Pretrain.run(options(b, N, gradAccum, false));
    assertTrue(Files.exists(checkpoint(b, N)), "the first half saved no checkpoint at step " + N);
    assertFalse(Files.exists(checkpoint(b, 2 * N)), "the first half must stop at step " + N);
    Trainer.Result rb = Pretrain.run(options(b, 2 * N, gradAccum, true));
    assertEquals(2 * N, rb.steps());

    // the intermediate checkpoints already agree (same learning rates during warmup) ...
    assertSameCheckpoint(checkpoint(a, N), checkpoint(b, N));
    // ... and so do the final ones, after the resumed half
    Map<String, String> meta = assertSameCheckpoint(checkpoint(a, 2 * N), checkpoint(b, 2 * N));
    // the data position is where 2N steps of gradAccum micro-batches of BATCH windows leave it
    // (epoch 0: the embedded corpus holds far more than a dozen windows)
    assertEquals("0", meta.get("data.epoch"), "loader epoch in " + meta);
    assertEquals(Long.toString(2L * N * gradAccum * BATCH), meta.get("data.index"), "loader index in " + meta);
    assertEquals(Long.toString(2L * N), meta.get("optimizer_step"), "optimizer step in " + meta);

    List<JsonNode> la = metrics(a);
    List<JsonNode> lb = metrics(b);
    assertEquals(2 * N + 1, la.size(), "straight run: step-0 validation line + one line per step");
    assertEquals(la.size(), lb.size(), "resumed run's metrics.jsonl has another number of lines");
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
    }
    assertTrue(la.get(2 * N).get("lr").asDouble() < la.get(N).get("lr").asDouble(),
        "the resumed half should run the decaying part of the schedule: " + la);
    assertEquals(Double.doubleToLongBits(ra.lastLoss()), Double.doubleToLongBits(la.get(2 * N).get("loss").asDouble()),
        "the result's last loss is the logged one");
  }

  private static Path checkpoint(Path run, long step) {
    return run.resolve("checkpoints").resolve(String.format("step_%08d.safetensors", step));
  }

  /** Asserts equal tensor names, bit-identical data and equal metadata; returns the metadata. */
  private static Map<String, String> assertSameCheckpoint(Path x, Path y) throws IOException {
    try (SafetensorsFile fx = Safetensors.open(x); SafetensorsFile fy = Safetensors.open(y)) {
      assertEquals(new TreeMap<>(fx.metadata()), new TreeMap<>(fy.metadata()), "metadata of " + x + " and " + y);
      assertEquals(new java.util.TreeSet<>(fx.names()), new java.util.TreeSet<>(fy.names()), "tensor names");
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
