package dev.triad.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.triad.io.HostTensor;
import dev.triad.io.Safetensors;
import dev.triad.nn.Gpt;
import dev.triad.nn.GptConfig;
import dev.triad.optim.AdamW;
import dev.triad.tensor.Device;
import dev.triad.tensor.Scope;
import dev.triad.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checkpoint files: naming, keep-last-k pruning, atomic writes, an exact round trip of model and
 * optimizer state, and load errors that name what does not match.
 */
class CheckpointsTest {
  private static final GptConfig CFG = new GptConfig("ckpt-test", 1, 2, 8, 11, 6);

  @TempDir Path run;
  private Gpt model;
  private AdamW opt;

  @BeforeEach
  void setUp() {
    model = new Gpt(CFG, Device.CPU, 7);
    opt = new AdamW(model.parameters(), 1e-2f, 0.1f);
    trainOneStep(model, opt);
  }

  @AfterEach
  void tearDown() {
    opt.close();
    model.close();
  }

  /** One AdamW step so the moments and step count are non-trivial. */
  private static void trainOneStep(Gpt m, AdamW o) {
    try (Scope s = Scope.open()) {
      Tensor tokens = Tensor.ofInts(new int[] {1, 2, 3, 4, 5, 6, 7, 8}, 2, 4);
      Tensor targets = Tensor.ofInts(new int[] {2, 3, 4, 5, 6, 7, 8, 9}, 2, 4);
      m.loss(tokens, targets).backward();
    }
    o.step();
    o.zeroGrad();
  }

