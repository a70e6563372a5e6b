package dev.kemu.api.patch;

/**
 * The query parameters of a PATCH that matter to the patch itself ({@code metav1.PatchOptions}).
 *
 * @param fieldManager the {@code fieldManager} parameter; required for apply patches
 * @param force the {@code force} parameter; only allowed for apply patches
 * @param subresource {@code status} when patching the status subresource, otherwise null
 */
public record PatchOptions(String fieldManager, Boolean force, String subresource) {

  /** Options of a plain patch without field manager. */
  public static PatchOptions none() {
    return new PatchOptions(null, null, null);
  }

  /** Options of an apply by {@code fieldManager}. */
  public static PatchOptions apply(String fieldManager, boolean force) {
    return new PatchOptions(fieldManager, force, null);
  }
}
