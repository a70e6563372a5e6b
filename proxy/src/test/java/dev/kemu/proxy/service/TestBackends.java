package dev.kemu.proxy.service;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.datagram.DatagramSocket;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

/**
 * Real servers that stand behind endpoints in tests, each on its own loopback address: a TCP server
 * that greets every connection with its name and then echoes, and a UDP server that answers every
 * datagram with its name and the payload. Both record the source address of what they receive.
 */
final class TestBackends implements AutoCloseable {
  private final Vertx vertx;
  private final List<NetServer> servers = new ArrayList<>();
  private final List<DatagramSocket> sockets = new ArrayList<>();
  private final List<java.net.ServerSocket> sinks = new ArrayList<>();

  TestBackends(Vertx vertx) {
    this.vertx = vertx;
  }

  /** A TCP backend on an ephemeral port. */
  Tcp tcp(String ip, String name) {
    return tcp(ip, name, 0);
  }

  /**
   * TCP backends on the same port of several addresses, as the endpoints of one EndpointSlice port
   * are. Names are {@code prefix-1}, {@code prefix-2}...
   */
  List<Tcp> tcpGroup(String prefix, String... ips) {
    for (int attempt = 0; ; attempt++) {
      List<Tcp> group = new ArrayList<>();
      try {
        int port = 0;
        for (int i = 0; i < ips.length; i++) {
          Tcp tcp = tcp(ips[i], prefix + "-" + (i + 1), port);
          port = tcp.port();
          group.add(tcp);
        }
        return group;
      } catch (IllegalStateException e) {
        if (attempt > 5) {
          throw e;
        }
      }
    }
  }

  /** UDP backends on the same port of several addresses. */
  List<Udp> udpGroup(String prefix, String... ips) {
    for (int attempt = 0; ; attempt++) {
      List<Udp> group = new ArrayList<>();
      try {
        int port = 0;
        for (int i = 0; i < ips.length; i++) {
          Udp udp = udp(ips[i], prefix + "-" + (i + 1), port);
          port = udp.port();
          group.add(udp);
        }
        return group;
      } catch (IllegalStateException e) {
        if (attempt > 5) {
          throw e;
        }
      }
    }
  }

  /** A TCP backend on a given port (0: ephemeral). */
  Tcp tcp(String ip, String name, int port) {
    ConcurrentLinkedQueue<String> sources = new ConcurrentLinkedQueue<>();
    NetServer server =
        vertx.createNetServer(new NetServerOptions().setHost(ip).setPort(port).setTcpNoDelay(true));
    server.connectHandler(
        socket -> {
          sources.add(socket.remoteAddress().host());
          socket.write(name + "\n");
          socket.handler(socket::write);
        });
    await(server.listen());
    servers.add(server);
    return new Tcp(ip, server.actualPort(), name, sources);
  }

  /** A UDP backend on an ephemeral port. */
  Udp udp(String ip, String name) {
    return udp(ip, name, 0);
  }

  /** A UDP backend on a given port (0: ephemeral). */
  Udp udp(String ip, String name, int port) {
    ConcurrentLinkedQueue<String> sources = new ConcurrentLinkedQueue<>();
    DatagramSocket socket = vertx.createDatagramSocket();
    socket.handler(
        packet -> {
          sources.add(packet.sender().host());
          socket.send(
              Buffer.buffer(name + ":").appendBuffer(packet.data()),
              packet.sender().port(),
              packet.sender().host());
        });
    await(socket.listen(port, ip));
    sockets.add(socket);
    return new Udp(ip, socket.localAddress().port(), name, sources);
  }

  record Tcp(String ip, int port, String name, ConcurrentLinkedQueue<String> sources) {}

  /**
   * A byte sink with plain blocking sockets: reads each connection to its end (the client's FIN),
   * then answers with the number of bytes it read, as a decimal line, and closes. It sees a
   * half-close only if the proxy forwards it.
   */
  Sink sink(String ip) {
    return sinkOn(ip, 0);
  }

  /** A sink on a given port (0: ephemeral). */
  Sink sinkOn(String ip, int port) {
    try {
      java.net.ServerSocket server = new java.net.ServerSocket();
      server.bind(new java.net.InetSocketAddress(ip, port));
      Thread acceptor =
          new Thread(
              () -> {
                while (!server.isClosed()) {
                  try {
                    java.net.Socket socket = server.accept();
                    Thread reader = new Thread(() -> drain(socket), "sink-" + ip);
                    reader.setDaemon(true);
                    reader.start();
                  } catch (java.io.IOException e) {
                    return;
                  }
                }
              },
              "sink-accept-" + ip);
      acceptor.setDaemon(true);
      acceptor.start();
      sinks.add(server);
      return new Sink(ip, server.getLocalPort());
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void drain(java.net.Socket socket) {
    try (socket) {
      byte[] buffer = new byte[256 * 1024];
      long total = 0;
      var in = socket.getInputStream();
      int n;
      while ((n = in.read(buffer)) >= 0) {
        total += n;
      }
      socket
          .getOutputStream()
          .write((total + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
      socket.getOutputStream().flush();
    } catch (java.io.IOException e) {
      // The client went away; nothing to answer.
    }
  }

  record Sink(String ip, int port) {}

  record Udp(String ip, int port, String name, ConcurrentLinkedQueue<String> sources) {}

  private static <T> T await(io.vertx.core.Future<T> future) {
    try {
      return future.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    servers.forEach(s -> await(s.close()));
    sockets.forEach(s -> await(s.close()));
    for (java.net.ServerSocket sink : sinks) {
      try {
        sink.close();
      } catch (java.io.IOException e) {
        // closing anyway
      }
    }
  }
}
