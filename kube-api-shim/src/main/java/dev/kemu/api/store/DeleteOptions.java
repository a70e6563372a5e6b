package dev.kemu.api.store;

/**
 * Options of a delete, as {@code metav1.DeleteOptions}.
 *
 * @param gracePeriodSeconds seconds the object may take to terminate; null for the kind's default
 *     (a Pod's {@code terminationGracePeriodSeconds}), 0 to remove it at once
 * @param preconditionUid the uid the object must have, or null
 * @param preconditionResourceVersion the resourceVersion the object must have, or null
 * @param propagationPolicy {@code Background} (the default), {@code Foreground} or {@code Orphan}
 * @param dryRun check the delete, persist nothing
 */
public record DeleteOptions(
    Long gracePeriodSeconds,
    String preconditionUid,
    String preconditionResourceVersion,
    String propagationPolicy,
    boolean dryRun) {

  /** A plain delete with default grace and background propagation. */
  public static final DeleteOptions DEFAULT = new DeleteOptions(null, null, null, null, false);

  /** Remove at once, with no grace period (what the kubelet sends once a pod has stopped). */
  public static final DeleteOptions NOW = new DeleteOptions(0L, null, null, null, false);
}
