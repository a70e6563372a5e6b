package dev.kemu.api.informer;

import java.util.List;

/**
 * What an {@link Informer} calls after each batch of changes, on the informer's thread. When it
 * returns, the reader counts as having applied the batch: a controller has written what it derives,
 * a data-plane reader has swapped its table.
 */
@FunctionalInterface
public interface SyncHandler {

  /**
   * Applies a batch of changes. The listers already hold the new state.
   *
   * @param changes the changes since the last sync, oldest first; empty on a resync
   */
  void sync(List<ObjectChange> changes);
}
