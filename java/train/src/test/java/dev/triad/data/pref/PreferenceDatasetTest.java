package dev.triad.data.pref;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.triad.data.chat.Message;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Both preference JSONL forms parse; every malformed line is named by file, line and field. */
class PreferenceDatasetTest {
  @TempDir
  Path dir;

  private Path file(String name, String content) throws IOException {
    return Files.writeString(dir.resolve(name), content, StandardCharsets.UTF_8);
  }

  @Test
  void plainAndChatFormsParse() throws IOException {
    Path f = file("mixed.jsonl", "{\"prompt\": \"What is 2+2?\", \"chosen\": \"4\", \"rejected\": \"5\", \"id\": 1}\n"
        + "\n"
        + "{\"prompt\": [{\"role\": \"system\", \"content\": \"Be kind.\"}, {\"role\": \"user\", \"content\": \"Hi\"}],"
        + " \"chosen\": {\"role\": \"assistant\", \"content\": \"Hello!\"},"
        + " \"rejected\": [{\"role\": \"assistant\", \"content\": \"Shut up.\"}]}\n"
        + "{\"prompt\": [{\"role\": \"user\", \"content\": \"a\"}, {\"role\": \"assistant\", \"content\": \"b\"},"
        + " {\"role\": \"user\", \"content\": \"c\"}], \"chosen\": \"d\", \"rejected\": {\"role\": \"assistant\","
        + " \"content\": \"e\", \"name\": \"bot\"}}");
    List<PreferencePair> ps = PreferenceDataset.readJsonl(f);
    assertEquals(3, ps.size());
    assertEquals(PreferencePair.of("What is 2+2?", "4", "5"), ps.get(0));
    assertEquals(new PreferencePair(List.of(Message.system("Be kind."), Message.user("Hi")), "Hello!", "Shut up."),
        ps.get(1));
    assertEquals(new PreferencePair(List.of(Message.user("a"), Message.assistant("b"), Message.user("c")), "d", "e"),
        ps.get(2));
    assertEquals("c", ps.get(2).lastUserMessage());
  }

  private void assertFails(String name, String content, String... fragments) throws IOException {
    Path f = file(name, content);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PreferenceDataset.readJsonl(f));
    for (String frag : fragments) {
      assertTrue(e.getMessage().contains(frag), "expected '" + frag + "' in: " + e.getMessage());
    }
  }

  @Test
  void malformedLinesNameFileLineAndField() throws IOException {
    String ok = "{\"prompt\": \"p\", \"chosen\": \"a\", \"rejected\": \"b\"}\n";
    assertFails("json.jsonl", ok + "{\"prompt\": \"p\",\n", "json.jsonl:2:", "invalid JSON");
    assertFails("dup.jsonl", "{\"prompt\": \"p\", \"chosen\": \"a\", \"chosen\": \"c\", \"rejected\": \"b\"}\n",
        "dup.jsonl:1:", "invalid JSON", "chosen");
    assertFails("notobj.jsonl", ok + "[1]\n", "notobj.jsonl:2:", "expected a JSON object");
    assertFails("noprompt.jsonl", ok + ok + "{\"chosen\": \"a\", \"rejected\": \"b\"}\n", "noprompt.jsonl:3:",
        "field \"prompt\" is missing");
    assertFails("norej.jsonl", "{\"prompt\": \"p\", \"chosen\": \"a\"}\n", "norej.jsonl:1:", "field \"rejected\" is missing");
    assertFails("chosentype.jsonl", ok + "{\"prompt\": \"p\", \"chosen\": 3, \"rejected\": \"b\"}\n", "chosentype.jsonl:2:",
        "field \"chosen\"", "number");
    assertFails("emptyrej.jsonl", "{\"prompt\": \"p\", \"chosen\": \"a\", \"rejected\": \"  \"}\n", "emptyrej.jsonl:1:",
        "field \"rejected\"", "whitespace");
    assertFails("same.jsonl", "{\"prompt\": \"p\", \"chosen\": \"a\", \"rejected\": \"a\"}\n", "same.jsonl:1:",
        "identical");
    assertFails("role.jsonl", "{\"prompt\": [{\"role\": \"user\", \"content\": \"p\"}], \"chosen\": {\"role\": \"user\","
        + " \"content\": \"a\"}, \"rejected\": \"b\"}\n", "role.jsonl:1:", "field \"chosen.role\"", "assistant");
    assertFails("content.jsonl", "{\"prompt\": [{\"role\": \"user\", \"content\": \"p\"}], \"chosen\": \"a\","
        + " \"rejected\": {\"role\": \"assistant\"}}\n", "content.jsonl:1:", "field \"rejected.content\" is missing");
    assertFails("promptrole.jsonl", ok + "{\"prompt\": [{\"role\": \"user\", \"content\": \"p\"}, {\"role\": \"robot\","
        + " \"content\": \"x\"}], \"chosen\": \"a\", \"rejected\": \"b\"}\n", "promptrole.jsonl:2:",
        "field \"prompt[1].role\"", "robot");
    assertFails("promptend.jsonl", "{\"prompt\": [{\"role\": \"user\", \"content\": \"p\"}, {\"role\": \"assistant\","
        + " \"content\": \"x\"}], \"chosen\": \"a\", \"rejected\": \"b\"}\n", "promptend.jsonl:1:", "field \"prompt\"",
        "end with a user message");
    assertFails("promptempty.jsonl", "{\"prompt\": [], \"chosen\": \"a\", \"rejected\": \"b\"}\n", "promptempty.jsonl:1:",
        "field \"prompt\"");
    assertFails("two.jsonl", "{\"prompt\": \"p\", \"chosen\": [{\"role\": \"assistant\", \"content\": \"a\"},"
        + " {\"role\": \"assistant\", \"content\": \"c\"}], \"rejected\": \"b\"}\n", "two.jsonl:1:", "field \"chosen\"",
        "exactly one");
    assertFails("empty.jsonl", "\n  \n", "empty.jsonl", "no preference pairs");
    Path bad = dir.resolve("utf.jsonl");
    Files.write(bad, new byte[] {'{', '"', (byte) 0xC3, '"', '}', '\n'});
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PreferenceDataset.readJsonl(bad));
    assertTrue(e.getMessage().contains("utf.jsonl:1:") && e.getMessage().contains("UTF-8"), e.getMessage());
  }
}
