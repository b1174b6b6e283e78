package dev.triad.nativ;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.javacpp.annotation.ByPtrPtr;
import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.Const;
import org.bytedeco.javacpp.annotation.Name;
import org.bytedeco.javacpp.annotation.Opaque;
import org.bytedeco.javacpp.annotation.Platform;

/**
 * The raw JNI mapping of {@code native/include/triad.h}, generated and compiled by JavaCPP at build
 * time. Methods mirror the C functions one to one and return their status codes unchanged: callers
 * pass every status through {@link Status#check}. Nothing outside {@code dev.triad.nativ} and the
 * tensor layer calls these; see triad.h for the semantics of each function.
 */
// preload: libtriad_env sets OMP_WAIT_POLICY=PASSIVE (unless set) before libgomp starts
@Platform(include = "triad.h", preload = "triad_env", link = "triad")
public final class TriadNative {
  static {
    // libtriad links against the libopenblas.so.0 shipped in the org.bytedeco:openblas jar;
    // loading that preset first puts the library in the process so libtriad's dependency resolves.
    Loader.load(org.bytedeco.openblas.global.openblas_nolapack.class);
    Loader.load();
  }

  private TriadNative() {}

  /** Makes sure the native libraries are loaded; throws if they cannot be. */
  public static void load() {}

  // ---- status, dtype and device codes (triad.h) ----
  public static final int TRIAD_OK = 0, TRIAD_ERR_INVALID = 1, TRIAD_ERR_OOM = 2,
      TRIAD_ERR_UNSUPPORTED = 3, TRIAD_ERR_DEVICE = 4, TRIAD_ERR_INTERNAL = 5, TRIAD_ERR_COMM = 6;
  public static final int TRIAD_DEVICE_CPU = 0, TRIAD_DEVICE_CUDA = 1;
  public static final int TRIAD_F32 = 0, TRIAD_BF16 = 1, TRIAD_I32 = 2;
  public static final int TRIAD_UNARY_EXP = 0, TRIAD_UNARY_LOG = 1, TRIAD_UNARY_AFFINE = 2,
      TRIAD_UNARY_CLAMP = 3, TRIAD_UNARY_SQUARE = 4, TRIAD_UNARY_SQRT = 5, TRIAD_UNARY_TANH = 6,
      TRIAD_UNARY_RELU = 7;
  public static final int TRIAD_BINARY_ADD = 0, TRIAD_BINARY_SUB = 1, TRIAD_BINARY_MUL = 2,
      TRIAD_BINARY_DIV = 3, TRIAD_BINARY_MIN = 4, TRIAD_BINARY_MAX = 5, TRIAD_BINARY_GT = 6,
      TRIAD_BINARY_LT = 7;
  public static final int TRIAD_REDUCE_SUM = 0, TRIAD_REDUCE_MEAN = 1;
  public static final int TRIAD_EPILOGUE_NONE = 0, TRIAD_EPILOGUE_GELU = 1, TRIAD_EPILOGUE_GELU_BACKWARD = 2;

  /** Opaque handle to a {@code triad_buffer}. */
  @Opaque
  @Name("triad_buffer")
  public static class Buffer extends Pointer {
    public Buffer() {
      super((Pointer) null);
    }

    public Buffer(Pointer p) {
      super(p);
    }
  }

  /** {@code triad_adamw_params}: a plain struct, allocated natively and reused. */
  @Name("triad_adamw_params")
  public static class AdamWParams extends Pointer {
    static {
      Loader.load();
    }

    public AdamWParams() {
      allocate();
    }

    private native void allocate();

    public native float lr();
    public native AdamWParams lr(float v);
    public native float beta1();
    public native AdamWParams beta1(float v);
    public native float beta2();
    public native AdamWParams beta2(float v);
    public native float eps();
    public native AdamWParams eps(float v);
    public native float weight_decay();
    public native AdamWParams weight_decay(float v);
    public native float grad_scale();
    public native AdamWParams grad_scale(float v);
    public native @Cast("int64_t") long step();
    public native AdamWParams step(long v);
  }

