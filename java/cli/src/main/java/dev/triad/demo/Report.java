package dev.triad.demo;

import com.fasterxml.jackson.databind.JsonNode;
import dev.triad.io.AtomicFiles;
import dev.triad.io.Json;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * {@code <out>/report.html} for a demo directory: the {@link ReportCard} (one row per headline figure
 * with a verdict) and its alarms at the top, then per phase: PNG plots (XChart, headless) of its
 * metrics.jsonl, its evaluation tables with human labels (accuracy per task family from
 * sft/eval.json, held-out accuracy per preference rule from reward/reward_eval.json, the RL policy
 * evaluation before and after) and the sample outputs before and after from samples.json, then the
 * data audit's table from audit.json ({@link AuditSection}). Self-contained: the plots sit next to it in
 * {@code <out>/plots/}, linked relatively. Reads files only (no model, no native code).
 */
public final class Report {
  private Report() {}


  /** One line of a plot: a metrics key drawn as a line, or as markers (sparse keys like val_loss). */
  private record Line(String key, String label, boolean markers) {}

  /** Points drawn as markers that do not come from metrics.jsonl (e.g. an evaluation before and after). */
  private record Extra(String label, List<Double> x, List<Double> y) {}

  /** Writes the plots and report.html; returns the report's path. */
  public static Path write(Path out) {
    System.setProperty("java.awt.headless", "true");
    JsonNode summary = Demo.readJson(out.resolve("summary.json"));
    JsonNode samples = Demo.readJson(out.resolve("samples.json"));
    String rl = summary != null && summary.hasNonNull("rl") ? summary.get("rl").asText() : detectRl(out);
    String rlName = rl.toUpperCase(Locale.ROOT);
    Path plots = out.resolve("plots");
    try {
      Files.createDirectories(plots);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + plots, e);
    }
    StringBuilder h = new StringBuilder();
    h.append("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Triad demo report</title>\n<style>")
        .append("body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}")
        .append("table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.25em .6em;")
        .append("text-align:left;vertical-align:top}th{background:#f3f3f3}pre{white-space:pre-wrap;background:#f7f7f7;")
        .append("padding:.5em;margin:0}img{max-width:100%}td.num{text-align:right}")
        .append(".GOOD{background:#e3f5e1}.BAD{background:#fbe0de}.NEUTRAL{background:#f4f4f4}.WARN{background:#fff4d6}")
        .append(".alarm{border:2px solid #c0392b;background:#fdecea;padding:.5em 1em;margin:.5em 0}")
        .append(".ok{border:2px solid #2e7d32;background:#edf7ed;padding:.5em 1em;margin:.5em 0}")
        .append(".note{color:#555;font-size:.9em}</style></head><body>\n")
        .append("<h1>Triad demo: pretraining, instruction tuning, RLHF</h1>\n");
    if (summary != null) {
      h.append("<p>RL algorithm <b>").append(esc(rlName)).append("</b>; device ").append(esc(text(summary, "device")))
          .append(", precision ").append(esc(text(summary, "precision"))).append("; seed ")
          .append(esc(text(summary, "seed")))
          .append(summary.path("quick").asBoolean() ? "; <b>quick mode</b> (a smoke test: tiny model, a few steps;"
              + " its figures show the pipeline runs, not that it learns)" : "")
          .append("; total time ").append(duration(summary.get("seconds.total"))).append(".</p>\n");
    }

