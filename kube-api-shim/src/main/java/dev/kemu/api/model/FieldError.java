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

  public static FieldError tooLong(FieldPath field, int max) {
    return new FieldError(Type.TOO_LONG, field, OMIT, "may not be more than " + max + " bytes");
  }

  /** The message without the field: {@code Invalid value: 70000: must be ...}. */
  public String body() {
    String s;
    switch (type) {
      case REQUIRED, FORBIDDEN, TOO_LONG, INTERNAL -> s = type.text();
      default -> {
        if (badValue == OMIT) {
          s = type.text();
        } else if (badValue instanceof String str) {
          s = type.text() + ": " + quote(str);
        } else {
          s = type.text() + ": " + badValue;
        }
      }
    }
    return detail.isEmpty() ? s : s + ": " + detail;
  }

  private static String quote(String s) {
    StringBuilder sb = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\t' -> sb.append("\\t");
        default -> sb.append(c);
      }
    }
    return sb.append('"').toString();
  }

  @Override
  public String toString() {
    return field + ": " + body();
  }
}
