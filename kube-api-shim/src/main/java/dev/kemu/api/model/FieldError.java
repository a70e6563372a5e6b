package dev.kemu.api.model;

import java.util.Collection;
import java.util.stream.Collectors;

/**
 * One validation error on one field, formatted exactly as the apiserver formats {@code
 * field.Error}: {@code spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535,
 * inclusive}.
 *
 * @param type what is wrong
 * @param field the field path
 * @param badValue the offending value, or {@link #OMIT} when the message shows none
 * @param detail the explanation, may be empty
 */
public record FieldError(Type type, FieldPath field, Object badValue, String detail) {

  /** Marks a bad value that the message must not print (the apiserver's {@code omitValue}). */
  public static final Object OMIT = new Object();

  /** The error types of {@code field.ErrorType}, with their message text and Status cause. */
  public enum Type {
    NOT_FOUND("Not found", "FieldValueNotFound"),
    REQUIRED("Required value", "FieldValueRequired"),
    DUPLICATE("Duplicate value", "FieldValueDuplicate"),
    INVALID("Invalid value", "FieldValueInvalid"),
    NOT_SUPPORTED("Unsupported value", "FieldValueNotSupported"),
    FORBIDDEN("Forbidden", "FieldValueForbidden"),
    TOO_LONG("Too long", "FieldValueTooLong"),
    TOO_MANY("Too many", "FieldValueTooMany"),
    INTERNAL("Internal error", "InternalError");

    private final String text;
    private final String causeType;

    Type(String text, String causeType) {
      this.text = text;
      this.causeType = causeType;
    }

    /** The text the apiserver prints for this type. */
    public String text() {
      return text;
    }

    /** The {@code Status.details.causes[].reason} for this type. */
    public String causeType() {
      return causeType;
    }
  }

  public FieldError {
    detail = detail == null ? "" : detail;
  }

  public static FieldError required(FieldPath field, String detail) {
    return new FieldError(Type.REQUIRED, field, "", detail);
  }

  public static FieldError invalid(FieldPath field, Object value, String detail) {
    return new FieldError(Type.INVALID, field, value, detail);
  }

  public static FieldError duplicate(FieldPath field, Object value) {
    return new FieldError(Type.DUPLICATE, field, value, "");
  }

  public static FieldError forbidden(FieldPath field, String detail) {
    return new FieldError(Type.FORBIDDEN, field, "", detail);
  }

  public static FieldError notFound(FieldPath field, Object value) {
    return new FieldError(Type.NOT_FOUND, field, value, "");
  }

  /** An unsupported value with the list of supported ones, as {@code field.NotSupported}. */
  public static FieldError notSupported(
      FieldPath field, Object value, Collection<String> supported) {
    String detail =
        supported.isEmpty()
            ? ""
            : "supported values: "
                + supported.stream().map(s -> "\"" + s + "\"").collect(Collectors.joining(", "));
    return new FieldError(Type.NOT_SUPPORTED, field, value, detail);
  }

  /** A value over its maximum length, as {@code field.TooLong} (the value is never printed). */
  public static FieldError tooLong(FieldPath field, int max) {
    String detail =
        max >= 0
            ? "may not be more than " + max + (max == 1 ? " byte" : " bytes")
            : "value is too long";
    return new FieldError(Type.TOO_LONG, field, OMIT, detail);
  }

  /** A list with too many items, as {@code field.TooMany}. */
  public static FieldError tooMany(FieldPath field, int actual, int max) {
    String detail = max >= 0 ? "must have at most " + max + " items" : "has too many items";
    return new FieldError(Type.TOO_MANY, field, actual < 0 ? OMIT : actual, detail);
  }

  /**
   * The message without the field, as {@code field.Error.ErrorBody}: {@code Invalid value: 70000:
   * must be ...}. Values print as Go prints them: strings quoted ({@code %q}), numbers and booleans
   * plain, null as {@code null}, lists of strings as {@code []string{"a", "b"}}.
   */
  public String body() {
    String s;
    switch (type) {
      case REQUIRED, FORBIDDEN, TOO_LONG, INTERNAL -> s = type.text();
      default -> s = badValue == OMIT ? type.text() : type.text() + ": " + goValue(badValue);
    }
    return detail.isEmpty() ? s : s + ": " + detail;
  }

  /** A value as Go's {@code fmt} prints it in a field error. */
  static String goValue(Object value) {
    if (value == null) {
      return "null";
    }
    if (value instanceof String str) {
      return goQuote(str);
    }
    if (value instanceof Collection<?> list) {
      if (list.stream().allMatch(String.class::isInstance)) {
        return list.stream()
            .map(v -> goQuote((String) v))
            .collect(Collectors.joining(", ", "[]string{", "}"));
      }
      return list.stream().map(FieldError::goValue).collect(Collectors.joining(" ", "[", "]"));
    }
    return String.valueOf(value);
  }

  /** A string quoted as Go's {@code strconv.Quote} (the {@code %q} verb) quotes it. */
  public static String goQuote(String s) {
    StringBuilder sb = new StringBuilder("\"");
    s.codePoints()
        .forEach(
            c -> {
              switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case 7 -> sb.append("\\a");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case 11 -> sb.append("\\v");
                default -> {
                  if (c < 0x20 || c == 0x7f) {
                    sb.append(String.format("\\x%02x", c));
                  } else if (!isPrintable(c)) {
                    sb.append(
                        c > 0xffff ? String.format("\\U%08x", c) : String.format("\\u%04x", c));
                  } else {
                    sb.appendCodePoint(c);
                  }
                }
              }
            });
    return sb.append('"').toString();
  }

  private static boolean isPrintable(int c) {
    int category = Character.getType(c);
    return c < 0x80
        || !(category == Character.CONTROL
            || category == Character.FORMAT
            || category == Character.UNASSIGNED
            || category == Character.PRIVATE_USE
            || category == Character.SURROGATE
            || category == Character.LINE_SEPARATOR
            || category == Character.PARAGRAPH_SEPARATOR
            || (category == Character.SPACE_SEPARATOR && c != ' '));
  }

  @Override
  public String toString() {
    return field + ": " + body();
  }
}