    // the report card and its alarms first: the verdict before the detail
    ReportCard.Card card = ReportCard.of(out, rl);
    h.append("<h2 id=\"card\">Report card</h2>\n<table id=\"report-card\"><tr><th>phase</th><th>what was measured")
        .append("</th><th>before</th><th>after</th><th>verdict</th></tr>\n");
    for (ReportCard.Row r : card.rows()) {
      h.append("<tr class=\"").append(r.tone()).append("\"><td>").append(esc(r.phase())).append("</td><td>")
          .append(esc(r.measured())).append("</td><td class=\"num\">").append(esc(r.before()))
          .append("</td><td class=\"num\">").append(esc(r.after())).append("</td><td><b>").append(esc(r.verdict()))
          .append("</b></td></tr>\n");
    }
    h.append("</table>\n<p class=\"note\">").append(esc(ReportCard.THRESHOLDS)).append(" Before: the model the phase")
        .append(" starts from (pretraining: random initialisation); RL figures are means over sampled replies to")
        .append(" held-out prompts.</p>\n");
    h.append("<h2 id=\"alarms\">Alarms</h2>\n");
    if (card.alarms().isEmpty()) {
      h.append("<div class=\"ok\">No alarm. Checked:<ul>");
      card.checks().forEach(c -> h.append("<li>").append(esc(c)).append("</li>"));
      h.append("</ul></div>\n");
    } else {
      for (ReportCard.Alarm a : card.alarms()) {
        h.append("<div class=\"alarm\"><b>").append(esc(a.phase())).append(": ").append(esc(a.title()))
            .append("</b><br>").append(esc(a.detail())).append("</div>\n");
      }
      h.append("<p class=\"note\">All checks: ").append(esc(String.join("; ", card.checks()))).append(".</p>\n");
    }

    // phase 1
    h.append("<h2>1. Pretraining</h2>\n");
    plot(h, out.resolve("pretrain"), plots, "pretrain_loss", "Pretraining loss", "loss (nats per token)",
        List.of(new Line("loss", "training batches", false), new Line("val_loss", "held-out text", true)), List.of());
    details(h, summary, List.of(
        new String[] {"pretrain.val_loss_start", "held-out loss before (random initialisation)"},
        new String[] {"pretrain.val_loss_end", "held-out loss after"},
        new String[] {"steps.pretrain", "training steps"}, new String[] {"seconds.pretrain", "time"}));
    if (samples != null && samples.has("pretrain")) {
      JsonNode p = samples.get("pretrain");
      h.append("<p>Text sampled from the model (temperature 0.8), the same start:</p>")
          .append("<table><tr><th>before (random initialisation)</th><th>after pretraining</th></tr><tr><td><pre>")
          .append(esc(p.path("before").asText())).append("</pre></td><td><pre>").append(esc(p.path("after").asText()))
          .append("</pre></td></tr></table>\n");
    }

    // phase 2
    h.append("<h2>2. Instruction tuning (SFT)</h2>\n");
    plot(h, out.resolve("sft"), plots, "sft_loss", "SFT loss (assistant tokens)", "loss (nats per token)",
        List.of(new Line("loss", "training batches", false), new Line("val_loss", "held-out conversations", true)),
        List.of());
    familyTable(h, Demo.readJson(out.resolve("sft").resolve("eval.json")));
    details(h, summary, List.of(new String[] {"steps.sft", "training steps"}, new String[] {"seconds.sft", "time"}));
    if (samples != null && samples.has("sft")) {
      h.append("<p>The same prompts before and after (greedy replies):</p>")
          .append("<table><tr><th>prompt</th><th>expected</th><th>before (pretrained model)</th><th>after SFT</th></tr>\n");
      for (JsonNode s : samples.get("sft")) {
        h.append("<tr><td><pre>").append(esc(s.path("prompt").asText()))
            .append(s.path("held_out").asBoolean() ? "</pre><i>(held-out family)</i>" : "</pre>")
            .append("</td><td><pre>").append(esc(s.path("expected").asText())).append("</pre></td><td><pre>")
            .append(reply(s.path("before").asText())).append("</pre></td><td><pre>").append(reply(s.path("after").asText()))
            .append("</pre></td></tr>\n");
      }
      h.append("</table>\n");
    }

