package dev.triad.demo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A hand-written demo directory (the files {@link Report} and {@link ReportCard} read, no model): a
 * PPO run that either behaves or games its reward (replies shrink to a few characters, KL runs away,
 * reward up while exact answers fall), so report tests need neither native code nor training.
 */
final class ReportFixture {
  private ReportFixture() {}

  static Path write(Path dir, boolean gaming) throws IOException {
    Files.createDirectories(dir);
    for (String p : new String[] {"pretrain", "sft", "reward", "ppo"}) {
      Files.createDirectories(dir.resolve(p));
    }
    Files.writeString(dir.resolve("summary.json"), """
        {"pretrain.val_loss_start": 5.62, "pretrain.val_loss_end": 1.59, "sft.accuracy_seen_before": 0.0,
         "sft.accuracy_seen_after": 0.55, "sft.accuracy_heldout_before": 0.0, "sft.accuracy_heldout_after": 0.2,
         "reward.heldout_accuracy": 0.93, "rl": "ppo", "quick": false, "device": "cpu", "precision": "f32",
         "seed": 1337, "steps.pretrain": 300, "steps.sft": 150, "steps.reward": 60, "steps.ppo": 8,
         "seconds.pretrain": 222.8, "seconds.sft": 61.0, "seconds.reward": 30.2, "seconds.ppo": 90.0,
         "seconds.total": 404.0}
        """);
    Files.writeString(dir.resolve("samples.json"), """
        {"pretrain": {"before": "xq#z", "after": "The cat sat."},
         "sft": [{"family": "addition", "held_out": false, "prompt": "What is 16 plus 61?", "expected": "77",
                  "before": "the", "after": "77"}],
         "rl": [{"prompt": "Write in uppercase: pig crab", "before": "PIG CRAB", "after": "%s"}]}
        """.formatted(gaming ? "ye" : "PIG CRAB"));
    Files.writeString(dir.resolve("pretrain/metrics.jsonl"), """
        {"step":0,"val_loss":5.62}
        {"step":1,"loss":5.6}
        {"step":300,"loss":1.5,"val_loss":1.59}
        """);
    Files.writeString(dir.resolve("sft/metrics.jsonl"), """
        {"step":0,"val_loss":2.0}
        {"step":1,"loss":2.1}
        {"step":150,"loss":0.9,"val_loss":1.0}
        """);
    Files.writeString(dir.resolve("sft/eval.json"), """
        {"families": {
          "addition": {"held_out": false, "accuracy_quiz_form_before": 0.1, "accuracy_before": 0.0,
                       "accuracy_after": 0.6, "examples": 20},
          "uppercase": {"held_out": false, "accuracy_quiz_form_before": 0.0, "accuracy_before": 0.0,
                        "accuracy_after": 0.5, "examples": 20},
          "capital_city": {"held_out": true, "accuracy_quiz_form_before": 0.05, "accuracy_before": 0.0,
                           "accuracy_after": 0.2, "examples": 20}},
         "accuracy_seen_quiz_form_before": 0.05, "accuracy_heldout_quiz_form_before": 0.05,
         "accuracy_seen_before": 0.0, "accuracy_seen_after": 0.55, "accuracy_heldout_before": 0.0,
         "accuracy_heldout_after": 0.2}
        """);
    Files.writeString(dir.resolve("reward/metrics.jsonl"), """
        {"step":0,"val_loss":0.693}
        {"step":1,"loss":0.69,"accuracy":0.5}
        {"step":60,"loss":0.2,"accuracy":1.0,"val_loss":0.25}
        """);
    Files.writeString(dir.resolve("reward/reward_eval.json"), """
        {"heldout_pairs": 447, "heldout_accuracy": 0.93, "reward_std": 1.5, "heldout_mean_margin": 2.0,
         "heldout_accuracy_by_rule": {"concise": 1.0, "correct": %s, "polite": 1.0},
         "before": {"heldout_accuracy": 0.5, "heldout_accuracy_by_rule": {"concise": 0.5, "correct": 0.5,
                    "polite": 0.5}}}
        """.formatted(gaming ? "0.505" : "0.85"));
    Files.writeString(dir.resolve("ppo/config.json"), """
        {"phase": "ppo", "settings": {"options": "Options[steps=8, beta=0.05, targetKl=6.0, adaptiveKl=true]"}}
        """);
    Files.writeString(dir.resolve("ppo/metrics.jsonl"), gaming ? """
        {"step":1,"reward":3.19,"kl":0.5,"response_length":20.0}
        {"step":8,"reward":3.34,"kl":15.0,"response_length":2.0}
        """ : """
        {"step":1,"reward":3.19,"kl":0.5,"response_length":20.0}
        {"step":8,"reward":3.6,"kl":3.0,"response_length":19.0}
        """);
    Files.writeString(dir.resolve("ppo/ppo_eval.json"), """
        {"decoding": "4 samples per prompt at temperature 1.0",
         "before": {"prompts": 24, "replies": 96, "reward": 3.19, "rule_score": 0.2, "kl": 0.0, "exact_share": 0.10,
                    "harmful_share": 0.0, "mean_length": 24.0},
         "after": {"prompts": 24, "replies": 96, "reward": %s, "rule_score": %s, "kl": %s, "exact_share": %s,
                   "harmful_share": 0.0, "mean_length": %s}}
        """.formatted(gaming ? "3.30" : "3.6", gaming ? "0.1" : "0.35", gaming ? "0.9" : "0.05",
        gaming ? "0.02" : "0.2", gaming ? "1.5" : "23.0"));
    return dir;
  }

  /** Adds an audit.json (as {@link DemoAudit} writes it) with one check of each status, one failing. */
  static Path writeAudit(Path dir) throws IOException {
    Files.writeString(dir.resolve(DemoAudit.FILE), """
        {"status": "fail", "checks": [
          {"check": "eval-train overlap", "status": "fail", "count": 128,
           "summary": "sft-eval in sft-train: 0 exact, 13 near", "examples": ["Weather bulletin for <Fairview>"]},
          {"check": "eval-corpus overlap", "status": "warn", "count": 191, "summary": "stated verbatim", "examples": []},
          {"check": "template consistency", "status": "pass", "count": 0, "summary": "0 differ", "examples": []},
          {"check": "tokenizer identity", "status": "skipped", "count": 0, "summary": "no runs given", "examples": []}]}
        """);
    return dir;
  }
}
