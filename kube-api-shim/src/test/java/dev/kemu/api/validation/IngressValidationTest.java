package dev.kemu.api.validation;

import static dev.kemu.api.registry.RegistryFixture.messages;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import dev.kemu.api.registry.RegistryFixture;
import dev.kemu.api.store.ApiException;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The rules of {@code ValidateIngressCreate} ({@code pkg/apis/networking/validation}) through the
 * store, with the apiserver's field paths and messages.
 */
class IngressValidationTest {
  private static final String WILDCARD =
      "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which"
          + " must consist of lower case alphanumeric characters, '-' or '.' and end with an"
          + " alphanumeric character (e.g. '*.example.com', regex used for validation is"
          + " '\\*\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
  private static final String SUBDOMAIN =
      "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or"
          + " '.', and must start and end with an alphanumeric character (e.g. 'example.com',"
          + " regex used for validation is"
          + " '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

  private final RegistryFixture cluster = new RegistryFixture();

  @AfterEach
  void close() {
    cluster.close();
  }

  private static String ingress(String spec) {
    return "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: web\nspec:\n"
        + spec.indent(2);
  }

  /** One rule for host with one path. */
  private static String rule(String host, String path, String pathType, String backend) {
    return ingress(
        """
        rules:
        - host: %s
          http:
            paths:
            - path: %s
              pathType: %s
              backend: %s"""
            .formatted(host, path, pathType, backend));
  }

  private static final String BACKEND = "{service: {name: web, port: {number: 80}}}";

