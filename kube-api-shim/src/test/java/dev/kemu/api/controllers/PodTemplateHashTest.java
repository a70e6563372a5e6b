package dev.kemu.api.controllers;

import static dev.kemu.api.controllers.ControllerFixture.template;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code controller.ComputeHash} and {@code rand.SafeEncodeString}. */
class PodTemplateHashTest {

  @ParameterizedTest(name = "FNV-1a 32 of \"{0}\" is {1}")
  @CsvSource({"'',811c9dc5", "a,e40c292c", "foobar,bf9cf968"})
  void fnv32aMatchesTheReferenceVectors(String input, String hex) {
    assertThat(Integer.toHexString(PodTemplateHash.fnv32a(input.getBytes(StandardCharsets.UTF_8))))
        .isEqualTo(hex);
  }

  @Test
  void safeEncodeMapsDigitsAsUpstream() {
    // rand.SafeEncodeString: alphanums[int(r) % 27] over "bcdfghjklmnpqrstvwxz2456789".
    assertThat(PodTemplateHash.safeEncode("0123456789")).isEqualTo("456789bcdf");
  }

  @Test
  void theHashIsTheEncodedDecimalOfTheUnsignedFnvValue() {
    String hash = PodTemplateHash.compute(template(Map.of("app", "web"), "nginx"), null);
    assertThat(hash).matches("[4-9bcdf]{1,10}");
  }

  @Test
  void labelOrderDoesNotChangeTheHashButTheCollisionCountDoes() {
    Map<String, String> ab = new LinkedHashMap<>();
    ab.put("a", "1");
    ab.put("b", "2");
    Map<String, String> ba = new LinkedHashMap<>();
    ba.put("b", "2");
    ba.put("a", "1");
    String first = PodTemplateHash.compute(template(ab, "nginx"), null);
    assertThat(PodTemplateHash.compute(template(ba, "nginx"), null)).isEqualTo(first);
    assertThat(PodTemplateHash.compute(template(ab, "nginx"), 1)).isNotEqualTo(first);
    assertThat(PodTemplateHash.compute(template(ab, "nginx:2"), null)).isNotEqualTo(first);
  }
}
