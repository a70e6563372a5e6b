package dev.kemu.emulator.runtime;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What stands behind a pod (DESIGN "Workloads"): an in-JVM workload, a forward to a process the
 * user runs, a process that binds the pod IP itself, or nothing kemu can provide.
 */
sealed interface PodBackend {

  /** The annotation that chooses a forwarded or bound backend. */
  String ANNOTATION = "kemu.dev/backend";

  /** The value of {@link #ANNOTATION} for a pod whose IP a process binds itself. */
  String BOUND = "bound";

  /** The image repository served in the JVM. */
  String ECHO_REPOSITORY = "kemu/echo";

  /** A short name for logs: {@code in-jvm}, {@code forwarded}, {@code bound}, {@code none}. */
  String runtime();

  /** Every container runs {@code kemu/echo} in the JVM. */
  record InJvm() implements PodBackend {
    @Override
    public String runtime() {
      return "in-jvm";
    }
  }

  /**
   * kemu listens on podIP:port for each entry and forwards to the target.
   *
   * @param forwards what listens where, and where it goes
   * @param ignored ports that are not forwarded, with the reason (for a log line)
   */
  record Forwarded(List<PortForward> forwards, List<String> ignored) implements PodBackend {
    @Override
    public String runtime() {
      return "forwarded";
    }
  }

  /** A process binds the pod IP itself; nothing of kemu's listens. */
  record Bound() implements PodBackend {
    @Override
    public String runtime() {
      return "bound";
    }
  }

  /**
   * Nothing can run the pod: its containers wait with this reason and message.
   *
   * @param reason the waiting reason ({@code NoRuntime}, {@code CreateContainerConfigError})
   * @param message what to do about it
   */
  record Unbacked(String reason, String message) implements PodBackend {
    @Override
    public String runtime() {
      return "none";
    }
  }

  /**
   * One forwarded port.
   *
   * @param port the pod port kemu listens on
   * @param host the target host
   * @param targetPort the target port
   */
  record PortForward(int port, String host, int targetPort) {
    @Override
    public String toString() {
      return port + "->" + hostPort(host, targetPort);
    }
  }

  /** Decides the backend of a pod from its annotation and images. */
  static PodBackend of(Pod pod) {
    Map<String, String> annotations = pod.getMetadata().getAnnotations();
    String value = annotations == null ? null : annotations.get(ANNOTATION);
    if (value != null) {
      String trimmed = value.trim();
      if (trimmed.equals(BOUND)) {
        return new Bound();
      }
      try {
        return forwarded(pod, trimmed);
      } catch (IllegalArgumentException e) {
        return new Unbacked(
            "CreateContainerConfigError",
            "annotation "
                + ANNOTATION
                + ": invalid value \""
                + value
                + "\": "
                + e.getMessage()
                + "; expected \"host:port\", \"bound\", or \"port=host:port,...\" with ports by"
                + " name or number");
      }
    }
    List<String> unknown = new ArrayList<>();
    for (Container container : containers(pod)) {
      if (!ImageReference.parse(container.getImage()).isRepository(ECHO_REPOSITORY)) {
        unknown.add(
            "image \""
                + (container.getImage() == null ? "" : container.getImage())
                + "\" (container "
                + container.getName()
                + ")");
      }
    }
    if (unknown.isEmpty()) {
      return new InJvm();
    }
    return new Unbacked(
        "NoRuntime",
        "kemu cannot run "
            + String.join(", ", unknown)
            + ": annotate the pod (or its template) with "
            + ANNOTATION
            + ": \"host:port\" to forward its ports to a process you run, or with "
            + ANNOTATION
            + ": bound to bind the pod IP (status.podIP) with a process of your own, or use image "
            + ECHO_REPOSITORY);
  }

