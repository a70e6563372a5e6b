package dev.kemu.api.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirementBuilder;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Label selectors as {@code k8s.io/apimachinery/pkg/labels/selector.go} parses and matches them.
 */
class LabelSelectorTest {
  private static final Map<String, String> WEB =
      Map.of("app", "web", "tier", "frontend", "version", "3", "example.com/team", "a");

  static Stream<Arguments> matching() {
    return Stream.of(
        Arguments.of("= matches an equal value", "app=web", true),
        Arguments.of("== is exact match too", "app==web", true),
        Arguments.of("= fails on another value", "app=db", false),
        Arguments.of("= fails on a missing key", "missing=x", false),
        Arguments.of("!= matches another value", "app!=db", true),
        Arguments.of("!= matches a missing key", "missing!=x", true),
        Arguments.of("!= fails on the equal value", "app!=web", false),
        Arguments.of("in matches a listed value", "app in (db,web)", true),
        Arguments.of("in fails on a missing key", "missing in (x)", false),
        Arguments.of("notin matches a missing key", "missing notin (x)", true),
        Arguments.of("notin fails on a listed value", "app notin (web)", false),
        Arguments.of("key alone is exists", "tier", true),
        Arguments.of("exists fails on a missing key", "missing", false),
        Arguments.of("!key is does-not-exist", "!missing", true),
        Arguments.of("!key fails on a present key", "!app", false),
        Arguments.of("gt compares integers", "version>2", true),
        Arguments.of("gt is strict", "version>3", false),
        Arguments.of("lt compares integers", "version<4", true),
        Arguments.of("gt fails on a non-integer label", "app>1", false),
        Arguments.of("gt fails on a missing key", "missing>1", false),
        Arguments.of("requirements are ANDed", "app=web,tier=backend", false),
        Arguments.of(
            "whitespace between tokens is ignored",
            "  app  =  web ,  tier in ( frontend , x ) ",
            true),
        Arguments.of("tabs and newlines are whitespace", "app\t=\nweb", true),
        Arguments.of("prefixed keys", "example.com/team=a", true),
        Arguments.of("in and notin are values in a value context", "app notin (in,notin)", true),
        Arguments.of("= with no value matches an empty value only", "app=", false),
        Arguments.of("empty selector is everything", "", true),
        Arguments.of("() is the set of the empty string", "app notin ()", true),
        Arguments.of("(,) holds the empty string", "app in (,web)", true));
  }

  @ParameterizedTest(name = "{0}: {1}")
  @MethodSource("matching")
  void parsesAndMatches(String rule, String selector, boolean matches) {
    assertThat(LabelSelector.parse(selector).matches(WEB)).isEqualTo(matches);
  }

  @Test
  void emptyValueMatchesAnEmptyLabel() {
    assertThat(LabelSelector.parse("app=").matches(Map.of("app", ""))).isTrue();
    assertThat(LabelSelector.parse("app in ()").matches(Map.of("app", ""))).isTrue();
  }

  static Stream<Arguments> errors() {
    String keyRule =
        "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and"
            + " end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc',"
            + " regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
    String valueRule =
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_'"
            + " or '.', and must start and end with an alphanumeric character (e.g. 'MyValue', "
            + " or 'my_value',  or '12345', regex used for validation is"
            + " '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
    return Stream.of(
        Arguments.of(
            "a missing operator",
            "app web",
            "unable to parse requirement: found 'web', expected: in, notin, =, ==, !=, gt, lt"),
        Arguments.of(
            "a missing key", "=web", "found '=', expected: !, identifier, or 'end of string'"),
        Arguments.of("a trailing comma", "app=web,", "found '', expected: identifier after ','"),
        Arguments.of("two values", "app=web db", "found 'db', expected: ',' or 'end of string'"),
        Arguments.of(
            "!key then an operator", "!app=web", "found '=', expected: ',' or 'end of string'"),
        Arguments.of(
            "in without parentheses",
            "app in web",
            "unable to parse requirement: found 'web' expected: '('"),
        Arguments.of(
            "an unclosed set",
            "app in (web",
            "unable to parse requirement: found '', expected: ',' or ')'"),
        Arguments.of(
            "an operator as value",
            "app=(",
            "unable to parse requirement: found '(', expected: identifier"),
        Arguments.of(
            "an invalid key",
            "-app=web",
            "unable to parse requirement: <nil>: Invalid value: \"-app\": " + keyRule),
        Arguments.of(
            "an invalid value",
            "app=-web",
            "unable to parse requirement: values[0][app]: Invalid value: \"-web\": " + valueRule),
        Arguments.of(
            "gt with a non-integer",
            "version>x",
            "unable to parse requirement: values[0]: Invalid value: \"x\": for 'Gt', 'Lt' operators, the value must be an integer"),
        Arguments.of(
            "a key over 63 characters",
            "a".repeat(64),
            "unable to parse requirement: <nil>: Invalid value: \""
                + "a".repeat(64)
                + "\": name part must be no more than 63 bytes"),
        Arguments.of(
            "a prefix that is not a DNS subdomain",
            "Example.com/app",
            "unable to parse requirement: <nil>: Invalid value: \"Example.com/app\": prefix part a lowercase RFC 1123 subdomain"),
        Arguments.of("unknown symbols", "app=>web", "found '>', expected: identifier"));
  }

