package dev.triad.optim;

import dev.triad.nativ.Status;
import dev.triad.nativ.TriadNative;
import dev.triad.tensor.DType;
import dev.triad.tensor.Device;
import dev.triad.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * AdamW with decoupled weight decay, one fused native kernel per parameter tensor: it reads the
 * parameter, its gradient and both fp32 moments once and writes them back once. Weight decay
 * applies to parameters of rank >= 2 (matrices and embeddings), never to biases or norm gains.
 */
public final class AdamW implements AutoCloseable {
  private final List<Tensor> params;
  private final List<Tensor> m = new ArrayList<>();
  private final List<Tensor> v = new ArrayList<>();
  private final TriadNative.AdamWParams nativeParams = new TriadNative.AdamWParams();
  private float lr;
  private final float beta1;
  private final float beta2;
  private final float eps;
  private final float weightDecay;
  private long step;
  private boolean closed;

  public AdamW(List<Tensor> params, float lr, float beta1, float beta2, float eps, float weightDecay) {
    if (!(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1)) {
      throw new IllegalArgumentException("AdamW: betas must be in [0, 1), got " + beta1 + ", " + beta2);
    }
    if (!(eps > 0) || !(lr >= 0) || !(weightDecay >= 0)) {
      throw new IllegalArgumentException("AdamW: need lr >= 0, eps > 0, weightDecay >= 0");
    }
    this.params = List.copyOf(params);
    for (Tensor p : this.params) {
      if (!p.requiresGrad() || p.dtype() != DType.F32) {
        throw new IllegalArgumentException("AdamW: parameter " + p.describe() + " must be f32 and require grad");
      }
      m.add(Tensor.unscoped(DType.F32, p.device(), p.shape()));
      v.add(Tensor.unscoped(DType.F32, p.device(), p.shape()));
    }
    this.lr = lr;
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.eps = eps;
    this.weightDecay = weightDecay;
  }

  /** GPT-2 style defaults: betas (0.9, 0.95), eps 1e-8. */
  public AdamW(List<Tensor> params, float lr, float weightDecay) {
    this(params, lr, 0.9f, 0.95f, 1e-8f, weightDecay);
  }

  public void setLearningRate(float lr) {
    this.lr = lr;
  }

  public float learningRate() {
    return lr;
  }

  /** Number of steps taken. */
  public long stepCount() {
    return step;
  }

  /** Restores the step count (bias correction) when resuming from a checkpoint. */
  public void setStepCount(long steps) {
    if (steps < 0) {
      throw new IllegalArgumentException("step count must be >= 0, got " + steps);
    }
    this.step = steps;
  }

  /** Number of parameter tensors. */
  public int size() {
    return params.size();
  }

  /** One update of every parameter that has a gradient. */
  public void step() {
    step(1.0f);
  }

  /** One update with every gradient first multiplied by {@code gradScale} (e.g. a clip factor). */
  public void step(float gradScale) {
    if (closed) {
      throw new IllegalStateException("AdamW is closed");
    }
    step++;
    nativeParams.lr(lr).beta1(beta1).beta2(beta2).eps(eps).grad_scale(gradScale).step(step);
    for (int i = 0; i < params.size(); i++) {
      Tensor p = params.get(i);
      if (p.grad() == null) {
        continue;
      }
      nativeParams.weight_decay(p.rank() >= 2 ? weightDecay : 0f);
      Status.check(TriadNative.triad_adamw_step(p.buf(), p.grad().buf(), m.get(i).buf(), v.get(i).buf(),
          p.numel(), nativeParams));
    }
  }

  /** Drops every gradient, so the next backward starts from zero. */
  public void zeroGrad() {
    params.forEach(Tensor::zeroGrad);
  }

  /** First and second moments of parameter i (for checkpoints and tests). */
  public Tensor firstMoment(int i) {
    return m.get(i);
  }

  public Tensor secondMoment(int i) {
    return v.get(i);
  }

  @Override
  public void close() {
    if (!closed) {
      closed = true;
      m.forEach(Tensor::close);
      v.forEach(Tensor::close);
      nativeParams.close();
    }
  }

  /** Device of the parameters (of the first, which all share). */
  public Device device() {
    return params.isEmpty() ? Device.CPU : params.get(0).device();
  }
}
