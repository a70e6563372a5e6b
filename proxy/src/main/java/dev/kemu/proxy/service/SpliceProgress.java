package dev.kemu.proxy.service;

import io.netty.channel.epoll.AbstractEpollStreamChannel;
import java.lang.reflect.Field;
import java.util.Queue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How far the pending splice step of a channel got, so that the byte meters stay exact when a
 * spliced direction ends in the middle of a step. Netty does not expose it: its splice task keeps
 * the bytes it still has to move in a package-private field. This reads that field; if a Netty
 * version ever lacks it, the partial step (under 64 KiB per spliced direction) goes uncounted and
 * the proxy says so once.
 */
final class SpliceProgress {
  private static final Logger logger = LoggerFactory.getLogger(SpliceProgress.class);
  private static final Field QUEUE;
  private static final Field LENGTH;

  static {
    Field queue = null;
    Field length = null;
    try {
      queue = AbstractEpollStreamChannel.class.getDeclaredField("spliceQueue");
      queue.setAccessible(true);
      length =
          Class.forName("io.netty.channel.epoll.AbstractEpollStreamChannel$SpliceInTask")
              .getDeclaredField("len");
      length.setAccessible(true);
    } catch (ReflectiveOperationException | RuntimeException e) {
      logger.info(
          "service-proxy: the bytes of the last splice step of a connection are not counted"
              + " (this Netty version hides them: {})",
          e.toString());
      queue = null;
      length = null;
    }
    QUEUE = queue;
    LENGTH = length;
  }

  private SpliceProgress() {}

  /** The bytes the channel's pending splice step has moved so far (0 if none or unknown). */
  static int splicedInPendingStep(AbstractEpollStreamChannel channel, int step) {
    if (QUEUE == null) {
      return 0;
    }
    try {
      Queue<?> queue = (Queue<?>) QUEUE.get(channel);
      Object task = queue == null ? null : queue.peek();
      return task == null ? 0 : step - LENGTH.getInt(task);
    } catch (ReflectiveOperationException | RuntimeException e) {
      return 0;
    }
  }
}
