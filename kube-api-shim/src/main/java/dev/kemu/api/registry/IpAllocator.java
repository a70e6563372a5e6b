package dev.kemu.api.registry;

import java.net.InetAddress;
import java.util.BitSet;

/**
 * Allocates addresses from a prefix, lowest free first, so that the same order of writes always
 * gives the same addresses. Mirrors {@code pkg/registry/core/service/ipallocator.Interface} ({@code
 * Allocate}, {@code AllocateNext}, {@code Release}, {@code Has}); Kubernetes picks at random, kemu
 * deterministically. Thread-safe.
 */
public final class IpAllocator {
  private final Cidr range;
  private final long first;
  private final long last;
  private final BitSet used = new BitSet();
  private long cursor;

  /**
   * An allocator over a prefix, skipping its network address (offset 0) and, for IPv4, its
   * broadcast address, as the apiserver does.
   *
   * @param range the prefix
   * @param reservedLow how many addresses after the network address to skip (they are reserved for
   *     explicit requests, like {@code kubernetes} at .1 and {@code kube-dns} at .10)
   */
  public IpAllocator(Cidr range, int reservedLow) {
    this.range = range;
    long size = range.size().min(java.math.BigInteger.valueOf(1L << 30)).longValueExact();
    this.first = Math.min(1 + reservedLow, Math.max(1, size - 2));
    this.last = range.isIpv6() ? size - 1 : size - 2;
    this.cursor = first;
  }

  /** The prefix. */
  public Cidr range() {
    return range;
  }

  /**
   * Allocates a specific address.
   *
   * @throws NotInRangeException if it is outside the prefix
   * @throws AlreadyAllocatedException if it is taken
   */
  public synchronized void allocate(InetAddress address) {
    long offset = range.offsetOf(address);
    if (offset < 1 || offset > last) {
      throw new NotInRangeException(IpLiterals.format(address), range.toString());
    }
    if (used.get((int) offset)) {
      throw new AlreadyAllocatedException(IpLiterals.format(address));
    }
    used.set((int) offset);
  }

  /**
   * Allocates the lowest free address at or after the last one given out, wrapping around.
   *
   * @throws RangeFullException if none is free
   */
  public synchronized InetAddress allocateNext() {
    long span = last - first + 1;
    for (long i = 0; i < span; i++) {
      long candidate = first + ((cursor - first + i) % span);
      if (!used.get((int) candidate)) {
        used.set((int) candidate);
        cursor = candidate + 1 > last ? first : candidate + 1;
        return range.address(candidate);
      }
    }
    throw new RangeFullException(range.toString());
  }

  /** Releases an address; releasing one not allocated does nothing. */
  public synchronized void release(InetAddress address) {
    long offset = range.offsetOf(address);
    if (offset >= 0 && offset <= last) {
      used.clear((int) offset);
    }
  }

  /** Whether an address is allocated. */
  public synchronized boolean has(InetAddress address) {
    long offset = range.offsetOf(address);
    return offset >= 0 && offset <= last && used.get((int) offset);
  }

  /** How many addresses are allocated. */
  public synchronized int allocated() {
    return used.cardinality();
  }
}
