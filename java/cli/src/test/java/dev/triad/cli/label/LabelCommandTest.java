package dev.triad.cli.label;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.triad.cli.Main;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code triad label}'s options are checked before anything is sampled or served; --prompts is read strictly. */
class LabelCommandTest {
  @TempDir Path tmp;

  /** The exit code and standard error of {@code triad label ARGS}. */
  private static String[] label(String... args) {
    PrintStream old = System.err;
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    try (PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
      System.setErr(e);
      String[] all = new String[args.length + 1];
      all[0] = "label";
      System.arraycopy(args, 0, all, 1, args.length);
      return new String[] {Integer.toString(Main.run(all)), err.toString(StandardCharsets.UTF_8)};
    } finally {
      System.setErr(old);
    }
  }

  @Test
  void badOptionsAreRefusedWithTheirName() {
    String out = tmp.resolve("l.jsonl").toString();
    for (String[] c : List.of(
        new String[] {"--k must be between 2 and 16", "--k", "1", "--out", out},
        new String[] {"--limit must be at least 1", "--limit", "0", "--out", out},
        new String[] {"--temperature must be positive", "--temperature", "0", "--out", out},
        new String[] {"--port must be between", "--port", "70000", "--out", out},
        new String[] {"--run is required to sample", "--out", out},
        new String[] {"is not a run directory", "--run", tmp.toString(), "--out", out})) {
      String[] r = label(java.util.Arrays.copyOfRange(c, 1, c.length));
      assertEquals("1", r[0], r[1]);
      assertTrue(r[1].contains("triad label: " ) && r[1].contains(c[0]), r[1]);
    }
    assertFalse(Files.exists(tmp.resolve("l.jsonl")), "a refused start writes nothing");
  }

  @Test
  void promptsFileNeedsAPromptOnEveryLine() throws Exception {
    Path p = tmp.resolve("p.jsonl");
    Files.writeString(p, "{\"prompt\": \"Hi\"}\n\n{\"question\": \"Hm?\"}\n");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LabelCommand.readPrompts(p));
    assertTrue(e.getMessage().contains(p + ":3:") && e.getMessage().contains("question"), e.getMessage());
    Files.writeString(p, "{\"prompt\": \"Hi\"}\n{\"prompt\": \"Bye\"}\n");
    assertEquals(List.of("Hi", "Bye"), LabelCommand.readPrompts(p));
  }
}
