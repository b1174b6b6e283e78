package dev.triad.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * report.html rendered by headless Chromium (Debian's {@code chromium}; .ci/run installs it): the page
 * loads, every image decodes in the browser and on disk, the DOM holds the report card and the
 * alarms, and the screenshot is a real page. Skips, saying why, only where no Chromium is found and
 * TRIAD_REQUIRE_CHROMIUM is unset (CI sets it, so there a missing browser fails).
 */
class ReportBrowserTest {
  /** The Chromium binary: $TRIAD_CHROMIUM, else the first of the usual names on PATH; null when none. */
  static Path chromium() {
    String env = System.getenv("TRIAD_CHROMIUM");
    if (env != null && !env.isBlank()) {
      return Path.of(env);
    }
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      for (String name : List.of("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")) {
        Path p = Path.of(dir.isEmpty() ? "." : dir, name);
        if (Files.isExecutable(p)) {
          return p;
        }
      }
    }
    return null;
  }

  private static Path requireChromium() {
    Path c = chromium();
    if (c == null && System.getenv("TRIAD_REQUIRE_CHROMIUM") != null) {
      throw new AssertionError("TRIAD_REQUIRE_CHROMIUM is set but no chromium is on PATH (apt-get install -y chromium)");
    }
    Assumptions.assumeTrue(c != null, "no chromium on PATH (nor $TRIAD_CHROMIUM): install Debian's package with"
        + " `apt-get install -y chromium` (.ci/run does) to render the report in a browser");
    return c;
  }

  /** Runs headless Chromium on {@code page} with {@code mode} (--dump-dom or --screenshot=...); returns stdout. */
  static String headless(Path chromium, Path page, Path work, String... mode) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(chromium.toString(), "--headless", "--no-sandbox", "--disable-gpu",
        "--disable-dev-shm-usage", "--hide-scrollbars", "--user-data-dir=" + work.resolve("profile"),
        "--window-size=1200,2400"));
    cmd.addAll(List.of(mode));
    cmd.add(page.toUri().toString());
    Path outFile = work.resolve("stdout.txt"), errFile = work.resolve("stderr.txt");
    Process p = new ProcessBuilder(cmd).redirectOutput(outFile.toFile()).redirectError(errFile.toFile()).start();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("chromium did not finish in 120 s: " + cmd);
    }
    assertEquals(0, p.exitValue(), "chromium failed: " + cmd + "\n" + Files.readString(errFile));
    return Files.readString(outFile);
  }

  /** Checks report.html in {@code dir} in the browser; returns the rendered DOM. */
  static String checkInBrowser(Path chromium, Path dir, Path work) throws IOException, InterruptedException {
    Files.createDirectories(work);
    Path html = dir.resolve("report.html");
    String source = Files.readString(html);
    Matcher m = Pattern.compile("<img src=\"([^\"]+)\"").matcher(source);
    int images = 0;
    while (m.find()) {
      Path png = dir.resolve(m.group(1));
      assertTrue(Files.exists(png), "report links a missing image " + png);
      BufferedImage img = ImageIO.read(png.toFile());
      assertNotNull(img, "image does not decode: " + png);
      assertTrue(img.getWidth() > 100 && img.getHeight() > 100, png + " is " + img.getWidth() + "x" + img.getHeight());
      images++;
    }
    String dom = headless(chromium, html, work, "--dump-dom");
    assertTrue(dom.contains("id=\"report-card\""), "rendered DOM lacks the report card:\n" + dom);
    assertTrue(dom.contains("data-images=\"" + images + "\" data-images-loaded=\"" + images + "\""),
        "not every one of the " + images + " images loaded in the browser: "
            + dom.substring(Math.max(0, dom.indexOf("<body")), Math.min(dom.length(), dom.indexOf("<body") + 120)));
    Path shot = work.resolve("screenshot.png");
    headless(chromium, html, work, "--screenshot=" + shot);
    BufferedImage s = ImageIO.read(shot.toFile());
    assertNotNull(s, "screenshot does not decode");
    assertEquals(1200, s.getWidth());
    // a rendered page, not a blank one: many distinct colours in the top (the card's shaded rows)
    java.util.Set<Integer> colours = new java.util.HashSet<>();
    for (int y = 0; y < Math.min(s.getHeight(), 800); y += 3) {
      for (int x = 0; x < s.getWidth(); x += 3) {
        colours.add(s.getRGB(x, y));
      }
    }
    assertTrue(colours.size() > 20, "screenshot looks blank: " + colours.size() + " colours");
    return dom;
  }

  @Test
  void reportOfAGamingRunRendersWithCardAlarmsAndImages(@TempDir Path tmp) throws Exception {
    Path chromium = requireChromium();
    Path dir = ReportFixture.writeAudit(ReportFixture.write(tmp.resolve("demo"), true));
    Report.write(dir);
    String dom = checkInBrowser(chromium, dir, tmp.resolve("browser"));
    assertTrue(dom.contains("id=\"audit\"") && dom.contains("eval-train overlap") && dom.contains("Weather bulletin"
        + " for &lt;Fairview&gt;"), "the Data audit table with its failing row");
    assertTrue(dom.contains("reply-length collapse") && dom.contains("KL runaway"), "alarms missing from the page");
    assertTrue(dom.contains("Report card") && dom.contains("capital city") && dom.contains("correctness: the right"),
        "card, family table or rule table missing");
    for (String raw : List.of("sft.accuracy_seen_before", "seconds.pretrain", "222.8")) {
      assertTrue(!dom.contains(raw), "raw key or unformatted figure on the page: " + raw);
    }
    assertTrue(dom.contains("3 min 43 s"), "time in human form");
  }

  @Test
  void aMissingImageIsCaughtByTheBrowserCheck(@TempDir Path tmp) throws Exception {
    Path chromium = requireChromium();
    Path dir = ReportFixture.write(tmp.resolve("demo"), false);
    Report.write(dir);
    Files.delete(dir.resolve("plots/pretrain_loss.png"));
    String dom = headless(chromium, dir.resolve("report.html"), tmp, "--dump-dom");
    assertTrue(dom.contains("No data audit in this directory"), "no audit.json: the note");
    Matcher m = Pattern.compile("data-images=\"(\\d+)\" data-images-loaded=\"(\\d+)\"").matcher(dom);
    assertTrue(m.find(), "no image count in the DOM");
    assertEquals(Integer.parseInt(m.group(1)) - 1, Integer.parseInt(m.group(2)), "the deleted image loaded?");
  }
}