    // phase 3a
    h.append("<h2>3a. Reward model</h2>\n");
    JsonNode rewardEval = Demo.readJson(out.resolve("reward").resolve("reward_eval.json"));
    plot(h, out.resolve("reward"), plots, "reward_loss", "Reward model loss (Bradley-Terry)", "loss",
        List.of(new Line("loss", "training batches", false), new Line("val_loss", "held-out pairs", true)), List.of());
    plot(h, out.resolve("reward"), plots, "reward_accuracy", "Reward model: pairs ranked right", "share of pairs",
        List.of(new Line("accuracy", "training mini-batch (the pairs it trains on; noisy)", false)),
        heldOutPoints(out.resolve("reward"), rewardEval));
    ruleTable(h, rewardEval);
    details(h, summary, List.of(new String[] {"reward.heldout_mean_margin", "mean reward margin on held-out pairs"},
        new String[] {"steps.reward", "training steps"}, new String[] {"seconds.reward", "time"}));

    // phase 3b
    h.append("<h2>3b. RLHF: ").append(esc(rlName)).append("</h2>\n");
    Path rlDir = out.resolve(rl);
    switch (rl) {
      case "ppo" -> {
        plot(h, rlDir, plots, "rl_reward", "PPO reward of rollouts", "reward-model score",
            List.of(new Line("reward", "mean reward of the step's rollouts", false)), List.of());
        plot(h, rlDir, plots, "rl_kl", "PPO KL to the instruction-tuned model", "KL of a reply (nats)",
            List.of(new Line("kl", "KL", false)), List.of());
        plot(h, rlDir, plots, "rl_length", "PPO reply length of rollouts", "tokens",
            List.of(new Line("response_length", "mean reply length", false)), List.of());
      }
      case "grpo" -> {
        plot(h, rlDir, plots, "rl_reward", "GRPO reward of rollouts", "reward-model score",
            List.of(new Line("reward_mean", "mean reward of the step's groups", false)), List.of());
        plot(h, rlDir, plots, "rl_kl", "GRPO KL to the instruction-tuned model", "KL",
            List.of(new Line("kl", "KL", false)), List.of());
      }
      default -> {
        plot(h, rlDir, plots, "rl_loss", "DPO loss", "loss",
            List.of(new Line("loss", "training batches", false), new Line("val_loss", "held-out pairs", true)),
            List.of());
        plot(h, rlDir, plots, "rl_margin", "DPO held-out reward margin and pairs ranked right", "value",
            List.of(new Line("margin", "margin", true), new Line("accuracy", "share of pairs ranked right", true)),
            List.of());
      }
    }
    JsonNode evalFile = Demo.readJson(rlDir.resolve(rl + "_eval.json"));
    policyTable(h, evalFile, rlName);
    details(h, summary, List.of(new String[] {"steps." + rl, "training steps"}, new String[] {"seconds." + rl, "time"}));
    if (samples != null && samples.has("rl")) {
      h.append("<p>The same held-out prompts before and after (greedy replies):</p><table><tr><th>prompt</th>")
          .append("<th>before (instruction-tuned model)</th><th>after ").append(esc(rlName)).append("</th></tr>\n");
      for (JsonNode s : samples.get("rl")) {
        h.append("<tr><td><pre>").append(esc(s.path("prompt").asText())).append("</pre></td><td><pre>")
            .append(reply(s.path("before").asText())).append("</pre></td><td><pre>").append(reply(s.path("after").asText()))
            .append("</pre></td></tr>\n");
      }
      h.append("</table>\n");
    }
    if (evalFile != null && evalFile.hasNonNull("sample_before")) {
      h.append("<p>One sampled reply from the evaluation (temperature 1):</p><table><tr><th>before</th>")
          .append("<th>after</th></tr><tr><td><pre>").append(esc(evalFile.get("sample_before").asText()))
          .append("</pre></td><td><pre>").append(esc(evalFile.path("sample_after").asText()))
          .append("</pre></td></tr></table>\n");
    }
    AuditSection.append(h, Demo.readJson(out.resolve(DemoAudit.FILE)));
    h.append("<p class=\"note\">Numbers: <a href=\"summary.json\">summary.json</a>; per-step metrics in each phase's")
        .append(" metrics.jsonl; evaluations in sft/eval.json, reward/reward_eval.json, ").append(esc(rl + "/" + rl))
        .append("_eval.json.</p>\n")
        // after load, the body records how many images decoded: a headless browser's DOM dump shows it
        .append("<script>window.addEventListener('load',function(){var i=document.images,ok=0;")
        .append("for(var k=0;k<i.length;k++){if(i[k].complete&&i[k].naturalWidth>0)ok++;}")
        .append("document.body.setAttribute('data-images',i.length);document.body.setAttribute('data-images-loaded',ok);")
        .append("});</script>\n</body></html>\n");
    Path file = out.resolve("report.html");
    try {
      AtomicFiles.writeString(file, h.toString());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
    return file;
  }