  // ---- library and devices ----
  public static native String triad_version();
  public static native String triad_last_error();
  public static native int triad_cpu_threads();
  public static native int triad_set_cpu_threads(int threads);
  public static native String triad_blas_info();
  public static native int triad_cuda_available();
  public static native String triad_cuda_unavailable_reason();
  public static native @Cast("int64_t") long triad_live_bytes(int device);
  public static native @Cast("int64_t") long triad_live_buffers(int device);
  public static native int triad_noop(int x);
  /** out[3]: host syncs, cudaMalloc calls, device work items queued (see triad.h). */
  public static native int triad_cuda_counters(@Cast("int64_t*") long[] out);
  public static native int triad_cuda_synchronize();
  public static native @Cast("int64_t") long triad_cuda_reserved_bytes();
  public static native int triad_cuda_empty_cache();
  public static native int triad_cuda_set_gemm_sm80(int force_sm80);
  /** NVTX range push/pop on CUDA builds, no-ops otherwise (see triad.h). */
  public static native void triad_range_push(String name);
  public static native void triad_range_pop();
  public static native @Cast("int64_t") long triad_peak_live_bytes(int device);
  public static native void triad_reset_peak_live_bytes(int device);
  /** free[0], total[0]: the CUDA device's memory (cudaMemGetInfo); UNSUPPORTED without CUDA. */
  public static native int triad_cuda_memory(@Cast("int64_t*") long[] free, @Cast("int64_t*") long[] total);

  // ---- distributed (see triad.h) ----
  public static native int triad_dist_init(String hostPlugin, String devicePlugin);
  public static native int triad_dist_rank(int[] rank);
  public static native int triad_dist_size(int[] size);
  public static native int triad_dist_local_rank(int[] rank);
  public static native String triad_dist_backend();
  public static native int triad_dist_all_reduce_sum(Buffer buf, @Cast("int64_t") long count);
  public static native int triad_dist_reduce_scatter_sum(Buffer out, @Const Buffer in, @Cast("int64_t") long count);
  public static native int triad_dist_all_gather(Buffer out, @Const Buffer in, @Cast("int64_t") long count);
  public static native int triad_dist_broadcast(Buffer buf, @Cast("int64_t") long count, int root);
  public static native int triad_dist_barrier();
  public static native int triad_dist_abort(int code);
  public static native int triad_dist_finalize();

  // ---- buffers ----
  public static native int triad_buffer_alloc(int device, int dtype, @Cast("int64_t") long numel, @ByPtrPtr Buffer out);
  public static native int triad_buffer_alloc_uninit(int device, int dtype, @Cast("int64_t") long numel, @ByPtrPtr Buffer out);
  /** Non-zero (TRIAD_ERR_INVALID) for a double free or a foreign handle; see triad.h. */
  public static native int triad_buffer_free(Buffer buf);
  public static native @Cast("int64_t") long triad_buffer_numel(@Const Buffer buf);
  public static native int triad_buffer_write(Buffer dst, @Cast("int64_t") long offset, @Cast("const void*") float[] src, @Cast("int64_t") long count);
  public static native int triad_buffer_write(Buffer dst, @Cast("int64_t") long offset, @Cast("const void*") int[] src, @Cast("int64_t") long count);
  public static native int triad_buffer_write(Buffer dst, @Cast("int64_t") long offset, @Cast("const void*") short[] src, @Cast("int64_t") long count);
  public static native int triad_buffer_read(@Const Buffer src, @Cast("int64_t") long offset, @Cast("void*") float[] dst, @Cast("int64_t") long count);
  public static native int triad_buffer_read(@Const Buffer src, @Cast("int64_t") long offset, @Cast("void*") int[] dst, @Cast("int64_t") long count);
  public static native int triad_buffer_read(@Const Buffer src, @Cast("int64_t") long offset, @Cast("void*") short[] dst, @Cast("int64_t") long count);
  public static native int triad_buffer_copy(Buffer dst, @Cast("int64_t") long dstOffset, @Const Buffer src, @Cast("int64_t") long srcOffset, @Cast("int64_t") long count);
  public static native int triad_fill(Buffer dst, float value);
  public static native int triad_cast(Buffer dst, @Const Buffer src);

