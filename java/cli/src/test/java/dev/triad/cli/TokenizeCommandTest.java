package dev.triad.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.triad.data.TokenShard;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code triad tokenize} writes readable shards and reports them; bad input is a one-line error. */
class TokenizeCommandTest {
  @TempDir
  Path dir;

  private static String run(int expectedExit, String... args) {
    PrintStream old = System.out;
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    StringWriter err = new StringWriter();
    try (PrintStream capture = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
      System.setOut(capture);
      CommandLine cl = new CommandLine(new TokenizeCommand()).setErr(new PrintWriter(err));
      int code = cl.execute(args);
      assertEquals(expectedExit, code, err.toString());
    } finally {
      System.setOut(old);
    }
    return bytes.toString(StandardCharsets.UTF_8) + err;
  }

  @Test
  void tokenizesTheSyntheticCorpusByDefault() throws Exception {
    Path out = dir.resolve("data");
    String printed = run(0, "--out", out.toString(), "--tokenizer", "byte", "--synthetic-bytes", "30000",
        "--shard-tokens", "20000");
    assertTrue(printed.contains("synthetic corpus"), printed);
    assertTrue(printed.contains("wrote " + out.resolve("train_000000.bin")), printed);
    assertTrue(printed.contains("wrote " + out.resolve("val_000000.bin")), printed);
    assertTrue(TokenShard.open(out.resolve("train_000001.bin")).size() > 0);
  }

  @Test
  void tokenizesFilesWithGpt2() throws Exception {
    Path txt = Files.writeString(dir.resolve("a.txt"), "Hello world\n<|endoftext|>\nSecond document.");
    Path out = dir.resolve("o");
    String printed = run(0, txt.toString(), "--out", out.toString(), "--val-fraction", "0");
    assertTrue(printed.contains("2 documents"), printed);
    int[] tokens = TokenShard.open(out.resolve("train_000000.bin")).toArray();
    assertEquals(50256, tokens[0]);
    assertEquals(15496, tokens[1]);
  }

  @Test
  void badInputIsAnError() {
    assertNotEquals(0, new CommandLine(new TokenizeCommand()).setErr(new PrintWriter(new StringWriter()))
        .execute("--tokenizer", "nope", "--out", dir.toString()));
    String help = run(0, "--help");
    for (String opt : new String[] {"--out", "--tokenizer", "--val-fraction", "--shard-tokens", "--seed"}) {
      assertTrue(help.contains(opt), help);
    }
  }
}
