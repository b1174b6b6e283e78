package dev.triad.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.triad.tensor.Device;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rerunning the demo: without --force a previous run is refused with a message naming --force;
 * {@link Demo#replacePrevious} deletes only a directory the demo marked, never anything else.
 */
class DemoForceTest {
  @TempDir Path tmp;

  /** A previous demo's directory: the marker, a phase run with a checkpoint, a summary. */
  private Path previousDemo() throws IOException {
    Path out = tmp.resolve("demo");
    Path ckpts = Files.createDirectories(out.resolve("pretrain/checkpoints"));
    Files.writeString(ckpts.resolve("step_00000006.safetensors"), "x");
    Files.writeString(out.resolve(Demo.MARKER), "written by triad demo\n");
    Files.writeString(out.resolve("summary.json"), "{}");
    return out;
  }

  @Test
  void aSecondRunIsRefusedWithAMessageNamingForce() throws IOException {
    Path out = previousDemo();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Demo.run(new Demo.Options(out, "ppo", true, Device.CPU, 1, 0, 0, 0, 0)));
    assertTrue(e.getMessage().contains("--force") && e.getMessage().contains(out.resolve("pretrain").toString()),
        e.getMessage());
    assertTrue(Files.exists(out.resolve("pretrain/checkpoints/step_00000006.safetensors")), "nothing deleted");
  }

  @Test
  void forceDeletesAMarkedDemoDirectory() throws IOException {
    Path out = previousDemo();
    Demo.replacePrevious(out);
    assertFalse(Files.exists(out), "the previous demo is gone");
    Demo.replacePrevious(out);              // nothing there: nothing to do
  }

  @Test
  void aDemoFromBeforeTheMarkerIsRecognisedByItsSummary() throws IOException {
    Path out = Files.createDirectories(tmp.resolve("old"));
    Files.writeString(out.resolve("summary.json"), "{\"rl\": \"ppo\", \"steps.pretrain\": 300}");
    assertTrue(Demo.isDemoDirectory(out));
    Demo.replacePrevious(out);
    assertFalse(Files.exists(out));
  }

  @Test
  void forceLeavesAnythingElseAlone() throws IOException {
    Path mine = Files.createDirectories(tmp.resolve("mine/pretrain/checkpoints"));
    Files.writeString(mine.resolve("step_00000001.safetensors"), "x");
    Files.writeString(tmp.resolve("mine/summary.json"), "{\"something\": 1}");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Demo.replacePrevious(tmp.resolve("mine")));
    assertTrue(e.getMessage().contains("does not look like a demo's directory")
        && e.getMessage().contains(Demo.MARKER), e.getMessage());
    assertTrue(Files.exists(mine.resolve("step_00000001.safetensors")), "nothing deleted");

    Path file = Files.writeString(tmp.resolve("a-file"), "x");
    assertThrows(IllegalArgumentException.class, () -> Demo.replacePrevious(file));
    assertTrue(Files.exists(file));

    // a link to a marked demo is refused, and the demo it points to stays
    Path demo = previousDemo();
    Path link = Files.createSymbolicLink(tmp.resolve("link"), demo);
    IllegalArgumentException l = assertThrows(IllegalArgumentException.class, () -> Demo.replacePrevious(link));
    assertTrue(l.getMessage().contains("symbolic link"), l.getMessage());
    assertTrue(Files.exists(demo.resolve(Demo.MARKER)));
  }

  @Test
  void theDemoMarksItsDirectorySoForceCanRecogniseIt() throws IOException {
    // a demo that fails at its first phase (a bad --rl is caught earlier, so use a run dir that is a file)
    Path out = Files.createDirectories(tmp.resolve("fresh"));
    Files.writeString(out.resolve("pretrain"), "not a directory");
    assertThrows(RuntimeException.class, () -> Demo.run(new Demo.Options(out, "ppo", true, Device.CPU, 1, 0, 0, 0, 0)));
    assertTrue(Files.isRegularFile(out.resolve(Demo.MARKER)), "the marker is written before the first phase");
    assertEquals(true, Demo.isDemoDirectory(out));
  }
}
