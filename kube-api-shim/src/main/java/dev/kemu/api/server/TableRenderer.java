package dev.kemu.api.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kemu.api.model.ResourceCodec;
import dev.kemu.api.model.ResourceType;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * Server-side printing: {@code meta.k8s.io/v1 Table} responses with the columns and cell formats of
 * the apiserver's printers ({@code pkg/printers/internalversion/printers.go}), so that {@code
 * kubectl get} prints what it prints against a real cluster. Kinds without a printer get the
 * default {@code Name} and {@code Age} columns (as custom resources without additional printer
 * columns).
 */
final class TableRenderer {
  private static final String NONE = "<none>";

  /** One column: its definition and how a cell is computed from the object's JSON. */
  private record Column(
      String name, String type, String format, int priority, Function<JsonNode, Object> cell) {}

  private final Clock clock;

  TableRenderer(Clock clock) {
    this.clock = clock;
  }

  ObjectNode table(
      ResourceType type,
      List<HasMetadata> items,
      long resourceVersion,
      String continueToken,
      String includeObject) {
    List<Column> columns = columns(type);
    ObjectNode table = ResourceCodec.json().createObjectNode();
    table.put("kind", "Table");
    table.put("apiVersion", "meta.k8s.io/v1");
    ObjectNode meta = table.putObject("metadata");
    meta.put("resourceVersion", Long.toString(resourceVersion));
    if (continueToken != null) {
      meta.put("continue", continueToken);
    }
    ArrayNode definitions = table.putArray("columnDefinitions");
    for (Column column : columns) {
      ObjectNode d = definitions.addObject();
      d.put("name", column.name());
      d.put("type", column.type());
      d.put("format", column.format());
      d.put("description", description(column.name()));
      d.put("priority", column.priority());
    }
    ArrayNode rows = table.putArray("rows");
    for (HasMetadata item : items) {
      JsonNode tree = ResourceCodec.tree(item);
      ObjectNode row = rows.addObject();
      ArrayNode cells = row.putArray("cells");
      for (Column column : columns) {
        Object value = column.cell().apply(tree);
        if (value instanceof Number n) {
          cells.add(n.longValue());
        } else {
          cells.add(String.valueOf(value));
        }
      }
      if ("None".equals(includeObject)) {
        continue;
      }
      if ("Object".equals(includeObject)) {
        row.set("object", tree);
      } else {
        ObjectNode partial = row.putObject("object");
        partial.put("kind", "PartialObjectMetadata");
        partial.put("apiVersion", "meta.k8s.io/v1");
        partial.set("metadata", tree.path("metadata"));
      }
    }
    return table;
  }

  private static String description(String column) {
    return switch (column) {
      case "Name" ->
          "Name must be unique within a namespace. Is required when creating resources, although"
              + " some resources may allow a client to request the generation of an appropriate"
              + " name automatically.";
      case "Age" ->
          "CreationTimestamp is a timestamp representing the server time when this object was"
              + " created.";
      default -> column;
    };
  }

  private List<Column> columns(ResourceType type) {
    String key = type.group() + "/" + type.kind();
    return switch (key) {
      case "/Pod" -> pod();
      case "/Service" -> service();
      case "apps/Deployment" -> deployment();
      case "apps/ReplicaSet" -> replicaSet();
      case "apps/StatefulSet" -> statefulSet();
      case "apps/DaemonSet" -> daemonSet();
      case "discovery.k8s.io/EndpointSlice" -> endpointSlice();
      case "/Endpoints" ->
          List.of(name(), col("Endpoints", "string", 0, TableRenderer::endpoints), age());
      case "networking.k8s.io/Ingress" -> ingress();
      case "networking.k8s.io/IngressClass" ->
          List.of(
              name(),
              col("Controller", "string", 0, t -> text(t.path("spec").path("controller"), "")),
              col("Parameters", "string", 0, TableRenderer::ingressClassParameters),
              age());
      case "networking.k8s.io/NetworkPolicy" ->
          List.of(
              name(),
              col("Pod-Selector", "string", 0, t -> selector(t.path("spec").path("podSelector"))),
              age());
      case "/Namespace" ->
          List.of(
              name(),
              col("Status", "string", 0, t -> text(t.path("status").path("phase"), "")),
              age());
      case "/Node" -> node();
      case "/ConfigMap" ->
          List.of(
              name(),
              col("Data", "integer", 0, t -> t.path("data").size() + t.path("binaryData").size()),
              age());
      case "/Secret" ->
          List.of(
              name(),
              col("Type", "string", 0, t -> text(t.path("type"), "")),
              col("Data", "integer", 0, t -> t.path("data").size()),
              age());
      case "/Event" -> event();
      case "apiextensions.k8s.io/CustomResourceDefinition" ->
          List.of(
              name(),
              col(
                  "Created At",
                  "date",
                  0,
                  t -> text(t.path("metadata").path("creationTimestamp"), "")));
      default -> List.of(name(), age());
    };
  }

