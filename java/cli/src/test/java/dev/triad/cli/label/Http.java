package dev.triad.cli.label;

import com.fasterxml.jackson.databind.JsonNode;
import dev.triad.io.Json;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/** A minimal HTTP client for the tests (java.base only: the tests compile inside the dev.triad.cli module). */
final class Http {
  private Http() {}

  /** An answer: status, the body as text, and as JSON when it is JSON (else null). */
  record Answer(int status, String text, JsonNode body) {}

  static Answer get(String url, Map<String, String> headers) throws IOException {
    return exchange("GET", url, null, null, headers);
  }

  static Answer get(String url) throws IOException {
    return get(url, Map.of());
  }

  static Answer postJson(String url, String json) throws IOException {
    return exchange("POST", url, "application/json", json, Map.of());
  }

  static Answer exchange(String method, String url, String contentType, String body, Map<String, String> headers)
      throws IOException {
    HttpURLConnection c = (HttpURLConnection) URI.create(url).toURL().openConnection();
    c.setRequestMethod(method);
    c.setConnectTimeout(5000);
    c.setReadTimeout(10000);
    headers.forEach(c::setRequestProperty);
    if (body != null) {
      c.setDoOutput(true);
      if (contentType != null) {
        c.setRequestProperty("Content-Type", contentType);
      }
      try (OutputStream out = c.getOutputStream()) {
        out.write(body.getBytes(StandardCharsets.UTF_8));
      }
    }
    int status = c.getResponseCode();
    String text;
    try (InputStream in = status >= 400 ? c.getErrorStream() : c.getInputStream()) {
      text = in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    String type = c.getContentType();
    JsonNode json = type != null && type.startsWith("application/json") ? Json.MAPPER.readTree(text) : null;
    return new Answer(status, text, json);
  }
}
