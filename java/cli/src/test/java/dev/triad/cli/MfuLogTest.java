package dev.triad.cli;

import dev.triad.profile.DevicePeak;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.triad.cli.PretrainCliTestAccess;
import dev.triad.tensor.DType;
import dev.triad.tensor.Device;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** MFU in every step line of a training log, from the measured peak (DevicePeakTest). */
class MfuLogTest {
  @TempDir Path tmp;

  @Test
  void pretrainLogsMfuInEveryStepLine() throws IOException {
    Path run = tmp.resolve("run");
    var r = PretrainCliTestAccess.pretrainTiny(run);
    assertEquals(0, r.exit(), r.toString());
    List<String> lines = Files.readAllLines(run.resolve("metrics.jsonl"));
    ObjectMapper json = new ObjectMapper();
    int steps = 0;
    for (String line : lines) {
      JsonNode rec = json.readTree(line);
      if (rec.has("loss")) {
        steps++;
        double mfu = rec.path("mfu").asDouble(Double.NaN);
        assertTrue(mfu > 0 && mfu <= 1, "mfu " + mfu + " not in (0, 1]: " + line);
      }
    }
    assertEquals(2, steps, lines.toString());
    assertTrue(r.out().contains("| mfu "), "the progress line shows MFU: " + r);
  }
}