  // ---------------------------------------------------------------- per kind

  private List<Column> pod() {
    return List.of(
        name(),
        col("Ready", "string", 0, TableRenderer::podReady),
        col("Status", "string", 0, TableRenderer::podStatus),
        col("Restarts", "string", 0, this::podRestarts),
        age(),
        col("IP", "string", 1, t -> text(t.path("status").path("podIP"), NONE)),
        col("Node", "string", 1, t -> text(t.path("spec").path("nodeName"), NONE)),
        col(
            "Nominated Node",
            "string",
            1,
            t -> text(t.path("status").path("nominatedNodeName"), NONE)),
        col("Readiness Gates", "string", 1, TableRenderer::readinessGates));
  }

  private static String podReady(JsonNode pod) {
    int total = pod.path("spec").path("containers").size();
    int ready = 0;
    for (JsonNode status : pod.path("status").path("containerStatuses")) {
      if (status.path("ready").asBoolean() && status.path("state").has("running")) {
        ready++;
      }
    }
    return ready + "/" + total;
  }

  /** The STATUS column of {@code printPod}. */
  private static String podStatus(JsonNode pod) {
    JsonNode status = pod.path("status");
    String reason = text(status.path("phase"), "");
    if (!text(status.path("reason"), "").isEmpty()) {
      reason = status.path("reason").asText();
    }
    boolean initializing = false;
    JsonNode initStatuses = status.path("initContainerStatuses");
    int initCount = pod.path("spec").path("initContainers").size();
    for (int i = 0; i < initStatuses.size(); i++) {
      JsonNode container = initStatuses.get(i);
      JsonNode state = container.path("state");
      if (state.has("terminated") && state.path("terminated").path("exitCode").asInt() == 0) {
        continue;
      }
      if (state.has("terminated")) {
        String r = text(state.path("terminated").path("reason"), "");
        reason =
            r.isEmpty()
                ? "Init:ExitCode:" + state.path("terminated").path("exitCode").asInt()
                : "Init:" + r;
      } else if (state.has("waiting")
          && !text(state.path("waiting").path("reason"), "").isEmpty()
          && !state.path("waiting").path("reason").asText().equals("PodInitializing")) {
        reason = "Init:" + state.path("waiting").path("reason").asText();
      } else {
        reason = "Init:" + i + "/" + initCount;
      }
      initializing = true;
      break;
    }
    if (!initializing) {
      boolean hasRunning = false;
      JsonNode statuses = status.path("containerStatuses");
      for (int i = statuses.size() - 1; i >= 0; i--) {
        JsonNode state = statuses.get(i).path("state");
        if (state.has("waiting") && !text(state.path("waiting").path("reason"), "").isEmpty()) {
          reason = state.path("waiting").path("reason").asText();
        } else if (state.has("terminated")
            && !text(state.path("terminated").path("reason"), "").isEmpty()) {
          reason = state.path("terminated").path("reason").asText();
        } else if (state.has("terminated")) {
          JsonNode t = state.path("terminated");
          reason =
              t.path("signal").asInt() != 0
                  ? "Signal:" + t.path("signal").asInt()
                  : "ExitCode:" + t.path("exitCode").asInt();
        } else if (statuses.get(i).path("ready").asBoolean() && state.has("running")) {
          hasRunning = true;
        }
      }
      if (reason.equals("Completed") && hasRunning) {
        boolean ready = false;
        for (JsonNode c : status.path("conditions")) {
          if (c.path("type").asText().equals("Ready") && c.path("status").asText().equals("True")) {
            ready = true;
          }
        }
        reason = ready ? "Running" : "NotReady";
      }
    }
    if (pod.path("metadata").hasNonNull("deletionTimestamp")) {
      reason = "NodeLost".equals(text(status.path("reason"), "")) ? "Unknown" : "Terminating";
    }
    return reason;
  }