  private static List<String> fileNames(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void keepsOnlyTheNewestKAndLatestIsTheHighestStep() throws IOException {
    Checkpoints ck = new Checkpoints(run, 2);
    assertTrue(ck.list().isEmpty(), "no checkpoints directory yet");
    assertTrue(ck.latest().isEmpty(), "latest() of an empty run");
    for (long step : new long[] {5, 10, 15, 100}) {
      Path p = ck.save(step, model, opt, Map.of("data.index", Long.toString(step)));
      assertEquals(String.format("step_%08d.safetensors", step), p.getFileName().toString());
      assertEquals(step, Checkpoints.stepOf(p));
    }
    // 100 sorts after 15 only because names are zero-padded: the numeric order is kept
    assertEquals(List.of("step_00000015.safetensors", "step_00000100.safetensors"), fileNames(ck.directory()),
        "keep=2 must leave the two newest checkpoints and no temporary files");
    assertEquals(100, Checkpoints.stepOf(ck.latest().orElseThrow()));
    assertEquals("100", Checkpoints.load(ck.latest().get(), model, null).get("data.index"));
  }

  @Test
  void unrelatedFilesAreIgnoredAndNeverPruned() throws IOException {
    Checkpoints ck = new Checkpoints(run, 1);
    Files.createDirectories(ck.directory());
    Files.writeString(ck.directory().resolve("notes.txt"), "mine");
    Files.writeString(ck.directory().resolve("step_7.safetensors"), "not zero-padded");
    ck.save(1, model, opt, Map.of());
    ck.save(2, model, opt, Map.of());
    assertEquals(List.of("notes.txt", "step_00000002.safetensors", "step_7.safetensors"), fileNames(ck.directory()));
    assertEquals(List.of(ck.directory().resolve("step_00000002.safetensors")), ck.list());
  }

  @Test
  void stepOfRejectsOtherNames() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Checkpoints.stepOf(Path.of("model.safetensors")));
    assertTrue(e.getMessage().contains("not a checkpoint file name: model.safetensors"), e.getMessage());
    assertEquals(42, Checkpoints.stepOf(Path.of("/x/y/step_00000042.safetensors")));
  }

  @Test
  void roundTripRestoresParametersMomentsStepAndState() {
    Checkpoints ck = new Checkpoints(run, 3);
    Path file = ck.save(1, model, opt, Map.of("data.epoch", "3", "data.index", "17"));
    try (Gpt other = new Gpt(CFG, Device.CPU, 99); AdamW otherOpt = new AdamW(other.parameters(), 1e-2f, 0.1f)) {
      assertTrue(!java.util.Arrays.equals(model.wte.toFloatArray(), other.wte.toFloatArray()),
          "the two seeds must give different weights, or the test proves nothing");
      Map<String, String> meta = Checkpoints.load(file, other, otherOpt);
      assertEquals("3", meta.get("data.epoch"));
      assertEquals("17", meta.get("data.index"));
      assertEquals("1", meta.get("step"));
      assertEquals(Checkpoints.FORMAT, meta.get("format"));
      assertEquals(1, otherOpt.stepCount(), "optimizer step count");
      List<String> names = List.copyOf(model.namedParameters().keySet());
      for (int i = 0; i < names.size(); i++) {
        String n = names.get(i);
        assertArrayEquals(model.namedParameters().get(n).toFloatArray(), other.namedParameters().get(n).toFloatArray(),
            "parameter " + n);
        assertArrayEquals(opt.firstMoment(i).toFloatArray(), otherOpt.firstMoment(i).toFloatArray(), "adam_m " + n);
        assertArrayEquals(opt.secondMoment(i).toFloatArray(), otherOpt.secondMoment(i).toFloatArray(), "adam_v " + n);
      }
      float[] v = otherOpt.secondMoment(0).toFloatArray();
      assertTrue(v[0] != 0 || v[v.length - 1] != 0, "the restored second moment should be non-zero after one step");
    }
  }

  @Test
  void loadingIntoAModelOfAnotherShapeNamesTheTensorAndBothShapes() {
    Path file = new Checkpoints(run, 1).save(1, model, opt, Map.of());
    GptConfig wider = new GptConfig("wider", 1, 2, 16, 11, 6);
    try (Gpt other = new Gpt(wider, Device.CPU, 1)) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> Checkpoints.load(file, other, null));
      for (String f : new String[] {file.toString(), "'model.wte.weight'", "[11, 8]", "[11, 16]"}) {
        assertTrue(e.getMessage().contains(f), "message lacks " + f + ": " + e.getMessage());
      }
    }
  }

  @Test
  void loadingIntoADeeperModelNamesTheMissingTensor() {
    Path file = new Checkpoints(run, 1).save(1, model, opt, Map.of());
    try (Gpt deeper = new Gpt(new GptConfig("deeper", 2, 2, 8, 11, 6), Device.CPU, 1)) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> Checkpoints.load(file, deeper, null));
      assertTrue(e.getMessage().contains("has no tensor 'model.h.1.ln_1.weight'"), e.getMessage());
    }
  }

  @Test
  void aNonTriadSafetensorsFileIsRejectedNamingTheFormat() throws IOException {
    Path file = run.resolve("model.safetensors");
    Safetensors.writeHost(file, List.of(HostTensor.f32("wte.weight", new float[88], 11, 8)), Map.of("format", "pt"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Checkpoints.load(file, model, opt));
    for (String f : new String[] {"is not a Triad checkpoint", "'pt'", Checkpoints.FORMAT}) {
      assertTrue(e.getMessage().contains(f), "message lacks " + f + ": " + e.getMessage());
    }
  }

  @Test
  void saveLeavesNoTemporaryFilesAndOverwritesAtomically() throws IOException {
    Checkpoints ck = new Checkpoints(run, 5);
    Path first = ck.save(3, model, opt, Map.of("data.index", "1"));
    trainOneStep(model, opt);
    Path again = ck.save(3, model, opt, Map.of("data.index", "2")); // same step: replaced in place
    assertEquals(first, again);
    assertEquals(List.of("step_00000003.safetensors"), fileNames(ck.directory()),
        "only the checkpoint itself: no .tmp files left behind");
    assertEquals("2", Checkpoints.load(again, model, null).get("data.index"));
    assertEquals(List.of("checkpoints"), fileNames(run), "nothing written beside the checkpoints directory");
  }
}
