/**
 * Triad's core: tensors with autograd over the native library libtriad (CPU, and CUDA where
 * built), the GPT layers, AdamW, checkpoint formats (safetensors, Hugging Face GPT-2) and
 * generation. The JNI mapping (dev.triad.nativ) is not exported, nor dev.triad.internal (a tensor's
 * native handle and gradient slot, for core's own packages): applications reach native code only
 * through the tensor layer, which checks every argument before it crosses.
 */
module dev.triad.core {
  requires transitive org.bytedeco.javacpp;
  requires org.bytedeco.openblas;
  requires com.fasterxml.jackson.databind;   // safetensors headers, config.json, the bench cache
  requires transitive org.slf4j;             // the library logs; the application binds a logger

  exports dev.triad;
  exports dev.triad.tensor;
  exports dev.triad.autograd;
  exports dev.triad.nn;
  exports dev.triad.optim;
  exports dev.triad.io;
  exports dev.triad.generate;
  exports dev.triad.profile;
  exports dev.triad.dist;

  opens dev.triad.profile to com.fasterxml.jackson.databind;   // DevicePeak's cache file
}
