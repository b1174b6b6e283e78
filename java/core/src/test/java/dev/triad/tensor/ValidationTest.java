package dev.triad.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import dev.triad.optim.AdamW;
import dev.triad.optim.GradClip;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Every argument-validation rule: each test expects the exception type the API documents
 * (IllegalStateException for closed tensors and misuse of lifecycles, IllegalArgumentException
 * for bad arguments) and checks that the message names the problem.
 */
class ValidationTest {

  /** Asserts {@code body} throws {@code type} with a message containing every fragment. */
  private static <T extends Throwable> T expect(Class<T> type, Executable body, String... fragments) {
    T e = assertThrows(type, body);
    String msg = e.getMessage();
    assertTrue(msg != null, "no message");
    for (String f : fragments) {
      assertTrue(msg.contains(f), "message '" + msg + "' should mention '" + f + "'");
    }
    return e;
  }

  private static Tensor f(long... shape) {
    return Tensor.zeros(shape);
  }

  private static Tensor i32(long... shape) {
    return Tensor.zeros(DType.I32, Device.CPU, shape);
  }

  private static Tensor bf16(long... shape) {
    return Tensor.zeros(DType.BF16, Device.CPU, shape);
  }

  // ---------------------------------------------------------------------------------------------
  // closed tensors
  // ---------------------------------------------------------------------------------------------

  @Test
  void closedTensorIsRejectedEverywhere() {
    try (Scope s = Scope.open()) {
      Tensor c = f(2, 3);
      Tensor ok = f(2, 3);
      c.close();
      assertTrue(c.isClosed());
      expect(IllegalStateException.class, () -> Ops.exp(c), "exp", "x", "closed");
      expect(IllegalStateException.class, () -> Ops.add(ok, c), "add", "b", "closed");
      expect(IllegalStateException.class, () -> Ops.sum(c, 0), "closed");
      expect(IllegalStateException.class, () -> Ops.linear(c, f(4, 3), null), "linear", "x", "closed");
      expect(IllegalStateException.class, () -> Ops.detach(c), "detach", "closed");
      expect(IllegalStateException.class, c::toFloatArray, "closed");
      Tensor one = Tensor.scalar(1f);
      one.close();
      expect(IllegalStateException.class, one::item, "closed");
      expect(IllegalStateException.class, () -> c.reshape(-1), "closed");
      expect(IllegalStateException.class, () -> c.to(DType.BF16), "closed");
      expect(IllegalStateException.class, () -> c.requiresGrad(true), "closed");
      expect(IllegalStateException.class, c::buf, "closed");
      assertEquals("f32[2, 3] on cpu (closed)", c.describe());
    }
  }

  @Test
  void nullTensorIsNamed() {
    try (Scope s = Scope.open()) {
      expect(IllegalArgumentException.class, () -> Ops.add(f(2), null), "add", "b is null");
      expect(IllegalArgumentException.class, () -> Ops.matmul(null, f(2, 2), false, false), "matmul", "a is null");
    }
  }

  // ---------------------------------------------------------------------------------------------
  // shapes
  // ---------------------------------------------------------------------------------------------

  @Test
  void linearShapes() {
    try (Scope s = Scope.open()) {
      expect(IllegalArgumentException.class, () -> Ops.linear(f(2, 3), f(4, 5), null),
          "linear", "weight", "[4, 5]", "3");
      expect(IllegalArgumentException.class, () -> Ops.linear(f(2, 3), f(4, 3), f(5)), "linear", "bias", "[4]");
      expect(IllegalArgumentException.class, () -> Ops.linear(f(2, 3), f(4, 3, 1), null), "weight", "rank 2");
      expect(IllegalArgumentException.class, () -> Ops.linear(Tensor.scalar(1f), f(4, 1), null), "x", "rank >= 1");
    }
  }

  @Test
  void matmulShapes() {
    try (Scope s = Scope.open()) {
      expect(IllegalArgumentException.class, () -> Ops.matmul(f(2, 3), f(4, 5), false, false),
          "matmul", "inner dimensions differ", "[2, 3]", "[4, 5]");
      expect(IllegalArgumentException.class, () -> Ops.matmul(f(2, 3), f(2, 5), true, true), "inner dimensions");
      expect(IllegalArgumentException.class, () -> Ops.matmul(f(2, 3), f(1, 3, 2), false, false), "same rank");
      expect(IllegalArgumentException.class, () -> Ops.matmul(f(2, 2, 3), f(3, 3, 2), false, false),
          "batch sizes differ");
      expect(IllegalArgumentException.class, () -> Ops.matmul(f(3), f(3), false, false), "a", "rank [2, 3]");
    }
  }

