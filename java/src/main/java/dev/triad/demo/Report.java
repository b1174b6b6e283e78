package dev.triad.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.triad.io.AtomicFiles;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * {@code <out>/report.html} for a demo directory: PNG plots (XChart, headless) of each phase's
 * metrics.jsonl, a table of headline numbers per phase from summary.json, and the sample outputs
 * before and after each phase from samples.json. Self-contained: the plots sit next to it in
 * {@code <out>/plots/}, linked relatively. Reads files only (no model, no native code).
 */
public final class Report {
  private Report() {}

  private static final ObjectMapper JSON = new ObjectMapper();

  /** One line of a plot: a metrics key drawn as a line, or as markers (sparse keys like val_loss). */
  private record Line(String key, String label, boolean markers) {}

  /** Writes the plots and report.html; returns the report's path. */
  public static Path write(Path out) {
    System.setProperty("java.awt.headless", "true");
    JsonNode summary = Demo.readJson(out.resolve("summary.json"));
    JsonNode samples = Demo.readJson(out.resolve("samples.json"));
    String rl = summary != null && summary.hasNonNull("rl") ? summary.get("rl").asText() : detectRl(out);
    Path plots = out.resolve("plots");
    try {
      Files.createDirectories(plots);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + plots, e);
    }
    StringBuilder h = new StringBuilder();
    h.append("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Triad demo report</title>\n<style>")
        .append("body{font-family:sans-serif;max-width:1000px;margin:2em auto;color:#222}")
        .append("table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.25em .6em;")
        .append("text-align:left;vertical-align:top}th{background:#f3f3f3}pre{white-space:pre-wrap;background:#f7f7f7;")
        .append("padding:.5em;margin:0}img{max-width:100%}</style></head><body>\n")
        .append("<h1>Triad demo: pretraining, instruction tuning, RLHF</h1>\n");
    if (summary != null) {
      h.append("<p>RL algorithm: <b>").append(esc(rl)).append("</b>; device ").append(esc(text(summary, "device")))
          .append("; seed ").append(esc(text(summary, "seed"))).append(summary.path("quick").asBoolean() ? "; quick mode" : "")
          .append("; total time ").append(esc(text(summary, "seconds.total"))).append(" s.</p>\n");
    }

    // phase 1
    h.append("<h2>1. Pretraining</h2>\n");
    plot(h, out.resolve("pretrain"), plots, "pretrain_loss", "Pretraining loss", "loss",
        List.of(new Line("loss", "train loss", false), new Line("val_loss", "val loss", true)));
    table(h, summary, "pretrain.", "steps.pretrain", "seconds.pretrain");
    if (samples != null && samples.has("pretrain")) {
      JsonNode p = samples.get("pretrain");
      h.append("<table><tr><th>sample before (random init)</th><th>sample after</th></tr><tr><td><pre>")
          .append(esc(p.path("before").asText())).append("</pre></td><td><pre>").append(esc(p.path("after").asText()))
          .append("</pre></td></tr></table>\n");
    }

    // phase 2
    h.append("<h2>2. Instruction tuning (SFT)</h2>\n");
    plot(h, out.resolve("sft"), plots, "sft_loss", "SFT loss (assistant tokens)", "loss",
        List.of(new Line("loss", "train loss", false), new Line("val_loss", "held-out loss", true)));
    table(h, summary, "sft.", "steps.sft", "seconds.sft");
    if (samples != null && samples.has("sft")) {
      h.append("<table><tr><th>prompt</th><th>expected</th><th>before (pretrained model)</th><th>after SFT</th></tr>\n");
      for (JsonNode s : samples.get("sft")) {
        h.append("<tr><td><pre>").append(esc(s.path("prompt").asText()))
            .append(s.path("held_out").asBoolean() ? "</pre><i>(held-out family)</i>" : "</pre>")
            .append("</td><td><pre>").append(esc(s.path("expected").asText())).append("</pre></td><td><pre>")
            .append(esc(s.path("before").asText())).append("</pre></td><td><pre>").append(esc(s.path("after").asText()))
            .append("</pre></td></tr>\n");
      }
      h.append("</table>\n");
    }

    // phase 3a
    h.append("<h2>3a. Reward model</h2>\n");
    plot(h, out.resolve("reward"), plots, "reward_loss", "Reward model loss (Bradley-Terry)", "loss",
        List.of(new Line("loss", "train loss", false), new Line("val_loss", "held-out loss", true)));
    plot(h, out.resolve("reward"), plots, "reward_accuracy", "Reward model held-out accuracy", "accuracy",
        List.of(new Line("accuracy", "held-out accuracy", true)));
    table(h, summary, "reward.", "steps.reward", "seconds.reward");

