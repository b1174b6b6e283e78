package dev.triad.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.triad.testing.MpiRun;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The collectives across real processes: {@link CollectivesMain} as 2 and 3 Open MPI ranks on the
 * CPU, each checking every collective (f32 and bf16) against the float64 result on fresh data,
 * bad arguments refused alike on every rank, and the JVM's null checks working with MPI started.
 */
class CommunicatorMpiTest {
  @ParameterizedTest
  @ValueSource(ints = {2, 3})
  void everyCollectiveOnEveryRank(int ranks) throws Exception {
    MpiRun.Result r = MpiRun.run(MpiRun.command(ranks, CollectivesMain.class.getName(), List.of(), List.of("cpu")),
        null, 120, null);
    assertEquals(0, r.exitCode(), r.output());
    for (int rank = 0; rank < ranks; rank++) {
      assertTrue(r.output().contains("rank " + rank + " of " + ranks + ": ok (mpi"), r.output());
    }
  }
}
