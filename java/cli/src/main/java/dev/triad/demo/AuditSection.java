package dev.triad.demo;

import static dev.triad.demo.Report.esc;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The report's "Data audit" section: the table of {@code <out>/audit.json} ({@link DemoAudit}), one
 * row per check (check, status, count, figures and its examples), rows shaded like the report card's
 * verdicts (fail as BAD, pass as GOOD, warn amber, skipped grey).
 */
final class AuditSection {
  private AuditSection() {}

  /** The CSS class of a row with audit status {@code status}. */
  static String tone(String status) {
    return switch (status) {
      case "pass" -> "GOOD";
      case "fail" -> "BAD";
      case "warn" -> "WARN";
      default -> "NEUTRAL";
    };
  }

  /** Appends the section; a one-line note instead when {@code audit} (audit.json) is null. */
  static void append(StringBuilder h, JsonNode audit) {
    h.append("<h2 id=\"data-audit\">Data audit</h2>\n");
    if (audit == null || !audit.has("checks")) {
      // an older demo directory, or the audit could not run: say so rather than show an empty table
      h.append("<p class=\"note\">No data audit in this directory (audit.json missing; `triad audit` checks the")
          .append(" data: docs/AUDIT.md).</p>\n");
      return;
    }
    h.append("<p>The phases' data checked against each other (<code>triad audit</code>, docs/AUDIT.md): overall <b>")
        .append(esc(audit.path("status").asText("-"))).append("</b>. Findings are reported, not enforced: the demo")
        .append(" trained on this data as it is.</p>\n")
        .append("<table id=\"audit\"><tr><th>check</th><th>status</th><th>count</th><th>figures</th></tr>\n");
    for (JsonNode c : audit.get("checks")) {
      String status = c.path("status").asText("-");
      h.append("<tr class=\"").append(tone(status)).append("\"><td>").append(esc(c.path("check").asText()))
          .append("</td><td><b>").append(esc(status)).append("</b></td><td class=\"num\">")
          .append(c.path("count").asLong()).append("</td><td>").append(esc(c.path("summary").asText()));
      for (JsonNode e : c.path("examples")) {
        h.append("<br><span class=\"note\">e.g. ").append(esc(e.asText())).append("</span>");
      }
      h.append("</td></tr>\n");
    }
    h.append("</table>\n");
  }
}
