package dev.triad.autograd;

/**
 * Float64 reference implementations of the layers the autograd tests compose, written as plainly
 * as possible: they are the ground truth that native forward and backward are compared against.
 * Arrays are row-major; shapes are in the comments.
 */
public final class Reference {
  private Reference() {}

  /** y[rows,out] = x[rows,in] W[out,in]^T + b[out] (b may be null). */
  public static double[] linear(double[] x, double[] w, double[] b, int rows, int in, int out) {
    double[] y = new double[rows * out];
    for (int r = 0; r < rows; r++) {
      for (int o = 0; o < out; o++) {
        double s = b == null ? 0 : b[o];
        for (int i = 0; i < in; i++) {
          s += x[r * in + i] * w[o * in + i];
        }
        y[r * out + o] = s;
      }
    }
    return y;
  }

  public static double[] gelu(double[] x) {
    double[] y = new double[x.length];
    double k = Math.sqrt(2 / Math.PI);
    for (int i = 0; i < x.length; i++) {
      double v = x[i];
      y[i] = 0.5 * v * (1 + Math.tanh(k * (v + 0.044715 * v * v * v)));
    }
    return y;
  }

  /** LayerNorm over the last dimension C of x[rows,C], eps inside the square root. */
  public static double[] layerNorm(double[] x, double[] w, double[] b, int rows, int c, double eps) {
    double[] y = new double[x.length];
    for (int r = 0; r < rows; r++) {
      double mean = 0;
      for (int i = 0; i < c; i++) {
        mean += x[r * c + i];
      }
      mean /= c;
      double var = 0;
      for (int i = 0; i < c; i++) {
        double d = x[r * c + i] - mean;
        var += d * d;
      }
      var /= c;
      double rstd = 1 / Math.sqrt(var + eps);
      for (int i = 0; i < c; i++) {
        y[r * c + i] = (x[r * c + i] - mean) * rstd * w[i] + b[i];
      }
    }
    return y;
  }

  /** Causal attention: qkv[B,T,3,H,D] -> out[B,T,H,D], scores scaled by 1/sqrt(D). */
  public static double[] attention(double[] qkv, int batch, int t, int h, int d) {
    int c = h * d;
    double[] out = new double[batch * t * c];
    double scale = 1 / Math.sqrt(d);
    for (int b = 0; b < batch; b++) {
      for (int hh = 0; hh < h; hh++) {
        for (int i = 0; i < t; i++) {
          double[] p = new double[i + 1];
          double max = Double.NEGATIVE_INFINITY;
          for (int j = 0; j <= i; j++) {
            double s = 0;
            for (int k = 0; k < d; k++) {
              s += qkv[((b * t + i) * 3) * c + hh * d + k] * qkv[((b * t + j) * 3 + 1) * c + hh * d + k];
            }
            p[j] = s * scale;
            max = Math.max(max, p[j]);
          }
          double sum = 0;
          for (int j = 0; j <= i; j++) {
            p[j] = Math.exp(p[j] - max);
            sum += p[j];
          }
          for (int k = 0; k < d; k++) {
            double o = 0;
            for (int j = 0; j <= i; j++) {
              o += p[j] / sum * qkv[((b * t + j) * 3 + 2) * c + hh * d + k];
            }
            out[(b * t + i) * c + hh * d + k] = o;
          }
        }
      }
    }
    return out;
  }

  /** Mean over rows of -log softmax(logits[rows,V])[target]. */
  public static double crossEntropyMean(double[] logits, int[] targets, int v) {
    double total = 0;
    for (int r = 0; r < targets.length; r++) {
      double max = Double.NEGATIVE_INFINITY;
      for (int i = 0; i < v; i++) {
        max = Math.max(max, logits[r * v + i]);
      }
      double sum = 0;
      for (int i = 0; i < v; i++) {
        sum += Math.exp(logits[r * v + i] - max);
      }
      total -= logits[r * v + targets[r]] - max - Math.log(sum);
    }
    return total / targets.length;
  }

  public static double[] add(double[] a, double[] b) {
    double[] y = new double[a.length];
    for (int i = 0; i < a.length; i++) {
      y[i] = a[i] + b[i];
    }
    return y;
  }
}
