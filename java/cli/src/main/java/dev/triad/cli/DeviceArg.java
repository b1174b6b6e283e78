package dev.triad.cli;

import dev.triad.tensor.Device;

/** The commands' reading of {@code --device cpu|cuda|auto}: a device this machine has. */
public final class DeviceArg {
  private DeviceArg() {}

  /** {@code value} as a device ("auto": the best available), refused with why when it is not available. */
  public static Device parseAvailable(String value) {
    Device d = Device.parse(value);
    if (!d.isAvailable()) {
      throw new IllegalArgumentException("--device " + value + ": " + d.unavailabilityCause());
    }
    return d;
  }
}
