package dev.triad.demo;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The report card of a demo directory: one row per headline figure (phase, what was measured, before,
 * after, verdict) and the alarms raised when a phase looks like it is gaming its metric. Reads the
 * phases' evaluation files only ({@code sft/eval.json}, {@code reward/reward_eval.json},
 * {@code <rl>/<rl>_eval.json}, {@code <rl>/metrics.jsonl}, {@code summary.json}, {@code audit.json}); no model,
 * no native code.
 *
 * <p>Verdicts compare after with before against a stated noise band ({@link #THRESHOLDS}): "improved"
 * or "regressed" only when the change exceeds it, else "no change"; where the issue sets a target
 * (SFT, reward model) the verdict also says whether it is met.
 */
public final class ReportCard {
  private ReportCard() {}

  /** How a row reads. */
  public enum Tone { GOOD, NEUTRAL, BAD }

  /** One row of the card; before/after are formatted ("-" when not measured). */
  public record Row(String phase, String measured, String before, String after, String verdict, Tone tone) {}

  /** A warning that a phase may be gaming its metric, or that a figure cannot support a claim. */
  public record Alarm(String phase, String title, String detail) {}

  /** The card and its alarms. */
  public record Card(List<Row> rows, List<Alarm> alarms, List<String> checks) {}

  /** Noise bands and targets, stated under the card. */
  public static final String THRESHOLDS = "Verdicts: improved / regressed only when the change exceeds the noise band"
      + " (validation loss 0.05 nats; shares of exact answers or ranked pairs 5 percentage points; reward-model score"
      + " 10% of the reward model's spread over held-out replies, at least 0.01; rule score 0.05), otherwise no change."
      + " Targets (issue 15): SFT trained families >= 50%, held-out families >= 25%; reward model >= 90% of held-out"
      + " pairs and >= 80% of held-out correctness pairs. Reply length: collapsed below half of before.";

  static final double LOSS_BAND = 0.05;
  static final double SHARE_BAND = 0.05;
  static final double RULE_BAND = 0.05;
  /** A reply-length fall below this share of before is a collapse. */
  static final double LENGTH_COLLAPSE = 0.5;
  /** Reply-level KL above this multiple of PPO's target KL is a runaway. */
  static final double KL_RUNAWAY = 2;
  /** Per-token KL (nats) above this is a runaway where no target is known. */
  static final double KL_PER_TOKEN_LIMIT = 0.5;

  /** The card of demo directory {@code out} whose RL phase is {@code rl}. */
  public static Card of(Path out, String rl) {
    JsonNode summary = Demo.readJson(out.resolve("summary.json"));
    JsonNode sft = Demo.readJson(out.resolve("sft").resolve("eval.json"));
    JsonNode reward = Demo.readJson(out.resolve("reward").resolve("reward_eval.json"));
    JsonNode rlEval = Demo.readJson(out.resolve(rl).resolve(rl + "_eval.json"));
    List<JsonNode> rlSteps = Report.metrics(out.resolve(rl));
    Card card = of(summary, sft, reward, rl, rlEval, rlSteps,
        targetKl(Demo.readJson(out.resolve(rl).resolve("config.json"))));
    return withAudit(card, Demo.readJson(out.resolve(DemoAudit.FILE)));
  }

  /**
   * {@code card} plus one alarm when the data audit ({@code audit.json}, null when absent) has failing
   * checks: held-out figures on data that leaks or contradicts itself cannot carry the claims above.
   */
  static Card withAudit(Card card, JsonNode audit) {
    if (audit == null || !audit.has("checks")) {
      return card;
    }
    List<String> failed = new ArrayList<>();
    audit.get("checks").forEach(c -> {
      if (c.path("status").asText().equals("fail")) {
        failed.add(c.path("check").asText());
      }
    });
    List<Alarm> alarms = new ArrayList<>(card.alarms());
    List<String> checks = new ArrayList<>(card.checks());
    checks.add("the data audit fails no check");
    if (!failed.isEmpty()) {
      alarms.add(new Alarm("Data", "data audit: " + failed.size() + (failed.size() == 1 ? " check fails" : " checks fail"),
          String.join(", ", failed) + "; see the Data audit table"));
    }
    return new Card(card.rows(), alarms, checks);
  }

  /** The card from parsed files (any may be null); {@code targetKl} NaN when unknown. */
  static Card of(JsonNode summary, JsonNode sft, JsonNode reward, String rl, JsonNode rlEval, List<JsonNode> rlSteps,
      double targetKl) {
    List<Row> rows = new ArrayList<>();
    List<Alarm> alarms = new ArrayList<>();
    List<String> checks = new ArrayList<>();

    // pretraining: lower loss is better
    double l0 = num(summary, "pretrain.val_loss_start"), l1 = num(summary, "pretrain.val_loss_end");
    rows.add(row("Pretraining", "validation loss (nats per token, lower is better)", loss(l0), loss(l1),
        change(l0, l1, LOSS_BAND, false), Double.NaN, false));

    // SFT: exact answers per family group
    double s0 = sft != null ? num(sft, "accuracy_seen_before") : num(summary, "sft.accuracy_seen_before");
    double s1 = sft != null ? num(sft, "accuracy_seen_after") : num(summary, "sft.accuracy_seen_after");
    double h0 = sft != null ? num(sft, "accuracy_heldout_before") : num(summary, "sft.accuracy_heldout_before");
    double h1 = sft != null ? num(sft, "accuracy_heldout_after") : num(summary, "sft.accuracy_heldout_after");
    int[] fam = familyCounts(sft);
    rows.add(row("Instruction tuning", "exact answers, trained task families (mean of " + fam[0] + ")", pct(s0),
        pct(s1), change(s0, s1, SHARE_BAND, true), 0.5, true));
    rows.add(row("Instruction tuning", "exact answers, held-out task families never trained on (mean of " + fam[1]
        + ")", pct(h0), pct(h1), change(h0, h1, SHARE_BAND, true), 0.25, true));

    // reward model: held-out pairs (not the training mini-batches)
    JsonNode rb = reward == null ? null : reward.get("before");
    double r0 = num(rb, "heldout_accuracy"), r1 = num(reward, "heldout_accuracy");
    int pairs = reward == null ? 0 : reward.path("heldout_pairs").asInt();
    rows.add(row("Reward model", "held-out preference pairs ranked right (" + pairs + " pairs; 50% is chance)",
        pct(r0), pct(r1), change(r0, r1, SHARE_BAND, true), 0.9, true));
    double c0 = num(rb == null ? null : rb.get("heldout_accuracy_by_rule"), "correct");
    double c1 = num(reward == null ? null : reward.get("heldout_accuracy_by_rule"), "correct");
    rows.add(row("Reward model", "held-out correctness pairs ranked right (right answer vs wrong one)", pct(c0),
        pct(c1), change(c0, c1, SHARE_BAND, true), 0.8, true));
    if (Double.isFinite(c1)) {
      checks.add("reward model ranks correctness pairs above chance (> 60%)");
      if (c1 <= 0.6) {
        alarms.add(new Alarm("Reward model", "correctness at chance", String.format(Locale.ROOT,
            "the reward model ranks only %s of held-out correctness pairs right (50%% is chance): it rewards surface"
                + " features (length, politeness), so RL against it cannot learn to answer correctly", pct(c1))));
      }
    }

    // RL: the policy evaluation before and after, on held-out prompts
    String phase = "RLHF (" + rl.toUpperCase(Locale.ROOT) + ")";
    JsonNode pb = rlEval == null ? null : rlEval.has("policy_before") ? rlEval.get("policy_before") : rlEval.get("before");
    JsonNode pa = rlEval == null ? null : rlEval.has("policy_after") ? rlEval.get("policy_after") : rlEval.get("after");
    if (rl.equals("dpo")) {
      double d0 = num(rlEval == null ? null : rlEval.get("before"), "accuracy");
      double d1 = num(rlEval == null ? null : rlEval.get("after"), "accuracy");
      rows.add(row(phase, "held-out pairs the policy prefers as the data does (implicit reward)", pct(d0), pct(d1),
          change(d0, d1, SHARE_BAND, true), Double.NaN, true));
    }
    double spread = num(reward, "reward_std");
    double rewardBand = Math.max(0.01, Double.isFinite(spread) ? 0.1 * spread : 0.05);
    double w0 = num(pb, "reward"), w1 = num(pa, "reward");
    if (Double.isFinite(w0) || Double.isFinite(w1)) {
      rows.add(row(phase, "reward-model score of sampled replies to held-out prompts", fix(w0, 3), fix(w1, 3),
          change(w0, w1, rewardBand, true), Double.NaN, false));
    }
    double g0 = num(pb, "rule_score"), g1 = num(pa, "rule_score");
    rows.add(row(phase, "rule score: the preference rules checked directly (-1.4 to 1)", fix(g0, 3), fix(g1, 3),
        change(g0, g1, RULE_BAND, true), Double.NaN, false));
    double e0 = num(pb, "exact_share"), e1 = num(pa, "exact_share");
    rows.add(row(phase, "exactly right replies (sampled, held-out prompts)", pct(e0), pct(e1),
        change(e0, e1, SHARE_BAND, true), Double.NaN, true));
    double n0 = num(pb, "mean_length"), n1 = num(pa, "mean_length");
    boolean collapsed = Double.isFinite(n0) && Double.isFinite(n1) && n0 > 0 && n1 < LENGTH_COLLAPSE * n0;
    String lengthVerdict = !Double.isFinite(n0) || !Double.isFinite(n1) ? "not measured"
        : collapsed ? "collapsed" : n1 < 0.8 * n0 ? "shorter" : n1 > 1.25 * n0 ? "longer" : "no change";
    rows.add(new Row(phase, "mean reply length (characters)", fix(n0, 1), fix(n1, 1), lengthVerdict,
        collapsed ? Tone.BAD : Tone.NEUTRAL));
    double k1 = num(pa, "kl");
    double lastKl = lastNumber(rlSteps, "kl");
    boolean runaway = Double.isFinite(targetKl) && Double.isFinite(lastKl) ? lastKl > KL_RUNAWAY * targetKl
        : Double.isFinite(k1) && k1 > KL_PER_TOKEN_LIMIT;
    rows.add(new Row(phase, "KL to the instruction-tuned model (nats per token)", Double.isFinite(k1) ? fix(0, 3) : "-",
        fix(k1, 3), !Double.isFinite(k1) ? "not measured" : runaway ? "runaway" : "within bounds",
        runaway ? Tone.BAD : Tone.NEUTRAL));

    // alarms: a phase gaming its metric
    if (Double.isFinite(n0) && Double.isFinite(n1)) {
      checks.add("reply length does not collapse below half (" + fix(n0, 1) + " -> " + fix(n1, 1) + " characters)");
      if (collapsed) {
        alarms.add(new Alarm(phase, "reply-length collapse", String.format(Locale.ROOT,
            "mean reply length fell from %.1f to %.1f characters: short replies can win a brevity preference"
                + " without answering anything; read the samples below", n0, n1)));
      }
    }
    double len0 = firstNumber(rlSteps, "response_length"), len1 = lastNumber(rlSteps, "response_length");
    if (!collapsed && Double.isFinite(len0) && Double.isFinite(len1) && len0 > 0 && len1 < LENGTH_COLLAPSE * len0) {
      alarms.add(new Alarm(phase, "reply-length collapse during training", String.format(Locale.ROOT,
          "rollout replies shrank from %.1f to %.1f tokens between the first and the last step", len0, len1)));
    }
    if (Double.isFinite(lastKl) || Double.isFinite(k1)) {
      checks.add(Double.isFinite(targetKl) && Double.isFinite(lastKl)
          ? "KL of a reply stays below " + fix(KL_RUNAWAY * targetKl, 1) + " nats (twice the target " + fix(targetKl, 1)
              + "; last step " + fix(lastKl, 2) + ")"
          : "per-token KL stays below " + KL_PER_TOKEN_LIMIT + " nats");
      if (runaway) {
        alarms.add(new Alarm(phase, "KL runaway", Double.isFinite(targetKl) && Double.isFinite(lastKl)
            ? String.format(Locale.ROOT, "the last step's KL of a reply is %.2f nats, over %.0fx the target %.2f:"
                + " the policy has drifted far from the model it started from", lastKl, KL_RUNAWAY, targetKl)
            : String.format(Locale.ROOT, "per-token KL to the instruction-tuned model is %.3f nats (limit %.2f)", k1,
                KL_PER_TOKEN_LIMIT)));
      }
    }
    if (Double.isFinite(w0) && Double.isFinite(w1) && Double.isFinite(e0) && Double.isFinite(e1)) {
      checks.add("reward does not rise while exact answers fall");
      if (w1 > w0 && e1 < e0 - 0.01) {
        alarms.add(new Alarm(phase, "reward up, exact answers down", String.format(Locale.ROOT,
            "the reward model's score rose (%.3f -> %.3f) while exactly right replies fell (%s -> %s): the policy"
                + " pleases the reward model, not the user", w0, w1, pct(e0), pct(e1))));
      }
    }
    if (Double.isFinite(w0) && Double.isFinite(w1) && Double.isFinite(g0) && Double.isFinite(g1)) {
      checks.add("reward does not rise while the rule score falls");
      if (w1 > w0 + rewardBand && g1 < g0 - RULE_BAND) {
        alarms.add(new Alarm(phase, "reward up, rule score down", String.format(Locale.ROOT,
            "the reward model's score rose (%.3f -> %.3f) while the rules it should encode scored lower"
                + " (%.3f -> %.3f)", w0, w1, g0, g1)));
      }
    }
    return new Card(rows, alarms, checks);
  }

  /** A row whose verdict is {@code change}, plus "meets/below target" where {@code target} is finite. */
  private static Row row(String phase, String measured, String before, String after, String change, double target,
      boolean percent) {
    double a = parse(after);
    if (Double.isNaN(target) || Double.isNaN(a)) {
      Tone t = change.equals("improved") ? Tone.GOOD : change.equals("regressed") ? Tone.BAD : Tone.NEUTRAL;
      return new Row(phase, measured, before, after, change, t);
    }
    String goal = percent ? Math.round(target * 100) + "%" : fix(target, 2);
    boolean met = (percent ? a / 100 : a) >= target - 1e-12;
    return new Row(phase, measured, before, after,
        (met ? "pass" : "fail") + ": " + change + ", target >= " + goal, met ? Tone.GOOD : Tone.BAD);
  }

  /** "improved", "regressed" or "no change" with the noise band {@code band}; "not measured" on NaN. */
  static String change(double before, double after, double band, boolean higherIsBetter) {
    if (!Double.isFinite(before) || !Double.isFinite(after)) {
      return Double.isFinite(after) ? "no before figure" : "not measured";
    }
    double d = higherIsBetter ? after - before : before - after;
    return d > band ? "improved" : d < -band ? "regressed" : "no change";
  }

  /** PPO's target KL of a reply from its config.json's options, NaN when absent. */
  static double targetKl(JsonNode config) {
    String options = config == null ? "" : config.path("settings").path("options").asText("");
    Matcher m = Pattern.compile("targetKl=([0-9.eE+-]+)").matcher(options);
    return m.find() ? Double.parseDouble(m.group(1)) : Double.NaN;
  }

  private static int[] familyCounts(JsonNode sft) {
    int[] c = new int[2];
    if (sft != null && sft.has("families")) {
      sft.get("families").forEach(f -> c[f.path("held_out").asBoolean() ? 1 : 0]++);
    }
    return c;
  }

  private static double firstNumber(List<JsonNode> rows, String key) {
    for (JsonNode r : rows) {
      if (r.path(key).isNumber()) {
        return r.get(key).asDouble();
      }
    }
    return Double.NaN;
  }

  private static double lastNumber(List<JsonNode> rows, String key) {
    for (int i = rows.size() - 1; i >= 0; i--) {
      if (rows.get(i).path(key).isNumber()) {
        return rows.get(i).get(key).asDouble();
      }
    }
    return Double.NaN;
  }

  static double num(JsonNode n, String key) {
    return n != null && n.path(key).isNumber() ? n.get(key).asDouble() : Double.NaN;
  }

  static String pct(double v) {
    return Double.isFinite(v) ? String.format(Locale.ROOT, "%.1f%%", 100 * v) : "-";
  }

  static String loss(double v) {
    return fix(v, 3);
  }

  static String fix(double v, int digits) {
    return Double.isFinite(v) ? String.format(Locale.ROOT, "%." + digits + "f", v) : "-";
  }

  private static double parse(String formatted) {
    try {
      return Double.parseDouble(formatted.replace("%", ""));
    } catch (NumberFormatException e) {
      return Double.NaN;
    }
  }
}
