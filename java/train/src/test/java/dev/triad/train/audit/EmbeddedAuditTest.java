package dev.triad.train.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class EmbeddedAuditTest {
  @Test
  void embeddedData() {
    long t0 = System.nanoTime();
    AuditReport r = Audit.run(AuditInputs.embedded(AuditInputs.DEFAULT_SEED));
    System.out.println(r.table());
    System.out.printf("audit in %.2f s%n", (System.nanoTime() - t0) / 1e9);
    assertEquals(7, r.checks().size());
  }
}
