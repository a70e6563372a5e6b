package dev.kemu.api.store;

/**
 * Receives the events of one watch, in resourceVersion order, one call at a time. Mirrors the
 * consumer side of an apiserver watch.
 */
public interface WatchHandler {

  /** One change that matches the watch. */
  void onEvent(WatchEvent event);

  /**
   * Every change up to this resourceVersion has been delivered (a progress notification, like a
   * watch bookmark): the handler has seen the whole store state as of that version.
   */
  default void onProgress(long resourceVersion) {}

  /** The store closed the watch, for example because the watcher fell too far behind. */
  default void onClose(ApiException reason) {}
}
