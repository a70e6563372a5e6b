package dev.kemu.api.registry;

import java.math.BigInteger;
import java.net.InetAddress;
import java.util.BitSet;

/**
 * Allocates addresses from a prefix so that the same order of writes always gives the same
 * addresses. Mirrors {@code pkg/registry/core/service/ipallocator.Interface} ({@code Allocate},
 * {@code AllocateNext}, {@code Release}, {@code Has}) and its range rules: the network address is
 * never handed out, nor, for IPv4, the broadcast address. Kubernetes picks at random; kemu hands
 * out the lowest free address at or after the one after the last it gave, wrapping around to the
 * start of the dynamic range, so that a released address is not reused at once. Thread-safe.
 */
public final class IpAllocator {
  /** At most this many addresses of a (large IPv6) prefix are used, as upstream caps big ranges. */
  private static final long MAX_SIZE = 1L << 30;

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
   * @param reservedLow how many addresses after the network address {@link #allocateNext} hands out
   *     only once the rest is full (they are meant for {@link #allocate}: {@code kubernetes} at .1,
   *     {@code kube-dns} at .10); if that leaves nothing, the dynamic range starts at the last
   *     usable address
   */
  public IpAllocator(Cidr range, int reservedLow) {
    this.range = range;
    long size = range.size().min(BigInteger.valueOf(MAX_SIZE)).longValueExact();
    this.last = range.isIpv6() ? size - 1 : size - 2;
    this.first = Math.max(1, Math.min(1L + Math.max(0, reservedLow), last));
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
   * @throws NotInRangeException if it is outside the prefix, the network or the broadcast address
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
   * Allocates the lowest free address at or after the cursor (the address after the last one given
   * out), wrapping around to the start of the dynamic range, and only when that is full the lowest
   * free reserved address.
   *
   * @throws RangeFullException if none is free
   */
  public synchronized InetAddress allocateNext() {
    if (last < first) {
      throw new RangeFullException(range.toString());
    }
    long candidate = used.nextClearBit((int) cursor);
    if (candidate > last) {
      candidate = used.nextClearBit((int) first);
      if (candidate >= cursor || candidate > last) {
        // The dynamic range is full: fall back to the reserved low band, as the apiserver's
        // allocator falls back from its upper band (KEP-3070).
        long low = used.nextClearBit(1);
        if (low >= first) {
          throw new RangeFullException(range.toString());
        }
        used.set((int) low);
        return range.address(low);
      }
    }
    used.set((int) candidate);
    cursor = candidate + 1 > last ? first : candidate + 1;
    return range.address(candidate);
  }

  /** Releases an address; releasing one not allocated (or outside the range) does nothing. */
  public synchronized void release(InetAddress address) {
    long offset = range.offsetOf(address);
    if (offset >= 1 && offset <= last) {
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
    return offset >= 1 && offset <= last && used.get((int) offset);
  }

  /** How many addresses are allocated. */
  public synchronized int allocated() {
    return used.cardinality();
  }

  /** How many addresses the range can hand out, dynamic and reserved together. */
  public long capacity() {
    return Math.max(0, last);
  }
}