  private String podRestarts(JsonNode pod) {
    long restarts = 0;
    Instant last = null;
    for (JsonNode status : pod.path("status").path("containerStatuses")) {
      restarts += status.path("restartCount").asLong();
      String finished = text(status.path("lastState").path("terminated").path("finishedAt"), "");
      Instant at = parse(finished);
      if (at != null && (last == null || at.isAfter(last))) {
        last = at;
      }
    }
    return last == null ? Long.toString(restarts) : restarts + " (" + since(last) + " ago)";
  }

  private static String readinessGates(JsonNode pod) {
    JsonNode gates = pod.path("spec").path("readinessGates");
    if (gates.isEmpty()) {
      return NONE;
    }
    int ready = 0;
    for (JsonNode gate : gates) {
      for (JsonNode c : pod.path("status").path("conditions")) {
        if (c.path("type").asText().equals(gate.path("conditionType").asText())
            && c.path("status").asText().equals("True")) {
          ready++;
        }
      }
    }
    return ready + "/" + gates.size();
  }

  private List<Column> service() {
    return List.of(
        name(),
        col("Type", "string", 0, t -> text(t.path("spec").path("type"), "ClusterIP")),
        col("Cluster-IP", "string", 0, t -> text(t.path("spec").path("clusterIP"), NONE)),
        col("External-IP", "string", 0, TableRenderer::serviceExternalIp),
        col("Port(s)", "string", 0, TableRenderer::servicePorts),
        age(),
        col("Selector", "string", 1, t -> labels(t.path("spec").path("selector"))));
  }

  private static String serviceExternalIp(JsonNode service) {
    JsonNode spec = service.path("spec");
    String type = text(spec.path("type"), "ClusterIP");
    List<String> external = strings(spec.path("externalIPs"));
    return switch (type) {
      case "ClusterIP", "NodePort" -> external.isEmpty() ? NONE : String.join(",", external);
      case "LoadBalancer" -> {
        List<String> ips = new ArrayList<>();
        for (JsonNode ingress : service.path("status").path("loadBalancer").path("ingress")) {
          if (!text(ingress.path("ip"), "").isEmpty()) {
            ips.add(ingress.path("ip").asText());
          } else if (!text(ingress.path("hostname"), "").isEmpty()) {
            ips.add(ingress.path("hostname").asText());
          }
        }
        ips.addAll(external);
        yield ips.isEmpty() ? "<pending>" : String.join(",", ips);
      }
      case "ExternalName" -> text(spec.path("externalName"), "");
      default -> "<unknown>";
    };
  }

  private static String servicePorts(JsonNode service) {
    List<String> ports = new ArrayList<>();
    for (JsonNode port : service.path("spec").path("ports")) {
      String protocol = text(port.path("protocol"), "TCP");
      int nodePort = port.path("nodePort").asInt(0);
      ports.add(
          nodePort == 0
              ? port.path("port").asInt() + "/" + protocol
              : port.path("port").asInt() + ":" + nodePort + "/" + protocol);
    }
    return ports.isEmpty() ? NONE : String.join(",", ports);
  }

  private List<Column> deployment() {
    return List.of(
        name(),
        col(
            "Ready",
            "string",
            0,
            t ->
                t.path("status").path("readyReplicas").asInt(0)
                    + "/"
                    + t.path("spec").path("replicas").asInt(1)),
        col("Up-to-date", "integer", 0, t -> t.path("status").path("updatedReplicas").asLong(0)),
        col("Available", "integer", 0, t -> t.path("status").path("availableReplicas").asLong(0)),
        age(),
        col("Containers", "string", 1, TableRenderer::containerNames),
        col("Images", "string", 1, TableRenderer::containerImages),
        col("Selector", "string", 1, t -> selector(t.path("spec").path("selector"))));
  }

  private List<Column> replicaSet() {
    return List.of(
        name(),
        col("Desired", "integer", 0, t -> t.path("spec").path("replicas").asLong(1)),
        col("Current", "integer", 0, t -> t.path("status").path("replicas").asLong(0)),
        col("Ready", "integer", 0, t -> t.path("status").path("readyReplicas").asLong(0)),
        age(),
        col("Containers", "string", 1, TableRenderer::containerNames),
        col("Images", "string", 1, TableRenderer::containerImages),
        col("Selector", "string", 1, t -> selector(t.path("spec").path("selector"))));
  }

