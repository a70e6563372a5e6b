package dev.kemu.emulator.bench;

import dev.kemu.api.store.ResourceStore;
import dev.kemu.dns.DnsOptions;
import dev.kemu.emulator.Cluster;
import dev.kemu.emulator.Emulator;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * DNS programming latency, run by {@code scripts/bench/dns.sh}: the time from a store write to the
 * first DNS answer over UDP that shows it (kube-proxy's "network programming latency", for DNS).
 * kemu runs in-process with the benchmark zone loaded (10,000 Services); each sample creates a new
 * Service, or moves the endpoint of a headless Service to a new IP, and asks the cluster DNS in a
 * tight loop until the answer has the new address.
 *
 * <p>Usage: {@code DnsProgrammingLatency services.yaml [samples]}; prints one summary line {@code
 * samples=… p50_ms=… p90_ms=… p99_ms=… max_ms=…}.
 */
public final class DnsProgrammingLatency {
  private static final int WARMUP = 300;

  private DnsProgrammingLatency() {}

  public static void main(String[] args) throws Exception {
    int samples = args.length > 1 ? Integer.parseInt(args[1]) : 1000;
    try (Cluster cluster =
        Emulator.builder()
            .dnsOptions(
                DnsOptions.defaults()
                    .withPort(0)
                    .withServeClusterIp(false)
                    .withUpstreams(List.of()))
            .watchManifests(false)
            .start()) {
      List<HasMetadata> zone = new ArrayList<>();
      for (String name : List.of("default", "kube-system", "latency")) {
        if (cluster.get(io.fabric8.kubernetes.api.model.Namespace.class, null, name).isEmpty()) {
          zone.add(new NamespaceBuilder().withNewMetadata().withName(name).endMetadata().build());
        }
      }
      zone.addAll(BenchManifests.read(Path.of(args[0])));
      cluster.applyAll(zone);
      ResourceStore store = cluster.store();
      store.create(headless());
      InetSocketAddress dns = cluster.dnsAddress();
      System.out.printf(
          "zone loaded: %d objects; measuring %d writes (+%d warm-up) against %s%n",
          zone.size(), samples, WARMUP, dns);

      long[] latencies = new long[samples];
      try (DatagramSocket socket = new DatagramSocket()) {
        socket.setSoTimeout(100);
        for (int i = -WARMUP; i < samples; i++) {
          int n = i + WARMUP;
          String ip = "127.100." + (n / 250) + "." + (1 + n % 250);
          long started;
          String name;
          if (n % 2 == 0) {
            name = "svc-latency-" + n + ".latency.svc.cluster.local.";
            Service service = service("svc-latency-" + n, ip);
            started = System.nanoTime();
            store.create(service);
          } else {
            name = "db.latency.svc.cluster.local.";
            EndpointSlice slice = slice(ip);
            started = System.nanoTime();
            store.apply(slice);
          }
          awaitAnswer(socket, dns, name, ip);
          if (i >= 0) {
            latencies[i] = System.nanoTime() - started;
          }
        }
      }
      Arrays.sort(latencies);
      System.out.printf(
          "samples=%d p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f%n",
          samples,
          ms(latencies, 0.50),
          ms(latencies, 0.90),
          ms(latencies, 0.99),
          latencies[samples - 1] / 1e6);
    }
  }

  private static double ms(long[] sorted, double quantile) {
    int index = Math.min(sorted.length - 1, (int) Math.ceil(quantile * sorted.length) - 1);
    return sorted[Math.max(0, index)] / 1e6;
  }

  /**
   * Asks until the answer holds the address, 0.1 ms apart: a client spinning on the server's socket
   * would take the CPU the informer needs to apply the write (2 cores), and measure itself.
   */
  private static void awaitAnswer(
      DatagramSocket socket, InetSocketAddress dns, String name, String ip) throws Exception {
    Message query = Message.newQuery(Record.newRecord(Name.fromString(name), Type.A, DClass.IN));
    byte[] wire = query.toWire();
    byte[] buffer = new byte[4096];
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (System.nanoTime() < deadline) {
      socket.send(new DatagramPacket(wire, wire.length, dns));
      DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
      try {
        socket.receive(packet);
      } catch (SocketTimeoutException e) {
        continue;
      }
      Message answer = new Message(Arrays.copyOf(packet.getData(), packet.getLength()));
      if (answer.getHeader().getID() == query.getHeader().getID()
          && answer.getRcode() == Rcode.NOERROR) {
        for (Record record : answer.getSection(Section.ANSWER)) {
          if (record.rdataToString().equals(ip)) {
            return;
          }
        }
      }
      LockSupport.parkNanos(100_000);
    }
    throw new IllegalStateException(name + " did not answer " + ip + " within 10 s");
  }

  private static Service service(String name, String ip) {
    return new ServiceBuilder()
        .withNewMetadata()
        .withNamespace("latency")
        .withName(name)
        .endMetadata()
        .withNewSpec()
        .withClusterIP(ip)
        .addNewPort()
        .withName("http")
        .withPort(80)
        .endPort()
        .endSpec()
        .build();
  }

  private static Service headless() {
    Service service = service("db", "None");
    service.getSpec().setSelector(java.util.Map.of("app", "db"));
    return service;
  }

  private static EndpointSlice slice(String ip) {
    return new EndpointSliceBuilder()
        .withNewMetadata()
        .withNamespace("latency")
        .withName("db-bench")
        .addToLabels("kubernetes.io/service-name", "db")
        .endMetadata()
        .withAddressType("IPv4")
        .addNewPort()
        .withName("pg")
        .withPort(5432)
        .withProtocol("TCP")
        .endPort()
        .addNewEndpoint()
        .withAddresses(ip)
        .withNewConditions()
        .withReady(true)
        .endConditions()
        .endEndpoint()
        .build();
  }
}