  // ---- linear ----
  public static native int triad_matmul(Buffer out, @Const Buffer a, @Const Buffer b, @Const Buffer bias,
      @Cast("int64_t") long batch, @Cast("int64_t") long M, @Cast("int64_t") long N, @Cast("int64_t") long K,
      int transA, int transB, int accumulate);
  public static native int triad_matmul_epilogue(Buffer out, Buffer pre, @Const Buffer a, @Const Buffer b,
      @Const Buffer bias, @Cast("int64_t") long batch, @Cast("int64_t") long M, @Cast("int64_t") long N,
      @Cast("int64_t") long K, int transA, int transB, int accumulate, int epilogue);
  public static native int triad_bias_backward(Buffer dbias, @Const Buffer dout, @Cast("int64_t") long M, @Cast("int64_t") long N);

  // ---- embedding ----
  public static native int triad_embedding_forward(Buffer out, @Const Buffer tokens, @Const Buffer positions,
      @Const Buffer wte, @Const Buffer wpe, @Cast("int64_t") long B, @Cast("int64_t") long T,
      @Cast("int64_t") long C, @Cast("int64_t") long V, @Cast("int64_t") long P);
  public static native int triad_embedding_backward(Buffer dwte, Buffer dwpe, @Const Buffer dout,
      @Const Buffer tokens, @Const Buffer positions, @Cast("int64_t") long B, @Cast("int64_t") long T,
      @Cast("int64_t") long C, @Cast("int64_t") long V, @Cast("int64_t") long P);

  // ---- layernorm ----
  public static native int triad_layernorm_forward(Buffer out, Buffer mean, Buffer rstd, @Const Buffer x,
      @Const Buffer weight, @Const Buffer bias, @Cast("int64_t") long N, @Cast("int64_t") long C, float eps);
  public static native int triad_layernorm_backward(Buffer dx, Buffer dweight, Buffer dbias, @Const Buffer dout,
      @Const Buffer x, @Const Buffer weight, @Const Buffer mean, @Const Buffer rstd,
      @Cast("int64_t") long N, @Cast("int64_t") long C);

  // ---- GELU ----
  public static native int triad_gelu_forward(Buffer out, @Const Buffer x, @Cast("int64_t") long n);
  public static native int triad_gelu_backward(Buffer dx, @Const Buffer dout, @Const Buffer x, @Cast("int64_t") long n);

  // ---- attention ----
  public static native int triad_attention_forward(Buffer out, Buffer lse, @Const Buffer qkv, @Const Buffer docIds,
      @Cast("int64_t") long B, @Cast("int64_t") long T, @Cast("int64_t") long H, @Cast("int64_t") long D);
  public static native int triad_attention_backward(Buffer dqkv, @Const Buffer dout, @Const Buffer qkv,
      @Const Buffer out, @Const Buffer lse, @Const Buffer docIds, @Cast("int64_t") long B,
      @Cast("int64_t") long T, @Cast("int64_t") long H, @Cast("int64_t") long D);

  public static native int triad_attention_decode(Buffer out, Buffer kcache, Buffer vcache, @Const Buffer qkv,
      @Const Buffer start, @Cast("int64_t") long B, @Cast("int64_t") long Tn, @Cast("int64_t") long past,
      @Cast("int64_t") long Tmax, @Cast("int64_t") long H, @Cast("int64_t") long D);

  // ---- fused classifier ----
  public static native int triad_cross_entropy_forward(Buffer loss, Buffer logprob, Buffer lse,
      @Const Buffer logits, @Const Buffer targets, @Const Buffer weights, @Cast("int64_t") long N,
      @Cast("int64_t") long V, @Cast("int64_t") long vReal, int ignoreIndex);
  public static native int triad_cross_entropy_backward(Buffer dlogits, @Const Buffer dloss, @Const Buffer dlogprob,
      @Const Buffer logits, @Const Buffer targets, @Const Buffer weights, @Const Buffer lse,
      @Cast("int64_t") long N, @Cast("int64_t") long V, @Cast("int64_t") long vReal, int ignoreIndex);

