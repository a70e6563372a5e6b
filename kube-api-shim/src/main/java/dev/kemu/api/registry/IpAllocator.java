package dev.kemu.api.registry;

import java.math.BigInteger;
import java.net.InetAddress;
import java.util.BitSet;

/**
 * Allocates addresses from a prefix, lowest free first, so that the same order of writes always
 * gives the same addresses. Mirrors {@code pkg/registry/core/service/ipallocator.Interface} ({@code
 * Allocate}, {@code AllocateNext}, {@code Release}, {@code Has}); Kubernetes picks at random, kemu
 * deterministically. Thread-safe.
 *
 * <p>As the apiserver's allocator with a static band (KEP-3070), the lowest {@code reservedLow}
 * addresses are given out only when asked for by address, or once the rest of the range is full:
 * that keeps the addresses people pin ({@code kubernetes} at .1, {@code kube-dns} at .10) free.
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
   * @param reservedLow how many addresses after the network address to keep for explicit requests
   *     (they are handed out by {@link #allocateNext()} only when the rest is full)
   */
  public IpAllocator(Cidr range, int reservedLow) {
    this.range = range;
    long size = range.size().min(BigInteger.valueOf(1L << 30)).longValueExact();
    this.first = Math.min(1 + reservedLow, Math.max(1, size - 2));
    this.last = range.isIpv6() ? size - 1 : size - 2;
    this.cursor = first;
  }

  /**
   * The size of the static band the apiserver keeps at the low end of a service range: {@code
   * min(max(16, size/16), 256)}, or none for ranges of 16 addresses or fewer ({@code
   * ipallocator.calculateRangeOffset}).
   */
  public static int staticBand(Cidr range) {
    BigInteger size = range.size();
    if (size.compareTo(BigInteger.valueOf(16)) <= 0) {
      return 0;
    }
    BigInteger offset = size.divide(BigInteger.valueOf(16));
    return offset.max(BigInteger.valueOf(16)).min(BigInteger.valueOf(256)).intValueExact();
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
      throw new NotInRangeException("IP", range.toString());
    }
    if (used.get((int) offset)) {
      throw new AlreadyAllocatedException("IP");
    }
    used.set((int) offset);
  }

  /**
   * Allocates the lowest free address at or after the last one given out, wrapping around; once
   * that part of the range is full, the lowest free reserved address.
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
    for (long candidate = 1; candidate < first; candidate++) {
      if (!used.get((int) candidate)) {
        used.set((int) candidate);
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

  /**
   * Takes back an address allocated by a write that did not happen: releases it and, if it was the
   * last one {@link #allocateNext()} gave out, moves the cursor back, so a failed or dry-run write
   * leaves the allocator as it found it and the next write gets the same address.
   */
  public synchronized void undo(InetAddress address) {
    long offset = range.offsetOf(address);
    if (offset < 0 || offset > last) {
      return;
    }
    used.clear((int) offset);
    long next = offset + 1 > last ? first : offset + 1;
    if (offset >= first && cursor == next) {
      cursor = offset;
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
