package dev.triad.io;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.triad.tensor.DType;
import dev.triad.tensor.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Reading and writing the safetensors format (https://github.com/huggingface/safetensors): the
 * format Hugging Face models are published in, and Triad's own checkpoint format. Why
 * safetensors: a flat, documented, mmap-able layout that cannot execute code on load (unlike
 * pickles), readable by PyTorch, JAX and every HF tool, so a Triad checkpoint is never locked in.
 *
 * <p>Writes go through {@link AtomicFiles}: an interrupted save leaves the previous file intact.
 * Tensors are written in the given order, tightly packed, the header padded with spaces so the
 * data section starts 8-byte aligned. Reading: {@link #open} (see {@link SafetensorsFile}).
 */
public final class Safetensors {
  private Safetensors() {}

  /** Opens, memory-maps and validates a safetensors file. */
  public static SafetensorsFile open(Path path) throws IOException {
    return SafetensorsFile.open(path);
  }

  /**
   * Writes tensors (in the map's iteration order: pass a LinkedHashMap) and metadata atomically.
   * f32 tensors are stored as F32, bf16 as BF16 (bit-exact), i32 as I32. Each tensor is copied to
   * the host only while it is being written, so peak host memory is one tensor.
   */
  public static void write(Path path, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
    List<Entry> entries = new ArrayList<>(tensors.size());
    for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
      String name = e.getKey();
      Tensor t = Objects.requireNonNull(e.getValue(), () -> "tensor " + name + " is null");
      if (t.isClosed()) {
        throw new IllegalArgumentException("cannot write " + path + ": tensor " + name + " is closed");
      }
      DType dt = t.dtype();
      SafetensorsDType st = switch (dt) {
        case F32 -> SafetensorsDType.F32;
        case BF16 -> SafetensorsDType.BF16;
        case I32 -> SafetensorsDType.I32;
      };
      DataWriter w = st == SafetensorsDType.I32
          ? (ch, buf) -> writeInts(ch, buf, t.toIntArray(), st)
          : (ch, buf) -> writeFloats(ch, buf, t.toFloatArray(), st);
      entries.add(new Entry(name, st, t.shape(), t.numel(), w));
    }
    writeEntries(path, entries, metadata);
  }

  /** Writes host arrays (in the collection's order) and metadata atomically. */
  public static void writeHost(Path path, Collection<HostTensor> tensors, Map<String, String> metadata)
      throws IOException {
    List<Entry> entries = new ArrayList<>(tensors.size());
    for (HostTensor t : tensors) {
      Objects.requireNonNull(t, "null HostTensor");
      DataWriter w = t.dtype().isFloating()
          ? (ch, buf) -> writeFloats(ch, buf, (float[]) t.data(), t.dtype())
          : (ch, buf) -> writeInts(ch, buf, (int[]) t.data(), t.dtype());
      entries.add(new Entry(t.name(), t.dtype(), t.shape(), t.numel(), w));
    }
    writeEntries(path, entries, metadata);
  }

  // ---- internals ----

  private interface DataWriter {
    void write(FileChannel ch, ByteBuffer scratch) throws IOException;
  }

  private record Entry(String name, SafetensorsDType dtype, long[] shape, long numel, DataWriter writer) {}

  /** The header bytes (JSON padded with spaces to a multiple of 8) for these entries. */
  private static byte[] header(Path path, List<Entry> entries, Map<String, String> metadata) throws IOException {
    ObjectNode root = JsonNodeFactory.instance.objectNode();
    if (metadata != null && !metadata.isEmpty()) {
      ObjectNode meta = root.putObject("__metadata__");
      for (Map.Entry<String, String> m : metadata.entrySet()) {
        if (m.getKey() == null || m.getValue() == null) {
          throw new IllegalArgumentException("cannot write " + path + ": null metadata key or value (" + m + ")");
        }
        meta.put(m.getKey(), m.getValue());
      }
    }
    Set<String> seen = new HashSet<>();
    long offset = 0;
    for (Entry e : entries) {
      if (e.name == null || e.name.equals("__metadata__")) {
        throw new IllegalArgumentException("cannot write " + path + ": invalid tensor name " + e.name);
      }
      if (!seen.add(e.name)) {
        throw new IllegalArgumentException("cannot write " + path + ": duplicate tensor name " + e.name);
      }
      ObjectNode node = root.putObject(e.name);
      node.put("dtype", e.dtype.name());
      ArrayNode shape = node.putArray("shape");
      Arrays.stream(e.shape).forEach(shape::add);
      long bytes = Math.multiplyExact(e.numel, (long) e.dtype.bytes());
      node.putArray("data_offsets").add(offset).add(offset + bytes);
      offset += bytes;
    }
    byte[] json = SafetensorsFile.JSON.writeValueAsBytes(root);
    int padded = (json.length + 7) & ~7;
    byte[] out = Arrays.copyOf(json, padded);
    Arrays.fill(out, json.length, padded, (byte) ' ');
    return out;
  }

  private static void writeEntries(Path path, List<Entry> entries, Map<String, String> metadata) throws IOException {
    byte[] header = header(path, entries, metadata);
    AtomicFiles.writeChannel(path, ch -> {
      ByteBuffer scratch = ByteBuffer.allocateDirect(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
      scratch.putLong(header.length).flip();
      writeFully(ch, scratch);
      writeFully(ch, ByteBuffer.wrap(header));
      for (Entry e : entries) {
        e.writer.write(ch, scratch);
      }
    });
  }

  private static void writeFloats(FileChannel ch, ByteBuffer buf, float[] data, SafetensorsDType dtype)
      throws IOException {
    int esize = dtype.bytes();
    int per = buf.capacity() / esize;
    for (int off = 0; off < data.length; off += per) {
      int n = Math.min(per, data.length - off);
      buf.clear();
      if (dtype == SafetensorsDType.F32) {
        buf.asFloatBuffer().put(data, off, n);
      } else if (dtype == SafetensorsDType.BF16) {
        for (int i = 0; i < n; i++) {
          buf.putShort(i * 2, HalfFloats.floatToBf16(data[off + i]));
        }
      } else {
        throw new IllegalArgumentException("writing " + dtype + " is not supported");
      }
      buf.limit(n * esize);
      writeFully(ch, buf);
    }
  }

  private static void writeInts(FileChannel ch, ByteBuffer buf, int[] data, SafetensorsDType dtype)
      throws IOException {
    int esize = dtype.bytes();
    int per = buf.capacity() / esize;
    for (int off = 0; off < data.length; off += per) {
      int n = Math.min(per, data.length - off);
      buf.clear();
      if (dtype == SafetensorsDType.I32) {
        buf.asIntBuffer().put(data, off, n);
      } else {
        for (int i = 0; i < n; i++) {
          buf.putLong(i * 8, data[off + i]);
        }
      }
      buf.limit(n * esize);
      writeFully(ch, buf);
    }
  }

  private static void writeFully(FileChannel ch, ByteBuffer buf) throws IOException {
    while (buf.hasRemaining()) {
      ch.write(buf);
    }
  }
}
