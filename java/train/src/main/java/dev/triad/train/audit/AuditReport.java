package dev.triad.train.audit;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The results of an audit, one per check, in the order they ran. */
public record AuditReport(List<CheckResult> checks) {
  public AuditReport {
    checks = List.copyOf(checks);
  }

  /** The worst status of any check. */
  public Status status() {
    Status s = Status.SKIPPED;
    for (CheckResult c : checks) {
      s = s.worst(c.status());
    }
    return s;
  }

  /** Whether any check failed (what `--strict` exits non-zero on). */
  public boolean failed() {
    return status() == Status.FAIL;
  }

  /** The check named {@code name}, or null. */
  public CheckResult check(String name) {
    for (CheckResult c : checks) {
      if (c.check().equals(name)) {
        return c;
      }
    }
    return null;
  }

  /**
   * The table: one row per check (check, status, count, summary), then its examples indented.
   */
  public String table() {
    StringBuilder sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT, "%-30s %-7s %7s  %s%n", "check", "status", "count", "figures"));
    for (CheckResult c : checks) {
      sb.append(String.format(Locale.ROOT, "%-30s %-7s %7d  %s%n", c.check(), c.status().name().toLowerCase(Locale.ROOT),
          c.count(), c.summary()));
      for (String e : c.examples()) {
        sb.append(String.format(Locale.ROOT, "%-30s %-7s %7s    e.g. %s%n", "", "", "", e));
      }
    }
    return sb.toString();
  }

  /** The report as JSON-ready values: overall status and each check with its examples. */
  public Map<String, Object> toJson() {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("status", status().name().toLowerCase(Locale.ROOT));
    List<Map<String, Object>> list = new ArrayList<>();
    for (CheckResult c : checks) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("check", c.check());
      m.put("status", c.status().name().toLowerCase(Locale.ROOT));
      m.put("count", c.count());
      m.put("summary", c.summary());
      m.put("examples", c.examples());
      list.add(m);
    }
    out.put("checks", list);
    return out;
  }
}
