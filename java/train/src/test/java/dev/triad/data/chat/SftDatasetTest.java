package dev.triad.data.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Both JSONL layouts parse; every malformed line is named by file, line and field. */
class SftDatasetTest {
  @TempDir
  Path dir;

  private Path file(String name, String content) throws IOException {
    return Files.writeString(dir.resolve(name), content, StandardCharsets.UTF_8);
  }

  @Test
  void promptCompletionAndMessagesBothParse() throws IOException {
    Path f = file("mixed.jsonl", "{\"prompt\": \"2+2?\", \"completion\": \"4\", \"id\": 7}\n"
        + "\n"
        + "{\"system\": \"Be terse.\", \"prompt\": \"hi\", \"completion\": \"hey\"}\n"
        + "   \n"
        + "{\"messages\": [{\"role\": \"system\", \"content\": \"S\"}, {\"role\": \"user\", \"content\": \"a\"},"
        + " {\"role\": \"assistant\", \"content\": \"b\", \"name\": \"bot\"}, {\"role\": \"user\", \"content\": \"c\"},"
        + " {\"role\": \"assistant\", \"content\": \"d\\nmore\"}]}\n");
    List<Conversation> cs = SftDataset.readJsonl(f);
    assertEquals(3, cs.size());
    assertEquals(Conversation.of(Message.user("2+2?"), Message.assistant("4")), cs.get(0));
    assertEquals(Conversation.of(Message.system("Be terse."), Message.user("hi"), Message.assistant("hey")), cs.get(1));
    assertEquals(Conversation.of(Message.system("S"), Message.user("a"), Message.assistant("b"), Message.user("c"),
        Message.assistant("d\nmore")), cs.get(2));
  }

  private void assertFails(String name, String content, String... fragments) throws IOException {
    Path f = file(name, content);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SftDataset.readJsonl(f));
    for (String frag : fragments) {
      assertTrue(e.getMessage().contains(frag), "expected '" + frag + "' in: " + e.getMessage());
    }
  }

  @Test
  void malformedLinesNameFileLineAndField() throws IOException {
    String ok = "{\"prompt\": \"p\", \"completion\": \"c\"}\n";
    assertFails("json.jsonl", ok + "{\"prompt\": \"p\", \n", "json.jsonl:2:", "invalid JSON");
    assertFails("trailing.jsonl", ok + ok + "{\"prompt\": \"p\", \"completion\": \"c\"} {}\n", "trailing.jsonl:3:",
        "invalid JSON");
    assertFails("dup.jsonl", "{\"prompt\": \"p\", \"prompt\": \"q\", \"completion\": \"c\"}\n", "dup.jsonl:1:",
        "invalid JSON", "prompt");
    assertFails("array.jsonl", ok + "[1]\n", "array.jsonl:2:", "expected a JSON object", "array");
    assertFails("neither.jsonl", "{\"text\": \"x\"}\n", "neither.jsonl:1:", "neither format", "text");
    assertFails("prompttype.jsonl", ok + "\n{\"prompt\": 3, \"completion\": \"c\"}\n", "prompttype.jsonl:3:",
        "field \"prompt\"", "must be a string", "number");
    assertFails("nocompletion.jsonl", "{\"prompt\": \"p\"}\n", "nocompletion.jsonl:1:", "field \"completion\"",
        "missing");
    assertFails("nullsys.jsonl", "{\"system\": null, \"prompt\": \"p\", \"completion\": \"c\"}\n", "nullsys.jsonl:1:",
        "field \"system\"", "must be a string", "null");
    assertFails("blankcompletion.jsonl", "{\"prompt\": \"p\", \"completion\": \"  \"}\n", "blankcompletion.jsonl:1:",
        "field \"completion\"", "whitespace");
    assertFails("emptycontent.jsonl", "{\"messages\": [{\"role\": \"user\", \"content\": \"\"}, {\"role\":"
        + " \"assistant\", \"content\": \"b\"}]}\n", "emptycontent.jsonl:1:", "field \"messages[0].content\"", "empty");
    assertFails("msgtype.jsonl", "{\"messages\": {\"role\": \"user\"}}\n", "msgtype.jsonl:1:", "field \"messages\"",
        "must be an array", "object");
    assertFails("msgelem.jsonl", "{\"messages\": [\"hi\"]}\n", "msgelem.jsonl:1:", "field \"messages[0]\"", "string");
    assertFails("role.jsonl", ok + "{\"messages\": [{\"role\": \"user\", \"content\": \"a\"}, {\"role\": \"bot\","
        + " \"content\": \"b\"}]}\n", "role.jsonl:2:", "field \"messages[1].role\"", "unknown role \"bot\"");
    assertFails("norole.jsonl", "{\"messages\": [{\"content\": \"a\"}]}\n", "norole.jsonl:1:",
        "field \"messages[0].role\"", "missing");
    assertFails("nocontent.jsonl", "{\"messages\": [{\"role\": \"user\", \"content\": \"a\"}, {\"role\": \"assistant\"}]}\n",
        "nocontent.jsonl:1:", "field \"messages[1].content\"", "missing");
    assertFails("noassistant.jsonl", "{\"messages\": [{\"role\": \"user\", \"content\": \"a\"}]}\n",
        "noassistant.jsonl:1:", "field \"messages\"", "no assistant message");
    assertFails("order.jsonl", "{\"messages\": [{\"role\": \"user\", \"content\": \"a\"}, {\"role\": \"system\","
        + " \"content\": \"s\"}, {\"role\": \"assistant\", \"content\": \"b\"}]}\n", "order.jsonl:1:",
        "messages[1]", "system message may only come first");
    assertFails("emptymsgs.jsonl", "{\"messages\": []}\n", "emptymsgs.jsonl:1:", "field \"messages\"", "empty");
    assertFails("mixed.jsonl", "{\"messages\": [], \"system\": \"s\"}\n", "mixed.jsonl:1:", "field \"system\"",
        "cannot be combined");
  }

  @Test
  void emptyFileIsAClearError() throws IOException {
    assertFails("empty.jsonl", "", "empty.jsonl", "no examples");
    assertFails("blank.jsonl", "\n  \n\n", "blank.jsonl", "no examples");
  }

  @Test
  void invalidUtf8IsNamedByLine() throws IOException {
    Path f = dir.resolve("bytes.jsonl");
    byte[] ok = "{\"prompt\": \"p\", \"completion\": \"c\"}\n".getBytes(StandardCharsets.UTF_8);
    byte[] bad = {'{', '"', 'p', 'r', 'o', 'm', 'p', 't', '"', ':', '"', (byte) 0xFF, '"', '}', '\n'};
    byte[] all = new byte[ok.length + bad.length];
    System.arraycopy(ok, 0, all, 0, ok.length);
    System.arraycopy(bad, 0, all, ok.length, bad.length);
    Files.write(f, all);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SftDataset.readJsonl(f));
    assertTrue(e.getMessage().contains("bytes.jsonl:2:") && e.getMessage().contains("UTF-8"), e.getMessage());
  }

  @Test
  void missingFileIsAnIoError() {
    assertThrows(IOException.class, () -> SftDataset.readJsonl(dir.resolve("absent.jsonl")));
  }
}
