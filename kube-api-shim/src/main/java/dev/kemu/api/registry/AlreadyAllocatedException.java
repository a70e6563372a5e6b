package dev.kemu.api.registry;

/** The requested address or port is taken ({@code ipallocator.ErrAllocated}). */
public final class AlreadyAllocatedException extends RuntimeException {
  public AlreadyAllocatedException(String value) {
    super("provided " + value + " is already allocated");
  }
}
