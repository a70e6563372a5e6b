package dev.kemu.emulator.runtime;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.HTTPHeader;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Probe;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * A readiness probe with the API defaults applied ({@code SetDefaults_Probe}, {@code
 * SetDefaults_HTTPGetAction}: timeout 1s, period 10s, success threshold 1, failure threshold 3,
 * path {@code /}, scheme HTTP) and its port resolved against the container ({@code
 * probe.ResolveContainerPort}).
 *
 * @param kind how to probe
 * @param host the address to probe (the pod IP unless {@code httpGet.host} says otherwise)
 * @param port the resolved port, or -1 when it could not be resolved
 * @param portError why the port could not be resolved, or null
 * @param scheme {@code HTTP} or {@code HTTPS}
 * @param path the request path (with its query)
 * @param headers the request headers
 * @param initialDelaySeconds seconds after the container starts before the first probe
 * @param periodSeconds seconds between probes
 * @param timeoutSeconds seconds before a probe counts as failed
 * @param successThreshold consecutive successes to become ready
 * @param failureThreshold consecutive failures to become unready
 */
record ProbeSpec(
    Kind kind,
    String host,
    int port,
    String portError,
    String scheme,
    String path,
    List<HTTPHeader> headers,
    int initialDelaySeconds,
    int periodSeconds,
    int timeoutSeconds,
    int successThreshold,
    int failureThreshold) {

  /** The probe handlers kemu runs. */
  enum Kind {
    HTTP_GET,
    TCP_SOCKET
  }

  /**
   * Why kemu does not run a probe (exec, gRPC), or null if it does.
   *
   * @param probe a container's readiness probe
   */
  static String unsupported(Probe probe) {
    if (probe.getHttpGet() != null || probe.getTcpSocket() != null) {
      return null;
    }
    if (probe.getExec() != null) {
      return "exec probes are not run: kemu cannot execute commands in a container";
    }
    if (probe.getGrpc() != null) {
      return "grpc probes are not run by kemu";
    }
    return "the probe has no handler";
  }

  /** The probe of a container at the pod IP; the probe must be supported. */
  static ProbeSpec of(Probe probe, Container container, String podIp) {
    int period = positive(probe.getPeriodSeconds(), 10);
    int timeout = positive(probe.getTimeoutSeconds(), 1);
    int success = positive(probe.getSuccessThreshold(), 1);
    int failure = positive(probe.getFailureThreshold(), 3);
    int delay = Math.max(0, Objects.requireNonNullElse(probe.getInitialDelaySeconds(), 0));
    if (probe.getHttpGet() != null) {
      var get = probe.getHttpGet();
      Resolved port = resolvePort(get.getPort(), container);
      String host = get.getHost() == null || get.getHost().isEmpty() ? podIp : get.getHost();
      String scheme =
          get.getScheme() == null || get.getScheme().isEmpty()
              ? "HTTP"
              : get.getScheme().toUpperCase(Locale.ROOT);
      String path = get.getPath() == null || get.getPath().isEmpty() ? "/" : get.getPath();
      if (!path.startsWith("/")) {
        path = "/" + path;
      }
      return new ProbeSpec(
          Kind.HTTP_GET,
          host,
          port.port,
          port.error,
          scheme,
          path,
          get.getHttpHeaders() == null ? List.of() : List.copyOf(get.getHttpHeaders()),
          delay,
          period,
          timeout,
          success,
          failure);
    }
    var tcp = probe.getTcpSocket();
    Resolved port = resolvePort(tcp.getPort(), container);
    String host = tcp.getHost() == null || tcp.getHost().isEmpty() ? podIp : tcp.getHost();
    return new ProbeSpec(
        Kind.TCP_SOCKET,
        host,
        port.port,
        port.error,
        "TCP",
        "",
        List.of(),
        delay,
        period,
        timeout,
        success,
        failure);
  }

  private record Resolved(int port, String error) {}

  /** {@code probe.ResolveContainerPort}: a number, or a name among the container's ports. */
  private static Resolved resolvePort(IntOrString value, Container container) {
    if (value == null) {
      return new Resolved(-1, "invalid port number: -1");
    }
    int port;
    if (value.getIntVal() != null) {
      port = value.getIntVal();
    } else {
      String name = Objects.requireNonNullElse(value.getStrVal(), "");
      Integer found = null;
      for (ContainerPort candidate :
          container.getPorts() == null ? List.<ContainerPort>of() : container.getPorts()) {
        if (name.equals(candidate.getName())) {
          found = candidate.getContainerPort();
          break;
        }
      }
      if (found == null) {
        try {
          // Last ditch effort, as the kubelet: a number written as a string.
          found = Integer.parseInt(name);
        } catch (NumberFormatException e) {
          return new Resolved(-1, "port " + name + " not found");
        }
      }
      port = found;
    }
    if (port > 0 && port < 65536) {
      return new Resolved(port, null);
    }
    return new Resolved(-1, "invalid port number: " + port);
  }

  private static int positive(Integer value, int fallback) {
    return value == null || value < 1 ? fallback : value;
  }

  /** The probe's target as the kubelet prints it in messages. */
  String describe() {
    String address = (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    return kind == Kind.HTTP_GET
        ? scheme.toLowerCase(Locale.ROOT) + "://" + address + path
        : "tcp " + address;
  }
}
