package dev.triad.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.triad.tensor.Device;
import dev.triad.train.pretrain.Pretrain;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.triad.train.pretrain.PretrainOptions;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The phases' own resume guard (the Java API's; the CLI restores its options before): a resume
 * whose settings differ from the recorded ones in anything but steps, evaluation, checkpoint and
 * device settings is refused naming the setting and both values, and writes nothing; --steps at or
 * below the checkpoint's step is refused with both numbers.
 */
class ResumeCheckTest {
  @TempDir Path tmp;

  private static PretrainOptions options(Path run, int steps, int warmup, float beta2, boolean resume) {
    TrainConfig t = TrainConfig.builder().steps(steps).warmupSteps(warmup).beta2(beta2).evalEvery(0).sampleEvery(0)
        .checkpointEvery(1).keepCheckpoints(5).seed(3).build();
    return PretrainOptions.builder().runDir(run).tokenizer("byte").preset("tiny").device(Device.CPU).batch(2)
        .seqLen(16).totalBatchTokens(0).train(t).evalBatches(1).resume(resume).build();
  }

  @Test
  void differingSettingsAndStepsAreRefusedBeforeAnythingIsWritten() throws IOException {
    Path run = tmp.resolve("run");
    Pretrain.run(options(run, 2, 1, 0.95f, false));
    String config = Files.readString(run.resolve("config.json"));
    String metrics = Files.readString(run.resolve("metrics.jsonl"));

    String warmup = assertThrows(IllegalArgumentException.class, () -> Pretrain.run(options(run, 4, 50, 0.95f, true)))
        .getMessage();
    assertTrue(warmup.contains("train.warmupSteps 50") && warmup.contains("run's 1"), warmup);
    String beta2 = assertThrows(IllegalArgumentException.class, () -> Pretrain.run(options(run, 4, 1, 0.999f, true)))
        .getMessage();
    assertTrue(beta2.contains("train.beta2 0.999") && beta2.contains("0.95"), beta2);
    String steps = assertThrows(IllegalArgumentException.class, () -> Pretrain.run(options(run, 2, 1, 0.95f, true)))
        .getMessage();
    assertTrue(steps.startsWith("steps 2 is not beyond step 2"), steps);
    assertEquals(config, Files.readString(run.resolve("config.json")), "a refused resume rewrote config.json");
    assertEquals(metrics, Files.readString(run.resolve("metrics.jsonl")), "a refused resume rewrote metrics.jsonl");

    // the changeable ones may differ: more steps, another checkpoint cadence
    Trainer.Result r = Pretrain.run(options(run, 3, 1, 0.95f, true));
    assertEquals(3, r.steps());
  }

  @Test
  void aRunRecordedBeforeTheNewSettingsResumesWithANote() throws IOException {
    Path run = tmp.resolve("old");
    Pretrain.run(options(run, 2, 1, 0.95f, false));
    // config.json as an older Triad wrote it: no eps, no data order in the TrainConfig
    ObjectMapper json = new ObjectMapper();
    ObjectNode config = (ObjectNode) json.readTree(run.resolve("config.json").toFile());
    ObjectNode train = (ObjectNode) config.path("settings").path("train");
    train.remove("eps");
    train.remove("dataOrder");
    Files.writeString(run.resolve("config.json"), json.writeValueAsString(config));
    PrintStream old = System.out;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (PrintStream p = new PrintStream(out, true, StandardCharsets.UTF_8)) {
      System.setOut(p);
      assertEquals(3, Pretrain.run(options(run, 3, 1, 0.95f, true)).steps());
    } finally {
      System.setOut(old);
    }
    String printed = out.toString(StandardCharsets.UTF_8);
    assertTrue(printed.contains("does not record") && printed.contains("train.eps 1.0E-8")
        && printed.contains("train.dataOrder SHUFFLED"), printed);
  }
}