  @Test
  void crossEntropyShapes() {
    try (Scope s = Scope.open()) {
      expect(IllegalArgumentException.class, () -> Ops.crossEntropy(f(2, 3, 5), i32(3, 2), null, 5, -1),
          "crossEntropy", "targets", "[2, 3]");
      expect(IllegalArgumentException.class, () -> Ops.crossEntropy(f(6, 5), i32(6, 1), null, 5, -1), "targets");
      expect(IllegalArgumentException.class, () -> Ops.crossEntropy(f(6, 5), i32(6), f(5), 5, -1),
          "weights", "[6]");
      expect(IllegalArgumentException.class, () -> Ops.crossEntropy(f(6, 5), i32(6), null, 6, -1),
          "vocabReal", "[1, 5]", "6");
      expect(IllegalArgumentException.class, () -> Ops.crossEntropy(f(6, 5), i32(6), null, 0, -1), "vocabReal");
      expect(IllegalArgumentException.class, () -> Ops.crossEntropy(Tensor.scalar(0f), i32(1), null, 1, -1),
          "logits", "rank >= 1");
      // target ids are range-checked natively
      expect(IllegalArgumentException.class,
          () -> Ops.crossEntropy(f(2, 5), Tensor.ofInts(new int[] {1, 4}, 2), null, 4, -1),
          "target 4", "out of range");
      // ignore_index is allowed
      Ops.crossEntropy(f(2, 5), Tensor.ofInts(new int[] {1, -100}, 2), null, 4, -100);
    }
  }

  @Test
  void embeddingShapesAndIds() {
    try (Scope s = Scope.open()) {
      Tensor tokens = Tensor.ofInts(new int[] {0, 1, 2, 3}, 2, 2);
      expect(IllegalArgumentException.class, () -> Ops.embedding(i32(4), null, f(5, 3), null), "tokens", "rank 2");
      expect(IllegalArgumentException.class, () -> Ops.embedding(tokens, null, f(15), null), "wte", "rank 2");
      expect(IllegalArgumentException.class, () -> Ops.embedding(tokens, i32(2, 3), f(5, 3), f(4, 3)),
          "positions", "[2, 2]");
      expect(IllegalArgumentException.class, () -> Ops.embedding(tokens, null, f(5, 3), f(4, 2)),
          "wpe", "width");
      expect(IllegalArgumentException.class, () -> Ops.embedding(tokens, null, f(5, 3), f(4, 3, 1)), "wpe", "rank 2");
      expect(IllegalArgumentException.class, () -> Ops.embedding(tokens, null, f(5, 3), f(1, 3)),
          "T=2", "1 learned positions");
      expect(IllegalArgumentException.class,
          () -> Ops.embedding(Tensor.ofInts(new int[] {0, 5}, 1, 2), null, f(5, 3), null), "token id 5", "out of range");
      expect(IllegalArgumentException.class,
          () -> Ops.embedding(tokens, Tensor.ofInts(new int[] {0, 1, 9, 0}, 2, 2), f(5, 3), f(4, 3)),
          "position id 9", "out of range");
    }
  }

  @Test
  void layerNormShapesAndEps() {
    try (Scope s = Scope.open()) {
      expect(IllegalArgumentException.class, () -> Ops.layerNorm(f(2, 4), f(3), f(4), 1e-5f), "layerNorm", "weight", "[4]");
      expect(IllegalArgumentException.class, () -> Ops.layerNorm(f(2, 4), f(4), f(4, 1), 1e-5f), "bias", "[4]");
      expect(IllegalArgumentException.class, () -> Ops.layerNorm(f(2, 4), f(4), f(4), 0f), "eps must be > 0");
      expect(IllegalArgumentException.class, () -> Ops.layerNorm(Tensor.scalar(1f), f(1), f(1), 1e-5f), "rank >= 1");
    }
  }

