package dev.kemu.api.informer;

import java.util.concurrent.CompletableFuture;

/**
 * A component that follows the store (a controller, the kubelet, a data-plane table) and can say
 * how far it has applied it. This is the read-your-writes seam: {@code Cluster.apply} returns once
 * every reader has applied the resourceVersion of the write (DESIGN: "nothing before sync,
 * read-your-writes after").
 */
public interface StoreReader extends AutoCloseable {

  /** A short name for messages, e.g. {@code endpointslice-controller}. */
  String name();

  /** Starts following the store; completes after the first sync. */
  CompletableFuture<Void> start();

  /** Completes once every change up to {@code resourceVersion} has been applied. */
  CompletableFuture<Void> whenApplied(long resourceVersion);

  /** The resourceVersion applied so far (-1 before the first sync). */
  long appliedVersion();

  /** Stops following the store and releases what the reader holds (sockets, threads). */
  @Override
  void close();
}
