package dev.kemu.api.validation;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The rules for label keys ("qualified names") and label values, with the apiserver's messages:
 * {@code IsQualifiedName} and {@code IsValidLabelValue} of {@code
 * k8s.io/apimachinery/pkg/util/validation/validation.go}. Each method returns every problem found,
 * in upstream order; callers join them with {@code "; "} as {@code labels.validateLabelKey} does.
 */
public final class Labels {
  private static final String QUALIFIED_NAME_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
  private static final Pattern QUALIFIED_NAME = Pattern.compile(QUALIFIED_NAME_FMT);
  private static final String QUALIFIED_NAME_MSG =
      "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an"
          + " alphanumeric character";
  private static final String LABEL_VALUE_FMT = "(" + QUALIFIED_NAME_FMT + ")?";
  private static final Pattern LABEL_VALUE = Pattern.compile(LABEL_VALUE_FMT);
  private static final String LABEL_VALUE_MSG =
      "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or"
          + " '.', and must start and end with an alphanumeric character";
  private static final String DNS1123_LABEL = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
  private static final String DNS1123_SUBDOMAIN_FMT = DNS1123_LABEL + "(\\." + DNS1123_LABEL + ")*";
  private static final Pattern DNS1123_SUBDOMAIN = Pattern.compile(DNS1123_SUBDOMAIN_FMT);

  private Labels() {}

  /** The problems of a label key (a qualified name, optionally with a DNS subdomain prefix). */
  public static List<String> keyProblems(String key) {
    List<String> problems = new ArrayList<>();
    String[] parts = key.split("/", -1);
    String name;
    switch (parts.length) {
      case 1 -> name = parts[0];
      case 2 -> {
        String prefix = parts[0];
        name = parts[1];
        if (prefix.isEmpty()) {
          problems.add("prefix part must be non-empty");
        } else {
          if (prefix.length() > 253) {
            problems.add("prefix part " + maxLength(253));
          }
          if (!DNS1123_SUBDOMAIN.matcher(prefix).matches()) {
            problems.add(
                "prefix part "
                    + regexError(
                        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric"
                            + " characters, '-' or '.', and must start and end with an"
                            + " alphanumeric character",
                        DNS1123_SUBDOMAIN_FMT,
                        "example.com"));
          }
        }
      }
      default -> {
        problems.add(
            "a qualified name "
                + regexError(QUALIFIED_NAME_MSG, QUALIFIED_NAME_FMT, "MyName", "my.name", "123-abc")
                + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')");
        return problems;
      }
    }
    if (name.isEmpty()) {
      problems.add("name part must be non-empty");
    } else if (name.length() > 63) {
      problems.add("name part " + maxLength(63));
    }
    if (!QUALIFIED_NAME.matcher(name).matches()) {
      problems.add(
          "name part "
              + regexError(QUALIFIED_NAME_MSG, QUALIFIED_NAME_FMT, "MyName", "my.name", "123-abc"));
    }
    return problems;
  }

  /** The problems of a label value (empty is valid). */
  public static List<String> valueProblems(String value) {
    List<String> problems = new ArrayList<>();
    if (value.length() > 63) {
      problems.add(maxLength(63));
    }
    if (!LABEL_VALUE.matcher(value).matches()) {
      problems.add(regexError(LABEL_VALUE_MSG, LABEL_VALUE_FMT, "MyValue", "my_value", "12345"));
    }
    return problems;
  }

  /** {@code MaxLenError}. */
  static String maxLength(int length) {
    return "must be no more than " + length + " characters";
  }

  /** {@code RegexError}: the message, the examples and the regular expression. */
  static String regexError(String message, String regex, String... examples) {
    if (examples.length == 0) {
      return message + " (regex used for validation is '" + regex + "')";
    }
    StringBuilder sb = new StringBuilder(message).append(" (e.g. ");
    for (int i = 0; i < examples.length; i++) {
      if (i > 0) {
        sb.append(" or ");
      }
      sb.append('\'').append(examples[i]).append("', ");
    }
    return sb.append("regex used for validation is '").append(regex).append("')").toString();
  }
}