  @Test
  void attentionShapes() {
    try (Scope s = Scope.open()) {
      expect(IllegalArgumentException.class, () -> Ops.attention(f(2, 12), 2, null), "attention", "qkv", "rank 3");
      expect(IllegalArgumentException.class, () -> Ops.attention(f(1, 2, 12), 0, null), "nHead must be >= 1");
      expect(IllegalArgumentException.class, () -> Ops.attention(f(1, 2, 12), 3, null), "12", "nHead(3)");
      expect(IllegalArgumentException.class, () -> Ops.attention(f(1, 2, 12), 2, i32(1, 3)), "docIds", "[1, 2]");
      expect(IllegalArgumentException.class, () -> Ops.attention(f(1, 2, 12), 2, f(1, 2)), "docIds", "must be i32");
    }
  }

  @Test
  void gatherAndLogSoftmaxShapes() {
    try (Scope s = Scope.open()) {
      expect(IllegalArgumentException.class, () -> Ops.gather(f(3, 4), i32(4)), "gather", "index", "[3]");
      expect(IllegalArgumentException.class, () -> Ops.gather(Tensor.scalar(1f), i32(1)), "rank >= 1");
      expect(IllegalArgumentException.class, () -> Ops.gather(f(2, 4), Tensor.ofInts(new int[] {0, 4}, 2)),
          "gather index 4", "out of range");
      expect(IllegalArgumentException.class, () -> Ops.gather(f(2, 4), Tensor.ofInts(new int[] {-1, 0}, 2)),
          "gather index -1");
      expect(IllegalArgumentException.class, () -> Ops.logSoftmax(Tensor.scalar(1f)), "logSoftmax", "rank >= 1");
    }
  }

  @Test
  void whereAndResidualShapes() {
    try (Scope s = Scope.open()) {
      expect(IllegalArgumentException.class, () -> Ops.where(f(2, 3), f(3, 2), f(3, 2)),
          "where", "cond", "[2, 3]", "same shape");
      expect(IllegalArgumentException.class, () -> Ops.where(f(2, 3), f(2, 3), f(3)), "where", "b", "same shape");
      expect(IllegalArgumentException.class, () -> Ops.residual(f(2, 3), f(3)), "residual", "fx", "same shape");
      expect(IllegalArgumentException.class, () -> Ops.where(i32(2), f(2), f(2)), "where", "cond", "f32");
    }
  }

  @Test
  void reduceDimensionOutOfRange() {
    try (Scope s = Scope.open()) {
      expect(IllegalArgumentException.class, () -> Ops.sum(f(2, 3, 4), 3), "dimension 3", "rank 3");
      expect(IllegalArgumentException.class, () -> Ops.mean(f(2, 3, 4), -4), "dimension -4", "rank 3");
      expect(IllegalArgumentException.class, () -> f(2, 3).size(2), "dimension 2");
    }
  }

  @Test
  void sampleArguments() {
    try (Scope s = Scope.open()) {
      expect(IllegalArgumentException.class, () -> Ops.sample(f(2, 5), 6, 1f, 0, 1f, 0, 0), "vocabReal", "[1, 5]");
      expect(IllegalArgumentException.class, () -> Ops.sample(f(2, 5), 0, 1f, 0, 1f, 0, 0), "vocabReal");
      expect(IllegalArgumentException.class, () -> Ops.sample(f(2, 5), 5, 1f, 0, 0f, 0, 0), "topP must be > 0");
      expect(IllegalArgumentException.class, () -> Ops.sample(f(2, 5), 5, 1f, 0, Float.NaN, 0, 0), "topP");
      expect(IllegalArgumentException.class, () -> Ops.sample(Tensor.scalar(0f), 1, 1f, 0, 1f, 0, 0), "rank >= 1");
      expect(IllegalArgumentException.class, () -> Ops.sample(i32(2, 5), 5, 1f, 0, 1f, 0, 0), "logits", "f32");
    }
  }

  // ---------------------------------------------------------------------------------------------
  // dtypes
  // ---------------------------------------------------------------------------------------------

  @Test
  void intWhereFloatNeeded() {
    try (Scope s = Scope.open()) {
      expect(IllegalArgumentException.class, () -> Ops.exp(i32(3)), "exp", "x", "must be f32", "i32[3]");
      expect(IllegalArgumentException.class, () -> Ops.add(f(3), i32(3)), "add", "b", "i32");
      expect(IllegalArgumentException.class, () -> Ops.sum(i32(3), 0), "sum", "i32");
      expect(IllegalArgumentException.class, () -> Ops.matmul(i32(2, 2), f(2, 2), false, false), "matmul", "a");
      expect(IllegalArgumentException.class, () -> Ops.linear(f(2, 2), i32(2, 2), null), "weight");
      expect(IllegalArgumentException.class, () -> Ops.layerNorm(f(2, 2), f(2), i32(2), 1e-5f), "bias");
      expect(IllegalArgumentException.class, () -> Ops.gelu(i32(2)), "gelu");
      expect(IllegalArgumentException.class, () -> Ops.embedding(i32(1, 2), null, i32(5, 3), null), "wte");
      expect(IllegalArgumentException.class, () -> Ops.clamp(i32(2), 0, 1), "clamp");
    }
  }

