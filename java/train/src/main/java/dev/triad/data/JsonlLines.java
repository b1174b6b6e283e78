package dev.triad.data;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.Locale;

import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reading JSONL training data, one record per non-blank line, with errors that start
 * {@code file:line: }. Lines are split as bytes and decoded one at a time, so bad UTF-8 is reported
 * at its own line; a leading byte-order mark is dropped. A line longer than {@link #MAX_LINE_BYTES}
 * is an error at its {@code file:line} (read no further than the limit), never an OutOfMemoryError.
 */
public final class JsonlLines {
  /** The longest line (record) read, in bytes: 1 MiB, far above any chat example or preference pair. */
  public static final int MAX_LINE_BYTES = 1 << 20;

  /** Strict JSON for records: duplicate keys and trailing content after the object are errors. */
  public static final ObjectMapper STRICT_JSON = JsonMapper.builder()
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .build();

  /** Turns one line's text into a record; file and line number are for error messages. */
  @FunctionalInterface
  public interface LineParser<T> {
    T parse(Path file, int lineNo, String line);
  }

  /** Turns one line's JSON object into a record; {@code where} ("file:line: ") starts every error. */
  @FunctionalInterface
  public interface ObjectParser<T> {
    T parse(String where, JsonNode object);
  }

  private JsonlLines() {}

  /**
   * The records of every non-blank line of {@code file}, each a {@link #STRICT_JSON} object.
   *
   * @throws IllegalArgumentException naming {@code file:line} for invalid JSON or a value that is
   *     not an object, and {@code file: } + {@code noRecords} for a file without any record
   */
  public static <T> List<T> readObjects(Path file, ObjectParser<T> parser, String noRecords) throws IOException {
    List<T> out = read(file, (f, lineNo, line) -> {
      String where = f + ":" + lineNo + ": ";
      JsonNode node;
      try {
        node = STRICT_JSON.readTree(line);
      } catch (JacksonException e) {
        throw new IllegalArgumentException(where + "invalid JSON: " + e.getOriginalMessage(), e);
      }
      if (node == null || !node.isObject()) {
        throw new IllegalArgumentException(where + "expected a JSON object, found " + type(node));
      }
      return parser.parse(where, node);
    });
    if (out.isEmpty()) {
      throw new IllegalArgumentException(file + ": " + noRecords);
    }
    return out;
  }

  /** A JSON value's type for an error message ("string", "array", ...; "nothing" for none). */
  public static String type(JsonNode node) {
    return node == null ? "nothing" : node.getNodeType().toString().toLowerCase(Locale.ROOT);
  }

  /** An object's field names for an error message, or "none". */
  public static String fieldNames(JsonNode node) {
    List<String> names = new ArrayList<>();
    node.fieldNames().forEachRemaining(names::add);
    return names.isEmpty() ? "none" : String.join(", ", names);
  }

  /** The records of every non-blank line of {@code file}, in order (possibly none). */
  public static <T> List<T> read(Path file, LineParser<T> parser) throws IOException {
    List<T> out = new ArrayList<>();
    CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT);
    try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
      ByteArrayOutputStream buf = new ByteArrayOutputStream(256);
      int lineNo = 0;
      boolean more = true;
      while (more) {
        buf.reset();
        int b;
        while ((b = in.read()) != -1 && b != '\n') {
          if (buf.size() == MAX_LINE_BYTES) {
            throw new IllegalArgumentException(file + ":" + (lineNo + 1) + ": line longer than the limit of "
                + MAX_LINE_BYTES + " bytes (1 MiB) per JSONL record; is this a JSONL file, one record per line?");
          }
          buf.write(b);
        }
        more = b != -1;
        if (!more && buf.size() == 0) {
          break;
        }
        lineNo++;
        String line;
        try {
          line = utf8.decode(ByteBuffer.wrap(buf.toByteArray())).toString();
        } catch (CharacterCodingException e) {
          throw new IllegalArgumentException(file + ":" + lineNo + ": not valid UTF-8 text", e);
        }
        if (lineNo == 1 && line.startsWith("\uFEFF")) {
          line = line.substring(1); // a byte-order mark some editors write
        }
        if (!line.isBlank()) {
          out.add(parser.parse(file, lineNo, line));
        }
      }
    }
    return out;
  }
}
