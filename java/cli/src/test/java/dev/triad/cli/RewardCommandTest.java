package dev.triad.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code triad reward} parses its options (no training: that is RewardTrainingTest). */
class RewardCommandTest {
  @Test
  void parsesOptionsAndDefaults() {
    RewardCommand c = new RewardCommand();
    new CommandLine(c).parseArgs("--base", "runs/my-sft", "--out", "runs/rm", "--steps", "7", "--batch", "3",
        "--lr", "2e-4", "--margin", "0.5", "--seed", "9", "--resume", "--device", "cpu");
    assertEquals(Path.of("runs/my-sft"), c.base);
    assertEquals(Path.of("runs/rm"), c.common.out);
    assertEquals(7, c.common.steps);
    assertEquals(3, c.batch);
    assertEquals(2e-4f, c.schedule.lr);
    assertEquals(0.5f, c.margin);
    assertEquals(9, c.common.seed);
    assertTrue(c.common.resume);
    assertNull(c.data);

    RewardCommand d = new RewardCommand();
    new CommandLine(d).parseArgs();
    assertEquals(Path.of("runs/sft"), d.base);
    assertEquals(Path.of("runs/reward"), d.common.out);
    assertEquals(0f, d.margin);
    String usage = new CommandLine(new RewardCommand()).getUsageMessage();
    assertTrue(usage.contains("--margin") && usage.contains("--data") && usage.contains("--base"), usage);
  }
}