  /** Accuracy per task family, trained families first, from sft/eval.json. */
  private static void familyTable(StringBuilder h, JsonNode eval) {
    if (eval == null || !eval.has("families")) {
      h.append("<p><i>no per-family evaluation (sft/eval.json missing)</i></p>\n");
      return;
    }
    h.append("<p>Exact answers per task family (greedy replies to evaluation prompts never trained on):</p>\n")
        .append("<table id=\"families\"><tr><th>task family</th><th>examples</th><th>before: pretrained model,")
        .append(" chat form</th><th>before: same model, its corpus's quiz form</th><th>after SFT</th></tr>\n");
    for (boolean heldOut : new boolean[] {false, true}) {
      h.append("<tr><th colspan=\"5\">").append(heldOut ? "held-out families (never trained on)" : "trained families")
          .append("</th></tr>\n");
      for (Iterator<Map.Entry<String, JsonNode>> it = eval.get("families").fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> f = it.next();
        JsonNode v = f.getValue();
        if (v.path("held_out").asBoolean() != heldOut) {
          continue;
        }
        h.append("<tr><td>").append(esc(f.getKey().replace('_', ' '))).append("</td><td class=\"num\">")
            .append(v.path("examples").asInt()).append("</td><td class=\"num\">")
            .append(ReportCard.pct(ReportCard.num(v, "accuracy_before"))).append("</td><td class=\"num\">")
            .append(ReportCard.pct(ReportCard.num(v, "accuracy_quiz_form_before"))).append("</td><td class=\"num\">")
            .append(ReportCard.pct(ReportCard.num(v, "accuracy_after"))).append("</td></tr>\n");
      }
      String k = heldOut ? "heldout" : "seen";
      h.append("<tr><td><b>mean</b></td><td></td><td class=\"num\"><b>")
          .append(ReportCard.pct(ReportCard.num(eval, "accuracy_" + k + "_before"))).append("</b></td><td class=\"num\"><b>")
          .append(ReportCard.pct(ReportCard.num(eval, "accuracy_" + k + "_quiz_form_before")))
          .append("</b></td><td class=\"num\"><b>").append(ReportCard.pct(ReportCard.num(eval, "accuracy_" + k + "_after")))
          .append("</b></td></tr>\n");
    }
    h.append("</table>\n");
  }

  private static final Map<String, String> RULES = Map.of(
      "correct", "correctness: the right answer beats a wrong one",
      "concise", "concision: a correct answer beats the same answer padded with filler",
      "polite", "politeness: a polite reply beats one with a harmful word");

  /** Held-out accuracy overall and per preference rule, from reward/reward_eval.json. */
  private static void ruleTable(StringBuilder h, JsonNode eval) {
    if (eval == null) {
      h.append("<p><i>no held-out evaluation (reward/reward_eval.json missing)</i></p>\n");
      return;
    }
    JsonNode before = eval.path("before");
    h.append("<p>Held-out pairs ranked right (pairs never trained on; 50% is chance):</p>\n")
        .append("<table id=\"rules\"><tr><th>pairs</th><th>before (untrained head)</th><th>after</th></tr>\n")
        .append("<tr><td><b>all ").append(eval.path("heldout_pairs").asInt()).append(" held-out pairs</b></td><td class=\"num\">")
        .append(ReportCard.pct(ReportCard.num(before, "heldout_accuracy"))).append("</td><td class=\"num\">")
        .append(ReportCard.pct(ReportCard.num(eval, "heldout_accuracy"))).append("</td></tr>\n");
    for (Iterator<Map.Entry<String, JsonNode>> it = eval.path("heldout_accuracy_by_rule").fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> r = it.next();
      h.append("<tr><td>").append(esc(RULES.getOrDefault(r.getKey(), r.getKey()))).append("</td><td class=\"num\">")
          .append(ReportCard.pct(ReportCard.num(before.path("heldout_accuracy_by_rule"), r.getKey())))
          .append("</td><td class=\"num\">").append(ReportCard.pct(r.getValue().asDouble())).append("</td></tr>\n");
    }
    h.append("</table>\n");
  }