    // phase 3b
    h.append("<h2>3b. RLHF: ").append(esc(rl.toUpperCase(java.util.Locale.ROOT))).append("</h2>\n");
    Path rlDir = out.resolve(rl);
    switch (rl) {
      case "ppo" -> {
        plot(h, rlDir, plots, "rl_reward", "PPO reward (rollouts)", "reward", List.of(new Line("reward", "mean reward", false)));
        plot(h, rlDir, plots, "rl_kl", "PPO KL to the reference", "KL (nats)", List.of(new Line("kl", "KL", false)));
      }
      case "grpo" -> {
        plot(h, rlDir, plots, "rl_reward", "GRPO reward (rollouts)", "reward",
            List.of(new Line("reward_mean", "mean reward", false)));
        plot(h, rlDir, plots, "rl_kl", "GRPO KL to the reference", "KL", List.of(new Line("kl", "KL", false)));
      }
      default -> {
        plot(h, rlDir, plots, "rl_loss", "DPO loss", "loss",
            List.of(new Line("loss", "train loss", false), new Line("val_loss", "held-out loss", true)));
        plot(h, rlDir, plots, "rl_margin", "DPO held-out reward margin and accuracy", "value",
            List.of(new Line("margin", "margin", true), new Line("accuracy", "accuracy", true)));
      }
    }
    table(h, summary, rl + ".", "steps." + rl, "seconds." + rl);
    table(h, summary, "eval.", null, null);
    JsonNode evalFile = Demo.readJson(rlDir.resolve(rl + "_eval.json"));
    if (evalFile != null && evalFile.hasNonNull("sample_before")) {
      h.append("<p>Evaluation sample (from ").append(esc(rl)).append("_eval.json):</p><table><tr><th>before</th>")
          .append("<th>after</th></tr><tr><td><pre>").append(esc(evalFile.get("sample_before").asText()))
          .append("</pre></td><td><pre>").append(esc(evalFile.path("sample_after").asText()))
          .append("</pre></td></tr></table>\n");
    }
    if (samples != null && samples.has("rl")) {
      h.append("<table><tr><th>prompt</th><th>before (SFT model)</th><th>after ").append(esc(rl))
          .append("</th></tr>\n");
      for (JsonNode s : samples.get("rl")) {
        h.append("<tr><td><pre>").append(esc(s.path("prompt").asText())).append("</pre></td><td><pre>")
            .append(esc(s.path("before").asText())).append("</pre></td><td><pre>").append(esc(s.path("after").asText()))
            .append("</pre></td></tr>\n");
      }
      h.append("</table>\n");
    }
    h.append("<p>Numbers: <a href=\"summary.json\">summary.json</a>; per-step metrics in each phase's metrics.jsonl.</p>\n")
        .append("</body></html>\n");
    Path file = out.resolve("report.html");
    try {
      AtomicFiles.writeString(file, h.toString());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
    return file;
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
          rows.add(JSON.readTree(line));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
    return rows;
  }

  /** Draws the lines found in the run's metrics into plots/NAME.png and links it; nothing when none has data. */
  private static void plot(StringBuilder h, Path runDir, Path plots, String name, String title, String yTitle,
      List<Line> lines) {
    List<JsonNode> rows = metrics(runDir);
    XYChart chart = new XYChartBuilder().width(720).height(380).title(title).xAxisTitle("step").yAxisTitle(yTitle)
        .build();
    chart.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.InsideNE);
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

  /** The summary's keys starting with {@code prefix} (and the steps/seconds keys), as a table. */
  private static void table(StringBuilder h, JsonNode summary, String prefix, String stepsKey, String secondsKey) {
    if (summary == null) {
      return;
    }
    Map<String, String> rows = new LinkedHashMap<>();
    for (Iterator<String> it = summary.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (k.startsWith(prefix)) {
        rows.put(k, format(summary.get(k)));
      }
    }
    if (stepsKey != null && summary.has(stepsKey)) {
      rows.put("steps", format(summary.get(stepsKey)));
    }
    if (secondsKey != null && summary.has(secondsKey)) {
      rows.put("seconds", format(summary.get(secondsKey)));
    }
    if (rows.isEmpty()) {
      return;
    }
    h.append("<table><tr><th>metric</th><th>value</th></tr>\n");
    rows.forEach((k, v) -> h.append("<tr><td>").append(esc(k)).append("</td><td>").append(esc(v)).append("</td></tr>\n"));
    h.append("</table>\n");
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