  @ParameterizedTest(name = "labels.Parse rejects {0}: {1}")
  @MethodSource("errors")
  void rejectsWithUpstreamMessages(String rule, String selector, String message) {
    assertThatThrownBy(() -> LabelSelector.parse(selector))
        .isInstanceOfSatisfying(
            ApiException.BadRequest.class,
            e -> {
              assertThat(e.getMessage()).contains(message);
              assertThat(e.code()).isEqualTo(400);
            });
  }

  @Test
  void printsRequirementsSortedByKey() {
    assertThat(LabelSelector.parse("z in (b,a), !y, x>1, app=web, w notin (c)").toString())
        .isEqualTo("app=web,w notin (c),x>1,!y,z in (a,b)");
    assertThat(LabelSelector.nothing().toString()).isEqualTo("<none>");
    assertThat(LabelSelector.parse(LabelSelector.parse("a in (x,y),b!=c").toString()))
        .isEqualTo(LabelSelector.parse("b!=c,a in (y,x)"));
  }

  @Test
  void matchLabelsSelectorMatchesEveryPair() {
    LabelSelector selector = LabelSelector.of(Map.of("app", "web", "tier", "frontend"));
    assertThat(selector.matches(WEB)).isTrue();
    assertThat(selector.matches(Map.of("app", "web"))).isFalse();
    assertThat(LabelSelector.of((Map<String, String>) null).isEverything()).isTrue();
    assertThat(LabelSelector.of(Map.of()).matches(null)).isTrue();
  }

  @Test
  void nilApiSelectorMatchesNothingAndEmptyMatchesEverything() {
    assertThat(LabelSelector.of((io.fabric8.kubernetes.api.model.LabelSelector) null).matches(WEB))
        .isFalse();
    assertThat(LabelSelector.of(new io.fabric8.kubernetes.api.model.LabelSelector()).matches(WEB))
        .isTrue();
    assertThat(LabelSelector.of(new io.fabric8.kubernetes.api.model.LabelSelector()).isEverything())
        .isTrue();
  }

  static Stream<Arguments> expressions() {
    return Stream.of(
        Arguments.of("In matches a listed value", "In", List.of("web", "db"), true),
        Arguments.of("NotIn fails on a listed value", "NotIn", List.of("web"), false),
        Arguments.of("Exists needs the key", "Exists", List.of(), true),
        Arguments.of("DoesNotExist fails on a present key", "DoesNotExist", List.of(), false));
  }

  @ParameterizedTest(name = "LabelSelectorAsSelector: {0}")
  @MethodSource("expressions")
  void matchExpressions(String rule, String operator, List<String> values, boolean matches) {
    var selector =
        new LabelSelectorBuilder()
            .withMatchLabels(Map.of("tier", "frontend"))
            .withMatchExpressions(
                new LabelSelectorRequirementBuilder()
                    .withKey("app")
                    .withOperator(operator)
                    .withValues(values)
                    .build())
            .build();
    assertThat(LabelSelector.of(selector).matches(WEB)).isEqualTo(matches);
  }

  static Stream<Arguments> badExpressions() {
    return Stream.of(
        Arguments.of(
            "an unknown operator",
            "Gt",
            List.of("1"),
            "\"Gt\" is not a valid label selector operator"),
        Arguments.of(
            "In without values",
            "In",
            List.of(),
            "values: Invalid value: []string(nil): for 'in', 'notin' operators, values set can't be empty"),
        Arguments.of(
            "Exists with values",
            "Exists",
            List.of("a"),
            "values: Invalid value: []string{\"a\"}: values set must be empty for exists and does not exist"),
        Arguments.of(
            "an invalid value",
            "In",
            List.of("a b"),
            "values[0][app]: Invalid value: \"a b\": a valid label must be an empty string"));
  }

  @ParameterizedTest(name = "LabelSelectorAsSelector rejects {0}")
  @MethodSource("badExpressions")
  void rejectsBadExpressions(String rule, String operator, List<String> values, String message) {
    var selector =
        new LabelSelectorBuilder()
            .withMatchExpressions(
                new LabelSelectorRequirementBuilder()
                    .withKey("app")
                    .withOperator(operator)
                    .withValues(values)
                    .build())
            .build();
    assertThatThrownBy(() -> LabelSelector.of(selector))
        .isInstanceOf(ApiException.BadRequest.class)
        .hasMessageStartingWith(message);
  }
}
