package dev.triad.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The report card's verdicts and alarms, on hand-written demo directories. */
class ReportCardTest {
  private static ReportCard.Row row(ReportCard.Card c, String measuredStart) {
    return c.rows().stream().filter(r -> r.measured().startsWith(measuredStart)).findFirst()
        .orElseThrow(() -> new AssertionError("no row '" + measuredStart + "' in " + c.rows()));
  }

  @Test
  void aGamingPpoRunRaisesEveryAlarm(@TempDir Path tmp) throws IOException {
    ReportCard.Card c = ReportCard.of(ReportFixture.write(tmp, true), "ppo");
    Set<String> titles = c.alarms().stream().map(ReportCard.Alarm::title).collect(Collectors.toSet());
    assertEquals(Set.of("reply-length collapse", "KL runaway", "reward up, exact answers down",
        "correctness at chance"), titles, c.alarms().toString());
    assertEquals("collapsed", row(c, "mean reply length").verdict());
    assertEquals("24.0", row(c, "mean reply length").before());
    assertEquals("1.5", row(c, "mean reply length").after());
    assertEquals("runaway", row(c, "KL to").verdict());
    assertEquals(ReportCard.Tone.BAD, row(c, "KL to").tone());
    // reward 3.19 -> 3.30 is within 10% of the reward model's spread (1.5): not an improvement
    assertEquals("no change", row(c, "reward-model score").verdict());
    assertEquals("regressed", row(c, "exactly right").verdict());
    assertEquals("fail: no change, target >= 80%", row(c, "held-out correctness").verdict());
  }

  @Test
  void aSoundRunHasNoAlarmAndStatesTargets(@TempDir Path tmp) throws IOException {
    ReportCard.Card c = ReportCard.of(ReportFixture.write(tmp, false), "ppo");
    assertTrue(c.alarms().isEmpty(), c.alarms().toString());
    assertTrue(c.checks().size() >= 4, c.checks().toString());
    assertEquals("improved", row(c, "validation loss").verdict());
    assertEquals("5.620", row(c, "validation loss").before());
    assertEquals("1.590", row(c, "validation loss").after());
    assertEquals("pass: improved, target >= 50%", row(c, "exact answers, trained").verdict());
    assertEquals("55.0%", row(c, "exact answers, trained").after());
    assertTrue(row(c, "exact answers, trained").measured().contains("mean of 2"));
    assertEquals("fail: improved, target >= 25%", row(c, "exact answers, held-out").verdict());
    assertEquals(ReportCard.Tone.BAD, row(c, "exact answers, held-out").tone());
    assertEquals("pass: improved, target >= 90%", row(c, "held-out preference pairs").verdict());
    assertEquals("pass: improved, target >= 80%", row(c, "held-out correctness").verdict());
    assertEquals("improved", row(c, "reward-model score").verdict());
    assertEquals("within bounds", row(c, "KL to").verdict());
    assertEquals("no change", row(c, "mean reply length").verdict());
  }

  @Test
  void aFailingDataAuditRaisesOneAlarmNamingItsChecks(@TempDir Path tmp) throws IOException {
    ReportCard.Card c = ReportCard.of(ReportFixture.writeAudit(ReportFixture.write(tmp, false)), "ppo");
    assertEquals(1, c.alarms().size(), c.alarms().toString());
    ReportCard.Alarm a = c.alarms().get(0);
    assertEquals("data audit: 1 check fails", a.title());
    assertEquals("eval-train overlap; see the Data audit table", a.detail()); // the warning is not an alarm
    assertTrue(c.checks().contains("the data audit fails no check"), c.checks().toString());
  }

  @Test
  void missingFilesGiveDashesNotErrors(@TempDir Path tmp) throws IOException {
    Files.createDirectories(tmp);
    ReportCard.Card c = ReportCard.of(tmp, "grpo");
    assertFalse(c.rows().isEmpty());
    assertEquals("not measured", row(c, "validation loss").verdict());
    assertEquals("-", row(c, "validation loss").after());
    assertTrue(c.alarms().isEmpty());
  }

  @Test
  void changeUsesTheNoiseBandBothWays() {
    assertEquals("improved", ReportCard.change(0.10, 0.16, 0.05, true));
    assertEquals("no change", ReportCard.change(0.10, 0.14, 0.05, true));
    assertEquals("regressed", ReportCard.change(0.10, 0.04, 0.05, true));
    assertEquals("improved", ReportCard.change(2.0, 1.9, 0.05, false));
    assertEquals("regressed", ReportCard.change(2.0, 2.1, 0.05, false));
    assertEquals("not measured", ReportCard.change(Double.NaN, Double.NaN, 0.05, true));
  }
}