  @Test
  void floatWhereIntNeeded() {
    try (Scope s = Scope.open()) {
      expect(IllegalArgumentException.class, () -> Ops.crossEntropy(f(2, 5), f(2), null, 5, -1),
          "crossEntropy", "targets", "must be i32", "f32[2]");
      expect(IllegalArgumentException.class, () -> Ops.embedding(f(1, 2), null, f(5, 3), null), "tokens", "must be i32");
      expect(IllegalArgumentException.class, () -> Ops.embedding(i32(1, 2), f(1, 2), f(5, 3), f(4, 3)), "positions", "i32");
      expect(IllegalArgumentException.class, () -> Ops.gather(f(2, 5), f(2)), "gather", "index", "i32");
      expect(IllegalArgumentException.class, () -> f(3).toIntArray(), "toIntArray", "i32", "f32[3]");
    }
  }

  @Test
  void bf16OnCpuComputesButMixedDTypesAreRejected() {
    try (Scope s = Scope.open()) {
      expect(IllegalArgumentException.class, () -> Ops.add(f(3), bf16(3)), "add", "b", "bf16");
      expect(IllegalArgumentException.class, () -> Ops.exp(i32(3)), "exp", "f32 or bf16", "i32[3]");
      // bf16 data computes on the CPU (in f32, rounded on store) and stays bf16
      Tensor y = Ops.add(bf16(3), bf16(3));
      assertEquals(DType.BF16, y.dtype());
      assertEquals(DType.BF16, Ops.sum(bf16(4)).dtype());
    }
  }

  @Test
  void requiresGradOnlyForFloats() {
    try (Scope s = Scope.open()) {
      expect(IllegalArgumentException.class, () -> i32(2).requiresGrad(true), "floating-point", "i32[2]");
      i32(2).requiresGrad(false); // turning it off is fine
    }
  }

  // ---------------------------------------------------------------------------------------------
  // broadcasting, reshape, dimensions, data
  // ---------------------------------------------------------------------------------------------

  @Test
  void broadcastMismatch() {
    try (Scope s = Scope.open()) {
      expect(IllegalArgumentException.class, () -> Ops.add(f(2, 3), f(2)), "add", "[2]", "does not broadcast", "[2, 3]");
      expect(IllegalArgumentException.class, () -> Ops.mul(f(2, 3), f(2, 1)), "mul", "does not broadcast");
      expect(IllegalArgumentException.class, () -> Ops.sub(f(3), f(2, 3)), "sub", "does not broadcast");
      expect(IllegalArgumentException.class, () -> Ops.div(f(4), f(2)), "div", "does not broadcast");
      expect(IllegalArgumentException.class, () -> Ops.minimum(f(2, 3), f(3, 3)), "minimum", "does not broadcast");
      expect(IllegalArgumentException.class, () -> Ops.maximum(f(2, 3), f(2)), "maximum");
      expect(IllegalArgumentException.class, () -> Ops.greater(f(2, 3), f(2)), "greater");
      expect(IllegalArgumentException.class, () -> Ops.less(f(2, 3), f(2)), "less");
    }
  }

  @Test
  void invalidReshape() {
    try (Scope s = Scope.open()) {
      Tensor t = f(2, 3);
      expect(IllegalArgumentException.class, () -> t.reshape(4), "cannot reshape", "[2, 3]", "[4]");
      expect(IllegalArgumentException.class, () -> t.reshape(4, -1), "cannot reshape", "[4, -1]");
      expect(IllegalArgumentException.class, () -> t.reshape(-1, -1), "only one dimension may be -1");
      expect(IllegalArgumentException.class, () -> t.reshape(0, 6), ">= 1 or -1");
      expect(IllegalArgumentException.class, () -> t.reshape(-2, -3), ">= 1 or -1");
      expect(IllegalArgumentException.class, () -> t.reshape(), "cannot reshape");
      assertEquals(6, t.reshape(-1).numel(), "a valid reshape still works");
    }
  }

