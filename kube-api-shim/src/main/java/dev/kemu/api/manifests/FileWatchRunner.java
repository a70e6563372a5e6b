package dev.kemu.api.manifests;

import static java.nio.file.StandardWatchEventKinds.ENTRY_CREATE;
import static java.nio.file.StandardWatchEventKinds.ENTRY_DELETE;
import static java.nio.file.StandardWatchEventKinds.ENTRY_MODIFY;
import static java.nio.file.StandardWatchEventKinds.OVERFLOW;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches directories for changes on a daemon thread of its own and hands over bursts of changed
 * paths, as Traefik's file provider does with fsnotify: every directory of a tree is watched (new
 * subdirectories too), and events are collected until none has come for the debounce interval,
 * since editors write a file in several steps (truncate, write, rename, chmod).
 */
final class FileWatchRunner implements AutoCloseable {
  private static final Logger logger = LoggerFactory.getLogger(FileWatchRunner.class);

  /** Receives each burst of changes. */
  interface ChangeHandler {
    /**
     * @param paths the paths that changed (files or directories, created, written or deleted)
     * @param overflow whether events were lost, so that everything must be looked at again
     */
    void changed(Set<Path> paths, boolean overflow);
  }

  private record Registration(Path directory, boolean recursive) {}

  private final WatchService service;
  private final Duration debounce;
  private final Duration maxDelay;
  private final ChangeHandler handler;
  private final Map<WatchKey, Registration> registrations = new ConcurrentHashMap<>();
  private final Thread thread;
  private volatile boolean closed;

  /**
   * A runner; nothing is watched until {@link #watchTree} or {@link #watchDirectory} is called.
   *
   * @param fileSystem the file system of the watched paths
   * @param name the thread name
   * @param debounce how long to wait for more events after one
   * @param handler receives the bursts, on the runner's thread
   */
  FileWatchRunner(FileSystem fileSystem, String name, Duration debounce, ChangeHandler handler)
      throws IOException {
    this.service = fileSystem.newWatchService();
    this.debounce = debounce;
    // A stream of writes that never pauses must still be applied now and then.
    this.maxDelay = debounce.multipliedBy(5);
    this.handler = handler;
    this.thread = new Thread(this::run, name);
    this.thread.setDaemon(true);
  }

  /** Watches a directory and, recursively, every subdirectory that is not hidden. */
  void watchTree(Path directory) throws IOException {
    register(directory, true);
    try (DirectoryStream<Path> children = Files.newDirectoryStream(directory)) {
      for (Path child : children) {
        if (Files.isDirectory(child, LinkOption.NOFOLLOW_LINKS) && !isHidden(child)) {
          watchTree(child);
        }
      }
    }
  }

  /** Watches one directory, not its subdirectories (for a file given by name). */
  void watchDirectory(Path directory) throws IOException {
    register(directory, false);
  }

  private void register(Path directory, boolean recursive) throws IOException {
    WatchKey key = directory.register(service, ENTRY_CREATE, ENTRY_MODIFY, ENTRY_DELETE);
    registrations.merge(
        key,
        new Registration(directory, recursive),
        (a, b) -> new Registration(a.directory(), a.recursive() || b.recursive()));
  }

  void start() {
    thread.start();
  }

  /** Whether the thread is still watching. */
  boolean isRunning() {
    return thread.isAlive();
  }

  private void run() {
    try {
      while (!closed) {
        WatchKey first = service.take();
        Set<Path> paths = new LinkedHashSet<>();
        boolean overflow = drain(first, paths);
        long deadline = System.nanoTime() + maxDelay.toNanos();
        while (true) {
          long wait = Math.min(debounce.toNanos(), deadline - System.nanoTime());
          if (wait <= 0) {
            break;
          }
          WatchKey next = service.poll(wait, TimeUnit.NANOSECONDS);
          if (next == null) {
            break;
          }
          overflow |= drain(next, paths);
        }
        if (closed) {
          return;
        }
        try {
          handler.changed(paths, overflow);
        } catch (RuntimeException e) {
          logger.error("applying changed manifests failed; still watching", e);
        }
      }
    } catch (ClosedWatchServiceException | InterruptedException e) {
      // closed
    }
  }

  /** Collects the events of a key; true if some were lost. */
  private boolean drain(WatchKey key, Set<Path> paths) {
    Registration registration = registrations.get(key);
    boolean overflow = false;
    for (WatchEvent<?> event : key.pollEvents()) {
      if (event.kind() == OVERFLOW || registration == null) {
        overflow = true;
        continue;
      }
      Path child = registration.directory().resolve((Path) event.context());
      paths.add(child);
      if (event.kind() == ENTRY_CREATE
          && registration.recursive()
          && !isHidden(child)
          && Files.isDirectory(child, LinkOption.NOFOLLOW_LINKS)) {
        try {
          watchTree(child);
        } catch (IOException e) {
          logger.warn(
              "cannot watch new directory {}: {}; its files are applied once", child, e.toString());
        }
      }
    }
    if (!key.reset()) {
      registrations.remove(key);
      if (registration != null) {
        logger.debug("stopped watching {}: it is gone", registration.directory());
      }
    }
    return overflow;
  }

  static boolean isHidden(Path path) {
    Path name = path.getFileName();
    return name != null && name.toString().startsWith(".");
  }

  @Override
  public void close() {
    closed = true;
    try {
      service.close();
    } catch (IOException e) {
      logger.debug("closing the watch service failed", e);
    }
    if (Thread.currentThread() != thread && thread.isAlive()) {
      try {
        // The handler may be applying a burst: wait for it so nothing is written after close.
        thread.join(TimeUnit.SECONDS.toMillis(5));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
