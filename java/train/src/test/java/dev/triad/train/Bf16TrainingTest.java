package dev.triad.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.triad.io.Safetensors;
import dev.triad.io.SafetensorsDType;
import dev.triad.io.SafetensorsFile;
import dev.triad.nn.Gpt;
import dev.triad.nn.Precision;
import dev.triad.tensor.DType;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * bf16 training on the CPU backend (bf16 storage, f32 arithmetic inside each kernel, RNE on every
 * store: the CUDA backend's rule), through the same code path {@code triad pretrain --device cuda}
 * takes: bf16 parameters and activations, f32 statistics and losses, f32 masters and moments.
 */
class Bf16TrainingTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * Tolerances of the bf16 loss curve against the f32 one over {@link #TRACK_STEPS} steps (same
   * seed, same batches; tiny preset, B=4, T=64, peak lr 1e-3 after 20 warmup steps, cosine to 1e-4,
   * clip 1.0). Measured here (2026-12-04): largest |loss_bf16 - loss_f32| at one step 0.130 (step
   * 28, where the loss falls fastest); largest gap of 10-step means 0.014; mean of the last 50
   * steps 2.4527 (f32) vs 2.4581 (bf16), gap 0.0054. Bounds: about 2.5x those.
   * (At lr 3e-3 the runs also end level, gap 0.007 over the last 50 steps, but a loss spike
   * at step ~35 that only one precision hits puts one window 0.2 apart: too chaotic to test.)
   */
  static final double MAX_STEP_GAP = 0.3;
  static final double MAX_WINDOW_GAP = 0.035;
  static final double MEAN_GAP_LAST50 = 0.015;
  static final int TRACK_STEPS = 200;

  @TempDir Path tmp;

  private static PretrainOptions options(Path runDir, int steps, int warmup, boolean resume, Precision p, int ckpt) {
    TrainConfig train = TrainConfig.builder().steps(steps).warmupSteps(warmup).evalEvery(0).sampleEvery(0)
        .checkpointEvery(ckpt).keepCheckpoints(10).seed(4242).build();
    return PretrainOptions.builder().runDir(runDir).tokenizer("byte").preset("tiny").device(Device.CPU).batch(4)
        .seqLen(64).totalBatchTokens(0).train(train).evalBatches(1).resume(resume).precision(p).build();
  }

  private static List<Double> losses(Path run) throws IOException {
    List<Double> out = new ArrayList<>();
    for (String line : Files.readAllLines(run.resolve("metrics.jsonl"), StandardCharsets.UTF_8)) {
      JsonNode n = JSON.readTree(line);
      if (n.has("loss")) {
        out.add(n.get("loss").asDouble());
      }
    }
    return out;
  }

  @Test
  void bf16PretrainingTracksF32() throws IOException {
    Path a = tmp.resolve("f32"), b = tmp.resolve("bf16");
    Trainer.Result r32 = Pretrain.run(options(a, TRACK_STEPS, 20, false, Precision.F32, TRACK_STEPS));
    Trainer.Result r16 = Pretrain.run(options(b, TRACK_STEPS, 20, false, Precision.BF16, TRACK_STEPS));
    assertEquals("bf16", RunInfo.read(b).precision(), "config.json records the precision");
    assertEquals(Precision.F32, RunInfo.read(a).trainedPrecision());
    List<Double> l32 = losses(a), l16 = losses(b);
    assertEquals(TRACK_STEPS, l32.size());
    assertEquals(TRACK_STEPS, l16.size());
    double maxGap = 0, mean32 = 0, mean16 = 0;
    int maxAt = 0;
    for (int i = 0; i < TRACK_STEPS; i++) {
      double gap = Math.abs(l16.get(i) - l32.get(i));
      if (gap > maxGap) {
        maxGap = gap;
        maxAt = i + 1;
      }
      if (i >= TRACK_STEPS - 50) {
        mean32 += l32.get(i) / 50;
        mean16 += l16.get(i) / 50;
      }
    }
    StringBuilder windows = new StringBuilder();
    double maxWindowGap = 0;
    for (int w = 0; w < TRACK_STEPS / 10; w++) {
      double x = 0, y = 0;
      for (int i = w * 10; i < w * 10 + 10; i++) {
        x += l32.get(i) / 10;
        y += l16.get(i) / 10;
      }
      maxWindowGap = Math.max(maxWindowGap, Math.abs(x - y));
      windows.append(String.format(" %d:%.3f/%.3f", w * 10, x, y));
    }
    System.out.println("10-step mean losses f32/bf16 from step:" + windows);
    System.out.printf("val loss f32 %.4f, bf16 %.4f%n", r32.lastValLoss(), r16.lastValLoss());
    System.out.printf("bf16 vs f32 over %d steps: loss %.4f -> %.4f (f32) vs %.4f -> %.4f (bf16); max step gap %.4f"
        + " at step %d; last-50 mean %.4f vs %.4f (gap %.4f)%n", TRACK_STEPS, l32.get(0), l32.get(TRACK_STEPS - 1),
        l16.get(0), l16.get(TRACK_STEPS - 1), maxGap, maxAt, mean32, mean16, Math.abs(mean16 - mean32));
    assertTrue(l16.get(TRACK_STEPS - 1) < l16.get(0) - 2.0, "bf16 training must learn: " + l16.get(0) + " -> "
        + l16.get(TRACK_STEPS - 1));
    assertTrue(maxGap <= MAX_STEP_GAP, "bf16 loss left the f32 curve by " + maxGap + " at step " + maxAt);
    assertTrue(maxWindowGap <= MAX_WINDOW_GAP, "10-step mean losses of bf16 and f32 differ by " + maxWindowGap);
    assertTrue(Math.abs(mean16 - mean32) <= MEAN_GAP_LAST50, "last-50 mean loss: f32 " + mean32 + ", bf16 " + mean16);
    assertTrue(Double.isFinite(r16.lastValLoss()) && Math.abs(r16.lastValLoss() - r32.lastValLoss()) < 0.05,
        "val loss f32 " + r32.lastValLoss() + ", bf16 " + r16.lastValLoss());
  }

  /**
   * A bf16 run interrupted after N steps and resumed to 2N ends bit-identical to a straight one:
   * every f32 master, both moments, the step. The checkpoint holds f32 masters (not the bf16
   * parameters), so loading restores them exactly and sets each parameter to RNE(master).
   */
  @Test
  void bf16RunResumesBitExactly() throws IOException {
    int n = 3;
    Path a = tmp.resolve("straight"), b = tmp.resolve("resumed");
    Pretrain.run(options(a, 2 * n, n, false, Precision.BF16, n));
    Pretrain.run(options(b, n, n, false, Precision.BF16, n));
    Pretrain.run(options(b, 2 * n, n, true, Precision.BF16, n));
    Path ca = a.resolve("checkpoints").resolve(String.format("step_%08d.safetensors", 2 * n));
    Path cb = b.resolve("checkpoints").resolve(String.format("step_%08d.safetensors", 2 * n));
    int compared = 0;
    try (SafetensorsFile fa = Safetensors.open(ca); SafetensorsFile fb = Safetensors.open(cb)) {
      assertEquals(new TreeMap<>(fa.metadata()), new TreeMap<>(fb.metadata()), "checkpoint metadata");
      assertEquals(Long.toString(2L * n), fa.metadata().get("optimizer_step"));
      for (String name : fa.names()) {
        assertTrue(fb.contains(name), "resumed checkpoint lacks " + name);
        assertEquals(SafetensorsDType.F32, fa.info(name).dtype(), name + " is stored in f32 (masters, moments)");
        float[] x = fa.readFloats(name), y = fb.readFloats(name);
        for (int i = 0; i < x.length; i++) {
          if (Float.floatToRawIntBits(x[i]) != Float.floatToRawIntBits(y[i])) {
            throw new AssertionError(name + "[" + i + "]: straight " + x[i] + ", resumed " + y[i]);
          }
        }
        compared += name.startsWith("model.") || name.startsWith("adam_") ? 1 : 0;
      }
      assertTrue(compared > 30, "compared " + compared + " tensors");
      // the masters are not bf16 values: storing the bf16 parameters would have lost these bits
      float[] w = fa.readFloats("model.h.0.mlp.c_fc.weight");
      long notBf16 = 0;
      for (float v : w) {
        notBf16 += (Float.floatToRawIntBits(v) & 0xFFFF) != 0 ? 1 : 0;
      }
      assertTrue(notBf16 > w.length / 2, "masters hold full f32 values (" + notBf16 + " of " + w.length + ")");

      // generation: loading without an optimizer rounds each master into the bf16 model, or keeps it in f32
      try (Gpt g16 = RunInfo.loadModel(a, null, Device.CPU, Precision.BF16);
           Gpt g32 = RunInfo.loadModel(a, null, Device.CPU, Precision.F32)) {
        float[] p16 = g16.namedParameters().get("h.0.mlp.c_fc.weight").toFloatArray();
        float[] p32 = g32.namedParameters().get("h.0.mlp.c_fc.weight").toFloatArray();
        assertEquals(DType.BF16, g16.dtype());
        for (int i = 0; i < w.length; i++) {
          int bits = Float.floatToRawIntBits(w[i]);
          float rne = Float.intBitsToFloat((bits + 0x7FFF + ((bits >>> 16) & 1)) & 0xFFFF0000);
          assertEquals(rne, p16[i], 0f, "bf16 load of element " + i);
          assertEquals(w[i], p32[i], 0f, "f32 load of element " + i);
        }
      }
    }
  }
}
