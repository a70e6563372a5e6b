package dev.kemu.api.registry;

/** No address or port is free in a range ({@code ipallocator.ErrFull}: {@code range is full}). */
public final class RangeFullException extends RuntimeException {
  private final String range;

  /**
   * A full range.
   *
   * @param range the range, for logs
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
