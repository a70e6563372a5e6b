package dev.kemu.api.store;

import dev.kemu.api.model.ResourceType;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodIP;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A field selector ({@code ?fieldSelector=}): equality requirements on the fields the apiserver
 * makes selectable for each kind. Parsing follows {@code
 * k8s.io/apimachinery/pkg/fields/selector.go} ({@code a=b}, {@code a==b}, {@code a!=b},
 * comma-separated, {@code \,} {@code \=} {@code \\} escapes, no whitespace trimming); the supported
 * fields and the error for any other field follow the field label conversion functions ({@code
 * pkg/apis/core/v1/conversion.go}: {@code field label not supported: x}; kinds without one answer
 * {@code "x" is not a known field selector: only "metadata.name", "metadata.namespace"}); the value
 * of each field follows the kind's {@code ToSelectableFields} (e.g. {@code spec.hostNetwork} is
 * {@code "false"} when unset).
 *
 * @param requirements the requirements, all of which must hold
 */
public record FieldSelector(List<Requirement> requirements) {

  /**
   * One requirement: {@code field=value} or {@code field!=value}.
   *
   * @param field the field label
   * @param value the value, unescaped
   * @param equal true for {@code =}/{@code ==}, false for {@code !=}
   */
  public record Requirement(String field, String value, boolean equal) {
    @Override
    public String toString() {
      return field + (equal ? "=" : "!=") + escape(value);
    }
  }

  /** The kinds with a registered field label conversion, and the labels each accepts. */
  private static final Map<String, Set<String>> CONVERTED =
      Map.of(
          "Pod",
          Set.of(
              "metadata.name",
              "metadata.namespace",
              "spec.nodeName",
              "spec.restartPolicy",
              "spec.schedulerName",
              "spec.serviceAccountName",
              "spec.hostNetwork",
              "status.phase",
              "status.podIP",
              "status.podIPs",
              "status.nominatedNodeName",
              "spec.host"),
          "Node",
          Set.of("metadata.name", "spec.unschedulable"),
          "Event",
          Set.of(
              "involvedObject.kind",
              "involvedObject.namespace",
              "involvedObject.name",
              "involvedObject.uid",
              "involvedObject.apiVersion",
              "involvedObject.resourceVersion",
              "involvedObject.fieldPath",
              "reason",
              "reportingComponent",
              "source",
              "type",
              "metadata.namespace",
              "metadata.name"),
          "Namespace",
          Set.of("status.phase", "metadata.name"),
          "Secret",
          Set.of("type", "metadata.namespace", "metadata.name"),
          "Service",
          Set.of("metadata.namespace", "metadata.name", "spec.clusterIP", "spec.type"));

  public FieldSelector {
    requirements = List.copyOf(requirements);
  }

  private static final FieldSelector EVERYTHING = new FieldSelector(List.of());

  /** The selector that matches everything. */
  public static FieldSelector everything() {
    return EVERYTHING;
  }

  /** A selector for one object name. */
  public static FieldSelector name(String name) {
    return new FieldSelector(List.of(new Requirement("metadata.name", name, true)));
  }

  /**
   * Parses {@code a=b,c!=d} ({@code fields.ParseSelector}) and converts each field label for the
   * type ({@code Scheme.ConvertFieldLabel}).
   *
   * @throws ApiException.BadRequest for a malformed selector or an unsupported field, with
   *     upstream's message
   */
  public static FieldSelector parse(String text, ResourceType type) {
    if (text == null || text.isEmpty()) {
      return EVERYTHING;
    }
    List<String> parts = splitTerms(text);
    Collections.sort(parts);
    List<Requirement> requirements = new ArrayList<>();
    for (String part : parts) {
      if (part.isEmpty()) {
        continue;
      }
      Requirement requirement = splitTerm(part);
      if (requirement == null) {
        throw new ApiException.BadRequest(
            "invalid selector: '" + text + "'; can't understand '" + part + "'");
      }
      requirements.add(convert(requirement, type));
    }
    return new FieldSelector(requirements);
  }