  static Stream<Arguments> invalid() {
    return Stream.of(
        arguments(
            "defaultBackend or rules is required",
            ingress("ingressClassName: nginx"),
            List.of(
                "spec: Invalid value: []networking.IngressRule(nil): either `defaultBackend` or"
                    + " `rules` must be specified")),
        arguments(
            "host is a DNS-1123 subdomain",
            rule("Web.Example.com", "/", "Prefix", BACKEND),
            List.of("spec.rules[0].host: Invalid value: \"Web.Example.com\": " + SUBDOMAIN)),
        arguments(
            "host is a name, not an IP address",
            rule("10.0.0.1", "/", "Prefix", BACKEND),
            List.of(
                "spec.rules[0].host: Invalid value: \"10.0.0.1\": must be a DNS name, not an IP"
                    + " address")),
        arguments(
            "a wildcard is only the whole first label",
            rule("foo.*.example.com", "/", "Prefix", BACKEND),
            List.of("spec.rules[0].host: Invalid value: \"foo.*.example.com\": " + WILDCARD)),
        arguments(
            "Prefix paths are absolute",
            rule("example.com", "api", "Prefix", BACKEND),
            List.of(
                "spec.rules[0].http.paths[0].path: Invalid value: \"api\": must be an absolute"
                    + " path")),
        arguments(
            "Exact paths have no empty segment",
            rule("example.com", "/a//b", "Exact", BACKEND),
            List.of(
                "spec.rules[0].http.paths[0].path: Invalid value: \"/a//b\": must not contain"
                    + " '//'")),
        arguments(
            "pathType is one of Exact, ImplementationSpecific, Prefix",
            rule("example.com", "/", "Regex", BACKEND),
            List.of(
                "spec.rules[0].http.paths[0].pathType: Unsupported value: \"Regex\": supported"
                    + " values: \"Exact\", \"ImplementationSpecific\", \"Prefix\"")),
        arguments(
            "pathType is required",
            ingress(
                """
                rules:
                - http:
                    paths:
                    - path: /
                      backend: {service: {name: web, port: {number: 80}}}"""),
            List.of(
                "spec.rules[0].http.paths[0].pathType: Required value: pathType must be"
                    + " specified")),
        arguments(
            "http rules have paths",
            ingress("rules:\n- host: example.com\n  http: {paths: []}"),
            List.of("spec.rules[0].http.paths: Required value")),
        arguments(
            "a backend has a port name or number",
            rule("example.com", "/", "Prefix", "{service: {name: web}}"),
            List.of(
                "spec.rules[0].http.paths[0].backend: Required value: port name or number is"
                    + " required")),
        arguments(
            "a backend port has a name or a number, not both",
            rule(
                "example.com",
                "/",
                "Prefix",
                "{service: {name: web, port: {name: http, number: 80}}}"),
            List.of(
                "spec.rules[0].http.paths[0].backend: Invalid value: \"\": cannot set both port"
                    + " name & port number")),
        arguments(
            "a backend port number is a port",
            rule("example.com", "/", "Prefix", "{service: {name: web, port: {number: 65536}}}"),
            List.of(
                "spec.rules[0].http.paths[0].backend.service.port.number: Invalid value: 65536:"
                    + " must be between 1 and 65535, inclusive")),
        arguments(
            "a backend is a service or a resource",
            rule("example.com", "/", "Prefix", "{}"),
            List.of(
                "spec.rules[0].http.paths[0].backend: Invalid value: \"\": resource or service"
                    + " backend is required")),
        arguments(
            "a backend is not both a service and a resource",
            rule(
                "example.com",
                "/",
                "Prefix",
                "{service: {name: web, port: {number: 80}}, resource: {kind: Bucket, name: b}}"),
            List.of(
                "spec.rules[0].http.paths[0].backend: Invalid value: \"\": cannot set both"
                    + " resource and service backends")),
        arguments(
            "a backend service name is a DNS-1035 label",
            rule("example.com", "/", "Prefix", "{service: {name: 1web, port: {number: 80}}}"),
            List.of(
                "spec.rules[0].http.paths[0].backend.service.name: Invalid value: \"1web\": a"
                    + " DNS-1035 label must consist of lower case alphanumeric characters or '-',"
                    + " start with an alphabetic character, and end with an alphanumeric"
                    + " character (e.g. 'my-name',  or 'abc-123', regex used for validation is"
                    + " '[a-z]([-a-z0-9]*[a-z0-9])?')")),
        arguments(
            "tls hosts are DNS names or wildcards",
            ingress(
                "defaultBackend: {service: {name: web, port: {number: 80}}}\n"
                    + "tls: [{hosts: ['*.*.example.com'], secretName: cert}]"),
            List.of("spec.tls[0].hosts[0]: Invalid value: \"*.*.example.com\": " + WILDCARD)),
        arguments(
            "ingressClassName is a DNS-1123 subdomain",
            ingress(
                "ingressClassName: Nginx\n"
                    + "defaultBackend: {service: {name: web, port: {number: 80}}}"),
            List.of("spec.ingressClassName: Invalid value: \"Nginx\": " + SUBDOMAIN)),
        arguments(
            "the ingress.class annotation must match ingressClassName",
            "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: web\n"
                + "  annotations: {kubernetes.io/ingress.class: traefik}\n"
                + "spec:\n  ingressClassName: nginx\n"
                + "  defaultBackend: {service: {name: web, port: {number: 80}}}",
            List.of(
                "annotations.kubernetes.io/ingress.class: Invalid value: \"traefik\": must match"
                    + " `ingressClassName` when both are specified")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invalid")
  void rejectsWithTheApiserverMessages(String rule, String manifest, List<String> expected) {
    ApiException.Invalid e = cluster.rejectCreate(Ingress.class, manifest);
    assertThat(messages(e)).containsExactlyElementsOf(expected);
    String body = expected.size() == 1 ? expected.get(0) : "[" + String.join(", ", expected) + "]";
    assertThat(e.getMessage()).isEqualTo("Ingress.networking.k8s.io \"web\" is invalid: " + body);
  }

  @Test
  void validIngressIsStoredWithAnEmptyStatus() {
    Ingress ingress =
        cluster.create(
            Ingress.class,
            ingress(
                """
                ingressClassName: nginx
                tls: [{hosts: ['*.example.com'], secretName: cert}]
                rules:
                - host: '*.example.com'
                  http:
                    paths:
                    - {path: /, pathType: Prefix, backend: {service: {name: web, port: {name: http}}}}
                    - {path: /exact, pathType: Exact, backend: {service: {name: web, port: {number: 80}}}}
                    - {pathType: ImplementationSpecific, backend: {service: {name: web, port: {number: 80}}}}"""));
    assertThat(ingress.getStatus().getLoadBalancer()).isNotNull();
    assertThat(ingress.getMetadata().getGeneration()).isEqualTo(1L);
  }
}