  @Test
  void zeroOrNegativeDimensions() {
    try (Scope s = Scope.open()) {
      long buffers = Device.CPU.liveBuffers();
      expect(IllegalArgumentException.class, () -> Tensor.zeros(2, 0), "[2, 0]", "dimension < 1");
      expect(IllegalArgumentException.class, () -> Tensor.zeros(-1), "[-1]", "dimension < 1");
      expect(IllegalArgumentException.class, () -> Tensor.of(new float[0], 0), "dimension < 1");
      expect(IllegalArgumentException.class, () -> Tensor.ofInts(new int[0], 3, 0), "dimension < 1");
      expect(IllegalArgumentException.class, () -> Tensor.full(1f, DType.F32, Device.CPU, 0), "dimension < 1");
      expect(IllegalArgumentException.class, () -> Tensor.randn(0, 0, 0f, 1f, Device.CPU, 2, -3), "dimension < 1");
      expect(IllegalArgumentException.class, () -> Tensor.rand(0, 0, 0f, 1f, Device.CPU, 0), "dimension < 1");
      expect(IllegalArgumentException.class, () -> Tensor.zeros(1L << 40, 1L << 40), "too many elements");
      assertEquals(buffers, Device.CPU.liveBuffers(), "nothing allocated");
    }
  }

  @Test
  void dataLengthMismatch() {
    try (Scope s = Scope.open()) {
      expect(IllegalArgumentException.class, () -> Tensor.of(new float[5], 2, 3), "data has 5 elements", "[2, 3]", "6");
      expect(IllegalArgumentException.class, () -> Tensor.of(new float[7], 2, 3), "data has 7 elements");
      expect(IllegalArgumentException.class, () -> Tensor.ofInts(new int[2], 3), "data has 2 elements", "needs 3");
      expect(IllegalArgumentException.class, () -> Tensor.of(new float[2]), "data has 2 elements", "needs 1");
    }
  }

  @Test
  void itemNeedsOneElement() {
    try (Scope s = Scope.open()) {
      expect(IllegalArgumentException.class, () -> f(2, 3).item(), "item()", "one-element", "[2, 3]");
    }
  }

  @Test
  void clampBounds() {
    try (Scope s = Scope.open()) {
      expect(IllegalArgumentException.class, () -> Ops.clamp(f(3), 1f, 0f), "clamp", "lo 1.0", "hi 0.0");
      expect(IllegalArgumentException.class, () -> Ops.clamp(f(3), Float.NaN, 1f), "clamp");
      Ops.clamp(f(3), 0.5f, 0.5f); // lo == hi is allowed
    }
  }

  // ---------------------------------------------------------------------------------------------
  // autograd, scopes
  // ---------------------------------------------------------------------------------------------

  @Test
  void backwardRules() {
    try (Scope s = Scope.open()) {
      Tensor x = f(2).requiresGrad(true);
      expect(IllegalArgumentException.class, () -> Ops.exp(x).backward(), "one-element", "[2]");
      expect(IllegalStateException.class, () -> Ops.sum(f(2)).backward(), "does not require a gradient");
      Tensor y = Ops.exp(x);
      expect(IllegalStateException.class, () -> y.requiresGrad(false), "leaf", "exp");
    }
  }

  @Test
  void scopeMisuse() {
    try (Scope outer = Scope.open()) {
      Tensor mine = f(1);
      Tensor unowned;
      try (Scope detached = Scope.open()) {
        unowned = detached.keep(f(1));
      }
      expect(IllegalArgumentException.class, () -> outer.keep(unowned), "not owned by this scope");
      outer.keep(mine);
      expect(IllegalArgumentException.class, () -> outer.keep(mine), "not owned");
      mine.close();
      unowned.close();

      Scope inner = Scope.open();
      try {
        expect(IllegalStateException.class, outer::close, "innermost first");
      } finally {
        inner.close();
      }
      Scope closed = Scope.open();
      Tensor t = f(1);
      closed.close();
      expect(IllegalStateException.class, () -> closed.keep(t), "scope is closed");
    }
  }

