package dev.triad.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Text and JSONL corpora become documents; malformed input is reported by file and line. */
class CorpusReaderTest {
  @TempDir
  Path dir;

  private Path file(String name, String content) throws IOException {
    return Files.writeString(dir.resolve(name), content, StandardCharsets.UTF_8);
  }

  @Test
  void txtIsOneDocumentUnlessSeparatedByEndOfTextLines() throws IOException {
    Path one = file("one.txt", "First paragraph.\n\nSecond paragraph of the same document.\n");
    Path many = file("many.txt", "Doc A line 1.\nDoc A line 2.\n<|endoftext|>\nDoc B.\r\n  <|endoftext|>  \r\n\n"
        + "<|endoftext|>\nDoc C mentions <|endoftext|> inline.");
    List<String> docs = CorpusReader.read(List.of(one, many));
    assertEquals(List.of("First paragraph.\n\nSecond paragraph of the same document.\n",
        "Doc A line 1.\nDoc A line 2.", "Doc B.", "Doc C mentions <|endoftext|> inline."), docs);
  }

  @Test
  void jsonlTakesTheTextFieldAndSkipsBlankLines() throws IOException {
    Path f = file("c.jsonl", "{\"text\": \"héllo\\nworld\", \"id\": 1}\n\n{\"id\": 2, \"text\": \"second\"}\n");
    assertEquals(List.of("héllo\nworld", "second"), CorpusReader.read(List.of(f)));
  }

  private void assertFails(Path f, String... fragments) {
    IOException e = assertThrows(IOException.class, () -> CorpusReader.read(List.of(f)));
    for (String frag : fragments) {
      assertTrue(e.getMessage().contains(frag), "expected '" + frag + "' in: " + e.getMessage());
    }
  }

  @Test
  void malformedJsonlLinesAreNamedByFileAndLine() throws IOException {
    String good = "{\"text\": \"ok\"}\n";
    assertFails(file("bad.jsonl", good + good + "{\"text\": \"unterminated}\n"), "bad.jsonl:3", "invalid JSON");
    assertFails(file("missing.jsonl", good + "{\"body\": \"x\"}\n"), "missing.jsonl:2", "missing \"text\"", "body");
    assertFails(file("number.jsonl", "{\"text\": 42}\n"), "number.jsonl:1", "\"text\" must be a string", "number");
    assertFails(file("array.jsonl", good + "\n[1, 2]\n"), "array.jsonl:3", "expected a JSON object", "array");
  }

  @Test
  void emptyCorpusMissingFileAndUnknownTypeAreClearErrors() throws IOException {
    assertFails(file("blank.txt", "  \n\n"), "empty");
    assertFails(file("blank.jsonl", "{\"text\": \"\"}\n\n"), "empty");
    assertThrows(NoSuchFileException.class, () -> CorpusReader.read(List.of(dir.resolve("gone.txt"))));
    assertFails(file("data.csv", "a,b"), "data.csv", ".txt", ".jsonl");
  }

  @Test
  void invalidUtf8IsNamed() throws IOException {
    Path f = Files.write(dir.resolve("latin1.txt"), new byte[] {'c', 'a', 'f', (byte) 0xE9});
    assertFails(f, "latin1.txt", "UTF-8");
    Path j = Files.write(dir.resolve("latin1.jsonl"), new byte[] {'{', '}', '\n', (byte) 0xE9, '\n'});
    assertFails(j, "latin1.jsonl", "UTF-8");
  }

  @Test
  void aDirectoryMeansItsCorpusFilesInNameOrder() throws IOException {
    Path sub = Files.createDirectory(dir.resolve("corpus"));
    Files.writeString(sub.resolve("b.txt"), "bee");
    Files.writeString(sub.resolve("a.jsonl"), "{\"text\": \"ay\"}\n");
    Files.writeString(sub.resolve("notes.md"), "ignored");
    assertEquals(List.of("ay", "bee"), CorpusReader.read(List.of(sub)));
  }
}
