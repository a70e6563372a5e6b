package dev.kemu.api.validation;

import dev.kemu.api.model.FieldError;
import dev.kemu.api.model.FieldPath;
import io.fabric8.kubernetes.api.model.TypedLocalObjectReference;
import io.fabric8.kubernetes.api.model.networking.v1.HTTPIngressPath;
import io.fabric8.kubernetes.api.model.networking.v1.HTTPIngressRuleValue;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.IngressBackend;
import io.fabric8.kubernetes.api.model.networking.v1.IngressRule;
import io.fabric8.kubernetes.api.model.networking.v1.IngressServiceBackend;
import io.fabric8.kubernetes.api.model.networking.v1.IngressSpec;
import io.fabric8.kubernetes.api.model.networking.v1.IngressTLS;
import io.fabric8.kubernetes.api.model.networking.v1.ServiceBackendPort;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Ingress validation, as {@code ValidateIngressCreate} and {@code ValidateIngressUpdate} of {@code
 * pkg/apis/networking/validation/validation.go}: rules and their hosts (DNS names, wildcards only
 * as the first label), HTTP paths and path types, backends (a service with a port name or number,
 * or a resource), TLS hosts and secret names, and the ingress class.
 */
public final class IngressValidation {
  static final List<String> PATH_TYPES = List.of("Exact", "ImplementationSpecific", "Prefix");
  private static final List<String> INVALID_SEQUENCES = List.of("//", "/./", "/../", "%2f", "%2F");
  private static final List<String> INVALID_SUFFIXES = List.of("/..", "/.");
  private static final String CLASS_ANNOTATION = "kubernetes.io/ingress.class";

  private IngressValidation() {}

  /** {@code ValidateIngressCreate}. */
  public static List<FieldError> validateCreate(Ingress ingress) {
    List<FieldError> errs = validate(ingress);
    Map<String, String> annotations =
        ingress.getMetadata() == null ? null : ingress.getMetadata().getAnnotations();
    String className = ingress.getSpec() == null ? null : ingress.getSpec().getIngressClassName();
    if (annotations != null
        && annotations.containsKey(CLASS_ANNOTATION)
        && className != null
        && !className.equals(annotations.get(CLASS_ANNOTATION))) {
      errs.add(
          FieldError.invalid(
              FieldPath.of("annotations").child(CLASS_ANNOTATION),
              annotations.get(CLASS_ANNOTATION),
              "must match `ingressClassName` when both are specified"));
    }
    return errs;
  }

  /** {@code validateIngress}: metadata and spec. */
  public static List<FieldError> validate(Ingress ingress) {
    List<FieldError> errs = new ArrayList<>(MetaValidation.objectMeta(ingress.getMetadata()));
    IngressSpec spec = ingress.getSpec() == null ? new IngressSpec() : ingress.getSpec();
    FieldPath path = FieldPath.of("spec");
    List<IngressRule> rules = list(spec.getRules());
    if (rules.isEmpty() && spec.getDefaultBackend() == null) {
      errs.add(
          FieldError.invalid(
              path,
              GoValue.nil("[]networking.IngressRule"),
              "either `defaultBackend` or `rules` must be specified"));
    }
    if (spec.getDefaultBackend() != null) {
      errs.addAll(backend(spec.getDefaultBackend(), path.child("defaultBackend")));
    }
    for (int i = 0; i < rules.size(); i++) {
      errs.addAll(rule(rules.get(i), path.child("rules").index(i)));
    }
    List<IngressTLS> tls = list(spec.getTls());
    for (int i = 0; i < tls.size(); i++) {
      FieldPath tlsPath = path.child("tls").index(i);
      List<String> hosts = list(tls.get(i).getHosts());
      for (int j = 0; j < hosts.size(); j++) {
        String host = Objects.requireNonNullElse(hosts.get(j), "");
        List<String> msgs =
            host.contains("*")
                ? Syntax.wildcardDns1123Subdomain(host)
                : Syntax.dns1123Subdomain(host);
        errs.addAll(MetaValidation.each(msgs, tlsPath.child("hosts").index(j), host));
      }
      String secret = tls.get(i).getSecretName();
      if (secret != null && !secret.isEmpty()) {
        errs.addAll(MetaValidation.dns1123Subdomain(secret, tlsPath.child("secretName")));
      }
    }
    if (spec.getIngressClassName() != null) {
      errs.addAll(
          MetaValidation.dns1123Subdomain(
              spec.getIngressClassName(), path.child("ingressClassName")));
    }
    return errs;
  }

  private static List<FieldError> rule(IngressRule rule, FieldPath path) {
    List<FieldError> errs = new ArrayList<>();
    String host = Objects.requireNonNullElse(rule.getHost(), "");
    if (!host.isEmpty()) {
      if (Syntax.isIp(host)) {
        errs.add(
            FieldError.invalid(path.child("host"), host, "must be a DNS name, not an IP address"));
      }
      List<String> msgs =
          host.contains("*")
              ? Syntax.wildcardDns1123Subdomain(host)
              : Syntax.dns1123Subdomain(host);
      errs.addAll(MetaValidation.each(msgs, path.child("host"), host));
    }
    HTTPIngressRuleValue http = rule.getHttp();
    if (http != null) {
      FieldPath httpPath = path.child("http");
      List<HTTPIngressPath> paths = list(http.getPaths());
      if (paths.isEmpty()) {
        errs.add(FieldError.required(httpPath.child("paths"), ""));
      }
      for (int i = 0; i < paths.size(); i++) {
        errs.addAll(httpPath(paths.get(i), httpPath.child("paths").index(i)));
      }
    }
    return errs;
  }

