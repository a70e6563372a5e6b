package dev.kemu.api.store;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kemu.api.model.ResourceCodec;
import dev.kemu.api.model.ResourceType;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A field selector ({@code ?fieldSelector=}): equality requirements on the fields the apiserver
 * indexes for each kind ({@code metadata.name}, {@code metadata.namespace} everywhere, {@code
 * status.phase} on Pods, {@code type} on Secrets, ...). A field the kind does not support is
 * rejected with the apiserver's message, {@code field label not supported: x}.
 *
 * @param requirements the requirements, all of which must hold
 */
public record FieldSelector(List<Requirement> requirements) {

  /**
   * One requirement: {@code field=value} or {@code field!=value}.
   *
   * @param field the dotted field path
   * @param value the value
   * @param equal true for {@code =}/{@code ==}, false for {@code !=}
   */
  public record Requirement(String field, String value, boolean equal) {
    @Override
    public String toString() {
      return field + (equal ? "=" : "!=") + value;
    }
  }

  /** The fields each kind can be selected on, besides metadata.name and metadata.namespace. */
  private static final Map<String, Set<String>> SUPPORTED =
      Map.of(
          "Pod",
          Set.of(
              "spec.nodeName",
              "spec.restartPolicy",
              "spec.schedulerName",
              "spec.serviceAccountName",
              "spec.hostNetwork",
              "status.phase",
              "status.podIP",
              "status.nominatedNodeName"),
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
              "type"),
          "Secret",
          Set.of("type"),
          "Namespace",
          Set.of("status.phase"),
          "Node",
          Set.of("spec.unschedulable"),
          "ReplicaSet",
          Set.of("status.replicas"),
          "Service",
          Set.of("spec.clusterIP", "spec.type"));

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
   * Parses {@code a=b,c!=d} and checks each field is supported for the type.
   *
   * @throws ApiException.BadRequest for a malformed selector or an unsupported field
   */
  public static FieldSelector parse(String text, ResourceType type) {
    if (text == null || text.isBlank()) {
      return EVERYTHING;
    }
    List<Requirement> requirements = new ArrayList<>();
    for (String part : text.split(",")) {
      String p = part.trim();
      Requirement requirement;
      int ne = p.indexOf("!=");
      int eq = p.indexOf('=');
      if (ne >= 0) {
        requirement = new Requirement(p.substring(0, ne).trim(), p.substring(ne + 2).trim(), false);
      } else if (eq >= 0) {
        String value = p.substring(eq + 1);
        if (value.startsWith("=")) {
          value = value.substring(1);
        }
        requirement = new Requirement(p.substring(0, eq).trim(), value.trim(), true);
      } else {
        throw new ApiException.BadRequest(
            "invalid selector: '" + text + "'; can't understand '" + p + "'");
      }
      if (!supports(type, requirement.field())) {
        throw new ApiException.BadRequest("field label not supported: " + requirement.field());
      }
      requirements.add(requirement);
    }
    return new FieldSelector(requirements);
  }

  private static boolean supports(ResourceType type, String field) {
    return field.equals("metadata.name")
        || field.equals("metadata.namespace")
        || SUPPORTED.getOrDefault(type.kind(), Set.of()).contains(field);
  }

  /** Whether the object satisfies every requirement. */
  public boolean matches(HasMetadata object) {
    if (requirements.isEmpty()) {
      return true;
    }
    JsonNode tree = null;
    for (Requirement requirement : requirements) {
      String actual;
      switch (requirement.field()) {
        case "metadata.name" -> actual = object.getMetadata().getName();
        case "metadata.namespace" -> actual = object.getMetadata().getNamespace();
        default -> {
          if (tree == null) {
            tree = ResourceCodec.tree(object);
          }
          JsonNode node = tree;
          for (String segment : requirement.field().split("\\.")) {
            node = node.path(segment);
          }
          actual = node.isMissingNode() || node.isNull() ? "" : node.asText();
        }
      }
      boolean equal = requirement.value().equals(actual == null ? "" : actual);
      if (equal != requirement.equal()) {
        return false;
      }
    }
    return true;
  }

  @Override
  public String toString() {
    return requirements.stream().map(Requirement::toString).collect(Collectors.joining(","));
  }
}
