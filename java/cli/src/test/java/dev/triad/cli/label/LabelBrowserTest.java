package dev.triad.cli.label;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.triad.cli.Main;
import dev.triad.data.pref.PreferenceDataset;
import dev.triad.io.Json;
import dev.triad.tensor.Device;
import dev.triad.train.Checkpoints;
import dev.triad.train.TrainConfig;
import dev.triad.train.pretrain.Pretrain;
import dev.triad.train.pretrain.PretrainOptions;
import dev.triad.train.sft.Sft;
import dev.triad.train.sft.SftOptions;
import java.awt.image.BufferedImage;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code triad label} end to end in headless Chromium (Debian's {@code chromium}; skipped, saying
 * why, where none is found unless TRIAD_REQUIRE_CHROMIUM is set): replies sampled from a tiny
 * instruction-tuned run, judged through the page's own key handlers (the page's {@code ?keys=} hook
 * dispatches real keydown events, one after the other), the server killed with SIGKILL and
 * restarted on the same file (progress continues), a second annotator's overlap shown as agreement,
 * a screenshot of the page, and a reward model trained on the file with {@code triad reward --data}.
 */
class LabelBrowserTest {
  @TempDir Path tmp;

  @Test
  void labelByKeyboardSurviveAKillAndTrainARewardModel() throws Exception {
    Path chromium = requireChromium();
    Path sft = tinyChatRun(tmp.resolve("runs"));
    Path prompts = tmp.resolve("prompts.jsonl");
    Files.writeString(prompts, String.join("\n", "{\"prompt\": \"What is 2 plus 3?\"}", "{\"prompt\": \"Is ice cold?\"}",
        "{\"prompt\": \"Name a red fruit.\"}", "{\"prompt\": \"Say hello politely.\"}",
        "{\"prompt\": \"What is 10 minus 4?\"}", "{\"prompt\": \"Spell cat backwards.\"}") + "\n");
    Path out = tmp.resolve("labels.jsonl");
    String[] args = {"--run", sft.toString(), "--prompts", prompts.toString(), "--out", out.toString(), "--limit", "6",
        "--max-new-tokens", "24", "--device", "cpu"};
    LabelFiles files = LabelFiles.beside(out);

    try (LabelProcess server = LabelProcess.start(tmp.resolve("log1"), args)) {
      // A better; B much better; aspects correct + harmless and a note, then both bad; a tie, undone
      String dom = dumpDom(chromium, server.url + "?annotator=alice&keys=1,shift-2,c,h,n,text:rude%20words,esc,x,t,u",
          tmp.resolve("b1"));
      assertTrue(dom.contains("data-replayed=\"10\""), "the key replay did not finish:\n" + dom);
      assertTrue(dom.contains("data-judged=\"3\"") && dom.contains("3 / 6"), "progress after 3 choices and an undo");
      assertTrue(dom.contains("undone"), "the undo is confirmed on the page");
      server.kill();
    }
    List<JsonNode> pairs = records(files.pairs());
    assertEquals(List.of("A", "B"), pairs.stream().map(r -> r.path("choice").asText()).toList());
    assertEquals(List.of("better", "much_better"), pairs.stream().map(r -> r.path("grade").asText()).toList());
    JsonNode bothBad = records(files.skipped()).get(0);
    assertEquals(1, records(files.skipped()).size(), "the undone tie is gone: " + records(files.skipped()));
    assertEquals("both_bad", bothBad.path("choice").asText());
    assertEquals("rude words", bothBad.path("note").asText());
    assertTrue(bothBad.path("aspects").path("correct").asBoolean() && bothBad.path("aspects").path("harmless").asBoolean()
        && !bothBad.path("aspects").path("concise").asBoolean(), bothBad.toString());

    try (LabelProcess server = LabelProcess.start(tmp.resolve("log2"), args)) {
      assertTrue(Files.readString(tmp.resolve("log2")).contains("continuing with the 6 items"), "items reused");
      String dom = dumpDom(chromium, server.url + "?annotator=alice&keys=2,a,b", tmp.resolve("b2"));
      assertTrue(dom.contains("data-judged=\"6\"") && dom.contains("6 / 6"), "progress continued to the end:\n" + dom);
      assertTrue(dom.contains("All items judged"));
      String bob = dumpDom(chromium, server.url + "?annotator=bob&keys=1,2,t", tmp.resolve("b3"));
      assertTrue(bob.contains("data-judged=\"3\""), bob);
      assertTrue(bob.contains("alice · bob") && bob.contains("3 items"), "agreement on the 3 shared items:\n" + bob);
      screenshot(chromium, server.url + "?annotator=carol&keys=c", tmp.resolve("b4"));
    }
    assertEquals(7, PreferenceDataset.readJsonl(files.pairs()).size(), "alice's 5 and bob's 2 preferences");
    Set<String> keys = new HashSet<>();
    for (JsonNode r : records(files.pairs())) {
      assertTrue(keys.add(r.path("item").asText() + "/" + r.path("annotator").asText()), "duplicate " + r);
    }

    Path rm = tmp.resolve("runs/rm");
    int exit = Main.run("reward", "--base", sft.toString(), "--data", out.toString(), "--out", rm.toString(),
        "--steps", "3", "--batch", "2", "--warmup", "1", "--device", "cpu");
    assertEquals(0, exit, "triad reward --data on the labels");
    assertTrue(new Checkpoints(rm, 1).latest().isPresent(), "the reward model's checkpoint");
  }

