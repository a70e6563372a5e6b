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
   * Guesses the plural of a kind the way the Kubernetes RESTMapper does
   * (UnsafeGuessKindToResource): lower case, {@code y} becomes {@code ies}, {@code s}, {@code x},
   * {@code z}, {@code ch} and {@code sh} take {@code es}, everything else {@code s}.
   */
  public static String guessPlural(String kind) {
    String singular = kind.toLowerCase(Locale.ROOT);
    if (singular.isEmpty()) {
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
      return singular.substring(0, singular.length() - 1) + "ies";
    }
    return singular + "s";
  }

  @Override
  public String toString() {
    return apiVersion() + ", Kind=" + kind;
  }
}
