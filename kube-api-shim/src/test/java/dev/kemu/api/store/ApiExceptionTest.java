package dev.kemu.api.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kemu.api.model.FieldError;
import dev.kemu.api.model.FieldPath;
import dev.kemu.api.model.ResourceTypes;
import io.fabric8.kubernetes.api.model.Status;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** {@code toStatus()} shapes as {@code k8s.io/apimachinery/pkg/api/errors} builds them. */
class ApiExceptionTest {

  static Stream<Arguments> statuses() {
    return Stream.of(
        Arguments.of(
            "NewNotFound: details.kind is the resource",
            new ApiException.NotFound(ResourceTypes.DEPLOYMENT, "web"),
            404,
            "NotFound",
            "deployments.apps \"web\" not found",
            "apps",
            "deployments",
            "web"),
        Arguments.of(
            "NewAlreadyExists",
            new ApiException.AlreadyExists(ResourceTypes.SERVICE, "web"),
            409,
            "AlreadyExists",
            "services \"web\" already exists",
            null,
            "services",
            "web"),
        Arguments.of(
            "NewConflict",
            ApiException.Conflict.modified(ResourceTypes.INGRESS, "i"),
            409,
            "Conflict",
            "Operation cannot be fulfilled on ingresses.networking.k8s.io \"i\": the object has been modified; please apply your changes to the latest version and try again",
            "networking.k8s.io",
            "ingresses",
            "i"),
        Arguments.of(
            "NewInvalid: details.kind is the kind",
            new ApiException.Invalid(
                ResourceTypes.ENDPOINT_SLICE,
                "s",
                List.of(FieldError.required(FieldPath.of("addressType"), ""))),
            422,
            "Invalid",
            "EndpointSlice.discovery.k8s.io \"s\" is invalid: addressType: Required value",
            "discovery.k8s.io",
            "EndpointSlice",
            "s"),
        Arguments.of(
            "NewForbidden",
            new ApiException.Forbidden(ResourceTypes.POD, "p", "no"),
            403,
            "Forbidden",
            "pods \"p\" is forbidden: no",
            null,
            "pods",
            "p"),
        Arguments.of(
            "NewMethodNotSupported",
            new ApiException.MethodNotSupported(ResourceTypes.DEPLOYMENT, "patch"),
            405,
            "MethodNotAllowed",
            "patch is not supported on resources of kind \"deployments.apps\"",
            "apps",
            "deployments",
            null),
        Arguments.of(
            "NewBadRequest has no details",
            new ApiException.BadRequest("bad"),
            400,
            "BadRequest",
            "bad",
            null,
            null,
            null),
        Arguments.of(
            "NewResourceExpired has no details",
            new ApiException.Gone(3, 7),
            410,
            "Expired",
            "too old resource version: 3 (7)",
            null,
            null,
            null),
        Arguments.of(
            "NewRequestEntityTooLargeError",
            new ApiException.RequestEntityTooLarge("limit is 3145728"),
            413,
            "RequestEntityTooLarge",
            "Request entity too large: limit is 3145728",
            null,
            null,
            null),
        Arguments.of(
            "NewUnsupportedMediaType",
            new ApiException.UnsupportedMediaType("text/plain"),
            415,
            "UnsupportedMediaType",
            "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf",
            null,
            null,
            null));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("statuses")
  void statusShape(
      String rule,
      ApiException error,
      int code,
      String reason,
      String message,
      String group,
      String kind,
      String name) {
    Status status = error.toStatus();
    assertThat(status.getApiVersion()).isEqualTo("v1");
    assertThat(status.getKind()).isEqualTo("Status");
    assertThat(status.getStatus()).isEqualTo("Failure");
    assertThat(status.getCode()).isEqualTo(code);
    assertThat(status.getReason()).isEqualTo(reason);
    assertThat(status.getMessage()).isEqualTo(message).isEqualTo(error.getMessage());
    if (group == null && kind == null && name == null) {
      assertThat(status.getDetails()).isNull();
    } else {
      assertThat(status.getDetails().getGroup()).isEqualTo(group);
      assertThat(status.getDetails().getKind()).isEqualTo(kind);
      assertThat(status.getDetails().getName()).isEqualTo(name);
    }
  }

  @Test
  void invalidListsEveryCauseAndPrintsRepeatedMessagesOnce() {
    FieldError port =
        FieldError.invalid(
            FieldPath.of("spec", "ports").index(0).child("port"),
            0,
            "must be between 1 and 65535, inclusive");
    FieldError type =
        FieldError.notSupported(FieldPath.of("spec", "type"), "X", List.of("ClusterIP"));
    ApiException.Invalid error =
        new ApiException.Invalid(ResourceTypes.SERVICE, "web", List.of(port, type, port));
    assertThat(error.getMessage())
        .isEqualTo(
            "Service \"web\" is invalid: [spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive,"
                + " spec.type: Unsupported value: \"X\": supported values: \"ClusterIP\"]");
    assertThat(error.toStatus().getDetails().getCauses())
        .extracting(c -> c.getReason() + " " + c.getField() + " " + c.getMessage())
        .containsExactly(
            "FieldValueInvalid spec.ports[0].port Invalid value: 0: must be between 1 and 65535, inclusive",
            "FieldValueNotSupported spec.type Unsupported value: \"X\": supported values: \"ClusterIP\"",
            "FieldValueInvalid spec.ports[0].port Invalid value: 0: must be between 1 and 65535, inclusive");
  }

  @Test
  void internalErrorCarriesItsCause() {
    Status status = new ApiException.InternalError("boom").toStatus();
    assertThat(status.getMessage()).isEqualTo("Internal error occurred: boom");
    assertThat(status.getDetails().getCauses())
        .extracting(c -> c.getMessage())
        .containsExactly("boom");
  }
}