  private static List<FieldError> httpPath(HTTPIngressPath path, FieldPath fieldPath) {
    List<FieldError> errs = new ArrayList<>();
    if (path.getPathType() == null) {
      errs.add(FieldError.required(fieldPath.child("pathType"), "pathType must be specified"));
      return errs;
    }
    String value = Objects.requireNonNullElse(path.getPath(), "");
    switch (path.getPathType()) {
      case "Exact", "Prefix" -> {
        if (!value.startsWith("/")) {
          errs.add(FieldError.invalid(fieldPath.child("path"), value, "must be an absolute path"));
        }
        if (!value.isEmpty()) {
          for (String sequence : INVALID_SEQUENCES) {
            if (value.contains(sequence)) {
              errs.add(
                  FieldError.invalid(
                      fieldPath.child("path"), value, "must not contain '" + sequence + "'"));
            }
          }
          for (String suffix : INVALID_SUFFIXES) {
            if (value.endsWith(suffix)) {
              errs.add(
                  FieldError.invalid(
                      fieldPath.child("path"), value, "cannot end with '" + suffix + "'"));
            }
          }
        }
      }
      case "ImplementationSpecific" -> {
        if (!value.isEmpty() && !value.startsWith("/")) {
          errs.add(FieldError.invalid(fieldPath.child("path"), value, "must be an absolute path"));
        }
      }
      default ->
          errs.add(
              FieldError.notSupported(fieldPath.child("pathType"), path.getPathType(), PATH_TYPES));
    }
    errs.addAll(
        backend(
            path.getBackend() == null ? new IngressBackend() : path.getBackend(),
            fieldPath.child("backend")));
    return errs;
  }

  /** {@code validateIngressBackend}: exactly one of service and resource. */
  static List<FieldError> backend(IngressBackend backend, FieldPath path) {
    List<FieldError> errs = new ArrayList<>();
    IngressServiceBackend service = backend.getService();
    TypedLocalObjectReference resource = backend.getResource();
    if (resource != null && service != null) {
      errs.add(FieldError.invalid(path, "", "cannot set both resource and service backends"));
      return errs;
    }
    if (resource != null) {
      FieldPath r = path.child("resource");
      if (resource.getApiGroup() != null) {
        errs.addAll(MetaValidation.dns1123Subdomain(resource.getApiGroup(), r.child("apiGroup")));
      }
      errs.addAll(pathSegment(resource.getKind(), r.child("kind")));
      errs.addAll(pathSegment(resource.getName(), r.child("name")));
      return errs;
    }
    if (service == null) {
      errs.add(FieldError.invalid(path, "", "resource or service backend is required"));
      return errs;
    }
    String name = Objects.requireNonNullElse(service.getName(), "");
    if (name.isEmpty()) {
      errs.add(FieldError.required(path.child("service").child("name"), ""));
    } else {
      errs.addAll(
          MetaValidation.each(
              Syntax.dns1035Label(name), path.child("service").child("name"), name));
    }
    ServiceBackendPort port =
        service.getPort() == null ? new ServiceBackendPort() : service.getPort();
    String portName = Objects.requireNonNullElse(port.getName(), "");
    int number = port.getNumber() == null ? 0 : port.getNumber();
    if (!portName.isEmpty() && number != 0) {
      errs.add(FieldError.invalid(path, "", "cannot set both port name & port number"));
    } else if (!portName.isEmpty()) {
      errs.addAll(
          MetaValidation.each(
              Syntax.portName(portName),
              path.child("service").child("port").child("name"),
              portName));
    } else if (number != 0) {
      for (String msg : Syntax.portNumber(number)) {
        errs.add(
            FieldError.invalid(path.child("service").child("port").child("number"), number, msg));
      }
    } else {
      errs.add(FieldError.required(path, "port name or number is required"));
    }
    return errs;
  }

  /** {@code content.IsPathSegmentName}, required. */
  private static List<FieldError> pathSegment(String value, FieldPath path) {
    String v = Objects.requireNonNullElse(value, "");
    if (v.isEmpty()) {
      return List.of(FieldError.required(path, ""));
    }
    if (v.equals(".") || v.equals("..")) {
      return List.of(FieldError.invalid(path, v, "may not be '" + v + "'"));
    }
    List<FieldError> errs = new ArrayList<>();
    for (String illegal : List.of("/", "%")) {
      if (v.contains(illegal)) {
        errs.add(FieldError.invalid(path, v, "may not contain '" + illegal + "'"));
      }
    }
    return errs;
  }

  private static <T> List<T> list(List<T> list) {
    return list == null ? List.of() : list;
  }
}
