package dev.triad.profile;

/**
 * The memory check every training phase makes before it allocates its models: refuses a run whose
 * {@link MemoryPlan} does not fit the device, with the plan's table. Arithmetic and one read of the
 * device's free memory: nothing is allocated. {@code --no-plan-check} turns it off.
 */
public final class PlanCheck {
  private static volatile boolean disabled;

  private PlanCheck() {}

  /** Skip the check from now on (the CLI's --no-plan-check). */
  public static void disable() {
    disabled = true;
  }

  /** Check again (tests). */
  public static void enable() {
    disabled = false;
  }

  public static boolean isEnabled() {
    return !disabled;
  }

  /** Refusal of a run that would not fit; its message holds the plan's table. */
  public static final class DoesNotFitException extends IllegalStateException {
    private final MemoryPlan plan;

    DoesNotFitException(String message, MemoryPlan plan) {
      super(message);
      this.plan = plan;
    }

    public MemoryPlan plan() {
      return plan;
    }
  }

  private static String batchOption(MemoryPlan.Phase phase) {
    return phase == MemoryPlan.Phase.GRPO ? "--prompts" : "--batch";
  }

  /** Throws {@link DoesNotFitException} when the plan of {@code spec} exceeds the device's available memory. */
  public static void require(MemoryPlan.Spec spec) {
    if (disabled) {
      return;
    }
    require(spec, DeviceMemory.available(spec.device()));
  }

  /** As above against {@code available} bytes (negative: unknown, which passes). */
  public static void require(MemoryPlan.Spec spec, long available) {
    if (disabled || available < 0) {
      return;
    }
    MemoryPlan plan = MemoryPlan.of(spec);
    if (plan.peakBytes() <= available) {
      return;
    }
    int largest = plan.largestBatch(available);
    throw new DoesNotFitException("memory plan: this " + spec.phase() + " run needs " + MemoryPlan.human(plan.peakBytes())
        + " but " + MemoryPlan.human(available) + " is available on " + spec.device() + " ("
        + (largest > 0 ? batchOption(spec.phase()) + " " + largest + " would fit" : "no batch fits") + "; --no-plan-check runs anyway)"
        + System.lineSeparator() + plan.table(available), plan);
  }
}
