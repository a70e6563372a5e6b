package dev.kemu.proxy.forward;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.ReferenceCountUtil;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.internal.net.NetSocketInternal;
import java.io.IOException;
import java.util.function.Consumer;

/**
 * One forwarded connection: the accepted client socket and, once dialed, the target socket, copied
 * both ways with backpressure and half-close. Every method but {@link #close()} runs on the event
 * loop both sockets share.
 */
final class Splice {
  private final Context context;
  private final NetSocketInternal client;
  private final Consumer<Splice> onClosed;
  private final Direction upstream;
  private NetSocketInternal target;
  private Direction downstream;
  private boolean clientReset;
  private boolean targetReset;
  private boolean closed;

  Splice(Context context, NetSocketInternal client, Consumer<Splice> onClosed) {
    this.context = context;
    this.client = client;
    this.onClosed = onClosed;
    allowHalfClosure(client);
    this.upstream = new Direction(client);
    client.messageHandler(upstream::onMessage);
    client.eventHandler(upstream::onEvent);
    // Nothing is read from the client until the target is connected. (Pause after installing the
    // message handler: with it, pausing holds bytes in the connection itself.)
    upstream.pause();
    client.exceptionHandler(e -> clientReset |= e instanceof IOException);
    client.closeHandler(ignored -> onSocketClosed(true));
  }

  /** The target is connected: start copying. */
  void attach(NetSocketInternal dialed) {
    if (closed) {
      dialed.close();
      return;
    }
    this.target = dialed;
    allowHalfClosure(dialed);
    this.downstream = new Direction(dialed);
    downstream.to = client;
    upstream.to = dialed;
    dialed.messageHandler(downstream::onMessage);
    dialed.eventHandler(downstream::onEvent);
    dialed.exceptionHandler(e -> targetReset |= e instanceof IOException);
    dialed.closeHandler(ignored -> onSocketClosed(false));
    client.drainHandler(ignored -> downstream.onDrain());
    dialed.drainHandler(ignored -> upstream.onDrain());
    upstream.resume();
  }

  /** No target could be chosen or dialed: reset the client. */
  void refuse() {
    reset(client);
    finish();
  }

  /** Closes both sides (from any thread); completes once done. */
  Future<Void> close() {
    Promise<Void> done = Promise.promise();
    context.runOnContext(
        ignored -> {
          if (!closed) {
            finish();
            client.close();
            if (target != null) {
              target.close();
            }
          }
          done.complete();
        });
    return done.future();
  }

  private void onSocketClosed(boolean clientSide) {
    if (closed) {
      return;
    }
    NetSocketInternal other = clientSide ? target : client;
    boolean reset = clientSide ? clientReset : targetReset;
    finish();
    if (other == null) {
      return;
    }
    if (reset) {
      reset(other);
      return;
    }
    // Bytes the closed side sent before closing still go out, then the other side closes.
    Direction from = clientSide ? upstream : downstream;
    from.lastWrite.onComplete(ignored -> other.close());
  }

  private void bothDirectionsDone() {
    if (upstream.finished && downstream != null && downstream.finished) {
      finish();
      client.close();
      target.close();
    }
  }

  private void finish() {
    if (!closed) {
      closed = true;
      onClosed.accept(this);
    }
  }

  private static void allowHalfClosure(NetSocketInternal socket) {
    socket
        .channelHandlerContext()
        .channel()
        .config()
        .setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
  }

  private static void reset(NetSocketInternal socket) {
    // SO_LINGER 0: close() sends RST instead of FIN.
    socket.channelHandlerContext().channel().config().setOption(ChannelOption.SO_LINGER, 0);
    socket.close();
  }

  /** Bytes read from one socket, written to the other. */
  private final class Direction {
    private final NetSocketInternal from;
    private NetSocketInternal to;
    private boolean paused;
    private boolean endOfInput;
    private boolean finished;
    private Future<Void> lastWrite = Future.succeededFuture();

    Direction(NetSocketInternal from) {
      this.from = from;
    }

    void onMessage(Object message) {
      if (!(message instanceof ByteBuf) || to == null || closed) {
        ReferenceCountUtil.release(message);
        return;
      }
      lastWrite = to.writeMessage(message);
      if (to.writeQueueFull() && !paused) {
        pause();
      }
    }

    void onDrain() {
      if (paused) {
        // Resume outside the drain callback: it can fire in the middle of a read of this socket.
        context.runOnContext(ignored -> resume());
      }
    }

    void pause() {
      paused = true;
      from.pause();
    }

    void resume() {
      if (!paused) {
        return;
      }
      paused = false;
      // Delivers what was read while paused, unless the peer fills up again.
      from.resume();
      if (endOfInput && !paused) {
        propagateEnd();
      }
    }

    void onEvent(Object event) {
      if (event instanceof ChannelInputShutdownEvent) {
        endOfInput = true;
        // While paused, Vert.x still holds bytes read before the FIN: pass them on first.
        if (!paused) {
          propagateEnd();
        }
      } else {
        ReferenceCountUtil.release(event);
      }
    }

    private void propagateEnd() {
      if (finished || to == null) {
        return;
      }
      finished = true;
      NetSocketInternal destination = to;
      lastWrite.onComplete(
          written -> {
            if (written.failed()) {
              close();
              return;
            }
            Channel channel = destination.channelHandlerContext().channel();
            if (channel instanceof DuplexChannel duplex && channel.isActive()) {
              duplex.shutdownOutput().addListener(shut -> context.runOnContext(v -> bothDone()));
            } else {
              bothDone();
            }
          });
    }

    private void bothDone() {
      bothDirectionsDone();
    }
  }
}
