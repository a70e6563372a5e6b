package dev.kemu.api.registry;

import java.util.BitSet;

/**
 * Allocates NodePorts from a range, lowest free first from where the last one was given out, so
 * that the same order of writes always gives the same ports. Mirrors {@code
 * pkg/registry/core/service/portallocator.PortAllocator} ({@code Allocate}, {@code AllocateNext},
 * {@code Release}, {@code Has}) with its static band (KEP-3668): the lowest {@code min(max(16,
 * size/32), 128)} ports of the range are given out only on explicit request, or once the rest is
 * full, so a port pinned in a manifest never collides with one handed out earlier. Kubernetes picks
 * at random, kemu deterministically. Thread-safe.
 */
public final class NodePortAllocator {
  private final int base;
  private final int size;
  private final int first;
  private final BitSet used = new BitSet();
  private int cursor;

  /**
   * An allocator over {@code min..max}, inclusive, with the apiserver's static band.
   *
   * @param min the lowest port
   * @param max the highest port
   */
  public NodePortAllocator(int min, int max) {
    this(min, max, staticBand(max - min + 1));
  }

  /**
   * An allocator over {@code min..max}, inclusive.
   *
   * @param min the lowest port
   * @param max the highest port
   * @param reservedLow how many ports at the bottom of the range to keep for explicit requests
   */
  public NodePortAllocator(int min, int max, int reservedLow) {
    if (min < 1 || max > 65535 || max < min) {
      throw new IllegalArgumentException("invalid port range " + min + "-" + max);
    }
    this.base = min;
    this.size = max - min + 1;
    this.first = Math.max(0, Math.min(reservedLow, size - 1));
    this.cursor = first;
  }

  /**
   * The size of the static band the apiserver keeps at the low end of a NodePort range: {@code
   * min(max(16, size/32), 128)}, or none for ranges of 16 ports or fewer ({@code
   * portallocator.calculateRangeOffset}).
   */
  public static int staticBand(int size) {
    if (size <= 16) {
      return 0;
    }
    return Math.min(Math.max(16, size / 32), 128);
  }

  /** The range as the apiserver prints it, {@code 30000-32767}. */
  public String range() {
    return base + "-" + (base + size - 1);
  }

  /**
   * Allocates a specific port.
   *
   * @throws NotInRangeException if it is outside the range
   * @throws AlreadyAllocatedException if it is taken
   */
  public synchronized void allocate(int port) {
    int offset = port - base;
    if (offset < 0 || offset >= size) {
      throw new NotInRangeException(Integer.toString(port), range());
    }
    if (used.get(offset)) {
      throw new AlreadyAllocatedException(Integer.toString(port));
    }
    used.set(offset);
  }

  /**
   * Allocates the lowest free port at or after the last one given out, wrapping around; once that
   * part of the range is full, the lowest free port of the static band.
   *
   * @throws RangeFullException if none is free
   */
  public synchronized int allocateNext() {
    int span = size - first;
    for (int i = 0; i < span; i++) {
      int candidate = first + ((cursor - first + i) % span);
      if (!used.get(candidate)) {
        used.set(candidate);
        cursor = candidate + 1 >= size ? first : candidate + 1;
        return base + candidate;
      }
    }
    for (int candidate = 0; candidate < first; candidate++) {
      if (!used.get(candidate)) {
        used.set(candidate);
        return base + candidate;
      }
    }
    throw new RangeFullException(range());
  }

  /** Releases a port; releasing one not allocated or outside the range does nothing. */
  public synchronized void release(int port) {
    int offset = port - base;
    if (offset >= 0 && offset < size) {
      used.clear(offset);
    }
  }

  /**
   * Takes back a port allocated by a write that did not happen: releases it and, if it was the last
   * one {@link #allocateNext()} gave out, moves the cursor back, so a failed or dry-run write
   * leaves the allocator as it found it.
   */
  public synchronized void undo(int port) {
    int offset = port - base;
    if (offset < 0 || offset >= size) {
      return;
    }
    used.clear(offset);
    int next = offset + 1 >= size ? first : offset + 1;
    if (offset >= first && cursor == next) {
      cursor = offset;
    }
  }

  /** Whether a port is allocated. */
  public synchronized boolean has(int port) {
    int offset = port - base;
    return offset >= 0 && offset < size && used.get(offset);
  }

  /** How many ports are allocated. */
  public synchronized int allocated() {
    return used.cardinality();
  }
}
