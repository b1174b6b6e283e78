package dev.triad.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.triad.tensor.Device;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The demo pipeline in --quick mode: every phase runs, summary.json holds its keys, the report links real plots. */
class DemoTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Keys a quick run must fill with finite numbers (the rest may be null). */
  private static final List<String> ALWAYS_NUMERIC = List.of("pretrain.val_loss_start", "pretrain.val_loss_end",
      "sft.accuracy_seen_before", "sft.accuracy_seen_after", "sft.accuracy_heldout_before",
      "sft.accuracy_heldout_after", "sft.accuracy_heldout_quiz_form_before", "reward.heldout_accuracy");

  private static JsonNode checkRun(Path dir, String rl, List<String> extraKeys, List<String> numericKeys)
      throws IOException {
    JsonNode s = JSON.readTree(dir.resolve("summary.json").toFile());
    for (String k : Demo.SUMMARY_KEYS) {
      assertTrue(s.has(k), "summary.json lacks " + k + ": " + s);
      assertTrue(s.get(k).isNull() || (s.get(k).isNumber() && Double.isFinite(s.get(k).asDouble())), k + ": " + s);
    }
    for (String k : extraKeys) {
      assertTrue(s.has(k), "summary.json lacks " + k + ": " + s);
    }
    for (String k : numericKeys) {
      assertTrue(s.get(k).isNumber() && Double.isFinite(s.get(k).asDouble()), k + " is not a finite number: " + s);
    }
    for (String k : List.of("sft.accuracy_seen_after", "reward.heldout_accuracy")) {
      double v = s.get(k).asDouble();
      assertTrue(v >= 0 && v <= 1, k + " " + v);
    }
    assertEquals(rl, s.get("rl").asText());
    for (String phase : List.of("pretrain", "sft", "reward", rl)) {
      assertTrue(Files.exists(dir.resolve(phase).resolve("metrics.jsonl")), phase + "/metrics.jsonl");
    }
    String html = Files.readString(dir.resolve("report.html"));
    Matcher m = Pattern.compile("<img src=\"([^\"]+\\.png)\"").matcher(html);
    int images = 0;
    while (m.find()) {
      Path png = dir.resolve(m.group(1));
      assertTrue(Files.size(png) > 1000, "missing or empty plot " + png);
      byte[] head = Files.readAllBytes(png);
      assertEquals((byte) 0x89, head[0], "not a PNG: " + png);
      assertEquals('P', head[1]);
      images++;
    }
    assertTrue(images >= 5, "expected plots for every phase, found " + images + " in\n" + html);
    assertTrue(html.contains("before") && html.contains("after"), "samples before/after");
    // the data audit over the demo's own data and runs: clean but for the corpus warning (docs/AUDIT.md)
    JsonNode audit = JSON.readTree(dir.resolve(DemoAudit.FILE).toFile());
    assertEquals("warn", audit.get("status").asText(), audit.toString());
    assertEquals(7, audit.get("checks").size(), audit.toString());
    for (JsonNode c : audit.get("checks")) {
      // the demo's four runs share a tokenizer and a template; the corpus states some evaluation prompts
      assertEquals(c.get("check").asText().equals("eval-corpus overlap") ? "warn" : "pass", c.get("status").asText(),
          c.toString());
    }
    assertTrue(html.contains("<tr class=\"GOOD\"><td>sft-preference contradictions</td>"), "audit table in the report");
    assertTrue(html.contains("<tr class=\"WARN\"><td>eval-corpus overlap</td>"), "audit table in the report");
    JsonNode samples = JSON.readTree(dir.resolve("samples.json").toFile());
    assertEquals(3, samples.get("sft").size(), samples.toString());
    assertNotNull(samples.get("pretrain").get("after"));
    return s;
  }

  @Test
  void quickPpoRunWritesSummaryAndReport(@TempDir Path tmp) throws Exception {
    long t0 = System.nanoTime();
    Demo.Result r = Demo.run(new Demo.Options(tmp.resolve("demo"), "ppo", true, Device.CPU, 1337, 0, 0, 0, 0));
    double seconds = (System.nanoTime() - t0) / 1e9;
    assertTrue(seconds < 60, "quick demo took " + seconds + " s");
    List<String> numeric = new java.util.ArrayList<>(ALWAYS_NUMERIC);
    numeric.addAll(List.of("ppo.reward_before", "ppo.reward_after", "ppo.kl_final", "eval.rule_score_before",
        "eval.rule_score_after"));
    checkRun(r.out(), "ppo", List.of(), numeric);
    assertEquals(r.report(), r.out().resolve("report.html"));
    String html = Files.readString(r.report());
    assertTrue(html.contains("id=\"report-card\"") && html.contains("id=\"families\"") && html.contains("id=\"rules\""),
        "report card, per-family and per-rule tables");
    Path chromium = ReportBrowserTest.chromium();
    if (chromium != null) { // the real report in a browser too (ReportBrowserTest skips or fails without one)
      ReportBrowserTest.checkInBrowser(chromium, r.out(), tmp.resolve("browser"));
    }
    // a second run into the same directory is refused instead of mixing checkpoints
    assertThrows(IllegalArgumentException.class,
        () -> Demo.run(new Demo.Options(tmp.resolve("demo"), "ppo", true, Device.CPU, 1337, 0, 0, 0, 0)));
  }

  @Test
  void quickDpoAndGrpoRunsFillTheirKeys(@TempDir Path tmp) throws IOException {
    Demo.Result d = Demo.run(new Demo.Options(tmp.resolve("dpo"), "dpo", true, Device.CPU, 7, 0, 0, 0, 0));
    JsonNode s = checkRun(d.out(), "dpo", Demo.DPO_KEYS, List.of("dpo.heldout_accuracy", "dpo.margin"));
    assertTrue(s.get("ppo.reward_before").isNull(), "no PPO ran: " + s);
    Demo.Result g = Demo.run(new Demo.Options(tmp.resolve("grpo"), "grpo", true, Device.CPU, 7, 0, 0, 0, 0));
    s = checkRun(g.out(), "grpo", Demo.GRPO_KEYS, List.of("grpo.reward_before", "grpo.reward_after",
        "grpo.kl_final", "eval.rule_score_before", "eval.rule_score_after"));
    assertFalse(s.has("dpo.margin"), s.toString());
  }

  @Test
  void rejectsAnUnknownRlAlgorithm(@TempDir Path tmp) {
    assertThrows(IllegalArgumentException.class,
        () -> new Demo.Options(tmp, "reinforce", true, Device.CPU, 1, 0, 0, 0, 0));
  }
}
