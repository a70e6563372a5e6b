package dev.kemu.api.store;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * The side effects of one store write (allocations, mostly), undone if the write fails. Mirrors the
 * apiserver's allocation transactions ({@code pkg/registry/core/service/storage/alloc.go}): an IP
 * allocated for a Service whose write then fails is released.
 */
public final class Transaction {
  private final Deque<Runnable> rollbacks = new ArrayDeque<>();
  private final List<Runnable> commits = new ArrayList<>();
  private final boolean dryRun;

  Transaction(boolean dryRun) {
    this.dryRun = dryRun;
  }

  /** Whether the write is a dry run: everything is checked and then rolled back. */
  public boolean dryRun() {
    return dryRun;
  }

  /** Registers an action that undoes a side effect if the write does not happen. */
  public void onRollback(Runnable action) {
    rollbacks.push(action);
  }

  /** Registers an action to run only once the write has happened (e.g. releasing old values). */
  public void onCommit(Runnable action) {
    commits.add(action);
  }

  void commit() {
    commits.forEach(Runnable::run);
  }

  void rollback() {
    while (!rollbacks.isEmpty()) {
      rollbacks.pop().run();
    }
  }
}