  /** The RL phase's policy evaluation before and after, labelled. */
  private static void policyTable(StringBuilder h, JsonNode eval, String rlName) {
    if (eval == null) {
      return;
    }
    JsonNode b = eval.has("policy_before") ? eval.get("policy_before") : eval.get("before");
    JsonNode a = eval.has("policy_after") ? eval.get("policy_after") : eval.get("after");
    if (a == null || a.isNull() || !a.has("replies")) {
      return;
    }
    h.append("<p>Policy evaluation on held-out prompts (").append(a.path("prompts").asInt()).append(" prompts, ")
        .append(esc(eval.path("decoding").asText("sampled replies"))).append("):</p>\n")
        .append("<table id=\"policy\"><tr><th>measure</th><th>before (instruction-tuned model)</th><th>after ")
        .append(esc(rlName)).append("</th></tr>\n");
    String[][] rows = {{"reward", "reward-model score (mean)", "3"}, {"rule_score", "rule score (-1.4 to 1)", "3"},
        {"exact_share", "exactly right replies", "%"}, {"harmful_share", "replies with a harmful word", "%"},
        {"mean_length", "mean reply length (characters)", "1"},
        {"kl", "KL to the instruction-tuned model (nats per token)", "4"}};
    for (String[] r : rows) {
      h.append("<tr><td>").append(esc(r[1])).append("</td><td class=\"num\">").append(cell(b, r[0], r[2]))
          .append("</td><td class=\"num\">").append(cell(a, r[0], r[2])).append("</td></tr>\n");
    }
    h.append("</table>\n");
  }

  private static String cell(JsonNode n, String key, String format) {
    double v = ReportCard.num(n, key);
    return format.equals("%") ? ReportCard.pct(v) : ReportCard.fix(v, Integer.parseInt(format));
  }

  /** Held-out accuracy of the reward model before (step 0) and after (last step), as plot points. */
  private static List<Extra> heldOutPoints(Path runDir, JsonNode eval) {
    if (eval == null) {
      return List.of();
    }
    double last = 0;
    for (JsonNode r : metrics(runDir)) {
      last = Math.max(last, r.path("step").asDouble());
    }
    List<Double> x = new ArrayList<>(), y = new ArrayList<>();
    double before = ReportCard.num(eval.path("before"), "heldout_accuracy");
    if (Double.isFinite(before)) {
      x.add(0.0);
      y.add(before);
    }
    double after = ReportCard.num(eval, "heldout_accuracy");
    if (Double.isFinite(after)) {
      x.add(last);
      y.add(after);
    }
    return x.isEmpty() ? List.of() : List.of(new Extra("held-out pairs (before and after)", x, y));
  }

  /** Labelled rows of the summary (label, value); durations for seconds.* keys. */
  private static void details(StringBuilder h, JsonNode summary, List<String[]> keys) {
    if (summary == null) {
      return;
    }
    List<String[]> rows = new ArrayList<>();
    for (String[] k : keys) {
      if (summary.has(k[0])) {
        rows.add(new String[] {k[1], k[0].startsWith("seconds.") ? duration(summary.get(k[0])) : format(summary.get(k[0]))});
      }
    }
    if (rows.isEmpty()) {
      return;
    }
    h.append("<table>");
    rows.forEach(r -> h.append("<tr><td>").append(esc(r[0])).append("</td><td class=\"num\">").append(esc(r[1]))
        .append("</td></tr>"));
    h.append("</table>\n");
  }

