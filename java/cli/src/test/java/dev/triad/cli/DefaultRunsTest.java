package dev.triad.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.triad.data.ByteTokenizer;
import dev.triad.data.chat.ChatTemplate;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which run {@code sample} and {@code chat} load without {@code --run} ({@link DefaultRuns}), and
 * {@code sample}'s decoding of a tuned run's special tokens.
 */
class DefaultRunsTest {
  @TempDir Path root;

  /** A directory that looks like a run: config.json and one checkpoint written at {@code time} seconds. */
  private Path run(String dir, long time) throws IOException {
    Path d = Files.createDirectories(root.resolve(dir).resolve("checkpoints"));
    Files.writeString(root.resolve(dir).resolve("config.json"), "{}");
    Path ckpt = Files.writeString(d.resolve("step_00000002.safetensors"), "x");
    Files.setLastModifiedTime(ckpt, FileTime.fromMillis(time * 1000));
    return root.resolve(dir);
  }

  @Test
  void aGivenRunIsUsedAsItIs() {
    DefaultRuns.Choice c = DefaultRuns.forSample(Path.of("x/y"), root);
    assertEquals(Path.of("x/y"), c.run());
    assertNull(c.note());
    assertEquals(Path.of("x/y"), DefaultRuns.forChat(Path.of("x/y"), root).run());
  }

  @Test
  void sampleFallsBackToTheDemosPretrainRunAndSaysSo() throws IOException {
    Path demo = run("runs/demo/pretrain", 100);
    DefaultRuns.Choice c = DefaultRuns.forSample(null, root);
    assertEquals(demo, c.run());
    assertTrue(c.note().contains(demo.toString()) && c.note().contains("runs/pretrain holds no run"), c.note());
    Path own = run("runs/pretrain", 50);
    assertEquals(own, DefaultRuns.forSample(null, root).run(), "the phase's own default comes first");
    assertNull(DefaultRuns.forSample(null, root).note());
  }

  @Test
  void chatFallsBackToTheDemosNewestRlRunThenItsSftRun() throws IOException {
    Path sft = run("runs/demo/sft", 100);
    assertEquals(sft, DefaultRuns.forChat(null, root).run());
    run("runs/demo/dpo", 200);
    Path grpo = run("runs/demo/grpo", 300);
    Files.createDirectories(root.resolve("runs/demo/ppo"));   // no run in it
    DefaultRuns.Choice c = DefaultRuns.forChat(null, root);
    assertEquals(grpo, c.run(), "the newest RL run: the model the latest demo ended with");
    assertTrue(c.note().contains("aligned run " + grpo), c.note());
    Path own = run("runs/sft", 1);
    assertEquals(own, DefaultRuns.forChat(null, root).run());
  }

  @Test
  void withoutAnyRunOneLineSaysWhereToLook() throws IOException {
    // a run directory without a checkpoint does not count
    Files.createDirectories(root.resolve("runs/pretrain"));
    Files.writeString(root.resolve("runs/pretrain/config.json"), "{}");
    IllegalArgumentException s = assertThrows(IllegalArgumentException.class, () -> DefaultRuns.forSample(null, root));
    for (String part : new String[] {"runs/pretrain", "triad pretrain", "runs/demo/pretrain", "triad demo", "--run"}) {
      assertTrue(s.getMessage().contains(part), part + " missing in: " + s.getMessage());
    }
    IllegalArgumentException c = assertThrows(IllegalArgumentException.class, () -> DefaultRuns.forChat(null, root));
    for (String part : new String[] {"runs/sft", "triad sft", "runs/demo/{ppo,dpo,grpo,sft}", "triad demo", "--run"}) {
      assertTrue(c.getMessage().contains(part), part + " missing in: " + c.getMessage());
    }
    assertTrue(!s.getMessage().contains("\n") && !c.getMessage().contains("\n"), "one line each");
  }

  @Test
  void sampleDecodesATunedRunsSpecialTokensByName() {
    ByteTokenizer tok = ByteTokenizer.INSTANCE;
    ChatTemplate t = new ChatTemplate(tok);
    int[] ids = {'h', 'i', t.assistantToken(), ' ', 'y', 'o', t.endToken(), tok.eotToken()};
    assertEquals("hi<|assistant|> yo<|end|><|endoftext|>", SampleCommand.decode(t.vocabSize(), tok, ids));
    // a pretrained run's model cannot write a special id; its text decodes through the tokenizer alone
    assertEquals("hi", SampleCommand.decode(tok.vocabSize(), tok, new int[] {'h', 'i'}));
  }
}