  private static Forwarded forwarded(Pod pod, String value) {
    if (value.isEmpty()) {
      throw new IllegalArgumentException("must not be empty");
    }
    Map<String, Integer> named = new LinkedHashMap<>();
    List<Integer> tcpPorts = new ArrayList<>();
    List<String> ignored = new ArrayList<>();
    for (Container container : containers(pod)) {
      if (container.getPorts() == null) {
        continue;
      }
      for (ContainerPort port : container.getPorts()) {
        if (port.getContainerPort() == null) {
          continue;
        }
        String protocol =
            port.getProtocol() == null ? "TCP" : port.getProtocol().toUpperCase(Locale.ROOT);
        if (!protocol.equals("TCP")) {
          ignored.add(
              protocol
                  + " port "
                  + port.getContainerPort()
                  + " (container "
                  + container.getName()
                  + "): "
                  + ANNOTATION
                  + " forwards TCP only");
          continue;
        }
        if (port.getName() != null && !port.getName().isEmpty()) {
          named.put(port.getName(), port.getContainerPort());
        }
        if (!tcpPorts.contains(port.getContainerPort())) {
          tcpPorts.add(port.getContainerPort());
        }
      }
    }
    List<PortForward> forwards = new ArrayList<>();
    if (!value.contains("=")) {
      String[] target = parseTarget(value);
      int targetPort = Integer.parseInt(target[1]);
      if (tcpPorts.isEmpty()) {
        // No declared port: the pod serves on the backend's port, as the process would.
        forwards.add(new PortForward(targetPort, target[0], targetPort));
      }
      for (int port : tcpPorts) {
        forwards.add(new PortForward(port, target[0], targetPort));
      }
      return new Forwarded(forwards, ignored);
    }
    List<Integer> seen = new ArrayList<>();
    for (String entry : value.split(",")) {
      String trimmed = entry.trim();
      if (trimmed.isEmpty()) {
        continue;
      }
      int equals = trimmed.indexOf('=');
      if (equals <= 0) {
        throw new IllegalArgumentException("entry \"" + trimmed + "\" is not port=host:port");
      }
      String key = trimmed.substring(0, equals).trim();
      String[] target = parseTarget(trimmed.substring(equals + 1).trim());
      int port;
      if (key.chars().allMatch(Character::isDigit)) {
        port = parsePort(key, "port");
      } else {
        Integer resolved = named.get(key);
        if (resolved == null) {
          throw new IllegalArgumentException(
              "port name \"" + key + "\" matches no TCP containerPort of the pod");
        }
        port = resolved;
      }
      if (seen.contains(port)) {
        throw new IllegalArgumentException("port " + port + " is given twice");
      }
      seen.add(port);
      forwards.add(new PortForward(port, target[0], Integer.parseInt(target[1])));
    }
    if (forwards.isEmpty()) {
      throw new IllegalArgumentException("no port=host:port entry");
    }
    for (int port : tcpPorts) {
      if (!seen.contains(port)) {
        ignored.add("TCP port " + port + ": no entry in " + ANNOTATION + ", nothing listens");
      }
    }
    return new Forwarded(forwards, ignored);
  }

  /** Splits {@code host:port} or {@code [v6]:port}. */
  private static String[] parseTarget(String target) {
    String host;
    String port;
    if (target.startsWith("[")) {
      int close = target.indexOf(']');
      if (close < 0 || close + 1 >= target.length() || target.charAt(close + 1) != ':') {
        throw new IllegalArgumentException("\"" + target + "\" is not [host]:port");
      }
      host = target.substring(1, close);
      port = target.substring(close + 2);
    } else {
      int colon = target.lastIndexOf(':');
      if (colon <= 0 || target.indexOf(':') != colon) {
        throw new IllegalArgumentException("\"" + target + "\" is not host:port");
      }
      host = target.substring(0, colon);
      port = target.substring(colon + 1);
    }
    if (host.isBlank()) {
      throw new IllegalArgumentException("\"" + target + "\" has no host");
    }
    return new String[] {host, Integer.toString(parsePort(port, "\"" + target + "\": port"))};
  }

  private static int parsePort(String text, String what) {
    try {
      int port = Integer.parseInt(text);
      if (port >= 1 && port <= 65535) {
        return port;
      }
    } catch (NumberFormatException e) {
      // Reported below.
    }
    throw new IllegalArgumentException(
        what + " \"" + text + "\" must be between 1 and 65535, inclusive");
  }

  private static List<Container> containers(Pod pod) {
    return pod.getSpec() == null || pod.getSpec().getContainers() == null
        ? List.of()
        : pod.getSpec().getContainers();
  }

  private static String hostPort(String host, int port) {
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
  }
}