  private List<Column> statefulSet() {
    return List.of(
        name(),
        col(
            "Ready",
            "string",
            0,
            t ->
                t.path("status").path("readyReplicas").asInt(0)
                    + "/"
                    + t.path("spec").path("replicas").asInt(1)),
        age(),
        col("Containers", "string", 1, TableRenderer::containerNames),
        col("Images", "string", 1, TableRenderer::containerImages));
  }

  private List<Column> daemonSet() {
    return List.of(
        name(),
        col(
            "Desired",
            "integer",
            0,
            t -> t.path("status").path("desiredNumberScheduled").asLong(0)),
        col(
            "Current",
            "integer",
            0,
            t -> t.path("status").path("currentNumberScheduled").asLong(0)),
        col("Ready", "integer", 0, t -> t.path("status").path("numberReady").asLong(0)),
        col(
            "Up-to-date",
            "integer",
            0,
            t -> t.path("status").path("updatedNumberScheduled").asLong(0)),
        col("Available", "integer", 0, t -> t.path("status").path("numberAvailable").asLong(0)),
        col(
            "Node Selector",
            "string",
            0,
            t -> labels(t.path("spec").path("template").path("spec").path("nodeSelector"))),
        age(),
        col("Containers", "string", 1, TableRenderer::containerNames),
        col("Images", "string", 1, TableRenderer::containerImages),
        col("Selector", "string", 1, t -> selector(t.path("spec").path("selector"))));
  }

  private static String containerNames(JsonNode workload) {
    List<String> names = new ArrayList<>();
    for (JsonNode c : workload.path("spec").path("template").path("spec").path("containers")) {
      names.add(c.path("name").asText());
    }
    return String.join(",", names);
  }

  private static String containerImages(JsonNode workload) {
    List<String> images = new ArrayList<>();
    for (JsonNode c : workload.path("spec").path("template").path("spec").path("containers")) {
      images.add(c.path("image").asText());
    }
    return String.join(",", images);
  }

  private List<Column> endpointSlice() {
    return List.of(
        name(),
        col("AddressType", "string", 0, t -> text(t.path("addressType"), "")),
        col("Ports", "string", 0, TableRenderer::slicePorts),
        col("Endpoints", "string", 0, TableRenderer::sliceEndpoints),
        age());
  }

  private static String slicePorts(JsonNode slice) {
    JsonNode ports = slice.path("ports");
    if (ports.isEmpty()) {
      return "<unset>";
    }
    List<String> list = new ArrayList<>();
    for (JsonNode port : ports) {
      list.add(port.hasNonNull("port") ? port.path("port").asText() : "<unset>");
    }
    return String.join(",", list);
  }

  private static String sliceEndpoints(JsonNode slice) {
    List<String> addresses = new ArrayList<>();
    int total = 0;
    for (JsonNode endpoint : slice.path("endpoints")) {
      for (JsonNode address : endpoint.path("addresses")) {
        if (addresses.size() < 3) {
          addresses.add(address.asText());
        }
        total++;
      }
    }
    if (total == 0) {
      return NONE;
    }
    String text = String.join(",", addresses);
    return total > 3 ? text + " + " + (total - 3) + " more..." : text;
  }

  private static String endpoints(JsonNode endpoints) {
    List<String> list = new ArrayList<>();
    int total = 0;
    for (JsonNode subset : endpoints.path("subsets")) {
      JsonNode ports = subset.path("ports");
      for (JsonNode address : subset.path("addresses")) {
        if (ports.isEmpty()) {
          total++;
          if (list.size() < 3) {
            list.add(address.path("ip").asText());
          }
        }
        for (JsonNode port : ports) {
          total++;
          if (list.size() < 3) {
            list.add(address.path("ip").asText() + ":" + port.path("port").asInt());
          }
        }
      }
    }
    if (total == 0) {
      return NONE;
    }
    String text = String.join(",", list);
    return total > 3 ? text + " + " + (total - 3) + " more..." : text;
  }

  private List<Column> ingress() {
    return List.of(
        name(),
        col("Class", "string", 0, t -> text(t.path("spec").path("ingressClassName"), NONE)),
        col("Hosts", "string", 0, TableRenderer::ingressHosts),
        col("Address", "string", 0, TableRenderer::ingressAddress),
        col("Ports", "string", 0, t -> t.path("spec").path("tls").isEmpty() ? "80" : "80, 443"),
        age());
  }

