package dev.triad.io;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.triad.tensor.Device;
import dev.triad.tensor.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.nio.ShortBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An open safetensors file: its header parsed and validated, its tensors read on demand through
 * memory maps of their byte ranges. Why this shape: checkpoints and imported models are hundreds
 * of MB; mapping reads only what is asked for, and validating the whole header up front means a
 * corrupt or truncated file fails at {@link #open} with a message naming the file and the tensor,
 * not later with garbage weights.
 *
 * <p>Format: 8-byte little-endian unsigned header length N; N bytes of UTF-8 JSON mapping each
 * tensor name to {"dtype", "shape", "data_offsets": [begin, end]} plus an optional
 * "__metadata__" string map; then the data section, offsets relative to its start, little-endian,
 * row-major. As in the reference implementation the tensors must tile the data section exactly
 * (no overlap, no gap, no trailing bytes).
 *
 * <p>Thread-safe for reads. Close it to release the file handle (mapped regions are released by
 * the garbage collector, as Java 17 offers no explicit unmap).
 */
public final class SafetensorsFile implements AutoCloseable {
  /** As in the reference implementation: a larger header is taken as corruption. */
  static final long MAX_HEADER_BYTES = 100_000_000L;
  /** Bytes mapped at a time (a MappedByteBuffer holds at most 2 GiB); a multiple of 8. */
  private static final long MAP_CHUNK = 1L << 30;
  private static final int MAX_ARRAY = Integer.MAX_VALUE - 8;

  static final JsonMapper JSON = JsonMapper.builder()
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .build();

  private final Path path;
  private final FileChannel channel;
  private final long dataStart;
  private final Map<String, TensorInfo> tensors;
  private final Map<String, String> metadata;
  private volatile boolean closed;

  private SafetensorsFile(Path path, FileChannel channel, long dataStart, Map<String, TensorInfo> tensors,
      Map<String, String> metadata) {
    this.path = path;
    this.channel = channel;
    this.dataStart = dataStart;
    this.tensors = tensors;
    this.metadata = metadata;
  }

  /** Opens and validates {@code path}; throws CheckpointFormatException naming what is wrong. */
  public static SafetensorsFile open(Path path) throws IOException {
    FileChannel ch = FileChannel.open(path, StandardOpenOption.READ);
    try {
      long fileSize = ch.size();
      if (fileSize < 8) {
        throw bad(path, "file is " + fileSize + " bytes, too short for the 8-byte header length");
      }
      ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      while (len.hasRemaining()) {
        if (ch.read(len, len.position()) < 0) {
          throw bad(path, "unexpected end of file reading the header length");
        }
      }
      long n = len.getLong(0);
      if (n < 0 || n > fileSize - 8) {
        throw bad(path, "header length " + Long.toUnsignedString(n) + " exceeds the file size (" + fileSize
            + " bytes): not a safetensors file, or truncated");
      }
      if (n > MAX_HEADER_BYTES) {
        throw bad(path, "header length " + n + " exceeds the limit of " + MAX_HEADER_BYTES + " bytes");
      }
      byte[] header = new byte[(int) n];
      ch.map(FileChannel.MapMode.READ_ONLY, 8, n).get(header);
      long dataSize = fileSize - 8 - n;
      Map<String, String> meta = new LinkedHashMap<>();
      Map<String, TensorInfo> infos = parseHeader(path, header, dataSize, meta);
      return new SafetensorsFile(path, ch, 8 + n, Collections.unmodifiableMap(infos),
          Collections.unmodifiableMap(meta));
    } catch (IOException | RuntimeException | Error e) {
      try {
        ch.close();
      } catch (IOException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
  }

  private static Map<String, TensorInfo> parseHeader(Path path, byte[] header, long dataSize,
      Map<String, String> metaOut) throws CheckpointFormatException {
    JsonNode root;
    try {
      root = JSON.readTree(header);
    } catch (JacksonException e) {
      throw new CheckpointFormatException(path + ": header is not valid JSON: " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new CheckpointFormatException(path + ": header is not valid JSON: " + e.getMessage(), e);
    }
    if (root == null || !root.isObject()) {
      throw bad(path, "header is not a JSON object");
    }
    Map<String, TensorInfo> infos = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> e : root.properties()) {
      String name = e.getKey();
      JsonNode v = e.getValue();
      if (name.equals("__metadata__")) {
        if (!v.isObject()) {
          throw bad(path, "__metadata__ is not a JSON object");
        }
        for (Map.Entry<String, JsonNode> kv : v.properties()) {
          if (!kv.getValue().isTextual()) {
            throw bad(path, "__metadata__ value for '" + kv.getKey() + "' is not a string: " + kv.getValue());
          }
          metaOut.put(kv.getKey(), kv.getValue().textValue());
        }
        continue;
      }
      infos.put(name, parseEntry(path, name, v, dataSize));
    }
    checkPacking(path, infos.values(), dataSize);
    return infos;
  }

  private static TensorInfo parseEntry(Path path, String name, JsonNode v, long dataSize)
      throws CheckpointFormatException {
    String where = "tensor '" + name + "'";
    if (!v.isObject()) {
      throw bad(path, where + ": entry is not a JSON object");
    }
    for (Map.Entry<String, JsonNode> f : v.properties()) {
      String field = f.getKey();
      if (!field.equals("dtype") && !field.equals("shape") && !field.equals("data_offsets")) {
        throw bad(path, where + ": unknown field '" + field + "' (expected dtype, shape, data_offsets)");
      }
    }
    JsonNode dt = v.get("dtype");
    if (dt == null || !dt.isTextual()) {
      throw bad(path, where + ": missing or non-string dtype");
    }
    SafetensorsDType dtype = SafetensorsDType.parse(dt.textValue());
    if (dtype == null) {
      throw bad(path, where + ": unknown dtype '" + dt.textValue() + "' (Triad reads "
          + Arrays.toString(SafetensorsDType.values()) + ")");
    }
    JsonNode sh = v.get("shape");
    if (sh == null || !sh.isArray()) {
      throw bad(path, where + ": missing or non-array shape");
    }
    long[] shape = new long[sh.size()];
    long numel = 1;
    for (int i = 0; i < shape.length; i++) {
      JsonNode d = sh.get(i);
      if (!d.isIntegralNumber() || !d.canConvertToLong() || d.longValue() < 0) {
        throw bad(path, where + ": shape " + sh + " has an invalid dimension " + d);
      }
      shape[i] = d.longValue();
      try {
        numel = Math.multiplyExact(numel, shape[i]);
      } catch (ArithmeticException overflow) {
        throw bad(path, where + ": shape " + sh + " has too many elements");
      }
    }
    JsonNode off = v.get("data_offsets");
    if (off == null || !off.isArray() || off.size() != 2) {
      throw bad(path, where + ": data_offsets must be an array [begin, end]");
    }
    long[] be = new long[2];
    for (int i = 0; i < 2; i++) {
      JsonNode o = off.get(i);
      if (!o.isIntegralNumber() || !o.canConvertToLong() || o.longValue() < 0) {
        throw bad(path, where + ": data_offsets " + off + " out of range");
      }
      be[i] = o.longValue();
    }
    long begin = be[0], end = be[1];
    if (begin > end) {
      throw bad(path, where + ": data_offsets " + off + " out of range: begin > end");
    }
    long need;
    try {
      need = Math.multiplyExact(numel, (long) dtype.bytes());
    } catch (ArithmeticException overflow) {
      throw bad(path, where + ": shape " + sh + " is too large");
    }
    if (end - begin != need) {
      throw bad(path, where + ": data_offsets " + off + " span " + (end - begin) + " bytes but " + dtype
          + Arrays.toString(shape) + " needs " + need);
    }
    if (end > dataSize) {
      throw bad(path, where + ": data_offsets " + off + " out of range: the data section has only " + dataSize
          + " bytes (file truncated?)");
    }
    return new TensorInfo(name, dtype, shape, begin, end);
  }

  /** The tensors must tile [0, dataSize) exactly, as the reference implementation requires. */
  private static void checkPacking(Path path, java.util.Collection<TensorInfo> infos, long dataSize)
      throws CheckpointFormatException {
    List<TensorInfo> sorted = new ArrayList<>(infos);
    sorted.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
    long expected = 0;
    String previous = null;
    for (TensorInfo t : sorted) {
      if (t.begin() < expected) {
        throw bad(path, "tensor '" + t.name() + "': data_offsets [" + t.begin() + ", " + t.end()
            + "] overlap tensor '" + previous + "' (which ends at " + expected + ")");
      }
      if (t.begin() > expected) {
        throw bad(path, "tensor '" + t.name() + "': data_offsets [" + t.begin() + ", " + t.end()
            + "] leave a gap: bytes [" + expected + ", " + t.begin() + ") belong to no tensor");
      }
      if (t.end() > t.begin()) {
        expected = t.end();
        previous = t.name();
      }
    }
    if (expected < dataSize) {
      throw bad(path, (dataSize - expected) + " trailing bytes after the last tensor (data section "
          + dataSize + " bytes, tensors cover " + expected + ")");
    }
  }

  // ---- inspection ----

  public Path path() {
    return path;
  }

  /** Tensor names, in header order. */
  public Set<String> names() {
    return tensors.keySet();
  }

  public boolean contains(String name) {
    return tensors.containsKey(name);
  }

  /** The entry for {@code name}; IllegalArgumentException naming the file if there is none. */
  public TensorInfo info(String name) {
    TensorInfo t = tensors.get(name);
    if (t == null) {
      List<String> some = new ArrayList<>(tensors.keySet());
      String listing = some.size() <= 20 ? some.toString() : some.subList(0, 20) + " and " + (some.size() - 20) + " more";
      throw new IllegalArgumentException("no tensor '" + name + "' in " + path + " (it has " + listing + ")");
    }
    return t;
  }

  /** The "__metadata__" map (empty when the file has none). */
  public Map<String, String> metadata() {
    return metadata;
  }

  // ---- reading ----

  /** Elements of a floating tensor as float: F32 as is, BF16 and F16 widened exactly. */
  public float[] readFloats(String name) throws IOException {
    TensorInfo t = info(name);
    if (!t.dtype().isFloating()) {
      throw new IllegalArgumentException("tensor '" + name + "' in " + path + " is " + t.describe()
          + ", not floating point: read it with readInts");
    }
    float[] out = new float[arrayLength(t)];
    readChunks(t, (chunk, first) -> {
      switch (t.dtype()) {
        case F32 -> {
          FloatBuffer fb = chunk.asFloatBuffer();
          fb.get(out, first, fb.remaining());
        }
        case BF16 -> {
          ShortBuffer sb = chunk.asShortBuffer();
          for (int i = 0, n = sb.remaining(); i < n; i++) {
            out[first + i] = HalfFloats.bf16ToFloat(sb.get(i));
          }
        }
        case F16 -> {
          ShortBuffer sb = chunk.asShortBuffer();
          for (int i = 0, n = sb.remaining(); i < n; i++) {
            out[first + i] = HalfFloats.f16ToFloat(sb.get(i));
          }
        }
        default -> throw new AssertionError(t.dtype());
      }
    });
    return out;
  }

  /** Elements of an integer tensor: I32 as is, I64 narrowed (error if a value does not fit). */
  public int[] readInts(String name) throws IOException {
    TensorInfo t = info(name);
    if (t.dtype().isFloating()) {
      throw new IllegalArgumentException("tensor '" + name + "' in " + path + " is " + t.describe()
          + ", not integer: read it with readFloats");
    }
    int[] out = new int[arrayLength(t)];
    readChunks(t, (chunk, first) -> {
      if (t.dtype() == SafetensorsDType.I32) {
        IntBuffer ib = chunk.asIntBuffer();
        ib.get(out, first, ib.remaining());
      } else {
        LongBuffer lb = chunk.asLongBuffer();
        for (int i = 0, n = lb.remaining(); i < n; i++) {
          long v = lb.get(i);
          if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
            throw new CheckpointFormatException(path + ": tensor '" + name + "' (I64) element " + (first + i)
                + " = " + v + " does not fit in an int");
          }
          out[first + i] = (int) v;
        }
      }
    });
    return out;
  }

  /** The tensor as an f32 (floating dtypes) or i32 (integer dtypes) Tensor on {@code device}. */
  public Tensor toTensor(String name, Device device) throws IOException {
    TensorInfo t = info(name);
    return t.dtype().isFloating()
        ? Tensor.of(readFloats(name), device, t.shape())
        : Tensor.ofInts(readInts(name), device, t.shape());
  }

  private int arrayLength(TensorInfo t) {
    long n = t.numel();
    if (n > MAX_ARRAY) {
      throw new IllegalArgumentException("tensor '" + t.name() + "' in " + path + " has " + n
          + " elements, more than a Java array holds");
    }
    return (int) n;
  }

  private interface ChunkReader {
    void read(ByteBuffer chunk, int firstElement) throws IOException;
  }

  private void readChunks(TensorInfo t, ChunkReader reader) throws IOException {
    if (closed) {
      throw new IllegalStateException(path + " is closed");
    }
    int esize = t.dtype().bytes();
    for (long pos = t.begin(); pos < t.end(); pos += MAP_CHUNK) {
      long len = Math.min(MAP_CHUNK, t.end() - pos);
      ByteBuffer chunk = channel.map(FileChannel.MapMode.READ_ONLY, dataStart + pos, len)
          .order(ByteOrder.LITTLE_ENDIAN);
      reader.read(chunk, (int) ((pos - t.begin()) / esize));
    }
  }

  @Override
  public void close() throws IOException {
    closed = true;
    channel.close();
  }

  @Override
  public String toString() {
    return "SafetensorsFile(" + path + ", " + tensors.size() + " tensors)";
  }

  private static CheckpointFormatException bad(Path path, String what) {
    return new CheckpointFormatException(path + ": " + what);
  }
}
