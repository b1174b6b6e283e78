package dev.triad.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.triad.data.JsonlLines;
import dev.triad.internal.TensorAccess;
import dev.triad.io.CheckpointFormatException;
import dev.triad.io.FiniteCheck;
import dev.triad.io.Gpt2Hf;
import dev.triad.io.HfGpt2Config;
import dev.triad.io.Safetensors;
import dev.triad.nativ.Status;
import dev.triad.nativ.TriadNative;
import dev.triad.nn.Gpt;
import dev.triad.nn.GptConfig;
import dev.triad.tensor.DType;
import dev.triad.tensor.Device;
import dev.triad.tensor.Ops;
import dev.triad.tensor.Scope;
import dev.triad.tensor.Tensor;
import dev.triad.train.Checkpoints;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Misuse of the Java API (issue 16): every case is an exception of the documented type whose
 * message names the problem, never a JVM crash or a silent result. The concurrency cases close
 * tensors under running ops and free native handles twice, which crashed the JVM before libtriad
 * pinned buffers per call.
 */
class BadInputApiTest {
  @TempDir
  static Path tmp;

  private record Case(String name, Class<? extends Throwable> type, String[] words, Executable body) {
    @Override
    public String toString() {
      return name;
    }
  }

  private static Case c(String name, Class<? extends Throwable> type, Executable body, String... words) {
    return new Case(name, type, words, body);
  }

  private static Tensor closed() {
    Tensor t = Tensor.zeros(2, 2);
    t.close();
    return t;
  }

