package dev.kemu.proxy.service;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The traffic meters of one Service port, all tagged {@code service_port="ns/name:port"} and {@code
 * protocol}: connections (UDP: client sessions), the ones open now, bytes each way, errors and
 * failed dials. Prometheus names: {@code kemu_service_connections_total}, {@code
 * kemu_service_active_connections}, {@code kemu_service_bytes_total{direction="to_endpoint"|
 * "to_client"}}, {@code kemu_service_errors_total}, {@code kemu_service_dial_failures_total},
 * {@code kemu_service_dropped_total}.
 */
final class ServicePortMetrics {
  final Counter connections;
  final AtomicInteger active = new AtomicInteger();
  final Counter bytesToEndpoint;
  final Counter bytesToClient;
  final Counter errors;
  final Counter dialFailures;
  final Counter dropped;
  private final List<Meter> meters;
  private final MeterRegistry registry;

  ServicePortMetrics(MeterRegistry registry, ServicePortName name) {
    this.registry = registry;
    Tags tags = Tags.of("service_port", name.toString(), "protocol", name.protocol());
    connections =
        Counter.builder("kemu.service.connections")
            .description(
                "Connections (UDP: client sessions) accepted on the Service port's portals")
            .tags(tags)
            .register(registry);
    Gauge activeGauge =
        Gauge.builder("kemu.service.active.connections", active, AtomicInteger::get)
            .description("Connections (UDP: client sessions) open now")
            .tags(tags)
            .register(registry);
    bytesToEndpoint =
        Counter.builder("kemu.service.bytes")
            .description("Bytes forwarded")
            .tags(tags.and("direction", "to_endpoint"))
            .baseUnit("bytes")
            .register(registry);
    bytesToClient =
        Counter.builder("kemu.service.bytes")
            .description("Bytes forwarded")
            .tags(tags.and("direction", "to_client"))
            .baseUnit("bytes")
            .register(registry);
    errors =
        Counter.builder("kemu.service.errors")
            .description(
                "Connections that failed: no endpoint could be reached, or an I/O error ended them")
            .tags(tags)
            .register(registry);
    dialFailures =
        Counter.builder("kemu.service.dial.failures")
            .description("Failed connection attempts to an endpoint (each moves to the next one)")
            .tags(tags)
            .register(registry);
    dropped =
        Counter.builder("kemu.service.dropped")
            .description(
                "Connections or datagrams dropped as kube-proxy drops them (no local endpoint,"
                    + " source outside loadBalancerSourceRanges)")
            .tags(tags)
            .register(registry);
    meters =
        List.of(
            connections,
            activeGauge,
            bytesToEndpoint,
            bytesToClient,
            errors,
            dialFailures,
            dropped);
  }

  /** Removes the meters: the Service port is gone. */
  void remove() {
    meters.forEach(registry::remove);
  }
}