  private static String ingressHosts(JsonNode ingress) {
    List<String> hosts = new ArrayList<>();
    int count = 0;
    for (JsonNode rule : ingress.path("spec").path("rules")) {
      count++;
      if (hosts.size() < 3) {
        hosts.add(text(rule.path("host"), "*"));
      }
    }
    if (count == 0) {
      return "*";
    }
    String text = String.join(",", hosts);
    return count > 3 ? text + " + " + (count - 3) + " more..." : text;
  }

  private static String ingressAddress(JsonNode ingress) {
    List<String> addresses = new ArrayList<>();
    for (JsonNode lb : ingress.path("status").path("loadBalancer").path("ingress")) {
      if (!text(lb.path("ip"), "").isEmpty()) {
        addresses.add(lb.path("ip").asText());
      } else if (!text(lb.path("hostname"), "").isEmpty()) {
        addresses.add(lb.path("hostname").asText());
      }
    }
    return String.join(",", addresses);
  }

  private static String ingressClassParameters(JsonNode ingressClass) {
    JsonNode p = ingressClass.path("spec").path("parameters");
    if (p.isMissingNode() || p.isNull()) {
      return NONE;
    }
    String group = text(p.path("apiGroup"), "");
    String kind = text(p.path("kind"), "");
    return (group.isEmpty() ? kind : kind + "." + group) + "/" + text(p.path("name"), "");
  }

  private List<Column> node() {
    return List.of(
        name(),
        col("Status", "string", 0, TableRenderer::nodeStatus),
        col("Roles", "string", 0, TableRenderer::nodeRoles),
        age(),
        col(
            "Version",
            "string",
            0,
            t -> text(t.path("status").path("nodeInfo").path("kubeletVersion"), "")),
        col("Internal-IP", "string", 1, t -> nodeAddress(t, "InternalIP")),
        col("External-IP", "string", 1, t -> nodeAddress(t, "ExternalIP")),
        col(
            "OS-Image",
            "string",
            1,
            t -> text(t.path("status").path("nodeInfo").path("osImage"), "<unknown>")),
        col(
            "Kernel-Version",
            "string",
            1,
            t -> text(t.path("status").path("nodeInfo").path("kernelVersion"), "<unknown>")),
        col(
            "Container-Runtime",
            "string",
            1,
            t ->
                text(
                    t.path("status").path("nodeInfo").path("containerRuntimeVersion"),
                    "<unknown>")));
  }

  private static String nodeStatus(JsonNode node) {
    String status = "Unknown";
    for (JsonNode c : node.path("status").path("conditions")) {
      if (c.path("type").asText().equals("Ready")) {
        status = c.path("status").asText().equals("True") ? "Ready" : "NotReady";
      }
    }
    if (node.path("spec").path("unschedulable").asBoolean()) {
      status += ",SchedulingDisabled";
    }
    return status;
  }

  private static String nodeRoles(JsonNode node) {
    List<String> roles = new ArrayList<>();
    node.path("metadata")
        .path("labels")
        .fieldNames()
        .forEachRemaining(
            label -> {
              if (label.startsWith("node-role.kubernetes.io/")) {
                roles.add(label.substring("node-role.kubernetes.io/".length()));
              } else if (label.equals("kubernetes.io/role")) {
                roles.add(node.path("metadata").path("labels").path(label).asText());
              }
            });
    roles.sort(null);
    return roles.isEmpty() ? NONE : String.join(",", roles);
  }

  private static String nodeAddress(JsonNode node, String type) {
    for (JsonNode address : node.path("status").path("addresses")) {
      if (address.path("type").asText().equals(type)) {
        return address.path("address").asText();
      }
    }
    return NONE;
  }

  private List<Column> event() {
    return List.of(
        col("Last Seen", "string", 0, this::eventLastSeen),
        col("Type", "string", 0, t -> text(t.path("type"), "")),
        col("Reason", "string", 0, t -> text(t.path("reason"), "")),
        col("Object", "string", 0, TableRenderer::eventObject),
        col("Subobject", "string", 1, t -> text(t.path("involvedObject").path("fieldPath"), "")),
        col("Source", "string", 1, TableRenderer::eventSource),
        col("Message", "string", 0, t -> text(t.path("message"), "")),
        col("First Seen", "string", 1, t -> sinceText(t.path("firstTimestamp"))),
        col("Count", "integer", 1, t -> t.path("count").asLong(0)),
        new Column("Name", "string", "name", 1, t -> t.path("metadata").path("name").asText()));
  }

