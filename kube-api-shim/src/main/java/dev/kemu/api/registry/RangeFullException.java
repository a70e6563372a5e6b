package dev.kemu.api.registry;

/**
 * No address or port is free in a range ({@code ipallocator.ErrFull}, {@code
 * portallocator.ErrFull}: {@code range is full}).
 */
public final class RangeFullException extends RuntimeException {
  private final String range;

  /**
   * The error.
   *
   * @param range the range that is full, for logs ({@link #range()}); the message is upstream's
   */
  public RangeFullException(String range) {
    super("range is full");
    this.range = range;
  }

  /** The range that is full. */
  public String range() {
    return range;
  }
}
