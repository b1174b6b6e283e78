package dev.triad.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's "As a dependency" program compiles against the API as it is: the snippet is the
 * first thing an application developer copies, so a rename must not leave it stale.
 */
class ReadmeSnippetTest {
  @TempDir Path tmp;

  @Test
  void theDependencySnippetCompiles() throws IOException {
    Path readme = Path.of("").toAbsolutePath();
    while (!Files.isRegularFile(readme.resolve("README.md")) || !Files.isDirectory(readme.resolve("native"))) {
      readme = readme.getParent();
    }
    String text = Files.readString(readme.resolve("README.md"));
    int start = text.indexOf("import dev.triad.train.TrainConfig;");
    assertTrue(start >= 0, "the README's dependency snippet is gone");
    String source = text.substring(start, text.indexOf("```", start));
    assertTrue(source.contains("public class Main"), source);
    Path file = tmp.resolve("Main.java");
    Files.writeString(file, source);

    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status = javac.run(null, null, err, "-cp", System.getProperty("java.class.path"), "-d",
        tmp.resolve("classes").toString(), file.toString());
    assertEquals(0, status, err.toString(StandardCharsets.UTF_8));
  }
}
