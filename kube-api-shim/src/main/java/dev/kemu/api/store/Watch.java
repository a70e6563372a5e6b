package dev.kemu.api.store;

/** A running watch on the store; closing it stops delivery. */
public interface Watch extends AutoCloseable {

  /** Stops the watch; events not yet delivered are dropped. */
  @Override
  void close();

  /** Whether the watch was closed, by its owner or by the store. */
  boolean isClosed();
}
