package dev.triad.nn;

import dev.triad.tensor.DType;
import dev.triad.tensor.Device;
import dev.triad.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;

/** Keys and values of every layer for B sequences of up to maxLen positions: [B, maxLen, C] each. */
public final class KvCache implements AutoCloseable {
  /** One layer's cache. */
  public record Layer(Tensor k, Tensor v) {}

  private final List<Layer> layers = new ArrayList<>();
  private final int batch;
  private final int maxLen;

  /** An f32 cache. */
  public KvCache(GptConfig cfg, int batch, int maxLen, Device device) {
    this(cfg, batch, maxLen, device, DType.F32);
  }

  /** A cache in {@code dtype}: the model's activation dtype (bf16 halves its memory). */
  public KvCache(GptConfig cfg, int batch, int maxLen, Device device, DType dtype) {
    if (maxLen > cfg.blockSize()) {
      throw new IllegalArgumentException("KV cache of " + maxLen + " positions exceeds the model's context of "
          + cfg.blockSize());
    }
    this.batch = batch;
    this.maxLen = maxLen;
    for (int i = 0; i < cfg.nLayer(); i++) {
      layers.add(new Layer(Tensor.unscoped(dtype, device, batch, maxLen, cfg.nEmbd()),
          Tensor.unscoped(dtype, device, batch, maxLen, cfg.nEmbd())));
    }
  }

  public Layer layer(int i) {
    return layers.get(i);
  }

  public int batch() {
    return batch;
  }

  public int maxLen() {
    return maxLen;
  }

  /** Bytes held by the cache. */
  public long bytes() {
    return layers.stream().mapToLong(l -> 2 * l.k().numel() * l.k().dtype().bytes()).sum();
  }

  @Override
  public void close() {
    layers.forEach(l -> {
      l.k().close();
      l.v().close();
    });
  }
}
