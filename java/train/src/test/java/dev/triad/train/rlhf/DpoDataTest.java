package dev.triad.train.rlhf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.triad.data.Tokenizer;
import dev.triad.data.chat.ChatTemplate;
import dev.triad.data.chat.Message;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Triples in the chat template's layout, the built-in pairs, and the JSONL reader's errors. */
class DpoDataTest {
  private static final ChatTemplate T = new ChatTemplate(Tokenizer.byName("byte"));
  @TempDir Path dir;

  @Test
  void tripleIsTheTemplateLayout() {
    Triple t = Triple.of(T, List.of(Message.user("Hi")), "Yo", "Hello there");
    // docs/CHAT_TEMPLATE.md: {"prompt": "Hi", "completion": "Yo"} renders [256, 258, 72, 105, 260, 259, 32, 89, 111, 260]
    assertArrayEquals(new int[] {256, 258, 72, 105, 260, 259, 32, 89, 111, 260}, t.chosenSequence());
    boolean[] m = t.chosenMask();
    for (int i = 0; i < m.length; i++) {
      assertEquals(i >= 6, m[i], "mask at " + i);
    }
    var rendered = T.render(dev.triad.data.chat.Conversation.promptCompletion(null, "Hi", "Yo"));
    assertArrayEquals(rendered.tokens(), t.chosenSequence(), "same tokens as SFT's rendering");
    for (int i = 0; i < m.length; i++) {
      assertEquals(rendered.loss(i), m[i], "same mask as SFT's loss at " + i);
    }
    assertEquals(T.endToken(), t.rejected()[t.rejected().length - 1]);
    assertEquals(6 + 13, t.maxLength()); // " Hello there" and <|end|>
    assertThrows(IllegalArgumentException.class, () -> Triple.of(T, List.of(Message.user("Hi")), " ", "x"));
  }

  @Test
  void embeddedPairsAreThePreferenceData() {
    DpoData.Pairs p = DpoData.embedded(T, 3, 30, 10);
    assertEquals(30, p.train().size());
    assertEquals(10, p.heldOut().size());
    var split = dev.triad.data.pref.PreferenceData.defaultSplit(3);
    for (int i = 0; i < 30; i++) {
      var pair = split.train().get(i);
      assertEquals(Triple.of(T, pair.prompt(), pair.chosen(), pair.rejected()), p.train().get(i));
    }
    Set<String> trainPrompts = new HashSet<>();
    p.train().forEach(t -> trainPrompts.add(Arrays.toString(t.prompt())));
    for (Triple t : p.heldOut()) {
      assertTrue(!trainPrompts.contains(Arrays.toString(t.prompt())), "held-out prompt also in training");
    }
    assertEquals(p, DpoData.embedded(T, 3, 30, 10), "the same seed gives the same pairs");
    assertThrows(IllegalArgumentException.class, () -> DpoData.embedded(T, 3, 0, 10));
    assertThrows(IllegalArgumentException.class, () -> DpoData.embedded(T, 3, 30, 1_000_000));
  }

  private Path file(String name, String... lines) throws IOException {
    Path f = dir.resolve(name);
    Files.writeString(f, String.join("\n", lines) + "\n", StandardCharsets.UTF_8);
    return f;
  }

  @Test
  void readsJsonlAndHoldsOutEveryTwentieth() throws IOException {
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      String prompt = i == 0 ? "[{\"role\": \"system\", \"content\": \"S\"}, {\"role\": \"user\", \"content\": \"q0\"}]"
          : "\"q" + i + "\"";
      lines.add("{\"prompt\": " + prompt + ", \"chosen\": \"a\", \"rejected\": \"b\"}");
      if (i == 5) {
        lines.add("   ");
      }
    }
    DpoData.Pairs p = DpoData.readJsonl(file("ok.jsonl", lines.toArray(new String[0])), T);
    assertEquals(38, p.train().size());
    assertEquals(2, p.heldOut().size());
    assertEquals(Triple.of(T, List.of(Message.system("S"), Message.user("q0")), "a", "b"), p.train().get(0));
    assertEquals(Triple.of(T, List.of(Message.user("q19")), "a", "b"), p.heldOut().get(0));
  }

  @Test
  void errorsNameFileLineAndField() throws IOException {
    String ok = "{\"prompt\": \"p\", \"chosen\": \"c\", \"rejected\": \"r\"}";
    String[][] cases = {
        {"{\"prompt\": \"p\", \"rejected\": \"r\"}", "chosen"},
        {"{\"prompt\": \"p\", \"chosen\": 3, \"rejected\": \"r\"}", "chosen"},
        {"{\"prompt\": \"p\", \"chosen\": \"c\", \"rejected\": \"  \"}", "rejected"},
        {"{\"prompt\": [], \"chosen\": \"c\", \"rejected\": \"r\"}", "prompt"},
        {"{\"prompt\": \"p\", ", "invalid JSON"},
        {"[1, 2]", "expected a JSON object"},
    };
    for (String[] c : cases) {
      Path f = file("bad.jsonl", ok, c[0]);
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DpoData.readJsonl(f, T), c[0]);
      assertTrue(e.getMessage().startsWith(f + ":2: ") && e.getMessage().contains(c[1]), "for " + c[0] + ": "
          + e.getMessage());
    }
    Path empty = file("empty.jsonl", "", " ");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DpoData.readJsonl(empty, T));
    assertTrue(e.getMessage().contains("no preference pairs"), e.getMessage());
    assertThrows(IOException.class, () -> DpoData.readJsonl(dir.resolve("absent.jsonl"), T));
  }
}
