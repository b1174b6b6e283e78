package dev.triad.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `triad audit` in process: exit codes, the table, the JSON, bad input. */
class AuditCliTest {
  private static String[] run(String... args) {
    PrintStream out = System.out;
    PrintStream err = System.err;
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    ByteArrayOutputStream e = new ByteArrayOutputStream();
    int code;
    try {
      System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
      code = Main.run(args);
    } finally {
      System.setOut(out);
      System.setErr(err);
    }
    return new String[] {Integer.toString(code), o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8)};
  }

  @Test
  void plantedLeakFailsUnderStrictAndCleanFilesPass(@TempDir Path dir) throws Exception {
    Path sft = dir.resolve("sft.jsonl");
    Files.writeString(sft, "{\"prompt\": \"What is 17 plus 25?\", \"completion\": \"42\"}\n"
        + "{\"prompt\": \"What is 3 plus 4?\", \"completion\": \"7\"}\n");
    Path leaked = dir.resolve("eval.jsonl");
    Files.writeString(leaked, "{\"prompt\": \"what is 17 plus 25\", \"answer\": \"42\"}\n");
    Path clean = dir.resolve("clean.jsonl");
    Files.writeString(clean, "{\"prompt\": \"What is 9 plus 1?\", \"answer\": \"10\"}\n");
    Path json = dir.resolve("audit.json");

    String[] r = run("audit", "--sft", sft.toString(), "--eval", leaked.toString(), "--strict", "--json", json.toString());
    assertEquals("1", r[0], r[1] + r[2]);
    assertTrue(r[1].contains("eval.jsonl in sft-train: 1 exact, 0 near"), r[1]);
    assertTrue(Files.readString(json).contains("\"status\" : \"fail\""), Files.readString(json));

    r = run("audit", "--sft", sft.toString(), "--eval", leaked.toString());
    assertEquals("0", r[0], "without --strict a failed check does not fail the command");

    r = run("audit", "--sft", sft.toString(), "--eval", clean.toString(), "--strict");
    assertEquals("0", r[0], r[1] + r[2]);
    assertTrue(r[1].contains("audit: pass"), r[1]);
  }

  @Test
  void badInputIsExitTwoWithOneLine(@TempDir Path dir) throws Exception {
    String[] r = run("audit", "--sft", dir.resolve("nope.jsonl").toString());
    assertEquals("2", r[0]);
    assertTrue(r[2].startsWith("triad audit: --sft ") && r[2].contains("no such file"), r[2]);
    Path bad = dir.resolve("bad.jsonl");
    Files.writeString(bad, "{\"answer\": \"x\"}\n");
    r = run("audit", "--eval", bad.toString());
    assertEquals("2", r[0]);
    assertTrue(r[2].contains("bad.jsonl:1: field \"prompt\" is missing"), r[2]);
  }

  /**
   * The embedded data passes --strict (exit 0): no check fails, the corpus warning is by design
   * (EmbeddedAuditTest and docs/AUDIT.md have every figure).
   */
  @Test
  void embeddedDataUnderStrict() {
    String[] r = run("audit", "--strict");
    assertEquals("0", r[0], r[1] + r[2]);
    assertTrue(r[1].contains("eval-train overlap             pass          0"), r[1]);
    assertTrue(r[1].contains("sft-preference contradictions  pass          0"), r[1]);
    assertTrue(r[1].contains("length/style bias              pass        600"), r[1]);
    assertTrue(r[1].contains("eval-corpus overlap            warn        152"), r[1]);
    assertTrue(r[1].contains("template consistency           pass"), r[1]);
    assertFalse(r[1].contains(" fail "), r[1]);
  }
}
