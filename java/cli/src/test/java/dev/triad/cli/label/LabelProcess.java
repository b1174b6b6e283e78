package dev.triad.cli.label;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.triad.cli.Main;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** {@code triad label} in a JVM of its own (so a test can kill it with SIGKILL), and the address it printed. */
final class LabelProcess implements AutoCloseable {
  private static final Pattern URL = Pattern.compile("open (http://\\S+)");

  final Process process;
  final String url;
  final Path log;

  private LabelProcess(Process process, String url, Path log) {
    this.process = process;
    this.url = url;
    this.log = log;
  }

  /** Starts {@code triad label ARGS --port 0} and waits (up to 120 s) until it serves. */
  static LabelProcess start(Path log, String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java" + (File.separatorChar == '\\' ? ".exe" : "")).toString(),
        "-cp", System.getProperty("java.class.path"), Main.class.getName(), "label", "--port", "0"));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (System.nanoTime() < deadline) {
      Matcher m = URL.matcher(Files.readString(log));
      if (m.find()) {
        return new LabelProcess(p, m.group(1), log);
      }
      if (!p.isAlive()) {
        throw new AssertionError("triad label ended (exit " + p.exitValue() + "):\n" + Files.readString(log));
      }
      Thread.sleep(50);
    }
    p.destroyForcibly();
    throw new AssertionError("triad label printed no address in 120 s:\n" + Files.readString(log));
  }

  /** The server's root, without the page's query (http://127.0.0.1:PORT). */
  String base() {
    return url.replaceAll("/(\\?.*)?$", "");
  }

  /** kill -9: no shutdown hook runs, nothing is flushed or closed. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    assertEquals(137, process.waitFor(), "not killed by SIGKILL");
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      kill();
    }
  }
}
