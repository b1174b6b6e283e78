package dev.triad.cli.label;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.triad.io.Json;
import java.util.Map;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The HTTP API: the page, a choice and its duplicate, undo, and a 4xx with a message for each bad request. */
class LabelServerTest {
  @TempDir Path tmp;
  private static Http.Answer post(String base, String path, String json) throws Exception {
    return Http.postJson(base + path, json);
  }

  private static void assertRefused(Http.Answer a, int status, String part) {
    assertEquals(status, a.status(), a.text());
    assertTrue(a.body() != null && a.body().path("error").asText().contains(part), a.text());
  }

  @Test
  void choicesUndoAndBadRequests() throws Exception {
    LabelFiles files = LabelFiles.beside(tmp.resolve("labels.jsonl"));
    List<LabelItem> items = LabelQueueTest.items(3);
    try (LabelQueue q = LabelQueue.open(items, files); LabelServer s = LabelServer.start(q, "127.0.0.1", 0, null)) {
      String base = "http://127.0.0.1:" + s.port();
      Http.Answer page = Http.get(base + "/");
      assertEquals(200, page.status());
      assertTrue(page.text().contains("which reply is better"), "the page");

      Http.Answer state = Http.get(base + "/api/state?annotator=ann%20lee");
      assertEquals(200, state.status(), state.text());
      assertEquals("0 of 3", state.body().path("judged").asInt() + " of " + state.body().path("total").asInt());
      String item = state.body().path("item").path("id").asText();
      String choice = "{\"item\":\"" + item + "\",\"annotator\":\"ann lee\",\"choice\":\"A\",\"grade\":\"better\","
          + "\"aspects\":{\"correct\":true},\"note\":\"right answer\"}";
      Http.Answer first = post(base, "/api/choice", choice);
      assertEquals(200, first.status(), first.text());
      assertEquals(false, first.body().path("duplicate").asBoolean());
      assertEquals(1, first.body().path("judged").asInt());
      Http.Answer again = post(base, "/api/choice", choice);
      assertEquals(true, again.body().path("duplicate").asBoolean(), again.text());
      assertEquals(1, Files.readAllLines(files.pairs()).size(), "acknowledged twice, written once");
      assertEquals(state.body().path("item").path("a").asText(),
          Json.MAPPER.readTree(Files.readAllLines(files.pairs()).get(0)).path("chosen").asText());

      Http.Answer undo = post(base, "/api/undo", "{\"annotator\":\"ann lee\"}");
      assertEquals(item, undo.body().path("undone").asText(), undo.text());
      assertEquals(0, undo.body().path("judged").asInt());

      assertRefused(post(base, "/api/choice", "{\"item\": "), 400, "not valid JSON");
      assertRefused(post(base, "/api/choice", "[1]"), 400, "must be a JSON object");
      assertRefused(post(base, "/api/choice", choice.replace(item, "nope")), 400, "unknown item");
      assertRefused(post(base, "/api/choice", choice.replace("\"annotator\":\"ann lee\",", "")), 400,
          "\"annotator\" is missing");
      assertRefused(post(base, "/api/choice", choice.replace("\"A\"", "\"C\"")), 400, "choice \"C\" is unknown");
      assertRefused(post(base, "/api/choice", choice.replace("true", "\"yes\"")), 400, "true or false");
      assertRefused(Http.get(base + "/api/state"), 400, "annotator is missing");
      assertRefused(Http.get(base + "/api/choice"), 405, "use POST");
      assertRefused(Http.get(base + "/nowhere"), 404, "no such page");
      assertRefused(Http.exchange("POST", base + "/api/choice", "text/plain", choice, Map.of()), 415, "application/json");
      assertRefused(post(base, "/api/choice", "{\"note\":\"" + "x".repeat(LabelServer.MAX_BODY) + "\"}"), 413,
          "larger than");
      assertEquals(0, Files.readAllLines(files.pairs()).size(), "no bad request wrote anything");
    }
  }

  @Test
  void aTokenIsRequiredWhenOneIsSet() throws Exception {
    try (LabelQueue q = LabelQueue.open(LabelQueueTest.items(1), LabelFiles.beside(tmp.resolve("l.jsonl")));
        LabelServer s = LabelServer.start(q, "127.0.0.1", 0, "s3cret")) {
      String base = "http://127.0.0.1:" + s.port();
      assertRefused(Http.get(base + "/"), 403, "token");
      assertRefused(Http.get(base + "/api/state?annotator=a&token=wrong"), 403, "token");
      assertEquals(200, Http.get(base + "/?token=s3cret").status());
      assertEquals(200, Http.get(base + "/api/state?annotator=a", Map.of(LabelServer.TOKEN_HEADER, "s3cret")).status());
      assertTrue(s.url("0.0.0.0").endsWith("/?token=s3cret"), s.url("0.0.0.0"));
    }
    assertTrue(LabelServer.isLoopback("127.0.0.1") && LabelServer.isLoopback("localhost"));
    assertTrue(!LabelServer.isLoopback("0.0.0.0"));
  }
}
