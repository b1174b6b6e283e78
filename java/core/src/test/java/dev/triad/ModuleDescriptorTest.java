package dev.triad;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * triad-core's module descriptor, as compiled: the public API exported, the JNI mapping not, and
 * nothing required beyond JavaCPP, OpenBLAS and Jackson (no CLI, chart or tokenizer library).
 */
class ModuleDescriptorTest {
  private static ModuleDescriptor core() throws IOException {
    try (InputStream in = Triad.class.getResourceAsStream("/module-info.class")) {
      return ModuleDescriptor.read(in);
    }
  }

  @Test
  void exportsTheApiAndNotTheJniLayer() throws IOException {
    ModuleDescriptor d = core();
    assertEquals("dev.triad.core", d.name());
    Set<String> exported = new TreeSet<>();
    d.exports().forEach(e -> {
      assertFalse(e.isQualified(), "exported to everyone or not at all: " + e);
      exported.add(e.source());
    });
    assertEquals(Set.of("dev.triad", "dev.triad.tensor", "dev.triad.autograd", "dev.triad.nn", "dev.triad.optim",
        "dev.triad.io", "dev.triad.generate", "dev.triad.profile"), exported);
    assertTrue(d.packages().contains("dev.triad.nativ"), "the JNI package is in the module, unexported");
    assertTrue(d.opens().stream().noneMatch(o -> o.source().equals("dev.triad.nativ")));
  }

  @Test
  void requiresOnlyWhatTheCoreNeeds() throws IOException {
    Set<String> required = new TreeSet<>();
    core().requires().forEach(r -> required.add(r.name()));
    assertEquals(Set.of("java.base", "org.bytedeco.javacpp", "org.bytedeco.openblas", "com.fasterxml.jackson.databind"),
        required);
  }
}
