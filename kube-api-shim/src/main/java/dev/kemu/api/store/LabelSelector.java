package dev.kemu.api.store;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * A label selector: a conjunction of requirements on an object's labels. Parses the string form of
 * {@code ?labelSelector=} ({@code k8s.io/apimachinery/pkg/labels.Parse}: {@code a=b}, {@code a!=b},
 * {@code a in (x,y)}, {@code a notin (x)}, {@code a}, {@code !a}, {@code a>1}) and converts the
 * API's {@code matchLabels}/{@code matchExpressions} ({@code LabelSelectorAsSelector}).
 *
 * @param requirements the requirements, all of which must hold; none means everything
 * @param matchesNothing true for the selector that matches nothing (a nil API selector)
 */
public record LabelSelector(List<Requirement> requirements, boolean matchesNothing) {

  /** The operators of a requirement, as {@code selection.Operator}. */
  public enum Operator {
    IN,
    NOT_IN,
    EXISTS,
    DOES_NOT_EXIST,
    EQUALS,
    NOT_EQUALS,
    GREATER_THAN,
    LESS_THAN
  }

  /**
   * One requirement on one label key.
   *
   * @param key the label key
   * @param operator the operator
   * @param values the values (one for equality, several for set operators, none for existence)
   */
  public record Requirement(String key, Operator operator, Set<String> values) {
    public Requirement {
      values = Set.copyOf(values);
    }

    /** Whether the labels satisfy this requirement. */
    public boolean matches(Map<String, String> labels) {
      String value = labels.get(key);
      return switch (operator) {
        case IN, EQUALS -> value != null && values.contains(value);
        case NOT_IN, NOT_EQUALS -> value == null || !values.contains(value);
        case EXISTS -> labels.containsKey(key);
        case DOES_NOT_EXIST -> !labels.containsKey(key);
        case GREATER_THAN, LESS_THAN -> compare(value);
      };
    }

    private boolean compare(String value) {
      if (value == null) {
        return false;
      }
      try {
        long actual = Long.parseLong(value);
        long bound = Long.parseLong(values.iterator().next());
        return operator == Operator.GREATER_THAN ? actual > bound : actual < bound;
      } catch (NumberFormatException e) {
        return false;
      }
    }

    @Override
    public String toString() {
      String sorted = new TreeSet<>(values).stream().collect(Collectors.joining(","));
      return switch (operator) {
        case IN -> key + " in (" + sorted + ")";
        case NOT_IN -> key + " notin (" + sorted + ")";
        case EXISTS -> key;
        case DOES_NOT_EXIST -> "!" + key;
        case EQUALS -> key + "=" + sorted;
        case NOT_EQUALS -> key + "!=" + sorted;
        case GREATER_THAN -> key + ">" + sorted;
        case LESS_THAN -> key + "<" + sorted;
      };
    }
  }

  public LabelSelector {
    requirements = List.copyOf(requirements);
  }

  private static final LabelSelector EVERYTHING = new LabelSelector(List.of(), false);
  private static final LabelSelector NOTHING = new LabelSelector(List.of(), true);

  /** The selector that matches every object (the empty selector). */
  public static LabelSelector everything() {
    return EVERYTHING;
  }

  /** The selector that matches no object (a nil API selector). */
  public static LabelSelector nothing() {
    return NOTHING;
  }

  /** A selector of equality requirements, as a Service's {@code spec.selector}. */
  public static LabelSelector of(Map<String, String> matchLabels) {
    if (matchLabels == null || matchLabels.isEmpty()) {
      return EVERYTHING;
    }
    List<Requirement> requirements = new ArrayList<>();
    matchLabels.forEach((k, v) -> requirements.add(new Requirement(k, Operator.EQUALS, Set.of(v))));
    return new LabelSelector(requirements, false);
  }

  /**
   * Converts an API label selector. A null selector matches nothing, an empty one everything.
   *
   * @throws ApiException.BadRequest if an expression is malformed
   */
  public static LabelSelector of(io.fabric8.kubernetes.api.model.LabelSelector selector) {
    if (selector == null) {
      return NOTHING;
    }
    List<Requirement> requirements = new ArrayList<>(of(selector.getMatchLabels()).requirements());
    if (selector.getMatchExpressions() != null) {
      for (var expression : selector.getMatchExpressions()) {
        List<String> values = expression.getValues() == null ? List.of() : expression.getValues();
        Operator op =
            switch (String.valueOf(expression.getOperator())) {
              case "In" -> Operator.IN;
              case "NotIn" -> Operator.NOT_IN;
              case "Exists" -> Operator.EXISTS;
              case "DoesNotExist" -> Operator.DOES_NOT_EXIST;
              default ->
                  throw new ApiException.BadRequest(
                      "\""
                          + expression.getOperator()
                          + "\" is not a valid label selector operator");
            };
        if ((op == Operator.IN || op == Operator.NOT_IN) && values.isEmpty()) {
          throw new ApiException.BadRequest(
              "values: Invalid value: []string(nil): for 'in', 'notin' operators, values set"
                  + " can't be empty");
        }
        if ((op == Operator.EXISTS || op == Operator.DOES_NOT_EXIST) && !values.isEmpty()) {
          throw new ApiException.BadRequest(
              "values: Invalid value: "
                  + values
                  + ": values set must be empty for exists and does not exist");
        }
        requirements.add(new Requirement(expression.getKey(), op, Set.copyOf(values)));
      }
    }
    return new LabelSelector(requirements, false);
  }

