package dev.kemu.api.store;

import dev.kemu.api.model.FieldError;
import dev.kemu.api.model.FieldPath;
import dev.kemu.api.validation.Syntax;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * A label selector: a conjunction of requirements on an object's labels. Parses the string form of
 * {@code ?labelSelector=} with the grammar, validation and error messages of {@code
 * k8s.io/apimachinery/pkg/labels/selector.go} ({@code labels.Parse}: {@code a=b}, {@code a==b},
 * {@code a!=b}, {@code a in (x,y)}, {@code a notin (x)}, {@code a}, {@code !a}, {@code a>1}, {@code
 * a<1}, whitespace between tokens), and converts the API's {@code matchLabels}/{@code
 * matchExpressions} as {@code metav1.LabelSelectorAsSelector} does (a nil selector matches nothing,
 * an empty one everything).
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
   * One requirement on one label key ({@code labels.Requirement}).
   *
   * @param key the label key
   * @param operator the operator
   * @param values the values (one for equality and {@code gt}/{@code lt}, one or more for set
   *     operators, none for existence)
   */
  public record Requirement(String key, Operator operator, Set<String> values) {
    public Requirement {
      values = Set.copyOf(values);
    }

    /** Whether the labels satisfy this requirement ({@code Requirement.Matches}). */
    public boolean matches(Map<String, String> labels) {
      String value = labels.get(key);
      boolean has = labels.containsKey(key);
      return switch (operator) {
        case IN, EQUALS -> has && values.contains(value);
        case NOT_IN, NOT_EQUALS -> !has || !values.contains(value);
        case EXISTS -> has;
        case DOES_NOT_EXIST -> !has;
        case GREATER_THAN, LESS_THAN -> has && compare(value);
      };
    }

    private boolean compare(String value) {
      if (value == null || values.size() != 1) {
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

    /** The requirement as {@code Requirement.String} prints it. */
    @Override
    public String toString() {
      String sorted = String.join(",", new TreeSet<>(values));
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

  /**
   * A selector of equality requirements, as a Service's {@code spec.selector} ({@code
   * labels.SelectorFromSet}: no validation; null or empty matches everything).
   */
  public static LabelSelector of(Map<String, String> matchLabels) {
    if (matchLabels == null || matchLabels.isEmpty()) {
      return EVERYTHING;
    }
    List<Requirement> requirements = new ArrayList<>();
    new TreeMap<>(matchLabels)
        .forEach((k, v) -> requirements.add(new Requirement(k, Operator.EQUALS, Set.of(v))));
    return new LabelSelector(requirements, false);
  }

  /**
   * Converts an API label selector ({@code LabelSelectorAsSelector}). A null selector matches
   * nothing, an empty one everything.
   *
   * @throws ApiException.BadRequest with upstream's message if an operator, key or value is invalid
   */
  public static LabelSelector of(io.fabric8.kubernetes.api.model.LabelSelector selector) {
    if (selector == null) {
      return NOTHING;
    }
    Map<String, String> matchLabels =
        selector.getMatchLabels() == null ? Map.of() : selector.getMatchLabels();
    boolean noExpressions =
        selector.getMatchExpressions() == null || selector.getMatchExpressions().isEmpty();
    if (matchLabels.isEmpty() && noExpressions) {
      return EVERYTHING;
    }
    List<Requirement> requirements = new ArrayList<>();
    try {
      for (var entry : new TreeMap<>(matchLabels).entrySet()) {
        requirements.add(
            requirement(entry.getKey(), Operator.EQUALS, List.of(entry.getValue()), false));
      }
      if (selector.getMatchExpressions() != null) {
        for (var expression : selector.getMatchExpressions()) {
          Operator op =
              switch (String.valueOf(expression.getOperator())) {
                case "In" -> Operator.IN;
                case "NotIn" -> Operator.NOT_IN;
                case "Exists" -> Operator.EXISTS;
                case "DoesNotExist" -> Operator.DOES_NOT_EXIST;
                default ->
                    throw new ApiException.BadRequest(
                        FieldError.goQuote(String.valueOf(expression.getOperator()))
                            + " is not a valid label selector operator");
              };
          List<String> values = expression.getValues() == null ? List.of() : expression.getValues();
          // LabelSelectorAsSelector copies the values with append([]string(nil), ...):
          // an empty list prints as []string(nil).
          requirements.add(
              requirement(
                  Objects.requireNonNullElse(expression.getKey(), ""),
                  op,
                  values,
                  values.isEmpty()));
        }
      }
    } catch (SelectorError e) {
      throw new ApiException.BadRequest(e.getMessage());
    }
    requirements.sort(Comparator.comparing(Requirement::key));
    return new LabelSelector(requirements, false);
  }

  /**
   * {@code labels.NewRequirement}: validates the key, the number of values for the operator and
   * each value, and reports every problem at once.
   */
  private static Requirement requirement(
      String key, Operator op, List<String> values, boolean nilValues) {
    List<FieldError> errors = new ArrayList<>();
    List<String> keyProblems = Syntax.qualifiedName(key);
    if (!keyProblems.isEmpty()) {
      errors.add(FieldError.invalid(FieldPath.of("key"), key, String.join("; ", keyProblems)));
    }
    FieldPath valuePath = FieldPath.of("values");
    Object shown = nilValues ? new GoSyntax("[]string(nil)") : values;
    switch (op) {
      case IN, NOT_IN -> {
        if (values.isEmpty()) {
          errors.add(
              FieldError.invalid(
                  valuePath, shown, "for 'in', 'notin' operators, values set can't be empty"));
        }
      }
      case EQUALS, NOT_EQUALS -> {
        if (values.size() != 1) {
          errors.add(
              FieldError.invalid(
                  valuePath, shown, "exact-match compatibility requires one single value"));
        }
      }
      case EXISTS, DOES_NOT_EXIST -> {
        if (!values.isEmpty()) {
          errors.add(
              FieldError.invalid(
                  valuePath, shown, "values set must be empty for exists and does not exist"));
        }
      }
      case GREATER_THAN, LESS_THAN -> {
        if (values.size() != 1) {
          errors.add(
              FieldError.invalid(
                  valuePath, shown, "for 'Gt', 'Lt' operators, exactly one value is required"));
        }
        for (int i = 0; i < values.size(); i++) {
          try {
            Long.parseLong(values.get(i));
          } catch (NumberFormatException e) {
            errors.add(
                FieldError.invalid(
                    valuePath.index(i),
                    values.get(i),
                    "for 'Gt', 'Lt' operators, the value must be an integer"));
          }
        }
      }
    }
    for (int i = 0; i < values.size(); i++) {
      List<String> problems = Syntax.labelValue(values.get(i));
      if (!problems.isEmpty()) {
        errors.add(
            FieldError.invalid(
                valuePath.index(i).key(key), values.get(i), String.join("; ", problems)));
      }
    }
    if (!errors.isEmpty()) {
      throw new SelectorError(aggregate(errors));
    }
    return new Requirement(key, op, new LinkedHashSet<>(values));
  }

  /** {@code field.ErrorList.ToAggregate().Error()}: one message, or {@code [a, b]}. */
  private static String aggregate(List<FieldError> errors) {
    Set<String> messages = new LinkedHashSet<>();
    errors.forEach(e -> messages.add(e.toString()));
    return messages.size() == 1
        ? messages.iterator().next()
        : messages.stream().collect(Collectors.joining(", ", "[", "]"));
  }

  /** A value printed verbatim in a field error, such as Go's {@code []string(nil)}. */
  private record GoSyntax(String text) {
    @Override
    public String toString() {
      return text;
    }
  }

  /** A parse error before it becomes a BadRequest. */
  private static final class SelectorError extends RuntimeException {
    SelectorError(String message) {
      super(message, null, false, false);
    }
  }

  /**
   * Parses the string form of a label selector, as {@code labels.Parse}.
   *
   * @throws ApiException.BadRequest with upstream's message (e.g. {@code unable to parse
   *     requirement: found '', expected: in, notin, =, ==, !=, gt, lt})
   */
  public static LabelSelector parse(String text) {
    if (text == null) {
      return EVERYTHING;
    }
    try {
      List<Requirement> requirements = new Parser(text).parse();
      if (requirements.isEmpty()) {
        return EVERYTHING;
      }
      requirements.sort(Comparator.comparing(Requirement::key));
      return new LabelSelector(requirements, false);
    } catch (SelectorError e) {
      throw new ApiException.BadRequest(e.getMessage());
    }
  }

  // ------------------------------------------------------------ lexer and parser of labels.Parse

  private enum Token {
    ERROR,
    END,
    CLOSED_PAR,
    COMMA,
    DOES_NOT_EXIST,
    DOUBLE_EQUALS,
    EQUALS,
    GREATER_THAN,
    IDENTIFIER,
    IN,
    LESS_THAN,
    NOT_EQUALS,
    NOT_IN,
    OPEN_PAR
  }

  private record Scanned(Token token, String literal) {}

  private static final Map<String, Token> KEYWORDS =
      Map.ofEntries(
          Map.entry(")", Token.CLOSED_PAR),
          Map.entry(",", Token.COMMA),
          Map.entry("!", Token.DOES_NOT_EXIST),
          Map.entry("==", Token.DOUBLE_EQUALS),
          Map.entry("=", Token.EQUALS),
          Map.entry(">", Token.GREATER_THAN),
          Map.entry("in", Token.IN),
          Map.entry("<", Token.LESS_THAN),
          Map.entry("!=", Token.NOT_EQUALS),
          Map.entry("notin", Token.NOT_IN),
          Map.entry("(", Token.OPEN_PAR));

  private static final String BINARY_OPERATORS = "in, notin, =, ==, !=, gt, lt";

  private static boolean isWhitespace(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
  }

  private static boolean isSpecial(char c) {
    return c == '=' || c == '!' || c == '(' || c == ')' || c == ',' || c == '>' || c == '<';
  }

  private static List<Scanned> scan(String s) {
    List<Scanned> items = new ArrayList<>();
    int pos = 0;
    while (true) {
      while (pos < s.length() && isWhitespace(s.charAt(pos))) {
        pos++;
      }
      if (pos >= s.length()) {
        items.add(new Scanned(Token.END, ""));
        return items;
      }
      char c = s.charAt(pos);
      if (isSpecial(c)) {
        // The longest run of special symbols that is a token ("!=", "=="), as scanSpecialSymbol.
        StringBuilder buffer = new StringBuilder();
        Scanned last = null;
        while (pos < s.length() && isSpecial(s.charAt(pos))) {
          buffer.append(s.charAt(pos));
          Token token = KEYWORDS.get(buffer.toString());
          if (token != null) {
            last = new Scanned(token, buffer.toString());
            pos++;
          } else if (last != null) {
            break;
          } else {
            pos++;
          }
        }
        items.add(
            last != null
                ? last
                : new Scanned(Token.ERROR, "error expected: keyword found '" + buffer + "'"));
      } else {
        int start = pos;
        while (pos < s.length() && !isSpecial(s.charAt(pos)) && !isWhitespace(s.charAt(pos))) {
          pos++;
        }
        String word = s.substring(start, pos);
        items.add(new Scanned(KEYWORDS.getOrDefault(word, Token.IDENTIFIER), word));
      }
    }
  }

  private static final class Parser {
    private final List<Scanned> items;
    private int position;

    Parser(String text) {
      this.items = scan(text);
    }

    /** In the values context, {@code in} and {@code notin} are identifiers. */
    private Scanned lookahead(boolean values) {
      return asContext(items.get(position), values);
    }

    private Scanned consume(boolean values) {
      return asContext(items.get(position++), values);
    }

    private static Scanned asContext(Scanned item, boolean values) {
      if (values && (item.token() == Token.IN || item.token() == Token.NOT_IN)) {
        return new Scanned(Token.IDENTIFIER, item.literal());
      }
      return item;
    }

    List<Requirement> parse() {
      List<Requirement> requirements = new ArrayList<>();
      while (true) {
        Scanned next = lookahead(true);
        switch (next.token()) {
          case IDENTIFIER, DOES_NOT_EXIST -> {
            try {
              requirements.add(parseRequirement());
            } catch (SelectorError e) {
              throw new SelectorError("unable to parse requirement: " + e.getMessage());
            }
            Scanned after = consume(true);
            switch (after.token()) {
              case END -> {
                return requirements;
              }
              case COMMA -> {
                Scanned following = lookahead(true);
                if (following.token() != Token.IDENTIFIER
                    && following.token() != Token.DOES_NOT_EXIST) {
                  throw new SelectorError(
                      "found '" + following.literal() + "', expected: identifier after ','");
                }
              }
              default ->
                  throw new SelectorError(
                      "found '" + after.literal() + "', expected: ',' or 'end of string'");
            }
          }
          case END -> {
            return requirements;
          }
          default ->
              throw new SelectorError(
                  "found '" + next.literal() + "', expected: !, identifier, or 'end of string'");
        }
      }
    }

    private Requirement parseRequirement() {
      Scanned first = consume(true);
      boolean negated = false;
      if (first.token() == Token.DOES_NOT_EXIST) {
        negated = true;
        first = consume(true);
      }
      if (first.token() != Token.IDENTIFIER) {
        throw new SelectorError("found '" + first.literal() + "', expected: identifier");
      }
      String key = first.literal();
      List<String> keyProblems = Syntax.qualifiedName(key);
      if (!keyProblems.isEmpty()) {
        // parseKeyAndInferOperator validates with the parser's (nil) path, printed "<nil>".
        throw new SelectorError(
            "<nil>: Invalid value: "
                + FieldError.goQuote(key)
                + ": "
                + String.join("; ", keyProblems));
      }
      Token next = lookahead(true).token();
      if (negated) {
        // "!a" is complete whatever follows; "!a=b" then fails on the '=' in parse().
        return requirement(key, Operator.DOES_NOT_EXIST, List.of(), false);
      }
      if (next == Token.END || next == Token.COMMA) {
        return requirement(key, Operator.EXISTS, List.of(), false);
      }
      Scanned opToken = consume(false);
      Operator op =
          switch (opToken.token()) {
            case IN -> Operator.IN;
            case NOT_IN -> Operator.NOT_IN;
            case EQUALS, DOUBLE_EQUALS -> Operator.EQUALS;
            case NOT_EQUALS -> Operator.NOT_EQUALS;
            case GREATER_THAN -> Operator.GREATER_THAN;
            case LESS_THAN -> Operator.LESS_THAN;
            default ->
                throw new SelectorError(
                    "found '" + opToken.literal() + "', expected: " + BINARY_OPERATORS);
          };
      TreeSet<String> values =
          op == Operator.IN || op == Operator.NOT_IN ? parseValues() : parseExactValue();
      return requirement(key, op, new ArrayList<>(values), false);
    }

    private TreeSet<String> parseValues() {
      Scanned open = consume(true);
      if (open.token() != Token.OPEN_PAR) {
        throw new SelectorError("found '" + open.literal() + "' expected: '('");
      }
      Scanned next = lookahead(true);
      switch (next.token()) {
        case IDENTIFIER, COMMA -> {
          TreeSet<String> values = parseIdentifiersList();
          if (consume(true).token() != Token.CLOSED_PAR) {
            throw new SelectorError("found '" + next.literal() + "', expected: ')'");
          }
          return values;
        }
        case CLOSED_PAR -> {
          consume(true);
          return new TreeSet<>(Set.of(""));
        }
        default ->
            throw new SelectorError(
                "found '" + next.literal() + "', expected: ',', ')' or identifier");
      }
    }

    private TreeSet<String> parseIdentifiersList() {
      TreeSet<String> values = new TreeSet<>();
      while (true) {
        Scanned item = consume(true);
        switch (item.token()) {
          case IDENTIFIER -> {
            values.add(item.literal());
            Scanned next = lookahead(true);
            if (next.token() == Token.CLOSED_PAR) {
              return values;
            }
            if (next.token() != Token.COMMA) {
              throw new SelectorError("found '" + next.literal() + "', expected: ',' or ')'");
            }
          }
          case COMMA -> {
            if (values.isEmpty()) {
              values.add("");
            }
            Token next = lookahead(true).token();
            if (next == Token.CLOSED_PAR) {
              values.add("");
              return values;
            }
            if (next == Token.COMMA) {
              consume(true);
              values.add("");
            }
          }
          default ->
              throw new SelectorError(
                  "found '" + item.literal() + "', expected: ',', or identifier");
        }
      }
    }

    private TreeSet<String> parseExactValue() {
      Token next = lookahead(true).token();
      if (next == Token.END || next == Token.COMMA) {
        return new TreeSet<>(Set.of(""));
      }
      Scanned value = consume(true);
      if (value.token() == Token.IDENTIFIER) {
        return new TreeSet<>(Set.of(value.literal()));
      }
      throw new SelectorError("found '" + value.literal() + "', expected: identifier");
    }
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

  /** The selector in the string form {@link #parse} reads ({@code <none>} for nothing). */
  @Override
  public String toString() {
    if (matchesNothing) {
      return "<none>";
    }
    return requirements.stream().map(Requirement::toString).collect(Collectors.joining(","));
  }
}