  static Stream<Arguments> cases() {
    return Stream.of(
        // shapes
        c("matmul inner dims", IllegalArgumentException.class,
            () -> Ops.matmul(Tensor.zeros(2, 3), Tensor.zeros(4, 2), false, false), "inner dimensions", "[2, 3]"),
        c("matmul ranks differ", IllegalArgumentException.class,
            () -> Ops.matmul(Tensor.zeros(2, 3, 4), Tensor.zeros(4, 2), false, false), "same rank"),
        c("matmul batch differs", IllegalArgumentException.class,
            () -> Ops.matmul(Tensor.zeros(2, 3, 4), Tensor.zeros(3, 4, 2), false, false), "batch sizes differ"),
        c("linear weight width", IllegalArgumentException.class,
            () -> Ops.linear(Tensor.zeros(2, 3), Tensor.zeros(4, 5), null), "weight", "3"),
        c("linear bias length", IllegalArgumentException.class,
            () -> Ops.linear(Tensor.zeros(2, 3), Tensor.zeros(4, 3), Tensor.zeros(5)), "bias"),
        c("layernorm weight length", IllegalArgumentException.class,
            () -> Ops.layerNorm(Tensor.zeros(2, 4), Tensor.zeros(3), Tensor.zeros(4), 1e-5f), "w"),
        c("layernorm eps 0", IllegalArgumentException.class,
            () -> Ops.layerNorm(Tensor.zeros(2, 4), Tensor.zeros(4), Tensor.zeros(4), 0f), "eps"),
        c("reshape numel", IllegalArgumentException.class, () -> Tensor.zeros(2, 3).reshape(4, 2), "reshape"),
        c("of() length", IllegalArgumentException.class, () -> Tensor.of(new float[5], 2, 3), "5"),
        c("negative dimension", IllegalArgumentException.class, () -> Tensor.zeros(2, -3), "-3"),
        c("item of many", IllegalArgumentException.class, () -> Tensor.zeros(2).item(), "one-element"),
        // closed tensors
        c("op on closed", IllegalStateException.class, () -> Ops.add(closed(), Tensor.zeros(2, 2)), "closed"),
        c("read closed", IllegalStateException.class, () -> closed().toFloatArray(), "closed"),
        c("reshape closed", IllegalStateException.class, () -> closed().reshape(4), "closed"),
        c("write closed", IllegalStateException.class, () -> closed().write(new float[4]), "closed"),
        c("buf of closed", IllegalStateException.class, () -> TensorAccess.buf(closed()), "closed"),
        // dtypes and devices
        c("matmul on i32", IllegalArgumentException.class,
            () -> Ops.matmul(Tensor.ofInts(new int[4], 2, 2), Tensor.zeros(2, 2), false, false), "i32"),
        c("matmul f32 x bf16", IllegalArgumentException.class,
            () -> Ops.matmul(Tensor.zeros(2, 2), Tensor.zeros(DType.BF16, Device.CPU, 2, 2), false, false), "bf16"),
        c("toIntArray of f32", IllegalArgumentException.class, () -> Tensor.zeros(2).toIntArray(), "i32"),
        c("grad on i32", IllegalArgumentException.class,
            () -> Tensor.ofInts(new int[2], 2).requiresGrad(true), "floating"),
        c("id out of range", IllegalArgumentException.class,
            () -> Tensor.ofIds(new int[] {0, 7}, 5, Device.CPU, 2), "7", "index 1", "[0, 5)"),
        c("target out of range", IllegalArgumentException.class,
            () -> Tensor.ofTargets(new int[] {-2}, 5, -1, Device.CPU, 1), "-2", "ignore index -1"),
        // the raw native layer
        c("alloc 0 elements", IllegalArgumentException.class, () -> {
          TriadNative.Buffer b = new TriadNative.Buffer();
          Status.check(TriadNative.triad_buffer_alloc(0, 0, 0, b));
        }, "numel must be >= 1"),
        c("double free", IllegalArgumentException.class, () -> {
          TriadNative.Buffer b = new TriadNative.Buffer();
          Status.check(TriadNative.triad_buffer_alloc(0, 0, 4, b));
          Status.check(TriadNative.triad_buffer_free(b));
          Status.check(TriadNative.triad_buffer_free(b));
        }, "double free"),
        c("op on a freed handle", IllegalArgumentException.class, () -> {
          TriadNative.Buffer b = new TriadNative.Buffer();
          Status.check(TriadNative.triad_buffer_alloc(0, 0, 4, b));
          Status.check(TriadNative.triad_buffer_free(b));
          Status.check(TriadNative.triad_fill(b, 1f));
        }, "was freed"),
        c("matmul on a freed handle", IllegalArgumentException.class, () -> {
          TriadNative.Buffer a = new TriadNative.Buffer();
          TriadNative.Buffer o = new TriadNative.Buffer();
          Status.check(TriadNative.triad_buffer_alloc(0, 0, 4, a));
          Status.check(TriadNative.triad_buffer_alloc(0, 0, 4, o));
          Status.check(TriadNative.triad_buffer_free(a));
          try {
            Status.check(TriadNative.triad_matmul(o, a, a, null, 1, 2, 2, 2, 0, 0, 0));
          } finally {
            Status.check(TriadNative.triad_buffer_free(o));
          }
        }, "a was freed"),
        // weights and files
        c("NaN in a float array", CheckpointFormatException.class,
            () -> FiniteCheck.require(new float[] {1, Float.NaN}, Path.of("w.safetensors"), "h.0.ln_1.weight"),
            "w.safetensors", "h.0.ln_1.weight", "NaN", "element 1"),
        c("Inf in a float array", CheckpointFormatException.class,
            () -> FiniteCheck.require(new float[] {Float.NEGATIVE_INFINITY}, Path.of("x"), "wte.weight"),
            "wte.weight", "-Infinity"),
        c("HF config absurd", CheckpointFormatException.class,
            () -> HfGpt2Config.parse("{\"n_embd\": 65536, \"n_layer\": 100000, \"n_head\": 64, \"vocab_size\": 50257,"
                + " \"n_positions\": 1024}", "big/config.json"), "big/config.json", "parameters", "bytes"),
        c("HF config beyond the heap", CheckpointFormatException.class,
            () -> HfGpt2Config.gpt2Small().requireLoadable("c.json", 1000), "c.json", "1.244e+08 parameters",
            "heap of 1000 bytes"),
        c("HF config n_head", CheckpointFormatException.class,
            () -> HfGpt2Config.parse("{\"n_embd\": 10, \"n_layer\": 1, \"n_head\": 3, \"vocab_size\": 5,"
                + " \"n_positions\": 8}", "c.json"), "n_embd 10 is not divisible by n_head 3"),
        c("HF config negative", CheckpointFormatException.class,
            () -> HfGpt2Config.parse("{\"n_embd\": 8, \"n_layer\": -1, \"n_head\": 2, \"vocab_size\": 5,"
                + " \"n_positions\": 8}", "c.json"), "n_layer", "positive integer", "-1"),
        c("missing safetensors", NoSuchFileException.class, () -> Safetensors.open(tmp.resolve("none.safetensors")),
            "none.safetensors"),
        c("truncated safetensors", CheckpointFormatException.class, () -> {
          Path f = tmp.resolve("trunc.safetensors");
          Files.write(f, new byte[] {100, 0, 0, 0, 0, 0, 0, 0, '{'});
          Safetensors.open(f).close();
        }, "trunc.safetensors"),
        c("JSONL line over 1 MiB", IllegalArgumentException.class, () -> {
          Path f = tmp.resolve("long.jsonl");
          Files.writeString(f, "{\"prompt\": \"a\"}\n{\"prompt\": \"" + "x".repeat(JsonlLines.MAX_LINE_BYTES) + "\"}\n");
          JsonlLines.read(f, (file, no, line) -> line);
        }, "long.jsonl:2", "1048576 bytes"))
        .map(Arguments::of);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void misuseIsAClearException(Case k) {
    Throwable e;
    try (Scope s = Scope.open()) { // closes the case's tensors, which the failing op leaves behind
      e = assertThrows(k.type(), k.body(), k.name());
    }
    for (String w : k.words()) {
      assertTrue(e.getMessage() != null && e.getMessage().contains(w), k.name() + ": '" + w + "' not in: " + e.getMessage());
    }
  }

  /** A tiny model's checkpoint with one value replaced: NaN weights and bad metadata are refused by name. */
  @Test
  void checkpointWithNaNOrABadStepIsRefusedByName() throws IOException {
    GptConfig cfg = new GptConfig("t", 1, 2, 8, 11, 8);
    try (Gpt model = new Gpt(cfg, Device.CPU, 1)) {
      Path run = tmp.resolve("nanrun");
      Path good = new Checkpoints(run, 2).save(1, model, null, Map.of());
      Map<String, Tensor> tensors = new LinkedHashMap<>();
      model.namedParameters().forEach((n, p) -> tensors.put("model." + n, p));
      float[] w = model.namedParameters().get("h.0.attn.c_proj.weight").toFloatArray();
      w[5] = Float.POSITIVE_INFINITY;
      try (Tensor bad = Tensor.of(w, 8, 8)) {
        tensors.put("model.h.0.attn.c_proj.weight", bad);
        Path nan = tmp.resolve("nan.safetensors");
        Safetensors.write(nan, tensors, Map.of("format", Checkpoints.FORMAT, "step", "1"));
        UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> Checkpoints.load(nan, model, null));
        assertTrue(e.getMessage().contains("nan.safetensors") && e.getMessage().contains("model.h.0.attn.c_proj.weight")
            && e.getMessage().contains("Infinity at element 5"), e.getMessage());
      }
      tensors.clear();
      model.namedParameters().forEach((n, p) -> tensors.put("model." + n, p));
      Path abc = tmp.resolve("abc.safetensors");
      Safetensors.write(abc, tensors, Map.of("format", Checkpoints.FORMAT, "step", "abc"));
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Checkpoints.load(abc, model, null));
      assertTrue(e.getMessage().contains("'abc'") && e.getMessage().contains("step"), e.getMessage());
      Checkpoints.load(good, model, null); // the intact one still loads
    }
  }

  /** HF weights with a NaN: the import names the file and the tensor (as the file spells it). */
  @Test
  void hfImportWithNaNIsRefusedByName() throws IOException {
    HfGpt2Config cfg = new HfGpt2Config(8, 1, 2, 11, 8, 1e-5);
    Map<String, float[]> state = new LinkedHashMap<>();
    Gpt2Hf.triadShapes(cfg, 11).forEach((n, s) -> state.put(n, new float[(int) (s.length == 1 ? s[0] : s[0] * s[1])]));
    state.get("h.0.mlp.c_fc.bias")[3] = Float.NaN;
    Path dir = tmp.resolve("hfnan");
    Gpt2Hf.save(dir, cfg, state);
    CheckpointFormatException e = assertThrows(CheckpointFormatException.class, () -> Gpt2Hf.load(dir, cfg, 11));
    assertTrue(e.getMessage().contains("h.0.mlp.c_fc.bias") && e.getMessage().contains("NaN at element 3")
        && e.getMessage().contains("model.safetensors"), e.getMessage());
    assertThrows(CheckpointFormatException.class, () -> Gpt2Hf.verify(dir, cfg));
  }

  /**
   * Closing a tensor on one thread while another runs ops on it: each op either completes on valid
   * memory or throws (closed / freed); the JVM survives and no memory leaks. a is 36 MiB, above the
   * CPU allocator's 32 MiB mmap threshold, so a use after free touches unmapped pages: before the
   * pins this was a SIGSEGV in sgemm (checked against 4c41ea2).
   */
  @Test
  void closeDuringAnOpOnAnotherThreadIsAnExceptionNotACrash() throws Exception {
    long before = Device.CPU.liveBytes();
    AtomicInteger completed = new AtomicInteger(), refused = new AtomicInteger();
    AtomicReference<Throwable> unexpected = new AtomicReference<>();
    for (int trial = 0; trial < 12; trial++) {
      Tensor a = Tensor.unscoped(DType.F32, Device.CPU, 9216, 1024); // [M, K]
      Tensor b = Tensor.unscoped(DType.F32, Device.CPU, 64, 1024);   // [N, K]
      CountDownLatch started = new CountDownLatch(1);
      Thread worker = new Thread(() -> {
        started.countDown();
        for (int i = 0; i < 50; i++) {
          try (Scope s = Scope.open()) {
            Ops.matmul(a, b, false, true);
            completed.incrementAndGet();
          } catch (IllegalStateException | IllegalArgumentException e) {
            if (!e.getMessage().contains("closed") && !e.getMessage().contains("freed")) {
              unexpected.compareAndSet(null, e);
            }
            refused.incrementAndGet();
            return;
          } catch (Throwable t) {
            unexpected.compareAndSet(null, t);
            return;
          }
        }
      });
      worker.start();
      started.await();
      Thread.sleep(trial % 4);
      a.close();
      worker.join();
      b.close();
    }
    assertEquals(null, unexpected.get(), "only closed/freed exceptions are allowed");
    assertTrue(refused.get() > 0, "some op met the closed tensor: " + refused + " refused, " + completed + " completed");
    assertEquals(before, Device.CPU.liveBytes(), "every buffer freed exactly once");
  }

  /** Closing one tensor, or two views of one buffer, from many threads at once frees exactly once. */
  @Test
  void concurrentClosesFreeExactlyOnce() throws Exception {
    long before = Device.CPU.liveBytes();
    for (int trial = 0; trial < 50; trial++) {
      Tensor t = Tensor.unscoped(DType.F32, Device.CPU, 64);
      Tensor view;
      try (Scope s = Scope.open()) {
        view = s.keep(t.reshape(8, 8));
      }
      Tensor[] targets = {t, t, view, view, t, view};
      CountDownLatch go = new CountDownLatch(1);
      Thread[] threads = new Thread[targets.length];
      for (int i = 0; i < threads.length; i++) {
        Tensor mine = targets[i];
        threads[i] = new Thread(() -> {
          try {
            go.await();
          } catch (InterruptedException e) {
            return;
          }
          mine.close();
        });
        threads[i].start();
      }
      go.countDown();
      for (Thread th : threads) {
        th.join();
      }
      assertTrue(t.isClosed() && view.isClosed());
    }
    assertEquals(before, Device.CPU.liveBytes());
  }

  /** A raw handle freed while another thread's op runs on it: the op finishes, the free is deferred. */
  @Test
  void rawFreeDuringAnOpIsDeferredNotACrash() throws Exception {
    long before = Device.CPU.liveBytes();
    Map<String, Integer> statuses = new HashMap<>();
    for (int trial = 0; trial < 8; trial++) {
      TriadNative.Buffer a = new TriadNative.Buffer(); // [9216, 1024]: 36 MiB, mmap-backed (see above)
      TriadNative.Buffer b = new TriadNative.Buffer(); // [64, 1024]
      TriadNative.Buffer o = new TriadNative.Buffer(); // [9216, 64]
      Status.check(TriadNative.triad_buffer_alloc_uninit(0, 0, 9216 * 1024, a));
      Status.check(TriadNative.triad_buffer_alloc(0, 0, 64 * 1024, b));
      Status.check(TriadNative.triad_buffer_alloc(0, 0, 9216 * 64, o));
      int[] last = new int[1];
      Thread worker = new Thread(() -> {
        for (int i = 0; i < 20 && last[0] == 0; i++) {
          last[0] = TriadNative.triad_matmul(o, a, b, null, 1, 9216, 64, 1024, 0, 1, 0);
        }
      });
      worker.start();
      Thread.sleep(1);
      Status.check(TriadNative.triad_buffer_free(a));
      worker.join();
      statuses.merge(last[0] == 0 ? "ok" : "refused", 1, Integer::sum);
      assertNotEquals(0, TriadNative.triad_buffer_free(a), "a second free is refused");
      assertEquals(-1, TriadNative.triad_buffer_numel(a));
      Status.check(TriadNative.triad_buffer_free(b));
      Status.check(TriadNative.triad_buffer_free(o));
    }
    assertEquals(before, Device.CPU.liveBytes(), "deferred frees happened: " + statuses);
  }
}
