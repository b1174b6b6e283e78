package dev.triad.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.triad.tensor.Device;
import dev.triad.train.pretrain.Pretrain;
import dev.triad.train.pretrain.PretrainOptions;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Trainer's listener sees exactly what metrics.jsonl records (the same steps and evaluations,
 * equal values) and every checkpoint; a listener that throws stops the run with the step's metrics
 * line and checkpoint written, and the run resumes from there.
 */
class TrainingListenerTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path tmp;

  /** A tiny pretraining run on the CPU: 2 micro-batches per step, eval and checkpoint every 2 steps. */
  private static PretrainOptions options(Path runDir, int steps, boolean resume) {
    TrainConfig train = TrainConfig.builder().steps(steps).gradAccum(1).lr(3e-3f).minLrRatio(0.1f).warmupSteps(2)
        .schedule(TrainConfig.Schedule.COSINE).decayFraction(0.2f).weightDecay(0.1f).beta1(0.9f).beta2(0.95f)
        .gradClip(1.0f).evalEvery(2).sampleEvery(0).checkpointEvery(2).keepCheckpoints(10).seed(4242).build();
    return PretrainOptions.builder().runDir(runDir).tokenizer("byte").preset("tiny").device(Device.CPU).batch(2)
        .seqLen(16).totalBatchTokens(2 * 2 * 16).train(train).evalBatches(1).resume(resume).build();
  }

  /** Records every call in order. */
  private static final class Recorder implements TrainingListener {
    final List<StepMetrics> steps = new ArrayList<>();
    final List<EvalMetrics> evals = new ArrayList<>();
    final List<Path> checkpoints = new ArrayList<>();
    final List<Long> checkpointSteps = new ArrayList<>();
    final List<String> calls = new ArrayList<>();

    @Override
    public void onStep(StepMetrics m) {
      steps.add(m);
      calls.add("step " + m.step());
    }

    @Override
    public void onEval(EvalMetrics m) {
      evals.add(m);
      calls.add("eval " + m.step());
    }

    @Override
    public void onCheckpoint(Path file, long step) {
      checkpoints.add(file);
      checkpointSteps.add(step);
      calls.add("checkpoint " + step);
    }
  }

  @Test
  void listenerReceivesWhatMetricsJsonlRecords() throws IOException {
    Path run = tmp.resolve("run");
    Recorder r = new Recorder();
    Trainer.Result result = Pretrain.run(options(run, 4, false), r);

    List<JsonNode> lines = metrics(run);
    List<JsonNode> stepLines = lines.stream().filter(l -> l.has("loss")).toList();
    List<JsonNode> evalLines = lines.stream().filter(l -> l.has("val_loss")).toList();
    assertEquals(4, stepLines.size(), "metrics.jsonl: " + lines);
    assertEquals(stepLines.size(), r.steps.size(), "one onStep per logged step");
    for (int i = 0; i < stepLines.size(); i++) {
      JsonNode l = stepLines.get(i);
      StepMetrics m = r.steps.get(i);
      assertEquals(l.get("step").asLong(), m.step());
      assertEquals(4, m.totalSteps());
      assertSameDouble(l, "loss", m.loss());
      assertEquals((float) l.get("lr").asDouble(), (float) m.lr(), "lr at step " + m.step()); // logged as a float
      assertSameDouble(l, "grad_norm", m.gradNorm());
      assertEquals(l.get("tokens").asLong(), m.tokens());
      assertEquals(2 * 2 * 16, m.tokens(), "tokens of 2 micro-batches of 2 x 16");
      assertSameDouble(l, "tokens_per_s", m.tokensPerSecond());
      assertSameDouble(l, "step_ms", m.stepMillis());
      if (l.has("mfu")) {
        assertSameDouble(l, "mfu", m.mfu());
      } else {
        assertTrue(Double.isNaN(m.mfu()), "mfu not logged, so NaN: " + m);
      }
      assertTrue(m.elapsedSeconds() > 0 && (i == 0 || m.elapsedSeconds() >= r.steps.get(i - 1).elapsedSeconds()));
      assertTrue(m.phase().isEmpty(), "pretraining has no phase metrics: " + m.phase());
    }
    assertEquals(List.of(0L, 2L, 4L), evalLines.stream().map(l -> l.get("step").asLong()).toList());
    assertEquals(evalLines.size(), r.evals.size(), "one onEval per logged val_loss");
    for (int i = 0; i < evalLines.size(); i++) {
      assertEquals(evalLines.get(i).get("step").asLong(), r.evals.get(i).step());
      assertSameDouble(evalLines.get(i), "val_loss", r.evals.get(i).valLoss());
    }
    assertEquals(List.of(2L, 4L), r.checkpointSteps);
    for (int i = 0; i < r.checkpoints.size(); i++) {
      assertEquals(checkpoint(run, r.checkpointSteps.get(i)), r.checkpoints.get(i));
      assertTrue(Files.isRegularFile(r.checkpoints.get(i)));
    }
    assertEquals(List.of("eval 0", "step 1", "step 2", "eval 2", "checkpoint 2", "step 3", "step 4", "eval 4",
        "checkpoint 4"), r.calls, "order of the calls");
    assertEquals(result.lastLoss(), r.steps.get(3).loss());
    assertThrows(UnsupportedOperationException.class, () -> r.steps.get(0).phase().put("x", 1), "immutable");
  }

  /** Thrown by the listener below; must come out of run() unchanged. */
  private static final class Stop extends RuntimeException {
    Stop() {
      super("listener stops the run");
    }
  }

  @Test
  void throwingListenerStopsTheRunWithTheStepWrittenAndItResumes() throws IOException {
    Path run = tmp.resolve("stopped");
    Stop stop = new Stop();
    List<Long> seen = new ArrayList<>();
    TrainingListener failing = new TrainingListener() {
      @Override
      public void onStep(StepMetrics m) {
        seen.add(m.step());
        if (m.step() == 2) {
          throw stop;
        }
      }
    };
    Stop thrown = assertThrows(Stop.class, () -> Pretrain.run(options(run, 4, false), failing));
    assertSame(stop, thrown, "the listener's exception propagates unchanged");
    assertEquals(List.of(1L, 2L), seen, "no step after the one whose listener threw");
    assertTrue(Files.isRegularFile(checkpoint(run, 2)), "step 2's checkpoint was written before the listener ran");
    assertFalse(Files.exists(checkpoint(run, 4)));
    List<JsonNode> lines = metrics(run);
    assertEquals(2, lines.get(lines.size() - 1).get("step").asLong(), "metrics end at step 2: " + lines);

    // the run resumes from step 2's checkpoint (its run lock was released) and finishes
    Recorder r = new Recorder();
    Trainer.Result result = Pretrain.run(options(run, 4, true), r);
    assertEquals(4, result.steps());
    assertEquals(List.of(3L, 4L), r.steps.stream().map(StepMetrics::step).toList());
    assertEquals(List.of(0L, 1L, 2L, 3L, 4L), metrics(run).stream().map(l -> l.get("step").asLong()).toList());
  }

  private static void assertSameDouble(JsonNode line, String key, double value) {
    assertTrue(line.has(key), key + " not in " + line);
    assertEquals(line.get(key).asDouble(), value, key + " at step " + line.get("step") + ": " + line);
  }

  private static Path checkpoint(Path run, long step) {
    return run.resolve("checkpoints").resolve(String.format("step_%08d.safetensors", step));
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