  /** A model's reply for a table cell, escaped; an empty one says so instead of leaving a blank cell. */
  private static String reply(String text) {
    return text == null || text.isBlank() ? "<i>(empty reply)</i>" : esc(text);
  }

  /** "38 s", "3 min 43 s"; "-" when missing. */
  static String duration(JsonNode seconds) {
    if (seconds == null || !seconds.isNumber()) {
      return "-";
    }
    long s = Math.round(seconds.asDouble());
    return s < 60 ? s + " s" : (s / 60) + " min " + (s % 60) + " s";
  }

  private static String detectRl(Path out) {
    for (String rl : List.of("ppo", "dpo", "grpo")) {
      if (Files.isDirectory(out.resolve(rl))) {
        return rl;
      }
    }
    return "ppo";
  }

  /** The records of {@code <run>/metrics.jsonl} (empty when missing). */
  static List<JsonNode> metrics(Path runDir) {
    Path file = runDir.resolve("metrics.jsonl");
    List<JsonNode> rows = new ArrayList<>();
    if (!Files.exists(file)) {
      return rows;
    }
    try {
      for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
        if (!line.isBlank()) {
          rows.add(Json.MAPPER.readTree(line));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
    return rows;
  }

  /** Draws the lines found in the run's metrics into plots/NAME.png and links it; nothing when none has data. */
  private static void plot(StringBuilder h, Path runDir, Path plots, String name, String title, String yTitle,
      List<Line> lines, List<Extra> extras) {
    List<JsonNode> rows = metrics(runDir);
    XYChart chart = new XYChartBuilder().width(720).height(380).title(title).xAxisTitle("step").yAxisTitle(yTitle)
        .build();
    chart.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.InsideNE);
    chart.getStyler().setYAxisDecimalPattern("0.####"); // not XChart's full-precision ticks on a narrow range
    int drawn = 0;
    for (Line l : lines) {
      List<Double> x = new ArrayList<>(), y = new ArrayList<>();
      for (JsonNode r : rows) {
        JsonNode v = r.get(l.key());
        if (v != null && v.isNumber() && Double.isFinite(v.asDouble()) && r.has("step")) {
          x.add(r.get("step").asDouble());
          y.add(v.asDouble());
        }
      }
      if (x.isEmpty()) {
        continue;
      }
      XYSeries s = chart.addSeries(l.label(), x, y);
      s.setMarker(l.markers() || x.size() < 3 ? SeriesMarkers.CIRCLE : SeriesMarkers.NONE);
      drawn++;
    }
    for (Extra e : extras) {
      XYSeries s = chart.addSeries(e.label(), e.x(), e.y());
      s.setMarker(SeriesMarkers.DIAMOND);
      s.setLineStyle(SeriesLines.NONE);
      drawn++;
    }
    if (drawn == 0) {
      h.append("<p><i>").append(esc(title)).append(": no data in ").append(esc(runDir.getFileName() + "/metrics.jsonl"))
          .append("</i></p>\n");
      return;
    }
    Path png = plots.resolve(name + ".png");
    try (OutputStream os = Files.newOutputStream(png)) {
      BitmapEncoder.saveBitmap(chart, os, BitmapEncoder.BitmapFormat.PNG);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + png, e);
    }
    h.append("<p><img src=\"plots/").append(name).append(".png\" alt=\"").append(esc(title)).append("\"></p>\n");
  }

  private static String format(JsonNode v) {
    if (v == null || v.isNull()) {
      return "-";
    }
    if (v.isFloatingPointNumber()) {
      return String.format("%.4f", v.asDouble());
    }
    return v.asText();
  }

  private static String text(JsonNode n, String key) {
    return n.hasNonNull(key) ? n.get(key).asText() : "-";
  }

  static String esc(String s) {
    return s == null ? "" : s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }
}
