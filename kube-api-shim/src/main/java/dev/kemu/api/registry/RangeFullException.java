package dev.kemu.api.registry;

/** No address or port is free in a range ({@code ipallocator.ErrFull}). */
public final class RangeFullException extends RuntimeException {
  public RangeFullException(String range) {
    super("range is full: " + range);
  }
}
