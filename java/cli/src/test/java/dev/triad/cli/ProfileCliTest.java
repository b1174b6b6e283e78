package dev.triad.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.triad.cli.PretrainCliTest.Run;
import dev.triad.profile.Profiler;
import dev.triad.train.StepProfile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --profile} and {@code --trace} on pretrain: the per-phase and per-op tables (the model's
 * ops forward and backward, positive, within the step time), the Chrome trace of exactly the
 * selected steps, and a loss bit-identical to an unprofiled run.
 */
class ProfileCliTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern ROW = Pattern.compile("^  (\\S.*?)\\s+(\\d+)\\s+([0-9.]+)\\s+([0-9.]+)\\s+([0-9.]+)%$");
  private static final Pattern HEADER = Pattern.compile("profile: per phase, (\\d+) steps after 2 warm-up: "
      + "[0-9.]+ ms/step, ([0-9.]+) ms in all");

  @TempDir Path tmp;

  @AfterEach
  void off() {
    Profiler.reset();
    StepProfile.disable();
  }

  private static Run pretrain(Path out, String... extra) {
    List<String> args = new ArrayList<>(List.of("pretrain", "--steps", "6", "--out", out.toString(), "--model", "tiny",
        "--batch", "2", "--seq", "32", "--eval-every", "2", "--eval-batches", "1", "--sample-every", "0", "--device",
        "cpu", "--seed", "7"));
    args.addAll(List.of(extra));
    return PretrainCliTest.run(args.toArray(String[]::new));
  }

  /** name -> {count, total ms} of the table after the line starting with {@code title}. */
  static Map<String, double[]> table(String out, String title) {
    Map<String, double[]> rows = new LinkedHashMap<>();
    boolean in = false;
    for (String line : out.split("\n")) {
      if (line.startsWith(title)) {
        in = true;
        continue;
      }
      if (in && line.startsWith("profile:")) {
        break;
      }
      Matcher m = ROW.matcher(line);
      if (in && m.matches()) {
        rows.put(m.group(1), new double[] {Double.parseDouble(m.group(2)), Double.parseDouble(m.group(3))});
      }
    }
    return rows;
  }

  @Test
  void profilePrintsOpsAndPhasesWithinTheStepTime() {
    Run r = pretrain(tmp.resolve("p"), "--profile");
    assertEquals(0, r.exit(), r.toString());
    Matcher h = HEADER.matcher(r.out());
    assertTrue(h.find(), r.toString());
    assertEquals(4, Integer.parseInt(h.group(1)), "steps after warm-up");
    double stepMs = Double.parseDouble(h.group(2));
    assertTrue(stepMs > 0, r.toString());

    Map<String, double[]> ops = table(r.out(), "profile: per op");
    for (String op : List.of("linear", "attention", "layerNorm", "mlp", "embedding", "crossEntropy")) {
      assertTrue(ops.containsKey(op + " fwd"), op + " fwd missing: " + r);
    }
    for (String op : List.of("linear", "attention", "layerNorm", "mlp", "embedding", "crossEntropy.loss")) {
      assertTrue(ops.containsKey(op + " bwd"), op + " bwd missing: " + r);
    }
    double sum = 0;
    for (var e : ops.entrySet()) {
      if (e.getKey().equals("all ops")) {
        continue;
      }
      assertTrue(e.getValue()[0] >= 4, "count of " + e.getKey() + ": " + r);
      assertTrue(e.getValue()[1] >= 0, "time of " + e.getKey() + ": " + r);
      sum += e.getValue()[1];
    }
    for (String op : List.of("linear", "attention", "layerNorm", "mlp")) {
      assertTrue(ops.get(op + " fwd")[1] > 0 && ops.get(op + " bwd")[1] > 0, op + " took no time: " + r);
    }
    // the tiny model has 2 layers: 3 linears (qkv, proj, head) per layer and head -> 2*2+1 per step
    assertEquals(4 * 5, ops.get("linear fwd")[0], 0, "linear calls over 4 steps: " + r);
    assertTrue(sum <= stepMs + 0.001 * ops.size(), "ops " + sum + " ms > steps " + stepMs + " ms: " + r);
    Map<String, double[]> phases = table(r.out(), "profile: per phase");
    for (String p : List.of("data", "forward", "backward", "optimizer", "(unmarked)")) {
      assertTrue(phases.containsKey(p), p + " missing: " + r);
    }
    assertEquals(4, phases.get("optimizer")[0], 0, "one optimizer phase per step: " + r);
    assertTrue(phases.get("forward")[1] > 0 && phases.get("backward")[1] > 0, r.toString());
    assertTrue(phases.containsKey("evaluation"), "evaluation (outside the steps) missing: " + r);
    double inStep = 0;
    for (String p : List.of("data", "forward", "backward", "optimizer", "(unmarked)")) {
      inStep += phases.get(p)[1];
    }
    assertEquals(stepMs, inStep, 0.001 * 6, "phases of the step do not add up to the step time: " + r);
    assertTrue(r.out().contains("cpu: ops run synchronously"), r.toString());
  }

  @Test
  void traceHoldsExactlyTheSelectedSteps() throws IOException {
    Path trace = tmp.resolve("traces/t.json");
    Run r = pretrain(tmp.resolve("t"), "--trace", trace.toString(), "--trace-steps", "2-3");
    assertEquals(0, r.exit(), r.toString());
    assertFalse(r.out().contains("profile: per op"), "--trace alone prints no tables: " + r);
    JsonNode root = JSON.readTree(trace.toFile());
    JsonNode events = root.get("traceEvents");
    assertTrue(events.isArray() && events.size() > 0, root.toString());
    Set<String> steps = new TreeSet<>(), phases = new TreeSet<>(), ops = new TreeSet<>();
    Map<Long, Double> lastTs = new HashMap<>();
    double firstStep = Double.MAX_VALUE;
    for (JsonNode e : events) {
      assertEquals("X", e.get("ph").asText(), e.toString());
      assertTrue(e.get("dur").asDouble() >= 0, e.toString());
      assertTrue(e.has("pid") && e.has("tid") && e.has("name") && e.has("cat"), e.toString());
      double ts = e.get("ts").asDouble();
      long tid = e.get("tid").asLong();
      assertTrue(ts >= lastTs.getOrDefault(tid, -1.0), "ts not monotone on thread " + tid + " at " + e);
      lastTs.put(tid, ts);
      switch (e.get("cat").asText()) {
        case "step" -> {
          steps.add(e.get("name").asText());
          firstStep = Math.min(firstStep, ts);
        }
        case "phase" -> phases.add(e.get("name").asText());
        case "op.fwd", "op.bwd" -> ops.add(e.get("name").asText());
        default -> throw new AssertionError("unexpected category " + e);
      }
    }
    assertEquals(Set.of("step 2", "step 3"), steps);
    assertTrue(phases.containsAll(List.of("data", "forward", "backward", "optimizer", "evaluation")), phases.toString());
    assertTrue(ops.containsAll(List.of("linear fwd", "linear bwd", "attention fwd", "attention bwd", "layerNorm fwd",
        "layerNorm bwd")), ops.toString());
    assertEquals(events.get(0).get("ts").asDouble(), firstStep, "an event before step 2");
    // 2 steps x 5 linears forward in the steps, plus the evaluation after step 2 (5 more)
    long linearFwd = 0;
    for (JsonNode e : events) {
      linearFwd += e.get("name").asText().equals("linear fwd") ? 1 : 0;
    }
    assertEquals(15, linearFwd, "linear forwards in steps 2-3 and the evaluation after step 2");
    try (var files = Files.list(trace.getParent())) {
      assertEquals(1, files.count(), "a temporary file was left next to the trace");
    }
  }

  @Test
  void profilingLeavesTheLossBitIdentical() throws IOException {
    assertEquals(0, pretrain(tmp.resolve("plain")).exit());
    Run r = pretrain(tmp.resolve("profiled"), "--profile", "--trace", tmp.resolve("x.json").toString(),
        "--trace-steps", "1-6");
    assertEquals(0, r.exit(), r.toString());
    List<String> plain = losses(tmp.resolve("plain")), profiled = losses(tmp.resolve("profiled"));
    assertEquals(6 + 4, plain.size(), plain.toString()); // 6 losses, val losses at 0, 2, 4, 6
    assertEquals(plain, profiled);
  }

  private static List<String> losses(Path run) throws IOException {
    List<String> out = new ArrayList<>();
    for (String line : Files.readAllLines(run.resolve("metrics.jsonl"))) {
      JsonNode n = JSON.readTree(line);
      for (String k : List.of("loss", "val_loss")) {
        if (n.has(k)) {
          out.add(k + "@" + n.get("step").asText() + "=" + n.get(k).asText());
        }
      }
    }
    return out;
  }

  @Test
  void badTraceSteps() {
    Run r = pretrain(tmp.resolve("b"), "--trace", tmp.resolve("b.json").toString(), "--trace-steps", "5-2");
    assertTrue(r.exit() != 0, r.toString());
    assertTrue((r.out() + r.err()).contains("--trace-steps 5-2"), r.toString());
  }
}
