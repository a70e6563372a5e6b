package dev.kemu.api.model;

import io.fabric8.kubernetes.api.model.HasMetadata;
import java.util.Locale;

/**
 * One kind of the Kubernetes API as kemu serves it: group, version, kind, resource (plural) and
 * scope, plus the fabric8 model class its objects decode to. Mirrors an apiserver {@code
 * APIResource} entry.
 *
 * @param group API group, empty for the core group
 * @param version API version within the group
 * @param kind the kind, e.g. {@code Service}
 * @param plural the resource name used in URLs and messages, e.g. {@code services}
 * @param namespaced whether objects live in a namespace
 * @param hasStatus whether the kind has a {@code status} subresource (status is then written only
 *     through status updates, as the apiserver does)
 * @param javaType the fabric8 class objects decode to ({@code GenericKubernetesResource} for kinds
 *     kemu does not know)
 */
public record ResourceType(
    String group,
    String version,
    String kind,
    String plural,
    boolean namespaced,
    boolean hasStatus,
    Class<? extends HasMetadata> javaType) {

  /** The {@code apiVersion} string: {@code v1} or {@code group/version}. */
  public String apiVersion() {
    return group.isEmpty() ? version : group + "/" + version;
  }

  /**
   * The qualified resource as the apiserver prints it in messages: {@code services}, {@code
   * deployments.apps}.
   */
  public String qualifiedResource() {
    return group.isEmpty() ? plural : plural + "." + group;
  }

  /**
   * Guesses the plural of a kind as the Kubernetes RESTMapper does ({@code
   * meta.UnsafeGuessKindToResource}): lower case, {@code endpoints} stays as it is, {@code s} takes
   * {@code es}, a {@code y} becomes {@code ies}, everything else takes {@code s}. Unlike upstream,
   * a vowel before the {@code y} keeps it ({@code Gateway} is {@code gateways}, as the Gateway API
   * CRD declares, not {@code gatewaies}), and {@code x}, {@code z}, {@code ch}, {@code sh} take
   * {@code es}: these guesses serve kinds that have no CRD to declare their plural, and English
   * plurals match what such CRDs declare.
   */
  public static String guessPlural(String kind) {
    String singular = kind.toLowerCase(Locale.ROOT);
    if (singular.isEmpty() || singular.endsWith("endpoints")) {
      return singular;
    }
    if (singular.endsWith("s")
        || singular.endsWith("x")
        || singular.endsWith("z")
        || singular.endsWith("ch")
        || singular.endsWith("sh")) {
      return singular + "es";
    }
    if (singular.endsWith("y")) {
      char before = singular.length() > 1 ? singular.charAt(singular.length() - 2) : 'y';
      if ("aeiou".indexOf(before) >= 0) {
        return singular + "s";
      }
      return singular.substring(0, singular.length() - 1) + "ies";
    }
    return singular + "s";
  }

  @Override
  public String toString() {
    return apiVersion() + ", Kind=" + kind;
  }
}
