package dev.kemu.api.registry;

/**
 * The requested address or port is outside the range, with the apiserver's text: {@code provided IP
 * is not in the valid range. The range of valid IPs is 10.96.0.0/12} ({@code
 * ipallocator.ErrNotInRange}) or {@code provided port is not in the valid range. The range of valid
 * ports is 30000-32767} ({@code portallocator.ErrNotInRange}).
 */
public final class NotInRangeException extends RuntimeException {
  private final String validRange;

  /**
   * An out-of-range request.
   *
   * @param what what was requested, {@code IP} or {@code port}
   * @param validRange the range that was valid, {@code 10.96.0.0/12} or {@code 30000-32767}
   */
  public NotInRangeException(String what, String validRange) {
    super(
        "provided "
            + what
            + " is not in the valid range. The range of valid "
            + what
            + "s is "
            + validRange);
    this.validRange = validRange;
  }

  /** The range that was valid. */
  public String validRange() {
    return validRange;
  }
}