  @Test
  void scopeMustCloseOnItsThread() throws Exception {
    Scope s = Scope.open();
    try {
      Throwable[] caught = new Throwable[1];
      Thread other = new Thread(() -> {
        try {
          s.close();
        } catch (Throwable e) {
          caught[0] = e;
        }
      });
      other.start();
      other.join();
      assertTrue(caught[0] instanceof IllegalStateException, String.valueOf(caught[0]));
      assertTrue(caught[0].getMessage().contains("thread"), caught[0].getMessage());
    } finally {
      s.close();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // optimizer
  // ---------------------------------------------------------------------------------------------

  @Test
  void adamWArguments() {
    try (Scope s = Scope.open()) {
      Tensor p = f(2, 2).requiresGrad(true);
      List<Tensor> ps = List.of(p);
      expect(IllegalArgumentException.class, () -> new AdamW(ps, 1e-3f, 1f, 0.95f, 1e-8f, 0f), "betas", "[0, 1)", "1.0");
      expect(IllegalArgumentException.class, () -> new AdamW(ps, 1e-3f, 0.9f, 1.5f, 1e-8f, 0f), "betas");
      expect(IllegalArgumentException.class, () -> new AdamW(ps, 1e-3f, -0.1f, 0.95f, 1e-8f, 0f), "betas");
      expect(IllegalArgumentException.class, () -> new AdamW(ps, 1e-3f, Float.NaN, 0.95f, 1e-8f, 0f), "betas");
      expect(IllegalArgumentException.class, () -> new AdamW(ps, 1e-3f, 0.9f, 0.95f, 0f, 0f), "eps > 0");
      expect(IllegalArgumentException.class, () -> new AdamW(ps, -1f, 0.9f, 0.95f, 1e-8f, 0f), "lr >= 0");
      expect(IllegalArgumentException.class, () -> new AdamW(ps, 1e-3f, -0.1f), "weightDecay >= 0");
      expect(IllegalArgumentException.class, () -> new AdamW(List.of(f(2)), 1e-3f, 0f), "require grad");
      expect(IllegalArgumentException.class, () -> new AdamW(List.of(i32(2)), 1e-3f, 0f), "must be f32");
      AdamW opt = new AdamW(ps, 1e-3f, 0f);
      opt.close();
      opt.close();
      expect(IllegalStateException.class, opt::step, "AdamW is closed");
      expect(IllegalArgumentException.class, () -> GradClip.clip(ps, 0), "maxNorm must be > 0");
    }
  }

  // ---------------------------------------------------------------------------------------------
  // devices
  // ---------------------------------------------------------------------------------------------

  @Test
  void deviceParse() {
    assertSame(Device.CPU, Device.parse("cpu"));
    assertSame(Device.CPU, Device.parse("CPU"));
    assertSame(Device.CUDA, Device.parse("cuda"));
    assertSame(Device.best(), Device.parse("auto"));
    expect(IllegalArgumentException.class, () -> Device.parse("tpu"), "unknown device 'tpu'", "cpu, cuda or auto");
    expect(IllegalArgumentException.class, () -> Device.parse(""), "unknown device ''");
    assertTrue(Device.CPU.isAvailable());
    assertEquals("", Device.CPU.unavailabilityCause());
  }

  @Test
  void cudaUnavailableHasACause() {
    assumeFalse(Device.cuda().isAvailable(), "CUDA is available here");
    assertFalse(Device.cuda().unavailabilityCause().isBlank(), "a reason is given");
    assertSame(Device.CPU, Device.best());
  }

  @Test
  void allocationOnUnavailableCudaThrows() {
    assumeFalse(Device.CUDA.isAvailable(), "CUDA is available here");
    try (Scope s = Scope.open()) {
      long buffers = Device.CPU.liveBuffers();
      expect(IllegalStateException.class, () -> Tensor.zeros(DType.F32, Device.CUDA, 2, 3), "cuda", "not available");
      expect(IllegalStateException.class, () -> Tensor.of(new float[] {1, 2}, Device.CUDA, 2), "cuda", "not available");
      expect(IllegalStateException.class, () -> Tensor.ofInts(new int[] {1}, Device.CUDA, 1), "not available");
      expect(IllegalStateException.class, () -> Tensor.randn(1, 0, 0f, 1f, Device.CUDA, 4), "not available");
      Tensor cpu = f(3);
      expect(IllegalStateException.class, () -> cpu.to(Device.CUDA), "not available");
      // the temporary CPU tensors of Tensor.of(..., CUDA) were released
      assertEquals(buffers + 1, Device.CPU.liveBuffers(), "only the one CPU tensor remains");
    }
  }
}
