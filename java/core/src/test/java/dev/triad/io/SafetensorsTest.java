package dev.triad.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.triad.tensor.DType;
import dev.triad.tensor.Device;
import dev.triad.tensor.Scope;
import dev.triad.tensor.Tensor;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The safetensors format: hand-built files read correctly and our writer produces the exact bytes
 * of the format (so both directions are tested against the specification, not only against each
 * other), round trips of every dtype and rank, and every malformed-file case with its message.
 */
class SafetensorsTest {
  @TempDir Path dir;

  // ---- hand-building files ----

  /** 8-byte LE header length, the header bytes, the data: a safetensors file built by hand. */
  static byte[] file(String header, byte[] data) {
    byte[] h = header.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(h.length).put(h).put(data);
    return b.array();
  }

  static byte[] bytes(int... values) {
    byte[] out = new byte[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = (byte) values[i];
    }
    return out;
  }

  static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  private Path put(String name, byte[] content) throws IOException {
    Path p = dir.resolve(name);
    Files.write(p, content);
    return p;
  }

  // ---- the format itself ----

  @Test
  void readsHandBuiltFile() throws IOException {
    String header = "{\"__metadata__\":{\"format\":\"pt\"},"
        + "\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
        + "\"ids\":{\"dtype\":\"I32\",\"shape\":[],\"data_offsets\":[8,12]},"
        + "\"h\":{\"dtype\":\"BF16\",\"shape\":[1,1],\"data_offsets\":[12,14]}}   "; // trailing pad
    byte[] data = bytes(
        0x00, 0x00, 0x80, 0x3F, // 1.0f little-endian
        0x00, 0x00, 0x00, 0xC0, // -2.0f
        0x07, 0x00, 0x00, 0x00, // 7
        0x40, 0x40);            // bf16 0x4040 = 3.0
    Path p = put("hand.safetensors", file(header, data));
    try (SafetensorsFile f = Safetensors.open(p)) {
      assertEquals(List.of("w", "ids", "h"), List.copyOf(f.names()));
      assertEquals(Map.of("format", "pt"), f.metadata());
      assertEquals(SafetensorsDType.F32, f.info("w").dtype());
      assertArrayEquals(new long[] {2}, f.info("w").shape());
      assertArrayEquals(new long[] {}, f.info("ids").shape());
      assertArrayEquals(new float[] {1.0f, -2.0f}, f.readFloats("w"));
      assertArrayEquals(new int[] {7}, f.readInts("ids"));
      assertArrayEquals(new float[] {3.0f}, f.readFloats("h"));
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> f.readInts("w"));
      assertTrue(e.getMessage().contains("'w'") && e.getMessage().contains("readFloats"), e.getMessage());
      e = assertThrows(IllegalArgumentException.class, () -> f.info("nope"));
      assertTrue(e.getMessage().contains("'nope'") && e.getMessage().contains("hand.safetensors"), e.getMessage());
    }
  }

  @Test
  void writerProducesTheExactBytesOfTheFormat() throws IOException {
    Path p = dir.resolve("w.safetensors");
    Safetensors.writeHost(p, List.of(
            HostTensor.f32("a", new float[] {1.0f, -2.0f}, 2),
            HostTensor.i32("b", new int[] {7}),
            HostTensor.bf16("c", new float[] {3.0f, -0.0f}, 1, 2)),
        Map.of("k", "v"));
    String json = "{\"__metadata__\":{\"k\":\"v\"},"
        + "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
        + "\"b\":{\"dtype\":\"I32\",\"shape\":[],\"data_offsets\":[8,12]},"
        + "\"c\":{\"dtype\":\"BF16\",\"shape\":[1,2],\"data_offsets\":[12,16]}}";
    int pad = (8 - json.length() % 8) % 8;
    String header = json + " ".repeat(pad);
    byte[] expected = file(header, bytes(
        0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0xC0,
        0x07, 0x00, 0x00, 0x00,
        0x40, 0x40, 0x00, 0x80));
    assertArrayEquals(expected, Files.readAllBytes(p));
    assertEquals(0, (8 + header.length()) % 8, "data section 8-byte aligned");
  }

  @Test
  void f16DecodesKnownValues() throws IOException {
    int[] halves = {0x3C00, 0xC000, 0x7BFF, 0x0001, 0x03FF, 0x0400, 0x7C00, 0xFC00, 0x8000, 0x3555, 0x0000};
    float[] want = {1f, -2f, 65504f, 0x1p-24f, 1023 * 0x1p-24f, 0x1p-14f, Float.POSITIVE_INFINITY,
        Float.NEGATIVE_INFINITY, -0.0f, 0.333251953125f, 0f};
    ByteBuffer data = ByteBuffer.allocate(2 * halves.length + 2).order(ByteOrder.LITTLE_ENDIAN);
    for (int h : halves) {
      data.putShort((short) h);
    }
    data.putShort((short) 0x7E00); // NaN
    int n = halves.length + 1;
    Path p = put("f16.safetensors", file("{\"x\":{\"dtype\":\"F16\",\"shape\":[" + n + "],\"data_offsets\":[0,"
        + 2 * n + "]}}", data.array()));
    try (SafetensorsFile f = Safetensors.open(p)) {
      float[] got = f.readFloats("x");
      for (int i = 0; i < halves.length; i++) {
        assertEquals(Float.floatToIntBits(want[i]), Float.floatToIntBits(got[i]),
            "half 0x" + Integer.toHexString(halves[i]) + ": want " + want[i] + " got " + got[i]);
      }
      assertTrue(Float.isNaN(got[n - 1]));
    }
  }

  @Test
  void f16ExhaustivelyMatchesTheDefinition() {
    for (int h = 0; h < 0x10000; h++) {
      int sign = h >> 15, exp = (h >> 10) & 0x1F, mant = h & 0x3FF;
      float got = HalfFloats.f16ToFloat((short) h);
      if (exp == 0x1F) {
        assertEquals(mant != 0, Float.isNaN(got), "half " + h);
        if (mant == 0) {
          assertEquals(sign == 0 ? Float.POSITIVE_INFINITY : Float.NEGATIVE_INFINITY, got);
        }
        continue;
      }
      double mag = exp == 0 ? mant * Math.pow(2, -24) : (1 + mant / 1024.0) * Math.pow(2, exp - 15);
      double want = sign == 0 ? mag : -mag;
      assertEquals(Double.doubleToLongBits(want), Double.doubleToLongBits(got), "half 0x" + Integer.toHexString(h));
    }
  }

  @Test
  void bf16RoundsToNearestEvenLikeTheNativeCast() {
    assertEquals((short) 0x3F80, HalfFloats.floatToBf16(Float.intBitsToFloat(0x3F808000))); // tie -> even
    assertEquals((short) 0x3F82, HalfFloats.floatToBf16(Float.intBitsToFloat(0x3F818000))); // tie -> even
    assertEquals((short) 0x3F81, HalfFloats.floatToBf16(Float.intBitsToFloat(0x3F808001))); // above tie
    assertTrue(Float.isNaN(HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(Float.NaN))));
    Random rng = new Random(7);
    float[] x = new float[4096];
    for (int i = 0; i < x.length; i++) {
      x[i] = Float.intBitsToFloat(rng.nextInt());
      if (Float.isNaN(x[i])) {
        x[i] = 1.5f;
      }
    }
    try (Scope s = Scope.open()) {
      float[] nat = Tensor.of(x, x.length).to(DType.BF16).toFloatArray();
      for (int i = 0; i < x.length; i++) {
        assertEquals(Float.floatToIntBits(nat[i]), Float.floatToIntBits(HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(x[i]))),
            "x = " + x[i]);
      }
    }
  }

  // ---- round trips ----

  @Test
  void tensorRoundTripAllDtypesAndRanks() throws IOException {
    Random rng = new Random(42);
    Path p = dir.resolve("rt.safetensors");
    try (Scope s = Scope.open()) {
      Map<String, Tensor> ts = new LinkedHashMap<>();
      ts.put("scalar", Tensor.scalar(3.25f));
      ts.put("vec", Tensor.of(randn(rng, 5), 5));
      ts.put("mat", Tensor.of(randn(rng, 12), 3, 4));
      ts.put("cube", Tensor.of(randn(rng, 24), 2, 3, 4));
      ts.put("ids", Tensor.ofInts(new int[] {0, -1, Integer.MAX_VALUE, Integer.MIN_VALUE, 42, 7}, 2, 3));
      ts.put("half", Tensor.of(randn(rng, 12), 4, 3).to(DType.BF16));
      Map<String, String> meta = new LinkedHashMap<>();
      meta.put("step", "1200");
      meta.put("note", "ünïcode ✓");
      Safetensors.write(p, ts, meta);
      try (SafetensorsFile f = Safetensors.open(p)) {
        assertEquals(List.copyOf(ts.keySet()), List.copyOf(f.names()), "insertion order kept");
        assertEquals(meta, f.metadata());
        for (Map.Entry<String, Tensor> e : ts.entrySet()) {
          Tensor t = e.getValue();
          TensorInfo info = f.info(e.getKey());
          assertArrayEquals(t.shape(), info.shape(), e.getKey());
          SafetensorsDType want = switch (t.dtype()) {
            case F32 -> SafetensorsDType.F32;
            case BF16 -> SafetensorsDType.BF16;
            case I32 -> SafetensorsDType.I32;
          };
          assertEquals(want, info.dtype(), e.getKey());
          if (t.dtype() == DType.I32) {
            assertArrayEquals(t.toIntArray(), f.readInts(e.getKey()));
            Tensor back = f.toTensor(e.getKey(), Device.CPU);
            assertEquals(DType.I32, back.dtype());
            assertArrayEquals(t.toIntArray(), back.toIntArray());
          } else {
            assertArrayEquals(t.toFloatArray(), f.readFloats(e.getKey()), e.getKey());
            Tensor back = f.toTensor(e.getKey(), Device.CPU);
            assertEquals(DType.F32, back.dtype());
            assertArrayEquals(t.shape(), back.shape());
            assertArrayEquals(t.toFloatArray(), back.toFloatArray());
          }
        }
      }
    }
  }

  @Test
  void hostRoundTripIncludingEmptyAndI64AndLarge() throws IOException {
    Random rng = new Random(1);
    float[] big = randn(rng, 700_000); // several scratch buffers' worth
    Path p = dir.resolve("host.safetensors");
    Safetensors.writeHost(p, List.of(
        HostTensor.f32("big", big, 700, 1000),
        HostTensor.f32("empty", new float[0], 0, 3),
        new HostTensor("long", SafetensorsDType.I64, new long[] {3}, new int[] {-5, 0, Integer.MAX_VALUE})),
        Map.of());
    try (SafetensorsFile f = Safetensors.open(p)) {
      assertArrayEquals(big, f.readFloats("big"));
      assertArrayEquals(new float[0], f.readFloats("empty"));
      assertArrayEquals(new long[] {0, 3}, f.info("empty").shape());
      assertEquals(SafetensorsDType.I64, f.info("long").dtype());
      assertArrayEquals(new int[] {-5, 0, Integer.MAX_VALUE}, f.readInts("long"));
      assertEquals(Map.of(), f.metadata());
    }
  }

  @Test
  void i64OutOfIntRangeIsAnError() throws IOException {
    ByteBuffer d = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1).putLong(1L << 31);
    Path p = put("i64.safetensors", file("{\"t\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[0,16]}}", d.array()));
    try (SafetensorsFile f = Safetensors.open(p)) {
      CheckpointFormatException e = assertThrows(CheckpointFormatException.class, () -> f.readInts("t"));
      assertMessage(e, "i64.safetensors", "'t'", "element 1", "2147483648");
    }
  }

  @Test
  void writerRejectsBadInput() {
    Path p = dir.resolve("bad.safetensors");
    assertThrows(IllegalArgumentException.class, () -> HostTensor.f32("a", new float[3], 2, 2));
    assertThrows(IllegalArgumentException.class, () -> new HostTensor("a", SafetensorsDType.F32, new long[] {1}, new int[1]));
    assertThrows(IllegalArgumentException.class, () -> new HostTensor("a", SafetensorsDType.F16, new long[] {1}, new float[1]));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Safetensors.writeHost(p,
        List.of(HostTensor.f32("a", new float[1], 1), HostTensor.f32("a", new float[1], 1)), Map.of()));
    assertTrue(e.getMessage().contains("duplicate tensor name a"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Safetensors.writeHost(p,
        List.of(HostTensor.f32("__metadata__", new float[1], 1)), Map.of()));
    try (Scope s = Scope.open()) {
      Tensor t = Tensor.zeros(2);
      t.close();
      Map<String, Tensor> m = new LinkedHashMap<>();
      m.put("closed", t);
      e = assertThrows(IllegalArgumentException.class, () -> Safetensors.write(p, m, Map.of()));
      assertTrue(e.getMessage().contains("closed"), e.getMessage());
    }
    assertTrue(Files.notExists(p));
  }

  // ---- malformed files ----

  private static final String GOOD = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";

  private void assertMalformed(String header, byte[] data, String... fragments) throws IOException {
    assertMalformedBytes(file(header, data), fragments);
  }

  private void assertMalformedBytes(byte[] content, String... fragments) throws IOException {
    Path p = put("bad.safetensors", content);
    CheckpointFormatException e = assertThrows(CheckpointFormatException.class, () -> Safetensors.open(p).close());
    String[] all = Arrays.copyOf(fragments, fragments.length + 1);
    all[fragments.length] = p.toString();
    assertMessage(e, all);
  }

  static void assertMessage(Exception e, String... fragments) {
    for (String f : fragments) {
      if (!e.getMessage().contains(f)) {
        fail("message lacks '" + f + "': " + e.getMessage());
      }
    }
  }

  @Test
  void headerLengthBeyondFileSize() throws IOException {
    byte[] ok = file(GOOD, new byte[8]);
    ByteBuffer.wrap(ok).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 10_000);
    assertMalformedBytes(ok, "header length 10000 exceeds the file size");
    ByteBuffer.wrap(ok).order(ByteOrder.LITTLE_ENDIAN).putLong(0, -1); // 2^64-1 unsigned
    assertMalformedBytes(ok, "header length 18446744073709551615 exceeds");
    assertMalformedBytes(new byte[5], "too short");
  }

  @Test
  void invalidJson() throws IOException {
    assertMalformed("{\"a\":{\"dtype\":", new byte[0], "not valid JSON");
    assertMalformed("[1,2]", new byte[0], "not a JSON object");
    assertMalformed(GOOD + "x", new byte[8], "not valid JSON");
    assertMalformed("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
        + "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", new byte[8], "not valid JSON", "a");
    byte[] badUtf8 = file(GOOD, new byte[8]);
    badUtf8[10] = (byte) 0xC3; // inside the name: an invalid UTF-8 sequence
    badUtf8[11] = (byte) 0x28;
    assertMalformedBytes(badUtf8, "not valid JSON");
  }

  @Test
  void unknownDtype() throws IOException {
    assertMalformed("{\"a\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]}}", new byte[8],
        "tensor 'a'", "unknown dtype 'F64'");
  }

  @Test
  void badEntries() throws IOException {
    assertMalformed("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,8]}}", new byte[8], "tensor 'a'", "invalid dimension");
    assertMalformed("{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,8]}}", new byte[8], "tensor 'a'", "shape");
    assertMalformed("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],\"x\":1}}", new byte[8], "tensor 'a'", "unknown field 'x'");
    assertMalformed("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0]}}", new byte[8], "tensor 'a'", "[begin, end]");
    assertMalformed("{\"__metadata__\":{\"k\":1}}", new byte[0], "__metadata__", "'k'", "not a string");
  }

  @Test
  void offsetsOutOfRange() throws IOException {
    assertMalformed("{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,0]}}", new byte[8], "tensor 'a'", "out of range");
    assertMalformed("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[-8,0]}}", new byte[8], "tensor 'a'", "out of range");
    assertMalformed("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", new byte[8], "tensor 'a'", "out of range");
  }

  @Test
  void offsetsNotMatchingShapeTimesDtype() throws IOException {
    assertMalformed("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", new byte[8],
        "tensor 'a'", "span 8 bytes but F32[3] needs 12");
    assertMalformed("{\"a\":{\"dtype\":\"BF16\",\"shape\":[2,2],\"data_offsets\":[0,16]}}", new byte[16],
        "tensor 'a'", "span 16 bytes but BF16[2, 2] needs 8");
  }

  @Test
  void overlappingAndGappedTensors() throws IOException {
    assertMalformed("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
        + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", new byte[12], "'b'", "overlap tensor 'a'");
    assertMalformed("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
        + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", new byte[12], "'b'", "gap");
    assertMalformed(GOOD, new byte[12], "4 trailing bytes");
  }

  @Test
  void truncatedFile() throws IOException {
    assertMalformed(GOOD, new byte[5], "tensor 'a'", "truncated");
    // every proper prefix of a valid file fails with a format error, never anything else
    Path good = dir.resolve("good.safetensors");
    Safetensors.writeHost(good, List.of(HostTensor.f32("x", new float[] {1, 2, 3}, 3),
        HostTensor.i32("y", new int[] {4, 5}, 2)), Map.of("m", "n"));
    byte[] all = Files.readAllBytes(good);
    for (int len = 0; len < all.length; len++) {
      Path p = put("prefix.safetensors", Arrays.copyOf(all, len));
      try {
        Safetensors.open(p).close();
        fail("prefix of " + len + " / " + all.length + " bytes was accepted");
      } catch (CheckpointFormatException expected) {
        assertTrue(expected.getMessage().contains(p.toString()), expected.getMessage());
      }
    }
    Safetensors.open(good).close();
  }

  static float[] randn(Random rng, int n) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) rng.nextGaussian();
    }
    return a;
  }
}
