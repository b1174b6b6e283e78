package dev.triad.demo;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** report.html's Data audit section: audit.json's rows, shaded by status; a note when there is none. */
class ReportAuditTest {
  @Test
  void theAuditTableShowsEachCheckShadedByStatus(@TempDir Path tmp) throws IOException {
    Path dir = ReportFixture.writeAudit(ReportFixture.write(tmp, false));
    String html = Files.readString(Report.write(dir));
    assertTrue(html.contains("<h2 id=\"data-audit\">Data audit</h2>") && html.contains("<table id=\"audit\">"), html);
    assertTrue(html.contains("<tr class=\"BAD\"><td>eval-train overlap</td><td><b>fail</b></td><td class=\"num\">128"
        + "</td><td>sft-eval in sft-train: 0 exact, 13 near<br><span class=\"note\">e.g. Weather bulletin for"
        + " &lt;Fairview&gt;</span></td></tr>"), "the failing row, its figures and its example, escaped");
    assertTrue(html.contains("<tr class=\"WARN\"><td>eval-corpus overlap</td>"), "warn row");
    assertTrue(html.contains("<tr class=\"GOOD\"><td>template consistency</td>"), "pass row");
    assertTrue(html.contains("<tr class=\"NEUTRAL\"><td>tokenizer identity</td>"), "skipped row");
    assertTrue(html.contains("data audit: 1 check fails"), "the alarm");
  }

  @Test
  void anOlderDemoWithoutAuditJsonGetsANote(@TempDir Path tmp) throws IOException {
    String html = Files.readString(Report.write(ReportFixture.write(tmp, false)));
    assertTrue(html.contains("No data audit in this directory (audit.json missing"), html);
    assertFalse(html.contains("<table id=\"audit\">"));
    assertTrue(html.contains("class=\"ok\">No alarm."), "no audit, no audit alarm");
  }
}
