package dev.triad.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.triad.cli.PretrainCliTest.Run;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code triad bench}: the quick run's JSON, --compare's ratios and the one-line errors. */
class BenchCommandTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path tmp;

  @Test
  void quickRunWritesJsonWithEveryShareOfPeakInRange() throws IOException {
    Path json = tmp.resolve("bench.json");
    Run r = PretrainCliTest.run("bench", "--device", "cpu", "--quick", "--json", json.toString());
    assertEquals(0, r.exit(), r.toString());
    JsonNode root = JSON.readTree(json.toFile());
    assertEquals("cpu", root.get("device").asText());
    assertEquals("f32", root.get("precision").asText(), "the CPU's default precision");
    assertTrue(root.get("peak").get("flops").asDouble() > 1e9, "peak FLOP/s: " + root.get("peak"));
    assertTrue(root.get("peak").get("bytes_per_s").asDouble() > 1e8, "peak bytes/s: " + root.get("peak"));
    Set<String> names = new HashSet<>();
    for (JsonNode c : root.get("cases")) {
      String name = c.get("case").asText();
      names.add(name);
      double share = c.get("share_of_peak").asDouble();
      assertTrue(share > 0 && share <= 1.1, name + ": share of peak " + share + " is outside (0, 1.1]: " + c);
      assertTrue(c.get("median_ms").asDouble() > 0, c.toString());
      assertTrue(r.out().contains(name), "the table lacks " + name);
    }
    for (String want : new String[] {"matmul NN (linear dX)", "matmul NT (linear forward)", "matmul TN (linear dW)",
        "attention forward", "attention backward", "layernorm forward", "layernorm backward", "gelu forward",
        "gelu backward", "cross-entropy forward", "cross-entropy backward", "adamw step", "embedding forward",
        "embedding backward", "step pretrain", "step sft", "step reward", "step dpo", "ppo rollout", "ppo update"}) {
      assertTrue(names.contains(want), "no case " + want + " in " + names);
    }
  }

  @Test
  void compareArgumentPrintsTheRatioAgainstDoctoredFigures() throws IOException {
    Path first = tmp.resolve("first.json");
    Run a = PretrainCliTest.run("bench", "--device", "cpu", "--quick", "--only", "layernorm", "--json",
        first.toString());
    assertEquals(0, a.exit(), a.toString());
    // doctor the earlier figures: forward 1000 ms, backward 0.5 ms, and a case this run lacks
    ObjectNode doctored = (ObjectNode) JSON.readTree(first.toFile());
    ArrayNode cases = (ArrayNode) doctored.get("cases");
    ((ObjectNode) cases.get(0)).put("median_ms", 1000.0);
    ((ObjectNode) cases.get(1)).put("median_ms", 0.5);
    Path earlier = tmp.resolve("earlier.json");
    JSON.writeValue(earlier.toFile(), doctored);

    Path second = tmp.resolve("second.json");
    Run b = PretrainCliTest.run("bench", "--device", "cpu", "--quick", "--only", "layernorm", "--json",
        second.toString(), "--compare", earlier.toString());
    assertEquals(0, b.exit(), b.toString());
    JsonNode now = JSON.readTree(second.toFile()).get("cases");
    assertEquals(2, now.size(), now.toString());
    double[] earlierMs = {1000.0, 0.5};
    for (int i = 0; i < 2; i++) {
      JsonNode c = now.get(i);
      String ratio = String.format(Locale.ROOT, "%.2fx", earlierMs[i] / c.get("median_ms").asDouble());
      String line = b.out().lines().filter(l -> l.startsWith(c.get("case").asText()) && l.endsWith(ratio)).findFirst().orElse(null);
      assertTrue(line != null, "no comparison line for " + c.get("case").asText() + " ending in " + ratio + ":\n" + b);
    }
    assertTrue(b.out().contains("ratio = earlier time / this time"), b.toString());
  }

  @Test
  void badDeviceOrCompareFileGivesOneLineError() throws IOException {
    Run r = PretrainCliTest.run("bench", "--device", "tpu");
    assertNotEquals(0, r.exit(), r.toString());
    assertTrue(r.err().contains("--device tpu: must be one of cpu, cuda, auto"), r.toString());
    assertEquals(1, r.err().strip().lines().count(), "one line: " + r);

    Run missing = PretrainCliTest.run("bench", "--device", "cpu", "--compare", tmp.resolve("nope.json").toString());
    assertNotEquals(0, missing.exit(), missing.toString());
    assertTrue(missing.err().contains("--compare") && missing.err().contains("no such file"), missing.toString());
    assertEquals(1, missing.err().strip().lines().count(), "one line: " + missing);

    Path junk = tmp.resolve("junk.json");
    Files.writeString(junk, "{ not json");
    Run bad = PretrainCliTest.run("bench", "--device", "cpu", "--compare", junk.toString());
    assertNotEquals(0, bad.exit(), bad.toString());
    assertTrue(bad.err().contains("--compare") && bad.err().contains("cannot read it as JSON"), bad.toString());
    assertEquals(1, bad.err().strip().lines().count(), "one line: " + bad);

    Path other = tmp.resolve("other.json");
    Files.writeString(other, "{\"steps\": 3}");
    Run wrong = PretrainCliTest.run("bench", "--device", "cpu", "--compare", other.toString());
    assertNotEquals(0, wrong.exit(), wrong.toString());
    assertTrue(wrong.err().contains("not a triad bench JSON"), wrong.toString());
  }
}