  /** A few pretraining and SFT steps of the tiny preset (byte tokenizer): a chat run that samples in milliseconds. */
  static Path tinyChatRun(Path dir) {
    Path pre = dir.resolve("pretrain");
    Pretrain.run(PretrainOptions.builder().runDir(pre).tokenizer("byte").preset("tiny").device(Device.CPU).batch(4)
        .seqLen(64).totalBatchTokens(4 * 64).evalBatches(1)
        .train(TrainConfig.builder().steps(10).lr(3e-3f).warmupSteps(2).evalEvery(0).sampleEvery(0)
            .checkpointEvery(10).keepCheckpoints(1).seed(7).build()).build());
    Path sft = dir.resolve("sft");
    Sft.run(SftOptions.builder().runDir(sft).baseRun(pre).device(Device.CPU).batch(4).seqLen(128).pack(true)
        .evalPerFamily(0).train(TrainConfig.builder().steps(10).lr(2e-3f).warmupSteps(2).evalEvery(0).sampleEvery(0)
            .checkpointEvery(10).keepCheckpoints(1).seed(7).build()).build());
    return sft;
  }

  private static List<JsonNode> records(Path file) throws IOException {
    List<JsonNode> out = new ArrayList<>();
    for (String line : Files.readAllLines(file)) {
      out.add(Json.MAPPER.readTree(line));
    }
    return out;
  }

  /** The DOM after the page's requests and key replay settle (Chromium's virtual time waits for them). */
  private static String dumpDom(Path chromium, String url, Path work) throws Exception {
    return chromium(chromium, url, work, "--dump-dom");
  }

  private static void screenshot(Path chromium, String url, Path work) throws Exception {
    Path shot = work.resolve("label-page.png");
    chromium(chromium, url, work, "--screenshot=" + shot);
    BufferedImage s = ImageIO.read(shot.toFile());
    assertNotNull(s, "screenshot does not decode");
    assertEquals(1200, s.getWidth());
    Set<Integer> colours = new HashSet<>();
    for (int y = 0; y < s.getHeight(); y += 3) {
      for (int x = 0; x < s.getWidth(); x += 3) {
        colours.add(s.getRGB(x, y));
      }
    }
    assertTrue(colours.size() > 20, "screenshot looks blank: " + colours.size() + " colours");
    String keep = System.getProperty("triad.label.screenshot"); // e.g. for the docs: -Dtriad.label.screenshot=FILE
    if (keep != null) {
      Files.copy(shot, Path.of(keep), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
  }

  private static String chromium(Path chromium, String url, Path work, String mode) throws Exception {
    Files.createDirectories(work);
    List<String> cmd = List.of(chromium.toString(), "--headless", "--no-sandbox", "--disable-gpu",
        "--disable-dev-shm-usage", "--hide-scrollbars", "--user-data-dir=" + work.resolve("profile"),
        "--window-size=1200,800", "--virtual-time-budget=20000", mode, url);
    Path outFile = work.resolve("stdout.txt"), errFile = work.resolve("stderr.txt");
    Process p = new ProcessBuilder(cmd).redirectOutput(outFile.toFile()).redirectError(errFile.toFile()).start();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("chromium did not finish in 120 s: " + cmd);
    }
    assertEquals(0, p.exitValue(), "chromium failed: " + cmd + "\n" + Files.readString(errFile));
    return Files.readString(outFile);
  }

  /** Chromium: $TRIAD_CHROMIUM, else the usual names on PATH; the test is skipped without one unless required. */
  private static Path requireChromium() {
    Path found = null;
    String env = System.getenv("TRIAD_CHROMIUM");
    if (env != null && !env.isBlank()) {
      found = Path.of(env);
    } else {
      for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
        for (String name : List.of("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")) {
          Path p = Path.of(dir.isEmpty() ? "." : dir, name);
          if (found == null && Files.isExecutable(p)) {
            found = p;
          }
        }
      }
    }
    if (found == null && System.getenv("TRIAD_REQUIRE_CHROMIUM") != null) {
      throw new AssertionError("TRIAD_REQUIRE_CHROMIUM is set but no chromium is on PATH (apt-get install -y chromium)");
    }
    Assumptions.assumeTrue(found != null, "no chromium on PATH (nor $TRIAD_CHROMIUM): `apt-get install -y chromium`"
        + " (.ci/run does) to drive the labelling page in a browser");
    return found;
  }
}
