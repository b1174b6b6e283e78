package dev.triad;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.net.URISyntaxException;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * triad-core's module descriptor, as compiled: the public API exported, the JNI mapping not, and
 * nothing required beyond JavaCPP, OpenBLAS, Jackson and the SLF4J API (no CLI, chart or tokenizer
 * library, no logging backend).
 */
class ModuleDescriptorTest {
  /** The descriptor beside Triad.class (tests run on the class path, where other jars have theirs). */
  private static ModuleDescriptor core() throws IOException, URISyntaxException {
    Path where = Path.of(Triad.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    if (Files.isDirectory(where)) {
      try (InputStream in = Files.newInputStream(where.resolve("module-info.class"))) {
        return ModuleDescriptor.read(in);
      }
    }
    try (FileSystem jar = FileSystems.newFileSystem(where);
        InputStream in = Files.newInputStream(jar.getPath("module-info.class"))) {
      return ModuleDescriptor.read(in);
    }
  }

  @Test
  void exportsTheApiAndNotTheJniLayer() throws Exception {
    ModuleDescriptor d = core();
    assertEquals("dev.triad.core", d.name());
    Set<String> exported = new TreeSet<>();
    d.exports().forEach(e -> {
      assertFalse(e.isQualified(), "exported to everyone or not at all: " + e);
      exported.add(e.source());
    });
    assertEquals(Set.of("dev.triad", "dev.triad.tensor", "dev.triad.autograd", "dev.triad.nn", "dev.triad.optim",
        "dev.triad.io", "dev.triad.generate", "dev.triad.profile", "dev.triad.dist"), exported);
    assertTrue(d.opens().stream().noneMatch(o -> o.source().equals("dev.triad.nativ")));
  }

  @Test
  void requiresOnlyWhatTheCoreNeeds() throws Exception {
    Set<String> required = new TreeSet<>();
    core().requires().forEach(r -> required.add(r.name()));
    assertEquals(Set.of("java.base", "org.bytedeco.javacpp", "org.bytedeco.openblas", "com.fasterxml.jackson.databind",
        "org.slf4j"), required);
  }
}
