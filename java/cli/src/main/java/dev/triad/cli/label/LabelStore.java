package dev.triad.cli.label;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.triad.io.AtomicFiles;
import dev.triad.io.Json;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * One JSONL file of records that survives a crash: {@link #append} returns only once the line is on
 * disk ({@link FileChannel#force}), so whatever was acknowledged is there after a kill -9 or a power
 * loss. A kill in the middle of a write can leave the last line cut off; that line was never
 * acknowledged, and {@link #open} cuts it away (saying so in {@link #repairNote}) before appending
 * after it. {@link #remove} (undo) rewrites the file atomically, so a reader sees the file with or
 * without the record, never a half-written one. Every line stays one JSON object: the file is always
 * valid input for its readers. Thread-safe.
 */
final class LabelStore implements Closeable {
  private final Path file;
  private final List<ObjectNode> records;
  private final String repairNote;
  private FileChannel channel;

  private LabelStore(Path file, List<ObjectNode> records, String repairNote) throws IOException {
    this.file = file;
    this.records = records;
    this.repairNote = repairNote;
    this.channel = openForAppend(file);
  }

  /**
   * The store of {@code file}, created when missing; an existing file's records are read back, a cut-off
   * last line dropped.
   *
   * @throws IllegalArgumentException naming {@code file:line} for a complete line that is not a JSON
   *     object (the file is someone else's, or was edited by hand: refused rather than overwritten)
   */
  static LabelStore open(Path file) throws IOException {
    Path parent = file.toAbsolutePath().getParent();
    Files.createDirectories(parent);
    if (!Files.exists(file)) {
      Files.createFile(file);
      syncDirectory(parent); // the new name too must survive a power loss, not only the lines in it
      return new LabelStore(file, new ArrayList<>(), null);
    }
    byte[] bytes = Files.readAllBytes(file);
    int complete = bytes.length;
    while (complete > 0 && bytes[complete - 1] != '\n') {
      complete--;
    }
    String note = null;
    if (complete < bytes.length) {
      // the tail after the last newline was being written when the process died: never acknowledged
      note = file + ": dropped a cut-off last line (" + (bytes.length - complete) + " bytes) left by an interrupted write";
      try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
        ch.truncate(complete);
        ch.force(true);
      }
    }
    List<ObjectNode> records = new ArrayList<>();
    String[] lines = new String(bytes, 0, complete, StandardCharsets.UTF_8).split("\n");
    for (int i = 0; i < lines.length; i++) {
      if (lines[i].isBlank()) {
        continue;
      }
      JsonNode node;
      try {
        node = Json.MAPPER.readTree(lines[i]);
      } catch (JacksonException e) {
        throw new IllegalArgumentException(file + ":" + (i + 1) + ": not a JSON line (" + e.getOriginalMessage()
            + "); is this a labels file?", e);
      }
      if (!(node instanceof ObjectNode object)) {
        throw new IllegalArgumentException(file + ":" + (i + 1) + ": expected a JSON object per line");
      }
      records.add(object);
    }
    return new LabelStore(file, records, note);
  }

  /** The records in file order (a copy). */
  synchronized List<ObjectNode> records() {
    return List.copyOf(records);
  }

  /** What {@link #open} repaired, or null when the file was whole. */
  String repairNote() {
    return repairNote;
  }

  Path file() {
    return file;
  }

  /** Appends {@code record} as one line and forces it to disk before returning. */
  synchronized void append(ObjectNode record) throws IOException {
    ByteBuffer line = ByteBuffer.wrap(lineOf(record));
    while (line.hasRemaining()) {
      channel.write(line);
    }
    channel.force(true);
    records.add(record);
  }

  /** Removes {@code record} (the same object {@link #records} returned), rewriting the file atomically. */
  synchronized void remove(ObjectNode record) throws IOException {
    int index = -1;
    for (int i = records.size() - 1; i >= 0 && index < 0; i--) {
      if (records.get(i) == record) {
        index = i;
      }
    }
    if (index < 0) {
      throw new IllegalArgumentException("no such record in " + file);
    }
    List<ObjectNode> kept = new ArrayList<>(records);
    kept.remove(index);
    ByteArrayOutputStream text = new ByteArrayOutputStream();
    for (ObjectNode r : kept) {
      text.write(lineOf(r));
    }
    channel.close();
    try {
      AtomicFiles.writeBytes(file, text.toByteArray());
    } finally {
      channel = openForAppend(file); // the new file (or the old one, when the rewrite failed)
    }
    records.remove(index);
  }

  @Override
  public synchronized void close() {
    try {
      channel.close();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot close " + file + ": " + e.getMessage(), e);
    }
  }

  private static byte[] lineOf(ObjectNode record) throws IOException {
    return (Json.MAPPER.writeValueAsString(record) + "\n").getBytes(StandardCharsets.UTF_8);
  }

  private static void syncDirectory(Path dir) {
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    } catch (IOException e) {
      // some file systems cannot open a directory for syncing: the lines themselves are still forced
    }
  }

  private static FileChannel openForAppend(Path file) throws IOException {
    return FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
  }
}
