package dev.triad.nn;

import dev.triad.tensor.Tensor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A layer or model: named parameters and named child modules, in registration order. The dotted
 * names ("h.0.attn.c_attn.weight") are the model's state dict, used by checkpoints and GPT-2
 * import. A module owns its parameters: closing it frees them (and their gradients).
 */
public abstract class Module implements AutoCloseable {
  private final Map<String, Tensor> params = new LinkedHashMap<>();
  private final Map<String, Module> children = new LinkedHashMap<>();

  /** Registers a parameter (marks it as requiring a gradient) and returns it. */
  protected Tensor param(String name, Tensor value) {
    if (params.containsKey(name) || children.containsKey(name)) {
      throw new IllegalArgumentException("duplicate member name '" + name + "'");
    }
    params.put(name, value.requiresGrad(true));
    return value;
  }

  /** Registers a child module and returns it. */
  protected <M extends Module> M child(String name, M module) {
    if (params.containsKey(name) || children.containsKey(name)) {
      throw new IllegalArgumentException("duplicate member name '" + name + "'");
    }
    children.put(name, module);
    return module;
  }

  /** Every parameter under its dotted name, depth first in registration order. */
  public Map<String, Tensor> namedParameters() {
    Map<String, Tensor> out = new LinkedHashMap<>();
    collect("", out);
    return Collections.unmodifiableMap(out);
  }

  private void collect(String prefix, Map<String, Tensor> out) {
    params.forEach((n, t) -> out.put(prefix + n, t));
    children.forEach((n, m) -> m.collect(prefix + n + ".", out));
  }

  public List<Tensor> parameters() {
    return new ArrayList<>(namedParameters().values());
  }

  /** Number of scalar parameters. */
  public long parameterCount() {
    return namedParameters().values().stream().mapToLong(Tensor::numel).sum();
  }

  /** Drops the gradient of every parameter. */
  public void zeroGrad() {
    namedParameters().values().forEach(Tensor::zeroGrad);
  }

  @Override
  public void close() {
    params.values().forEach(Tensor::close);
    children.values().forEach(Module::close);
  }
}