  /** Splits on commas not escaped with a backslash ({@code splitTerms}). */
  private static List<String> splitTerms(String text) {
    List<String> terms = new ArrayList<>();
    int start = 0;
    boolean inSlash = false;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (inSlash) {
        inSlash = false;
      } else if (c == '\\') {
        inSlash = true;
      } else if (c == ',') {
        terms.add(text.substring(start, i));
        start = i + 1;
      }
    }
    terms.add(text.substring(start));
    return terms;
  }

  /** Splits at the first operator, trying {@code !=}, {@code ==}, {@code =} ({@code splitTerm}). */
  private static Requirement splitTerm(String term) {
    for (int i = 0; i < term.length(); i++) {
      for (String op : List.of("!=", "==", "=")) {
        if (term.startsWith(op, i)) {
          String value = unescape(term.substring(i + op.length()));
          return new Requirement(term.substring(0, i), value, !op.equals("!="));
        }
      }
    }
    return null;
  }

  /** {@code UnescapeValue}: {@code \\}, {@code \,} and {@code \=} only; bare {@code ,=} refused. */
  private static String unescape(String s) {
    if (s.indexOf('\\') < 0 && s.indexOf(',') < 0 && s.indexOf('=') < 0) {
      return s;
    }
    StringBuilder sb = new StringBuilder();
    boolean inSlash = false;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (inSlash) {
        if (c == '\\' || c == ',' || c == '=') {
          sb.append(c);
        } else {
          throw new ApiException.BadRequest(
              "invalid field selector: invalid escape sequence: \\" + c);
        }
        inSlash = false;
      } else if (c == '\\') {
        inSlash = true;
      } else if (c == ',' || c == '=') {
        // UnescapedRune prints the rune with %v: its code point.
        throw new ApiException.BadRequest(
            "invalid field selector: unescaped character in value: " + (int) c);
      } else {
        sb.append(c);
      }
    }
    if (inSlash) {
      throw new ApiException.BadRequest("invalid field selector: invalid escape sequence: \\");
    }
    return sb.toString();
  }

  /** {@code EscapeValue}: the inverse of {@link #unescape}. */
  private static String escape(String s) {
    return s.replace("\\", "\\\\").replace(",", "\\,").replace("=", "\\=");
  }

  /** The field label conversion of the kind: accepts, renames ({@code spec.host}) or refuses. */
  private static Requirement convert(Requirement requirement, ResourceType type) {
    String field = requirement.field();
    Set<String> supported = CONVERTED.get(type.kind());
    boolean builtIn = type.group().isEmpty() && type.javaType() != GenericKubernetesResource.class;
    if (supported != null && builtIn) {
      if (!supported.contains(field)) {
        throw new ApiException.BadRequest("field label not supported: " + field);
      }
      if (type.kind().equals("Pod") && field.equals("spec.host")) {
        return new Requirement("spec.nodeName", requirement.value(), requirement.equal());
      }
      return requirement;
    }
    if (field.equals("metadata.name") || field.equals("metadata.namespace")) {
      return requirement;
    }
    if (type.javaType() == GenericKubernetesResource.class) {
      // Custom resources answer as the CRD handler does.
      throw new ApiException.BadRequest("field label not supported: " + field);
    }
    throw new ApiException.BadRequest(
        "\""
            + field
            + "\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\"");
  }

  /** Whether the object satisfies every requirement. */
  public boolean matches(HasMetadata object) {
    for (Requirement requirement : requirements) {
      String actual = Objects.requireNonNullElse(value(object, requirement.field()), "");
      if (actual.equals(requirement.value()) != requirement.equal()) {
        return false;
      }
    }
    return true;
  }

  /** The value of a selectable field, as the kind's {@code ToSelectableFields} computes it. */
  static String value(HasMetadata object, String field) {
    switch (field) {
      case "metadata.name" -> {
        return object.getMetadata().getName();
      }
      case "metadata.namespace" -> {
        return object.getMetadata().getNamespace();
      }
      default -> {
        // handled per kind below
      }
    }
    if (object instanceof Pod pod) {
      var spec = pod.getSpec();
      var status = pod.getStatus();
      return switch (field) {
        case "spec.nodeName" -> spec == null ? null : spec.getNodeName();
        case "spec.restartPolicy" -> spec == null ? null : spec.getRestartPolicy();
        case "spec.schedulerName" -> spec == null ? null : spec.getSchedulerName();
        case "spec.serviceAccountName" -> spec == null ? null : spec.getServiceAccountName();
        case "spec.hostNetwork" ->
            Boolean.toString(spec != null && Boolean.TRUE.equals(spec.getHostNetwork()));
        case "status.phase" -> status == null ? null : status.getPhase();
        case "status.podIP" -> {
          List<String> ips = podIps(status);
          yield ips.isEmpty() ? "" : ips.get(0);
        }
        case "status.podIPs" -> String.join(",", podIps(status));
        case "status.nominatedNodeName" -> status == null ? null : status.getNominatedNodeName();
        default -> null;
      };
    }
    if (object instanceof Node node) {
      return field.equals("spec.unschedulable")
          ? Boolean.toString(
              node.getSpec() != null && Boolean.TRUE.equals(node.getSpec().getUnschedulable()))
          : null;
    }
    if (object instanceof Namespace namespace) {
      return field.equals("status.phase") && namespace.getStatus() != null
          ? namespace.getStatus().getPhase()
          : null;
    }
    if (object instanceof Secret secret) {
      // The apiserver defaults an empty type to Opaque before storing.
      return field.equals("type") ? Objects.requireNonNullElse(secret.getType(), "Opaque") : null;
    }
    if (object instanceof Service service) {
      var spec = service.getSpec();
      return switch (field) {
        case "spec.clusterIP" -> spec == null ? null : spec.getClusterIP();
        case "spec.type" -> spec == null || spec.getType() == null ? "ClusterIP" : spec.getType();
        default -> null;
      };
    }
    if (object instanceof Event event) {
      var involved = event.getInvolvedObject();
      return switch (field) {
        case "involvedObject.kind" -> involved == null ? null : involved.getKind();
        case "involvedObject.namespace" -> involved == null ? null : involved.getNamespace();
        case "involvedObject.name" -> involved == null ? null : involved.getName();
        case "involvedObject.uid" -> involved == null ? null : involved.getUid();
        case "involvedObject.apiVersion" -> involved == null ? null : involved.getApiVersion();
        case "involvedObject.resourceVersion" ->
            involved == null ? null : involved.getResourceVersion();
        case "involvedObject.fieldPath" -> involved == null ? null : involved.getFieldPath();
        case "reason" -> event.getReason();
        case "reportingComponent" -> event.getReportingComponent();
        case "source" -> {
          String component = event.getSource() == null ? null : event.getSource().getComponent();
          yield component == null || component.isEmpty()
              ? event.getReportingComponent()
              : component;
        }
        case "type" -> event.getType();
        default -> null;
      };
    }
    return null;
  }

  private static List<String> podIps(io.fabric8.kubernetes.api.model.PodStatus status) {
    if (status == null) {
      return List.of();
    }
    if (status.getPodIPs() != null && !status.getPodIPs().isEmpty()) {
      return status.getPodIPs().stream().map(PodIP::getIp).filter(Objects::nonNull).toList();
    }
    return status.getPodIP() == null ? List.of() : List.of(status.getPodIP());
  }

  /** True for the selector that matches everything. */
  public boolean isEverything() {
    return requirements.isEmpty();
  }

  /** The selector in the form {@link #parse} reads. */
  @Override
  public String toString() {
    return requirements.stream().map(Requirement::toString).collect(Collectors.joining(","));
  }
}
