package dev.triad.cli.label;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.triad.io.Json;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The labelling web app over HTTP (the JDK's {@link HttpServer}): the page at {@code /} and a small
 * JSON API.
 *
 * <ul>
 *   <li>{@code GET /api/state?annotator=NAME}: progress, the next item as NAME sees it, agreement</li>
 *   <li>{@code POST /api/choice} {@code {"item","annotator","choice","grade"?,"aspects"?,"note"?}}:
 *       records the judgement (on disk before the answer) and answers the new state</li>
 *   <li>{@code POST /api/undo} {@code {"annotator"}}: takes back the annotator's latest judgement</li>
 * </ul>
 *
 * A bad request gets a 4xx answer {@code {"error": message}}. POSTs must say {@code Content-Type:
 * application/json}: a web page from elsewhere cannot send that without the browser asking first
 * (CORS preflight, which this server never grants), so other sites cannot submit labels. When a
 * token is set (the server is reachable from other machines), every request must carry it, as
 * {@code ?token=} or the {@value #TOKEN_HEADER} header; 403 otherwise.
 */
public final class LabelServer implements AutoCloseable {
  /** The header that may carry the token. */
  public static final String TOKEN_HEADER = "X-Triad-Token";
  /** The largest request body read, in bytes. */
  static final int MAX_BODY = 64 * 1024;

  private final LabelQueue queue;
  private final String token;
  private final HttpServer http;
  private final ExecutorService workers;
  private final byte[] page;

  /** A request refused with {@code status} and a message for the person or script that sent it. */
  private static final class Refused extends RuntimeException {
    final int status;

    Refused(int status, String message) {
      super(message);
      this.status = status;
    }
  }

  private LabelServer(LabelQueue queue, String token, HttpServer http) {
    this.queue = queue;
    this.token = token;
    this.http = http;
    this.page = loadPage();
    this.workers = Executors.newFixedThreadPool(4, r -> {
      Thread t = new Thread(r, "triad-label-http");
      t.setDaemon(true);
      return t;
    });
    http.createContext("/", this::handle);
    http.setExecutor(workers);
  }

  /**
   * Starts serving {@code queue} on {@code host:port} (port 0: any free one); {@code token} null for
   * none.
   */
  public static LabelServer start(LabelQueue queue, String host, int port, String token) throws IOException {
    LabelServer s = new LabelServer(queue, token, HttpServer.create(new InetSocketAddress(host, port), 0));
    s.http.start();
    return s;
  }

  /** A fresh random token (128 bits, hex), for a server reachable from other machines. */
  public static String newToken() {
    byte[] b = new byte[16];
    new SecureRandom().nextBytes(b);
    return HexFormat.of().formatHex(b);
  }

  /** Whether {@code host} names only this machine (then no token is needed). */
  public static boolean isLoopback(String host) {
    try {
      return InetAddress.getByName(host).isLoopbackAddress();
    } catch (IOException e) {
      return false;
    }
  }

  public int port() {
    return http.getAddress().getPort();
  }

  /** The page's address for {@code host} (with the token, when there is one). */
  public String url(String host) {
    String h = host.contains(":") ? "[" + host + "]" : host;
    return "http://" + h + ":" + port() + "/" + (token == null ? "" : "?token=" + token);
  }

  @Override
  public void close() {
    http.stop(0);
    workers.shutdownNow();
  }

  private void handle(HttpExchange ex) throws IOException {
    try (ex) {
      try {
        checkToken(ex);
        route(ex);
      } catch (Refused r) {
        send(ex, r.status, error(r.getMessage()));
      } catch (IllegalArgumentException e) {
        send(ex, 400, error(e.getMessage()));
      } catch (IOException | UncheckedIOException e) {
        send(ex, 500, error("could not save: " + e.getMessage()));
      } catch (RuntimeException e) {
        send(ex, 500, error(e.toString()));
      }
    }
  }

  private void route(HttpExchange ex) throws IOException {
    String path = ex.getRequestURI().getPath();
    switch (path) {
      case "/", "/index.html" -> {
        requireMethod(ex, "GET");
        ex.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
        ex.getResponseHeaders().set("Cache-Control", "no-store");
        ex.sendResponseHeaders(200, page.length);
        try (OutputStream out = ex.getResponseBody()) {
          out.write(page);
        }
      }
      case "/api/state" -> {
        requireMethod(ex, "GET");
        send(ex, 200, state(query(ex).get("annotator")));
      }
      case "/api/choice" -> {
        requireMethod(ex, "POST");
        JsonNode body = body(ex);
        LabelQueue.Submission s = new LabelQueue.Submission(text(body, "item", true), text(body, "annotator", true),
            Choice.parse(text(body, "choice", true)), text(body, "grade", false), aspects(body),
            text(body, "note", false));
        LabelQueue.Outcome o = queue.submit(s);
        ObjectNode answer = state(s.annotator());
        answer.put("duplicate", o.duplicate());
        answer.put("recorded", s.item());
        send(ex, 200, answer);
      }
      case "/api/undo" -> {
        requireMethod(ex, "POST");
        String annotator = text(body(ex), "annotator", true);
        String undone = queue.undo(annotator);
        ObjectNode answer = state(annotator);
        answer.put("undone", undone);
        send(ex, 200, answer);
      }
      default -> throw new Refused(404, "no such page: " + path);
    }
  }

  /** Progress, the next item as {@code annotator} sees it, and the agreement so far. */
  private ObjectNode state(String annotator) {
    String name = LabelQueue.checkName(annotator);
    ObjectNode s = Json.MAPPER.createObjectNode();
    s.put("annotator", name);
    s.put("judged", queue.judgedBy(name));
    s.put("total", queue.total());
    s.put("canUndo", queue.canUndo(name));
    LabelQueue.Shown next = queue.next(name);
    if (next == null) {
      s.putNull("item");
    } else {
      s.putObject("item").put("id", next.item().id()).put("prompt", next.item().prompt()).put("a", next.a())
          .put("b", next.b());
    }
    ArrayNode agreement = s.putArray("agreement");
    for (Agreement.Pair p : queue.agreement()) {
      ObjectNode o = agreement.addObject().put("first", p.first()).put("second", p.second()).put("items", p.items())
          .put("agreement", p.agreement());
      if (Double.isNaN(p.kappa())) {
        o.putNull("kappa");
      } else {
        o.put("kappa", p.kappa());
      }
    }
    return s;
  }

  private void checkToken(HttpExchange ex) {
    if (token == null) {
      return;
    }
    String given = ex.getRequestHeaders().getFirst(TOKEN_HEADER);
    if (given == null) {
      given = query(ex).get("token");
    }
    // compared in constant time: the answer's timing must not reveal how much of a guess was right
    if (given == null || !MessageDigest.isEqual(given.getBytes(StandardCharsets.UTF_8),
        token.getBytes(StandardCharsets.UTF_8))) {
      throw new Refused(403, "missing or wrong token: open the address `triad label` printed, with its ?token=");
    }
  }

  private static void requireMethod(HttpExchange ex, String method) {
    if (!ex.getRequestMethod().equals(method)) {
      ex.getResponseHeaders().set("Allow", method);
      throw new Refused(405, ex.getRequestMethod() + " is not allowed here; use " + method);
    }
  }

  private static Map<String, String> query(HttpExchange ex) {
    Map<String, String> q = new HashMap<>();
    String raw = ex.getRequestURI().getRawQuery();
    if (raw == null) {
      return q;
    }
    for (String part : raw.split("&")) {
      int eq = part.indexOf('=');
      String k = eq < 0 ? part : part.substring(0, eq), v = eq < 0 ? "" : part.substring(eq + 1);
      try {
        q.putIfAbsent(URLDecoder.decode(k, StandardCharsets.UTF_8), URLDecoder.decode(v, StandardCharsets.UTF_8));
      } catch (IllegalArgumentException e) {
        throw new Refused(400, "malformed query string: " + e.getMessage());
      }
    }
    return q;
  }

  /** The request's JSON object (at most {@link #MAX_BODY} bytes, sent as application/json). */
  private static JsonNode body(HttpExchange ex) throws IOException {
    String type = ex.getRequestHeaders().getFirst("Content-Type");
    if (type == null || !type.toLowerCase(java.util.Locale.ROOT).startsWith("application/json")) {
      throw new Refused(415, "send the body as Content-Type: application/json");
    }
    byte[] bytes;
    try (InputStream in = ex.getRequestBody()) {
      bytes = in.readNBytes(MAX_BODY + 1);
    }
    if (bytes.length > MAX_BODY) {
      throw new Refused(413, "request body larger than " + MAX_BODY + " bytes");
    }
    JsonNode node;
    try {
      node = Json.MAPPER.readTree(bytes);
    } catch (JacksonException e) {
      throw new Refused(400, "the body is not valid JSON: " + e.getOriginalMessage());
    }
    if (node == null || !node.isObject()) {
      throw new Refused(400, "the body must be a JSON object");
    }
    return node;
  }

  private static String text(JsonNode body, String field, boolean required) {
    JsonNode v = body.get(field);
    if (v == null || v.isNull()) {
      if (required) {
        throw new Refused(400, "field \"" + field + "\" is missing");
      }
      return null;
    }
    if (!v.isTextual()) {
      throw new Refused(400, "field \"" + field + "\" must be a string");
    }
    return v.asText();
  }

  private static Map<String, Boolean> aspects(JsonNode body) {
    JsonNode v = body.get("aspects");
    Map<String, Boolean> out = new LinkedHashMap<>();
    if (v == null || v.isNull()) {
      return out;
    }
    if (!v.isObject()) {
      throw new Refused(400, "field \"aspects\" must be an object of true/false, e.g. {\"concise\": true}");
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (!e.getValue().isBoolean()) {
        throw new Refused(400, "aspect \"" + e.getKey() + "\" must be true or false");
      }
      out.put(e.getKey(), e.getValue().asBoolean());
    }
    return out;
  }

  private static ObjectNode error(String message) {
    return Json.MAPPER.createObjectNode().put("error", message == null ? "bad request" : message);
  }

  private static void send(HttpExchange ex, int status, JsonNode body) throws IOException {
    byte[] bytes = Json.MAPPER.writeValueAsBytes(body);
    ex.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
    ex.getResponseHeaders().set("Cache-Control", "no-store");
    ex.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(bytes);
    }
  }

  private static byte[] loadPage() {
    try (InputStream in = LabelServer.class.getResourceAsStream("index.html")) {
      if (in == null) {
        throw new IllegalStateException("the labelling page (dev/triad/cli/label/index.html) is missing from the jar");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
