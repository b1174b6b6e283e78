package dev.triad.profile;

import java.util.function.UnaryOperator;

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
    private static final long serialVersionUID = 1L;
    private final transient MemoryPlan plan;
    private final transient MemoryPlan.Spec spec;
    private final long available;

    DoesNotFitException(MemoryPlan.Spec spec, MemoryPlan plan, long available) {
      super(describe(spec, plan, available, name -> name.equals("planCheck") ? "PlanCheck.disable()" : name));
      this.spec = spec;
      this.plan = plan;
      this.available = available;
    }

    public MemoryPlan plan() {
      return plan;
    }

    /** The message with the options spelled by {@code optionName} (API name -> a front end's: "batch" -> "--batch"). */
    public String describe(UnaryOperator<String> optionName) {
      return describe(spec, plan, available, optionName);
    }

    private static String describe(MemoryPlan.Spec spec, MemoryPlan plan, long available,
        UnaryOperator<String> optionName) {
      int largest = plan.largestBatch(available);
      String batch = optionName.apply(spec.phase() == MemoryPlan.Phase.GRPO ? "prompts" : "batch");
      return "memory plan: this " + spec.phase() + " run needs " + MemoryPlan.human(plan.peakBytes()) + " but "
          + MemoryPlan.human(available) + " is available on " + spec.device() + " ("
          + (largest > 0 ? batch + " " + largest + " would fit" : "no batch fits") + "; "
          + optionName.apply("planCheck") + " runs anyway)" + System.lineSeparator() + plan.table(available);
    }
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
    throw new DoesNotFitException(spec, plan, available);
  }
}
