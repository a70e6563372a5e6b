package dev.kemu.api.registry;

/**
 * The requested address or port is taken, with the apiserver's text: {@code provided IP is already
 * allocated} ({@code ipallocator.ErrAllocated}) or {@code provided port is already allocated}
 * ({@code portallocator.ErrAllocated}).
 */
public final class AlreadyAllocatedException extends RuntimeException {
  /**
   * A request for a value in use.
   *
   * @param what what was requested, {@code IP} or {@code port}
   */
  public AlreadyAllocatedException(String what) {
    super("provided " + what + " is already allocated");
  }
}
