package dev.kemu.api.registry;

/**
 * The requested address or port is taken ({@code ipallocator.ErrAllocated}: {@code provided IP is
 * already allocated}; {@code portallocator.ErrAllocated}: {@code provided port is already
 * allocated}).
 */
public final class AlreadyAllocatedException extends RuntimeException {
  private final String value;

  /**
   * The error.
   *
   * @param value the address or port asked for; an IP literal gives the IP message, anything else
   *     the port message
   */
  public AlreadyAllocatedException(String value) {
    super(
        "provided " + (IpLiterals.parse(value) != null ? "IP" : "port") + " is already allocated");
    this.value = value;
  }

  /** The address or port asked for. */
  public String value() {
    return value;
  }
}