  // ---- elementwise ----
  public static native int triad_unary_forward(int op, Buffer out, @Const Buffer x, @Cast("int64_t") long n, float p0, float p1);
  public static native int triad_unary_backward(int op, Buffer dx, @Const Buffer dout, @Const Buffer x,
      @Const Buffer out, @Cast("int64_t") long n, float p0, float p1);
  public static native int triad_binary_forward(int op, Buffer out, @Const Buffer a, @Const Buffer b,
      @Cast("int64_t") long na, @Cast("int64_t") long nb);
  public static native int triad_binary_backward(int op, Buffer da, Buffer db, @Const Buffer dout,
      @Const Buffer a, @Const Buffer b, @Cast("int64_t") long na, @Cast("int64_t") long nb);
  public static native int triad_where_forward(Buffer out, @Const Buffer cond, @Const Buffer a, @Const Buffer b, @Cast("int64_t") long n);
  public static native int triad_where_backward(Buffer da, Buffer db, @Const Buffer dout, @Const Buffer cond, @Cast("int64_t") long n);

  // ---- reductions, gather, log-softmax ----
  public static native int triad_reduce_forward(int op, Buffer out, @Const Buffer x,
      @Cast("int64_t") long outer, @Cast("int64_t") long dim, @Cast("int64_t") long inner);
  public static native int triad_reduce_backward(int op, Buffer dx, @Const Buffer dout,
      @Cast("int64_t") long outer, @Cast("int64_t") long dim, @Cast("int64_t") long inner);
  public static native int triad_gather_forward(Buffer out, @Const Buffer x, @Const Buffer index, @Cast("int64_t") long N, @Cast("int64_t") long V);
  public static native int triad_gather_backward(Buffer dx, @Const Buffer dout, @Const Buffer index, @Cast("int64_t") long N, @Cast("int64_t") long V);
  public static native int triad_log_softmax_forward(Buffer out, @Const Buffer x, @Cast("int64_t") long N, @Cast("int64_t") long V);
  public static native int triad_log_softmax_backward(Buffer dx, @Const Buffer dout, @Const Buffer out, @Cast("int64_t") long N, @Cast("int64_t") long V);

  // ---- optimizer ----
  public static native int triad_adamw_step(Buffer param, @Const Buffer grad, Buffer m, Buffer v,
      @Cast("int64_t") long n, @Const AdamWParams params);
  public static native int triad_adamw_step_copy(Buffer param, @Const Buffer grad, Buffer m, Buffer v,
      Buffer paramCopy, @Cast("int64_t") long n, @Const AdamWParams params);
  public static native int triad_sum_squares(Buffer acc, @Const Buffer x, @Cast("int64_t") long n);
  /** xs: a PointerPointer of count Buffers; ns: their element counts. */
  public static native int triad_sum_squares_multi(Buffer acc, int count,
      @Cast("const triad_buffer* const*") PointerPointer<Buffer> xs, @Cast("const int64_t*") long[] ns);
  /** Arrays of count Buffers (paramCopies may be null, or hold null entries). */
  public static native int triad_adamw_step_multi(int count, @Cast("triad_buffer* const*") PointerPointer<Buffer> params,
      @Cast("const triad_buffer* const*") PointerPointer<Buffer> grads, @Cast("triad_buffer* const*") PointerPointer<Buffer> m,
      @Cast("triad_buffer* const*") PointerPointer<Buffer> v,
      @Cast("triad_buffer* const*") PointerPointer<Buffer> paramCopies, @Cast("const int64_t*") long[] ns,
      @Cast("const float*") float[] weightDecays, @Const AdamWParams p, @Const Buffer normSq, double maxNorm);

  // ---- RNG and sampling ----
  public static native int triad_rng_uniform(Buffer out, @Cast("int64_t") long n, @Cast("uint64_t") long seed,
      @Cast("uint64_t") long offset, float lo, float hi);
  public static native int triad_rng_normal(Buffer out, @Cast("int64_t") long n, @Cast("uint64_t") long seed,
      @Cast("uint64_t") long offset, float mean, float std);
  public static native int triad_sample(Buffer out, @Const Buffer logits, @Cast("int64_t") long N,
      @Cast("int64_t") long V, @Cast("int64_t") long vReal, float temperature, int topK, float topP,
      @Cast("uint64_t") long seed, @Cast("uint64_t") long offset);
}
