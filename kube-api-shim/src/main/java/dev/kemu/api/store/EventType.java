package dev.kemu.api.store;

/** The type of a watch event, as {@code watch.EventType}. */
public enum EventType {
  ADDED,
  MODIFIED,
  DELETED,
  BOOKMARK,
  ERROR
}
