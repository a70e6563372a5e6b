package dev.kemu.api.server;

import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import java.util.List;

/**
 * 422 on the options of a request ({@code ListOptions}, {@code CreateOptions}...), with the
 * apiserver's message: {@code ListOptions.meta.k8s.io "" is invalid: <errors>}.
 */
final class InvalidOptions extends RuntimeException {
  private final String kind;

  InvalidOptions(String kind, List<String> errors) {
    super(kind + ".meta.k8s.io \"\" is invalid: " + String.join(", ", errors));
    this.kind = kind;
  }

  Status toStatus() {
    return new StatusBuilder()
        .withNewMetadata()
        .endMetadata()
        .withStatus("Failure")
        .withMessage(getMessage())
        .withReason("Invalid")
        .withCode(422)
        .withNewDetails()
        .withGroup("meta.k8s.io")
        .withKind(kind)
        .endDetails()
        .build();
  }
}
