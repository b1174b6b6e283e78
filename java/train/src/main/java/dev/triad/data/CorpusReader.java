package dev.triad.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.triad.io.Json;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Reads a user's text corpus as a list of documents, to be tokenized with an end-of-text token
 * before each one. Files are read as UTF-8, in the order given.
 *
 * <ul>
 *   <li><b>{@code .txt}</b>: the whole file is one document, unless it contains lines that hold
 *       only {@code <|endoftext|>} (surrounding whitespace allowed), which separate documents,
 *       the way GPT-2-era text dumps are commonly concatenated. A file is never split on blank
 *       lines: paragraphs of one document stay together.</li>
 *   <li><b>{@code .jsonl}</b>: one JSON object per line with a string field {@code "text"}, the
 *       layout of most published pretraining sets; other fields are ignored and blank lines are
 *       skipped. A malformed line is an error naming {@code file:line} and the problem, not a
 *       silently dropped document.</li>
 *   <li>A <b>directory</b> stands for its {@code .txt} and {@code .jsonl} files, sorted by name
 *       (not recursive).</li>
 * </ul>
 *
 * Documents that are empty or only whitespace are skipped; a corpus with no document left is an
 * error naming the inputs.
 */
public final class CorpusReader {

  private CorpusReader() {}

  /**
   * The documents of {@code inputs}.
   *
   * @throws NoSuchFileException for a missing input
   * @throws IOException naming the file (and line, for JSONL) for unreadable or malformed input,
   *     an unsupported extension, or an empty corpus
   */
  public static List<String> read(List<Path> inputs) throws IOException {
    if (inputs.isEmpty()) {
      throw new IOException("no corpus files given");
    }
    List<String> docs = new ArrayList<>();
    for (Path input : inputs) {
      if (Files.isDirectory(input)) {
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(input, "*.{txt,jsonl}")) {
          ds.forEach(files::add);
        }
        files.sort((a, b) -> a.getFileName().toString().compareTo(b.getFileName().toString()));
        if (files.isEmpty()) {
          throw new IOException(input + ": directory has no .txt or .jsonl files");
        }
        for (Path f : files) {
          readFile(f, docs);
        }
      } else {
        readFile(input, docs);
      }
    }
    if (docs.isEmpty()) {
      throw new IOException("the corpus is empty: no non-blank document in " + inputs);
    }
    return docs;
  }

  private static void readFile(Path file, List<String> docs) throws IOException {
    if (!Files.exists(file)) {
      throw new NoSuchFileException(file.toString(), null, "corpus file not found");
    }
    String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
    if (name.endsWith(".txt")) {
      readTxt(file, docs);
    } else if (name.endsWith(".jsonl")) {
      readJsonl(file, docs);
    } else {
      throw new IOException(file + ": unsupported corpus file type; expected .txt (plain text) or .jsonl"
          + " (one {\"text\": ...} object per line)");
    }
  }

  static void readTxt(Path file, List<String> docs) throws IOException {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (CharacterCodingException e) {
      throw new IOException(file + ": not valid UTF-8 text", e);
    }
    // split on separator lines; the line breaks around a separator belong to it
    for (String doc : text.split("(?m)(?:\\r?\\n)?^[ \\t]*<\\|endoftext\\|>[ \\t]*$(?:\\r?\\n)?", -1)) {
      if (!doc.isBlank()) {
        docs.add(doc);
      }
    }
  }

  static void readJsonl(Path file, List<String> docs) throws IOException {
    try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      int lineNo = 0;
      String line;
      while (true) {
        try {
          line = in.readLine();
        } catch (CharacterCodingException e) {
          throw new IOException(file + ":" + (lineNo + 1) + ": not valid UTF-8", e);
        }
        if (line == null) {
          break;
        }
        lineNo++;
        if (line.isBlank()) {
          continue;
        }
        JsonNode node;
        try {
          node = Json.MAPPER.readTree(line);
        } catch (JsonProcessingException e) {
          throw new IOException(file + ":" + lineNo + ": invalid JSON: " + e.getOriginalMessage(), e);
        }
        if (node == null || !node.isObject()) {
          throw new IOException(file + ":" + lineNo + ": expected a JSON object with a \"text\" field, found "
              + (node == null ? "nothing" : node.getNodeType().toString().toLowerCase(Locale.ROOT)));
        }
        JsonNode text = node.get("text");
        if (text == null) {
          throw new IOException(file + ":" + lineNo + ": missing \"text\" field (fields present: "
              + fieldNames(node) + ")");
        }
        if (!text.isTextual()) {
          throw new IOException(file + ":" + lineNo + ": \"text\" must be a string, found "
              + text.getNodeType().toString().toLowerCase(Locale.ROOT));
        }
        if (!text.asText().isBlank()) {
          docs.add(text.asText());
        }
      }
    }
  }

  private static String fieldNames(JsonNode node) {
    List<String> names = new ArrayList<>();
    node.fieldNames().forEachRemaining(names::add);
    return names.isEmpty() ? "none" : String.join(", ", names);
  }
}
