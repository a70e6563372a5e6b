package dev.kemu.api.controllers;

import io.fabric8.kubernetes.api.model.Affinity;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeSelector;
import io.fabric8.kubernetes.api.model.NodeSelectorRequirement;
import io.fabric8.kubernetes.api.model.NodeSelectorTerm;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.api.model.Toleration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Predicate;

/**
 * Whether a pod fits a node by name, node selector, required node affinity and taints: the checks
 * the DaemonSet controller makes before it places a daemon pod ({@code predicates} in {@code
 * pkg/controller/daemon/daemon_controller.go}), using {@code nodeaffinity.GetRequiredNodeAffinity}
 * ({@code component-helpers/scheduling/corev1/nodeaffinity}) and {@code Toleration.ToleratesTaint}
 * ({@code k8s.io/api/core/v1/toleration.go}).
 */
final class NodePredicates {
  /** The only field a node selector may match ({@code metav1.ObjectNameField}). */
  static final String OBJECT_NAME_FIELD = "metadata.name";

  private NodePredicates() {}

  /** {@code spec.nodeSelector} and required node affinity both match the node. */
  static boolean fitsNodeAffinity(PodSpec spec, Node node) {
    Map<String, String> labels = labels(node);
    if (spec.getNodeSelector() != null) {
      for (Map.Entry<String, String> entry : spec.getNodeSelector().entrySet()) {
        if (!Objects.equals(labels.get(entry.getKey()), entry.getValue())) {
          return false;
        }
      }
    }
    NodeSelector required = requiredAffinity(spec.getAffinity());
    return required == null || matches(required, node);
  }

  private static NodeSelector requiredAffinity(Affinity affinity) {
    return affinity == null || affinity.getNodeAffinity() == null
        ? null
        : affinity.getNodeAffinity().getRequiredDuringSchedulingIgnoredDuringExecution();
  }

  /** A node selector: any of its terms matches; a term with no requirement matches nothing. */
  static boolean matches(NodeSelector selector, Node node) {
    for (NodeSelectorTerm term : Pods.listOf(selector.getNodeSelectorTerms())) {
      List<NodeSelectorRequirement> expressions = Pods.listOf(term.getMatchExpressions());
      List<NodeSelectorRequirement> fields = Pods.listOf(term.getMatchFields());
      if (expressions.isEmpty() && fields.isEmpty()) {
        continue;
      }
      boolean all = true;
      for (NodeSelectorRequirement requirement : expressions) {
        all &=
            matches(
                requirement,
                labels(node).get(requirement.getKey()),
                labels(node).containsKey(requirement.getKey()));
      }
      for (NodeSelectorRequirement requirement : fields) {
        all &=
            OBJECT_NAME_FIELD.equals(requirement.getKey())
                && ("In".equals(requirement.getOperator())
                    || "NotIn".equals(requirement.getOperator()))
                && matches(requirement, node.getMetadata().getName(), true);
      }
      if (all) {
        return true;
      }
    }
    return false;
  }

  private static boolean matches(
      NodeSelectorRequirement requirement, String value, boolean present) {
    List<String> values = Pods.listOf(requirement.getValues());
    switch (String.valueOf(requirement.getOperator())) {
      case "In":
        return present && values.contains(value);
      case "NotIn":
        return !present || !values.contains(value);
      case "Exists":
        return present;
      case "DoesNotExist":
        return !present;
      case "Gt":
      case "Lt":
        if (!present || values.size() != 1) {
          return false;
        }
        try {
          long actual = Long.parseLong(value);
          long bound = Long.parseLong(values.get(0));
          return "Gt".equals(requirement.getOperator()) ? actual > bound : actual < bound;
        } catch (NumberFormatException e) {
          return false;
        }
      default:
        return false;
    }
  }

  /** {@code FindMatchingUntoleratedTaint}: whether a taint the filter keeps is not tolerated. */
  static boolean hasUntoleratedTaint(
      List<Taint> taints, List<Toleration> tolerations, Predicate<Taint> filter) {
    for (Taint taint : Pods.listOf(taints)) {
      if (!filter.test(taint)) {
        continue;
      }
      boolean tolerated = false;
      for (Toleration toleration : Pods.listOf(tolerations)) {
        if (tolerates(toleration, taint)) {
          tolerated = true;
          break;
        }
      }
      if (!tolerated) {
        return true;
      }
    }
    return false;
  }

  /** {@code Toleration.ToleratesTaint}. */
  static boolean tolerates(Toleration toleration, Taint taint) {
    if (notEmpty(toleration.getEffect()) && !toleration.getEffect().equals(taint.getEffect())) {
      return false;
    }
    if (notEmpty(toleration.getKey()) && !toleration.getKey().equals(taint.getKey())) {
      return false;
    }
    String operator = toleration.getOperator();
    if (operator == null || operator.isEmpty() || "Equal".equals(operator)) {
      return Objects.equals(
          Objects.requireNonNullElse(toleration.getValue(), ""),
          Objects.requireNonNullElse(taint.getValue(), ""));
    }
    return "Exists".equals(operator);
  }

  private static boolean notEmpty(String s) {
    return s != null && !s.isEmpty();
  }

  private static Map<String, String> labels(Node node) {
    Map<String, String> labels = node.getMetadata().getLabels();
    return labels == null ? Map.of() : labels;
  }
}
