package dev.kemu.api.validation;

import dev.kemu.api.model.FieldError;
import dev.kemu.api.model.FieldPath;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Validation shared by all kinds: labels, annotations and label selectors, as {@code
 * k8s.io/apimachinery/pkg/apis/meta/v1/validation} ({@code ValidateLabels}, {@code
 * ValidateLabelSelector}) and {@code k8s.io/apimachinery/pkg/api/validation} ({@code
 * ValidateAnnotations}, {@code ValidateNonnegativeField}).
 */
public final class MetaValidation {
  /** {@code TotalAnnotationSizeLimitB}. */
  private static final int TOTAL_ANNOTATION_SIZE = 256 * 1024;

  private MetaValidation() {}

  /** The labels and annotations of an object's metadata. */
  public static List<FieldError> objectMeta(ObjectMeta meta) {
    List<FieldError> errors = new ArrayList<>();
    if (meta == null) {
      return errors;
    }
    FieldPath path = FieldPath.of("metadata");
    errors.addAll(labels(meta.getLabels(), path.child("labels")));
    errors.addAll(annotations(meta.getAnnotations(), path.child("annotations")));
    return errors;
  }

  /** {@code ValidateLabels}: every key a qualified name, every value a label value. */
  public static List<FieldError> labels(Map<String, String> labels, FieldPath path) {
    List<FieldError> errors = new ArrayList<>();
    if (labels == null) {
      return errors;
    }
    // Go iterates maps in random order; sorted keys make messages repeatable.
    for (Map.Entry<String, String> e : new TreeMap<>(labels).entrySet()) {
      errors.addAll(labelName(e.getKey(), path));
      String value = e.getValue() == null ? "" : e.getValue();
      for (String msg : Syntax.labelValue(value)) {
        errors.add(FieldError.invalid(path, value, msg));
      }
    }
    return errors;
  }

  /** {@code ValidateLabelName}. */
  public static List<FieldError> labelName(String key, FieldPath path) {
    List<FieldError> errors = new ArrayList<>();
    String k = key == null ? "" : key;
    for (String msg : Syntax.qualifiedName(k)) {
      errors.add(FieldError.invalid(path, k, msg));
    }
    return errors;
  }

  /** {@code ValidateAnnotations}: keys are qualified names (case-insensitive), 256 KiB in all. */
  public static List<FieldError> annotations(Map<String, String> annotations, FieldPath path) {
    List<FieldError> errors = new ArrayList<>();
    if (annotations == null) {
      return errors;
    }
    long size = 0;
    for (Map.Entry<String, String> e : new TreeMap<>(annotations).entrySet()) {
      for (String msg : Syntax.qualifiedName(e.getKey().toLowerCase(Locale.ROOT))) {
        errors.add(FieldError.invalid(path, e.getKey(), msg));
      }
      size += e.getKey().getBytes(StandardCharsets.UTF_8).length;
      size += e.getValue() == null ? 0 : e.getValue().getBytes(StandardCharsets.UTF_8).length;
    }
    if (size > TOTAL_ANNOTATION_SIZE) {
      errors.add(FieldError.tooLong(path, TOTAL_ANNOTATION_SIZE));
    }
    return errors;
  }

  /** {@code ValidateLabelSelector}; a null selector is valid. */
  public static List<FieldError> labelSelector(LabelSelector selector, FieldPath path) {
    List<FieldError> errors = new ArrayList<>();
    if (selector == null) {
      return errors;
    }
    errors.addAll(labels(selector.getMatchLabels(), path.child("matchLabels")));
    List<LabelSelectorRequirement> expressions = selector.getMatchExpressions();
    if (expressions != null) {
      for (int i = 0; i < expressions.size(); i++) {
        errors.addAll(requirement(expressions.get(i), path.child("matchExpressions").index(i)));
      }
    }
    return errors;
  }

  private static List<FieldError> requirement(LabelSelectorRequirement r, FieldPath path) {
    List<FieldError> errors = new ArrayList<>();
    String op = r.getOperator() == null ? "" : r.getOperator();
    int values = r.getValues() == null ? 0 : r.getValues().size();
    switch (op) {
      case "In", "NotIn" -> {
        if (values == 0) {
          errors.add(
              FieldError.required(
                  path.child("values"), "must be specified when `operator` is 'In' or 'NotIn'"));
        }
      }
      case "Exists", "DoesNotExist" -> {
        if (values > 0) {
          errors.add(
              FieldError.forbidden(
                  path.child("values"),
                  "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
        }
      }
      default ->
          errors.add(
              FieldError.invalid(path.child("operator"), op, "not a valid selector operator"));
    }
    errors.addAll(labelName(r.getKey(), path.child("key")));
    if (r.getValues() != null) {
      for (int i = 0; i < r.getValues().size(); i++) {
        String v = r.getValues().get(i) == null ? "" : r.getValues().get(i);
        for (String msg : Syntax.labelValue(v)) {
          errors.add(FieldError.invalid(path.child("values").index(i), v, msg));
        }
      }
    }
    return errors;
  }

  /** {@code ValidateNonnegativeField}. */
  public static List<FieldError> nonnegative(long value, FieldPath path) {
    return value < 0
        ? List.of(FieldError.invalid(path, value, "must be greater than or equal to 0"))
        : List.of();
  }

  /** {@code ValidateDNS1123Label}: one error per message. */
  public static List<FieldError> dns1123Label(String value, FieldPath path) {
    return each(Syntax.dns1123Label(value), path, value);
  }

  /** {@code ValidateDNS1123Subdomain}: one error per message. */
  public static List<FieldError> dns1123Subdomain(String value, FieldPath path) {
    return each(Syntax.dns1123Subdomain(value), path, value);
  }

  /** {@code ValidateQualifiedName}: one error per message. */
  public static List<FieldError> qualifiedName(String value, FieldPath path) {
    return each(Syntax.qualifiedName(value), path, value);
  }

  /** {@code ValidatePortNumOrName} for an {@code IntOrString}. */
  public static List<FieldError> portNumOrName(
      io.fabric8.kubernetes.api.model.IntOrString port, FieldPath path) {
    List<FieldError> errors = new ArrayList<>();
    if (port == null) {
      return errors;
    }
    if (port.getStrVal() != null) {
      errors.addAll(each(Syntax.portName(port.getStrVal()), path, port.getStrVal()));
    } else {
      int value = port.getIntVal() == null ? 0 : port.getIntVal();
      for (String msg : Syntax.portNumber(value)) {
        errors.add(FieldError.invalid(path, value, msg));
      }
    }
    return errors;
  }

  static List<FieldError> each(List<String> messages, FieldPath path, Object value) {
    List<FieldError> errors = new ArrayList<>();
    for (String msg : messages) {
      errors.add(FieldError.invalid(path, value, msg));
    }
    return errors;
  }
}
