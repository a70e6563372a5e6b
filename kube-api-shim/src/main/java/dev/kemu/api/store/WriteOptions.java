package dev.kemu.api.store;

/**
 * Options of a create or update.
 *
 * @param dryRun validate, default and check allocations, then persist nothing ({@code dryRun=All})
 * @param fieldManager who makes the write ({@code fieldManager}), may be null
 */
public record WriteOptions(boolean dryRun, String fieldManager) {
  /** A plain write. */
  public static final WriteOptions DEFAULT = new WriteOptions(false, null);
}
