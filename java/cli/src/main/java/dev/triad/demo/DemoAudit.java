package dev.triad.demo;

import dev.triad.io.AtomicFiles;
import dev.triad.io.Json;
import dev.triad.train.audit.Audit;
import dev.triad.train.audit.AuditInputs;
import dev.triad.train.audit.AuditReport;
import dev.triad.train.audit.CheckResult;
import dev.triad.train.audit.Status;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * The demo's data audit (docs/AUDIT.md): {@link Audit} over exactly what the demo trained on (the
 * embedded SFT, preference and RL sets with the demo's seed, the demo's own corpus) and its runs
 * (tokenizer identity, template consistency), printed as the audit's table and written to
 * {@code <out>/audit.json}. Its findings are reported, never enforced: the demo trains on the
 * embedded data as it is, and a failing check (the embedded data fails none; it warns that the
 * corpus states some evaluation prompts) or an error in the audit itself never fails the demo.
 */
final class DemoAudit {
  private DemoAudit() {}

  /** The file beside summary.json that holds {@link AuditReport#toJson()}. */
  static final String FILE = "audit.json";

  /** Runs the audit and writes {@code <out>/audit.json}; returns the report, or null when it could not run. */
  static AuditReport run(Path out, long seed, List<String> corpus, List<Path> runs) {
    try {
      AuditReport report = Audit.run(AuditInputs.embedded(seed).withCorpus(corpus).withRuns(runs));
      System.out.print(report.table());
      AtomicFiles.writeString(out.resolve(FILE), Json.PRETTY.writeValueAsString(report.toJson()));
      System.out.println(">>> audit: " + headline(report) + "; reported, not enforced (docs/AUDIT.md); wrote "
          + out.resolve(FILE));
      return report;
    } catch (Exception e) {
      // the audit describes the data; a bug or an unreadable run in it must not cost the user the trained models
      System.out.println("demo: WARN the data audit could not run (" + e + "); the report has no Data audit table");
      return null;
    }
  }

  /** "3 checks fail, 1 warns" or "every check passes". */
  static String headline(AuditReport report) {
    long fail = count(report.checks(), Status.FAIL), warn = count(report.checks(), Status.WARN);
    if (fail == 0 && warn == 0) {
      return "no check fails or warns";
    }
    return String.format(Locale.ROOT, "%d check%s fail%s, %d warn%s", fail, fail == 1 ? "" : "s",
        fail == 1 ? "s" : "", warn, warn == 1 ? "s" : "");
  }

  private static long count(List<CheckResult> checks, Status s) {
    return checks.stream().filter(c -> c.status() == s).count();
  }
}
