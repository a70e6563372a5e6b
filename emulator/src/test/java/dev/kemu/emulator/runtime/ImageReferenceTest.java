package dev.kemu.emulator.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Image references split and normalized as the Docker reference grammar does. */
class ImageReferenceTest {

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "reference: Docker Hub official image gets library/ and latest | nginx | docker.io/library/nginx:latest | false",
        "reference: tag kept | postgres:16 | docker.io/library/postgres:16 | false",
        "reference: kemu/echo without tag | kemu/echo | docker.io/kemu/echo:latest | true",
        "reference: kemu/echo with registry and tag | docker.io/kemu/echo:1.0 | docker.io/kemu/echo:1.0 | true",
        "reference: registry with port is a registry | registry.local:5000/kemu/echo:dev | registry.local:5000/kemu/echo:dev | true",
        "reference: localhost is a registry | localhost/kemu/echo | localhost/kemu/echo:latest | true",
        "reference: digest without tag | kemu/echo@sha256:abc | docker.io/kemu/echo@sha256:abc | true",
        "reference: deeper path is another repository | ghcr.io/acme/kemu/echo | ghcr.io/acme/kemu/echo:latest | false",
        "reference: first component without dot is a path | kemu/echo-extra | docker.io/kemu/echo-extra:latest | false",
      })
  void splitsAndNormalizes(String rule, String image, String normalized, boolean echo) {
    ImageReference reference = ImageReference.parse(image);
    assertThat(reference.normalized()).isEqualTo(normalized);
    assertThat(reference.isRepository(PodBackend.ECHO_REPOSITORY)).isEqualTo(echo);
  }
}
