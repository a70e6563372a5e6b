package dev.kemu.api.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Field paths and errors printed as {@code field.Path} and {@code field.Error} print them. */
class FieldErrorTest {
  private static final FieldPath PORT = FieldPath.of("spec").child("ports").index(0).child("port");

  static Stream<Arguments> errors() {
    return Stream.of(
        Arguments.of(
            "Invalid prints an int plainly",
            FieldError.invalid(PORT, 70000, "must be between 1 and 65535, inclusive"),
            "spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive"),
        Arguments.of(
            "Invalid quotes a string with %q",
            FieldError.invalid(FieldPath.of("metadata", "name"), "a\"b\\c\n\t\u0001", "bad"),
            "metadata.name: Invalid value: \"a\\\"b\\\\c\\n\\t\\x01\": bad"),
        Arguments.of(
            "Invalid prints a bool",
            FieldError.invalid(FieldPath.of("spec", "x"), true, ""),
            "spec.x: Invalid value: true"),
        Arguments.of(
            "Invalid prints null for a nil value",
            FieldError.invalid(FieldPath.of("spec", "x"), null, "d"),
            "spec.x: Invalid value: null: d"),
        Arguments.of(
            "Invalid prints a string list as Go syntax",
            FieldError.invalid(FieldPath.of("spec", "ips"), List.of("a", "b"), "d"),
            "spec.ips: Invalid value: []string{\"a\", \"b\"}: d"),
        Arguments.of(
            "Required omits the value",
            FieldError.required(FieldPath.of("spec", "selector"), ""),
            "spec.selector: Required value"),
        Arguments.of(
            "Required with detail",
            FieldError.required(
                FieldPath.of("metadata", "name"), "name or generateName is required"),
            "metadata.name: Required value: name or generateName is required"),
        Arguments.of(
            "Forbidden omits the value",
            FieldError.forbidden(FieldPath.of("spec", "x"), "may not be set"),
            "spec.x: Forbidden: may not be set"),
        Arguments.of(
            "Duplicate", FieldError.duplicate(PORT, 80), "spec.ports[0].port: Duplicate value: 80"),
        Arguments.of(
            "NotFound",
            FieldError.notFound(FieldPath.of("spec", "x"), "y"),
            "spec.x: Not found: \"y\""),
        Arguments.of(
            "NotSupported quotes the supported values",
            FieldError.notSupported(
                FieldPath.of("spec", "type"), "Bogus", List.of("ClusterIP", "NodePort")),
            "spec.type: Unsupported value: \"Bogus\": supported values: \"ClusterIP\", \"NodePort\""),
        Arguments.of(
            "TooLong never prints the value",
            FieldError.tooLong(FieldPath.of("metadata", "annotations"), 262144),
            "metadata.annotations: Too long: may not be more than 262144 bytes"),
        Arguments.of(
            "TooLong says byte for one",
            FieldError.tooLong(FieldPath.of("x"), 1),
            "x: Too long: may not be more than 1 byte"),
        Arguments.of(
            "TooMany",
            FieldError.tooMany(FieldPath.of("spec", "ports"), 3, 2),
            "spec.ports: Too many: 3: must have at most 2 items"),
        Arguments.of(
            "map keys print in brackets",
            FieldError.invalid(FieldPath.of("metadata", "labels").key("app"), "-x", "bad"),
            "metadata.labels[app]: Invalid value: \"-x\": bad"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("errors")
  void printsAsTheApiserver(String rule, FieldError error, String text) {
    assertThat(error.toString()).isEqualTo(text);
    assertThat(text).endsWith(error.body());
  }

  @Test
  void causeTypesAreTheFieldErrorTypes() {
    assertThat(FieldError.Type.INVALID.causeType()).isEqualTo("FieldValueInvalid");
    assertThat(FieldError.Type.REQUIRED.causeType()).isEqualTo("FieldValueRequired");
    assertThat(FieldError.Type.NOT_SUPPORTED.causeType()).isEqualTo("FieldValueNotSupported");
  }

  @Test
  void pathsPrintAndCompareByText() {
    assertThat(PORT).hasToString("spec.ports[0].port");
    assertThat(FieldPath.of("spec", "ports").index(0).child("port"))
        .isEqualTo(PORT)
        .hasSameHashCodeAs(PORT);
    assertThat(FieldPath.of("a").index(1).index(2)).hasToString("a[1][2]");
  }

  @Test
  void goQuoteEscapesLikeStrconvQuote() {
    assertThat(FieldError.goQuote("héllo")).isEqualTo("\"héllo\"");
    assertThat(FieldError.goQuote("\u007f\r\u000b\u0007")).isEqualTo("\"\\x7f\\r\\v\\a\"");
    assertThat(FieldError.goQuote("\u200b")).isEqualTo("\"\\u200b\"");
  }
}
