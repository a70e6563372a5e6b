package dev.kemu.api.store;

import dev.kemu.api.model.ResourceType;
import java.util.Set;
import java.util.concurrent.Executor;

/**
 * What a watch follows and from where.
 *
 * @param types the resource types to follow; empty follows every type
 * @param selection namespace and selectors applied to every event
 * @param resourceVersion deliver changes after this version (older than the history kept: {@link
 *     ApiException.Gone}; newer than the store: changes after it once they happen); {@code 0} means
 *     "any version" and starts with the current state as ADDED events, as the watch cache does;
 *     null to start from now
 * @param initialEvents first deliver the current state as ADDED events (an informer's list, or
 *     {@code sendInitialEvents=true}), atomically with the start of the watch
 * @param executor where the handler runs; one call at a time, in order
 * @param maxQueued how many undelivered events a slow watcher may have before the store closes its
 *     watch (as the apiserver drops watchers that do not keep up)
 */
public record WatchOptions(
    Set<ResourceType> types,
    ListOptions selection,
    Long resourceVersion,
    boolean initialEvents,
    Executor executor,
    int maxQueued) {

  public WatchOptions {
    types = Set.copyOf(types);
    selection = selection == null ? ListOptions.all() : selection;
  }

  /** An informer-style watch: current state first, then every change, on the given executor. */
  public static WatchOptions informer(Set<ResourceType> types, Executor executor) {
    return new WatchOptions(types, ListOptions.all(), null, true, executor, Integer.MAX_VALUE);
  }
}
