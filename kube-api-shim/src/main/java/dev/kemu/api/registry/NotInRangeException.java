package dev.kemu.api.registry;

/** The requested address or port is outside the range ({@code ipallocator.ErrNotInRange}). */
public final class NotInRangeException extends RuntimeException {
  private final String validRange;

  public NotInRangeException(String value, String validRange) {
    super(
        "provided "
            + value
            + " is not in the valid range. The range of valid IPs is "
            + validRange);
    this.validRange = validRange;
  }

  /** The range that was valid. */
  public String validRange() {
    return validRange;
  }
}
