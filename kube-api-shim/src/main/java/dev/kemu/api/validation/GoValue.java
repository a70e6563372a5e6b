package dev.kemu.api.validation;

import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * A bad value as the apiserver prints compound values in validation messages: with Go's {@code
 * %#v}, as {@code field.Error.ErrorBody} does for anything that is not a string, number or bool
 * ({@code []string{"10.0.0.5"}}, {@code map[string]string{"app":"web"}}). {@link
 * dev.kemu.api.model.FieldError} prints a bad value with {@code toString()}, so wrapping the value
 * in a {@code GoValue} makes the message read as the apiserver's.
 *
 * @param text the Go syntax
 */
public record GoValue(String text) {

  /** A {@code []string}; an empty or absent list prints as Go's nil slice. */
  public static GoValue strings(List<String> values) {
    return typedStrings("string", values);
  }

  /** A slice of a named string type, such as {@code []networking.PolicyType{"Ingress"}}. */
  public static GoValue typedStrings(String elementType, List<String> values) {
    if (values == null || values.isEmpty()) {
      return new GoValue("[]" + elementType + "(nil)");
    }
    return new GoValue(
        "[]"
            + elementType
            + values.stream().map(GoValue::quote).collect(Collectors.joining(", ", "{", "}")));
  }

  /** A {@code map[string]string} with its keys sorted, as Go's fmt prints maps. */
  public static GoValue stringMap(Map<String, String> map) {
    return new GoValue(mapText(map));
  }

  /** A nil value of a Go type, such as {@code []networking.IngressRule(nil)}. */
  public static GoValue nil(String goType) {
    return new GoValue(goType + "(nil)");
  }

  /** The {@code null} the apiserver prints for a nil pointer. */
  public static GoValue nullPointer() {
    return new GoValue("null");
  }

  /** A {@code metav1.LabelSelector}, as {@code v1.LabelSelector{MatchLabels:..., ...}}. */
  public static GoValue labelSelector(LabelSelector selector) {
    if (selector == null) {
      return nullPointer();
    }
    List<LabelSelectorRequirement> expressions = selector.getMatchExpressions();
    String exprs;
    if (expressions == null || expressions.isEmpty()) {
      exprs = "[]v1.LabelSelectorRequirement(nil)";
    } else {
      exprs =
          expressions.stream()
              .map(
                  r ->
                      "v1.LabelSelectorRequirement{Key:"
                          + quote(r.getKey())
                          + ", Operator:"
                          + quote(r.getOperator())
                          + ", Values:"
                          + strings(r.getValues()).text()
                          + "}")
              .collect(Collectors.joining(", ", "[]v1.LabelSelectorRequirement{", "}"));
    }
    return new GoValue(
        "v1.LabelSelector{MatchLabels:"
            + mapText(selector.getMatchLabels())
            + ", MatchExpressions:"
            + exprs
            + "}");
  }

  private static String mapText(Map<String, String> map) {
    if (map == null || map.isEmpty()) {
      return "map[string]string(nil)";
    }
    return new TreeMap<>(map)
        .entrySet().stream()
            .map(e -> quote(e.getKey()) + ":" + quote(e.getValue()))
            .collect(Collectors.joining(", ", "map[string]string{", "}"));
  }

  /** A Go-quoted string, as {@code strconv.Quote}. */
  public static String quote(String s) {
    if (s == null) {
      s = "";
    }
    StringBuilder sb = new StringBuilder("\"");
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\t' -> sb.append("\\t");
        case '\r' -> sb.append("\\r");
        default -> {
          if (c < 0x20 || c == 0x7f) {
            sb.append(String.format("\\x%02x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    return sb.append('"').toString();
  }

  @Override
  public String toString() {
    return text;
  }
}
