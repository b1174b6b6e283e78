package dev.triad.optim;

import dev.triad.tensor.DType;
import dev.triad.tensor.Device;
import dev.triad.tensor.InPlace;
import dev.triad.tensor.MultiTensor;
import dev.triad.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * AdamW with decoupled weight decay, fused: every parameter is updated by one multi-tensor native
 * call (one launch on CUDA) that reads each parameter, its gradient and both fp32 moments once and
 * writes them back once. Weight decay
 * applies to parameters of rank >= 2 (matrices and embeddings), never to biases or norm gains.
 *
 * <p>Mixed precision: a bf16 parameter gets an f32 master copy (initialised by widening the bf16
 * value, exactly), and each step updates the master and writes the bf16 parameter as the master
 * rounded to nearest even, in the same pass ({@code triad_adamw_step_copy}). An f32 parameter is
 * its own master. The moments are f32 either way.
 */
public final class AdamW implements AutoCloseable {
  private final List<Tensor> params;
  /** f32 master weights: a separate tensor for a bf16 parameter, the parameter itself for f32. */
  private final List<Tensor> masters = new ArrayList<>();
  private final List<Tensor> m = new ArrayList<>();
  private final List<Tensor> v = new ArrayList<>();
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
      if (!p.requiresGrad() || !p.dtype().isFloating()) {
        throw new IllegalArgumentException("AdamW: parameter " + p.describe()
            + " must be f32 or bf16 and require grad");
      }
    }
    for (Tensor p : this.params) {
      if (p.dtype() == DType.F32) {
        masters.add(p);
      } else {
        Tensor master = Tensor.unscoped(DType.F32, p.device(), p.shape());
        InPlace.cast(master, p); // bf16 -> f32 is exact
        masters.add(master);
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
    step(gradScale, null, 0);
  }

  /**
   * One update clipped to the global norm {@code maxNorm} using {@code normSq}, the squared norm
   * on the parameters' device ({@link GradClip#squaredNorm}): the clip factor is computed where
   * the data lives, so a training step never waits to read the norm. maxNorm &lt;= 0: no clipping.
   */
  public void step(Tensor normSq, double maxNorm) {
    step(1.0f, normSq, maxNorm);
  }

  private void step(float gradScale, Tensor normSq, double maxNorm) {
    if (closed) {
      throw new IllegalStateException("AdamW is closed");
    }
    step++;
    MultiTensor.AdamWStep hyper = new MultiTensor.AdamWStep(lr, beta1, beta2, eps, gradScale, step);
    // one multi-tensor call per gradient dtype (a model in one precision makes one call)
    for (DType gradType : new DType[] {DType.F32, DType.BF16}) {
      List<Tensor> ps = new ArrayList<>(), gs = new ArrayList<>(), mm = new ArrayList<>(),
          vv = new ArrayList<>(), copies = new ArrayList<>();
      List<Float> decays = new ArrayList<>();
      boolean anyCopy = false;
      for (int i = 0; i < params.size(); i++) {
        Tensor p = params.get(i);
        if (p.grad() == null || p.grad().dtype() != gradType) {
          continue;
        }
        ps.add(masters.get(i));
        gs.add(p.grad());
        mm.add(m.get(i));
        vv.add(v.get(i));
        copies.add(hasSeparateMaster(i) ? p : null);  // bf16 working copy = RNE(updated master)
        anyCopy |= hasSeparateMaster(i);
        decays.add(p.rank() >= 2 ? weightDecay : 0f);
      }
      if (ps.isEmpty()) {
        continue;
      }
      float[] wd = new float[decays.size()];
      for (int i = 0; i < wd.length; i++) {
        wd[i] = decays.get(i);
      }
      MultiTensor.adamwStep(ps, gs, mm, vv, anyCopy ? copies : null, wd, hyper, normSq, maxNorm);
    }
  }

  /** Drops every gradient, so the next backward starts from zero. */
  public void zeroGrad() {
    params.forEach(Tensor::zeroGrad);
  }

  /** Parameter i as given to the constructor. */
  public Tensor parameter(int i) {
    return params.get(i);
  }

  /**
   * The f32 master weights of parameter i: what the optimizer updates and checkpoints store. For
   * an f32 parameter this is the parameter itself.
   */
  public Tensor master(int i) {
    return masters.get(i);
  }

  /** Whether parameter i trains on a separate f32 master (it is bf16). */
  public boolean hasSeparateMaster(int i) {
    return masters.get(i) != params.get(i);
  }

  /**
   * After the masters were overwritten (a checkpoint loaded into them): sets every bf16 parameter
   * to its master rounded to nearest even, the value a step would have written.
   */
  public void syncParametersFromMasters() {
    for (int i = 0; i < params.size(); i++) {
      if (hasSeparateMaster(i)) {
        InPlace.cast(params.get(i), masters.get(i));
      }
    }
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
      for (int i = 0; i < params.size(); i++) {
        if (hasSeparateMaster(i)) {
          masters.get(i).close();
        }
      }
      m.forEach(Tensor::close);
      v.forEach(Tensor::close);
    }
  }

  /** Device of the parameters (of the first, which all share). */
  public Device device() {
    return params.isEmpty() ? Device.CPU : params.get(0).device();
  }
}