  /**
   * Parses the string form of a label selector.
   *
   * @throws ApiException.BadRequest naming the part that cannot be parsed
   */
  public static LabelSelector parse(String text) {
    if (text == null || text.isBlank()) {
      return EVERYTHING;
    }
    List<Requirement> requirements = new ArrayList<>();
    for (String part : splitTopLevel(text)) {
      requirements.add(parseRequirement(part.trim(), text));
    }
    return new LabelSelector(requirements, false);
  }

  private static List<String> splitTopLevel(String text) {
    List<String> parts = new ArrayList<>();
    int depth = 0;
    int start = 0;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '(') {
        depth++;
      } else if (c == ')') {
        depth--;
      } else if (c == ',' && depth == 0) {
        parts.add(text.substring(start, i));
        start = i + 1;
      }
    }
    parts.add(text.substring(start));
    return parts;
  }

  private static Requirement parseRequirement(String part, String whole) {
    if (part.isEmpty()) {
      throw bad(whole, "found '', expected: identifier");
    }
    if (part.startsWith("!")) {
      return new Requirement(
          key(part.substring(1).trim(), whole), Operator.DOES_NOT_EXIST, Set.of());
    }
    String[] words = part.split("\\s+", 2);
    if (words.length == 2
        && (words[1].startsWith("in ")
            || words[1].startsWith("in(")
            || words[1].startsWith("notin ")
            || words[1].startsWith("notin("))) {
      boolean in = words[1].startsWith("in");
      String rest = words[1].substring(in ? 2 : 5).trim();
      if (!rest.startsWith("(") || !rest.endsWith(")")) {
        throw bad(whole, "found '" + rest + "', expected: '('");
      }
      Set<String> values = new TreeSet<>();
      for (String v : rest.substring(1, rest.length() - 1).split(",")) {
        values.add(value(v.trim(), whole));
      }
      return new Requirement(key(words[0], whole), in ? Operator.IN : Operator.NOT_IN, values);
    }
    for (String op : List.of("!=", "==", "=", ">", "<")) {
      int at = part.indexOf(op);
      if (at >= 0) {
        String key = key(part.substring(0, at).trim(), whole);
        String value = value(part.substring(at + op.length()).trim(), whole);
        Operator operator =
            switch (op) {
              case "!=" -> Operator.NOT_EQUALS;
              case ">" -> Operator.GREATER_THAN;
              case "<" -> Operator.LESS_THAN;
              default -> Operator.EQUALS;
            };
        if ((operator == Operator.GREATER_THAN || operator == Operator.LESS_THAN)
            && !value.matches("-?\\d+")) {
          throw bad(whole, "for 'Gt', 'Lt' operators, the value must be an integer");
        }
        return new Requirement(key, operator, Set.of(value));
      }
    }
    return new Requirement(key(part, whole), Operator.EXISTS, Set.of());
  }

  private static String key(String key, String whole) {
    if (!key.matches(
        "([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?")) {
      throw bad(whole, "invalid label key \"" + key + "\"");
    }
    return key;
  }

  private static String value(String value, String whole) {
    if (!value.isEmpty() && !value.matches("[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?")) {
      throw bad(whole, "invalid label value: \"" + value + "\"");
    }
    return value;
  }

  private static ApiException.BadRequest bad(String whole, String detail) {
    return new ApiException.BadRequest(
        "unable to parse requirement: " + detail + " (in selector \"" + whole + "\")");
  }

  /** Whether the labels (null for none) satisfy every requirement. */
  public boolean matches(Map<String, String> labels) {
    if (matchesNothing) {
      return false;
    }
    Map<String, String> actual = labels == null ? Map.of() : labels;
    for (Requirement requirement : requirements) {
      if (!requirement.matches(actual)) {
        return false;
      }
    }
    return true;
  }

  /** True for the selector that matches every object. */
  public boolean isEverything() {
    return !matchesNothing && requirements.isEmpty();
  }

  @Override
  public String toString() {
    if (matchesNothing) {
      return "<none>";
    }
    return requirements.stream().map(Requirement::toString).collect(Collectors.joining(","));
  }
}
