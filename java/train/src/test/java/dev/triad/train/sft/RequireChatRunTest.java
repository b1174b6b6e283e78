package dev.triad.train.sft;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.triad.data.chat.ChatTemplate;
import dev.triad.nn.GptConfig;
import dev.triad.train.ChatRuns;
import dev.triad.train.RunInfo;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Later phases accept only runs tuned in the current chat template, and say why otherwise. */
class RequireChatRunTest {
  private static final Path DIR = Path.of("runs/x");

  private static RunInfo run(String phase, int vocab, Map<String, Object> settings) {
    return RunInfo.of(phase, new GptConfig("tiny", 2, 4, 128, vocab, 128), "byte", settings);
  }

  @Test
  void aRunTunedInTheCurrentTemplatePasses() {
    assertDoesNotThrow(() -> ChatRuns.requireChatRun("ppo", DIR, run("sft", 261, Map.of("chat_template", ChatTemplate.VERSION))));
  }

  @Test
  void aPretrainingRunIsRefused() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ChatRuns.requireChatRun("chat", DIR, run("pretrain", 257, Map.of())));
    assertTrue(e.getMessage().startsWith(DIR + " is not an instruction-tuned run")
        && e.getMessage().contains("pretrain run without a chat template") && e.getMessage().contains("chat needs")
        && e.getMessage().contains("257") && e.getMessage().contains("261"), e.getMessage());
  }

  @Test
  void aRunTunedInAnEarlierTemplateIsRefused() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ChatRuns.requireChatRun("dpo", DIR, run("sft", 261, Map.of("chat_template", "triad-chat-v1"))));
    assertTrue(e.getMessage().contains("triad-chat-v1") && e.getMessage().contains(ChatTemplate.VERSION)
        && e.getMessage().contains("triad sft") && e.getMessage().endsWith("before dpo"), e.getMessage());
  }

  @Test
  void theTemplateVersionAloneAcceptsAPretrainedBase() {
    assertDoesNotThrow(() -> ChatRuns.requireCurrentTemplate("reward", DIR, run("pretrain", 257, Map.of())));
    assertDoesNotThrow(
        () -> ChatRuns.requireCurrentTemplate("reward", DIR, run("sft", 261, Map.of("chat_template", ChatTemplate.VERSION))));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ChatRuns.requireCurrentTemplate("reward", DIR, run("sft", 261, Map.of("chat_template", "triad-chat-v1"))));
    assertTrue(e.getMessage().contains("triad-chat-v1") && e.getMessage().endsWith("before reward"), e.getMessage());
  }
}
