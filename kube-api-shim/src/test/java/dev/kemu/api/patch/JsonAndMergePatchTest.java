package dev.kemu.api.patch;

import static dev.kemu.api.patch.PatchFixture.bytes;
import static dev.kemu.api.patch.PatchFixture.json;
import static dev.kemu.api.patch.PatchFixture.read;
import static dev.kemu.api.patch.PatchFixture.tree;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import dev.kemu.api.model.ResourceTypes;
import dev.kemu.api.store.ApiException;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * JSON patch (RFC 6902) and JSON merge patch (RFC 7386) as the apiserver's {@code
 * handlers/patch.go} applies them, with its errors: a body that does not decode is 400, a patch
 * that does not apply is 422 "the server rejected our request due to an error in our request" with
 * the json-patch error as cause.
 */
class JsonAndMergePatchTest {
  private final PatchEngine engine = PatchEngine.builtIn(PatchFixture.clock());

  private static final String SERVICE =
      """
      {apiVersion: v1, kind: Service, metadata: {name: web, labels: {app: web}},
       spec: {selector: {app: web}, ports: [{port: 80, targetPort: 8080}, {port: 443}]}}
      """;

  static Stream<Arguments> jsonPatches() {
    return Stream.of(
        arguments(
            "RFC 6902 4.1 add: a member (kubectl patch --type json op add)",
            "[{\"op\":\"add\",\"path\":\"/metadata/labels/tier\",\"value\":\"front\"}]",
            "/metadata/labels",
            "{app: web, tier: front}"),
        arguments(
            "RFC 6902 4.1 add: '-' appends to an array",
            "[{\"op\":\"add\",\"path\":\"/spec/ports/-\",\"value\":{\"port\":8080}}]",
            "/spec/ports",
            "[{port: 80, targetPort: 8080}, {port: 443}, {port: 8080}]"),
        arguments(
            "RFC 6902 4.2 remove: an array element by index",
            "[{\"op\":\"remove\",\"path\":\"/spec/ports/0\"}]",
            "/spec/ports",
            "[{port: 443}]"),
        arguments(
            "RFC 6902 4.3 replace",
            "[{\"op\":\"replace\",\"path\":\"/spec/ports/0/targetPort\",\"value\":9090}]",
            "/spec/ports/0",
            "{port: 80, targetPort: 9090}"),
        arguments(
            "RFC 6902 4.4 move",
            "[{\"op\":\"move\",\"from\":\"/metadata/labels/app\",\"path\":\"/metadata/labels/name\"}]",
            "/metadata/labels",
            "{name: web}"),
        arguments(
            "RFC 6902 4.6 test that passes, then replace",
            "[{\"op\":\"test\",\"path\":\"/spec/ports/1/port\",\"value\":443},"
                + "{\"op\":\"replace\",\"path\":\"/spec/ports/1/port\",\"value\":8443}]",
            "/spec/ports/1",
            "{port: 8443}"),
        arguments(
            "RFC 6902 the path escapes '/' as ~1 (kubectl patch of an annotation key)",
            "[{\"op\":\"add\",\"path\":\"/metadata/labels/app.kubernetes.io~1name\",\"value\":\"x\"}]",
            "/metadata/labels",
            "{app: web, app.kubernetes.io/name: x}"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("jsonPatches")
  void appliesJsonPatch(String name, String patch, String pointer, String expected) {
    PatchResult result =
        engine.patch(
            ResourceTypes.SERVICE,
            json(SERVICE),
            bytes(patch),
            PatchEngine.JSON_PATCH,
            PatchOptions.none());
    assertThat(read(result.json()).at(pointer)).isEqualTo(tree(expected));
  }

  static Stream<Arguments> badJsonPatches() {
    return Stream.of(
        arguments(
            "a failing test operation is 422 with evanphx's 'testing value ... failed'",
            "[{\"op\":\"test\",\"path\":\"/spec/ports/0/port\",\"value\":81}]",
            422,
            "testing value /spec/ports/0/port failed: test failed"),
        arguments(
            "remove of a missing path is 422",
            "[{\"op\":\"remove\",\"path\":\"/metadata/annotations/x\"}]",
            422,
            "remove operation does not apply: doc is missing path: \"/metadata/annotations/x\":"
                + " missing value"),
        arguments(
            "replace of a missing key is 422",
            "[{\"op\":\"replace\",\"path\":\"/spec/nope\",\"value\":1}]",
            422,
            "replace operation does not apply: doc is missing key: /spec/nope: missing value"),
        arguments(
            "a body that is not an array is 400 (json.Unmarshal into jsonpatch.Patch)",
            "{\"op\":\"add\"}",
            400,
            "json: cannot unmarshal object into Go value of type jsonpatch.Patch"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badJsonPatches")
  void rejectsJsonPatch(String name, String patch, int code, String detail) {
    assertThatThrownBy(
            () ->
                engine.patch(
                    ResourceTypes.SERVICE,
                    json(SERVICE),
                    bytes(patch),
                    PatchEngine.JSON_PATCH,
                    PatchOptions.none()))
        .isInstanceOfSatisfying(
            ApiException.class,
            e -> {
              assertThat(e.code()).isEqualTo(code);
              if (code == 422) {
                assertThat(e.getMessage())
                    .isEqualTo("the server rejected our request due to an error in our request");
                assertThat(e.reason()).isEqualTo("Invalid");
                assertThat(e.causes())
                    .singleElement()
                    .satisfies(
                        c -> {
                          assertThat(c.getReason()).isEqualTo("UnexpectedServerResponse");
                          assertThat(c.getMessage()).isEqualTo(detail);
                        });
              } else {
                assertThat(e.getMessage()).isEqualTo(detail);
              }
            });
  }

  static Stream<Arguments> mergePatches() {
    return Stream.of(
        arguments(
            "RFC 7386 a member is replaced", "{\"metadata\":{\"labels\":{\"app\":\"api\"}}}",
            "/metadata/labels", "{app: api}"),
        arguments(
            "RFC 7386 null removes a member", "{\"metadata\":{\"labels\":{\"app\":null}}}",
            "/metadata/labels", "{}"),
        arguments(
            "RFC 7386 arrays are replaced whole (no merge keys: kubectl patch --type merge)",
            "{\"spec\":{\"ports\":[{\"port\":81}]}}",
            "/spec/ports",
            "[{port: 81}]"),
        arguments(
            "RFC 7386 a new member is added with its nulls dropped",
            "{\"metadata\":{\"annotations\":{\"a\":\"b\",\"c\":null}}}",
            "/metadata/annotations",
            "{a: b}"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("mergePatches")
  void appliesMergePatch(String name, String patch, String pointer, String expected) {
    PatchResult result =
        engine.patch(
            ResourceTypes.SERVICE,
            json(SERVICE),
            bytes(patch),
            "application/merge-patch+json; charset=utf-8",
            PatchOptions.none());
    assertThat(read(result.json()).at(pointer)).isEqualTo(tree(expected));
  }

  @Test
  void mergePatchThatIsNotJsonIsBadRequest() {
    assertThatThrownBy(
            () ->
                engine.patch(
                    ResourceTypes.SERVICE,
                    json(SERVICE),
                    bytes("{nope"),
                    PatchEngine.MERGE_PATCH,
                    PatchOptions.none()))
        .isInstanceOfSatisfying(
            ApiException.class,
            e -> {
              assertThat(e.code()).isEqualTo(400);
              assertThat(e.getMessage()).isEqualTo("Invalid JSON Patch");
            });
  }

  @Test
  void unknownContentTypeIs415ListingThePatchTypes() {
    assertThatThrownBy(
            () ->
                engine.patch(
                    ResourceTypes.SERVICE,
                    json(SERVICE),
                    bytes("{}"),
                    "application/json",
                    PatchOptions.none()))
        .isInstanceOfSatisfying(
            ApiException.class,
            e -> {
              assertThat(e.code()).isEqualTo(415);
              assertThat(e.getMessage())
                  .isEqualTo(
                      "the body of the request was in an unknown format - accepted media types"
                          + " include: application/json-patch+json, application/merge-patch+json,"
                          + " application/strategic-merge-patch+json, application/apply-patch+yaml");
            });
  }
}