  private String eventLastSeen(JsonNode event) {
    String last = text(event.path("lastTimestamp"), "");
    if (last.isEmpty()) {
      last = text(event.path("eventTime"), "");
    }
    if (last.isEmpty()) {
      last = text(event.path("metadata").path("creationTimestamp"), "");
    }
    Instant at = parse(last);
    return at == null ? "<unknown>" : since(at);
  }

  private static String eventObject(JsonNode event) {
    JsonNode o = event.path("involvedObject");
    return text(o.path("kind"), "").toLowerCase(java.util.Locale.ROOT)
        + "/"
        + text(o.path("name"), "");
  }

  private static String eventSource(JsonNode event) {
    JsonNode s = event.path("source");
    String component = text(s.path("component"), "");
    String host = text(s.path("host"), "");
    return host.isEmpty() ? component : component + ", " + host;
  }

  // ---------------------------------------------------------------- cells

  private static Column name() {
    return new Column("Name", "string", "name", 0, t -> t.path("metadata").path("name").asText());
  }

  private Column age() {
    return new Column(
        "Age", "string", "", 0, t -> sinceText(t.path("metadata").path("creationTimestamp")));
  }

  private static Column col(
      String name, String type, int priority, Function<JsonNode, Object> cell) {
    return new Column(name, type, "", priority, cell);
  }

  private String sinceText(JsonNode timestamp) {
    Instant at = parse(text(timestamp, ""));
    return at == null ? "<unknown>" : since(at);
  }

  private String since(Instant at) {
    return humanDuration(Duration.between(at, clock.instant()));
  }

  private static Instant parse(String timestamp) {
    if (timestamp == null || timestamp.isEmpty()) {
      return null;
    }
    try {
      return Instant.parse(timestamp);
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  /** {@code k8s.io/apimachinery/pkg/util/duration.HumanDuration}. */
  static String humanDuration(Duration d) {
    long seconds = d.getSeconds();
    if (seconds < -1) {
      return "<invalid>";
    } else if (seconds < 0) {
      return "0s";
    } else if (seconds < 60 * 2) {
      return seconds + "s";
    }
    long minutes = seconds / 60;
    if (minutes < 10) {
      long s = seconds % 60;
      return s == 0 ? minutes + "m" : minutes + "m" + s + "s";
    } else if (minutes < 60 * 3) {
      return minutes + "m";
    }
    long hours = seconds / 3600;
    if (hours < 8) {
      long m = minutes % 60;
      return m == 0 ? hours + "h" : hours + "h" + m + "m";
    } else if (hours < 48) {
      return hours + "h";
    } else if (hours < 24 * 8) {
      long h = hours % 24;
      return h == 0 ? hours / 24 + "d" : hours / 24 + "d" + h + "h";
    } else if (hours < 24 * 365 * 2) {
      return hours / 24 + "d";
    } else if (hours < 24 * 365 * 8) {
      long dy = (hours / 24) % 365;
      return dy == 0 ? hours / 24 / 365 + "y" : hours / 24 / 365 + "y" + dy + "d";
    }
    return hours / 24 / 365 + "y";
  }

  private static String text(JsonNode node, String fallback) {
    return node == null || node.isMissingNode() || node.isNull() || node.asText().isEmpty()
        ? fallback
        : node.asText();
  }

  private static List<String> strings(JsonNode array) {
    List<String> list = new ArrayList<>();
    array.forEach(n -> list.add(n.asText()));
    return list;
  }

  /** {@code labels.FormatLabels}: sorted {@code k=v}, or {@code <none>}. */
  private static String labels(JsonNode map) {
    Map<String, String> sorted = new TreeMap<>();
    map.fields().forEachRemaining(e -> sorted.put(e.getKey(), e.getValue().asText()));
    if (sorted.isEmpty()) {
      return NONE;
    }
    List<String> parts = new ArrayList<>();
    sorted.forEach((k, v) -> parts.add(k + "=" + v));
    return String.join(",", parts);
  }

  /** {@code metav1.FormatLabelSelector}. */
  private static String selector(JsonNode selector) {
    if (selector.isMissingNode() || selector.isNull()) {
      return NONE;
    }
    String text = Scales.selector(selector);
    return text.isEmpty() ? NONE : text;
  }
}
