package dev.kemu.api.registry;

/**
 * The requested address or port is outside the range ({@code ipallocator.ErrNotInRange}: {@code the
 * provided IP (10.0.0.300) is not in the valid range. The range of valid IPs is 10.96.0.0/12};
 * {@code portallocator.ErrNotInRange}: {@code provided port is not in the valid range. The range of
 * valid ports is 30000-32767}).
 */
public final class NotInRangeException extends RuntimeException {
  private final String value;
  private final String validRange;

  /**
   * The error.
   *
   * @param value the address or port asked for; an IP literal gives the IP message, anything else
   *     the port message
   * @param validRange the valid range, as printed in the message
   */
  public NotInRangeException(String value, String validRange) {
    super(
        IpLiterals.parse(value) != null
            ? "the provided IP ("
                + value
                + ") is not in the valid range. The range of valid IPs is "
                + validRange
            : "provided port is not in the valid range. The range of valid ports is " + validRange);
    this.value = value;
    this.validRange = validRange;
  }

  /** The address or port asked for. */
  public String value() {
    return value;
  }

  /** The range that was valid. */
  public String validRange() {
    return validRange;
  }
}
