package dev.kemu.api.patch;

import java.util.List;
import java.util.Map;

/**
 * The shape of one field of a Kubernetes object as the patch engines need it: what the OpenAPI
 * schema of the apiserver says through {@code type}, {@code x-kubernetes-patch-strategy}, {@code
 * x-kubernetes-patch-merge-key}, {@code x-kubernetes-list-type}, {@code x-kubernetes-list-map-keys}
 * and {@code x-kubernetes-map-type}. Mirrors the schema {@code
 * sigs.k8s.io/structured-merge-diff/v4/schema} builds from it (struct, map, list, scalar) and the
 * {@code LookupPatchMeta} of {@code k8s.io/apimachinery/pkg/util/strategicpatch}.
 */
public sealed interface FieldShape {

  /** A field kemu knows nothing about (custom resources, unknown fields): lists are atomic. */
  FieldShape UNTYPED = new Untyped();

  /** A scalar (string, number, boolean, quantity, int-or-string, time). */
  FieldShape SCALAR = new Scalar();

  /**
   * A Go struct with declared fields.
   *
   * @param type the fabric8 model class
   * @param atomic {@code x-kubernetes-map-type: atomic} ({@code +structType=atomic}): owned and
   *     replaced as a whole by server-side apply
   * @param retainKeys {@code patchStrategy:"retainKeys"}: a strategic merge patch may carry {@code
   *     $retainKeys}
   */
  record Struct(Class<?> type, boolean atomic, boolean retainKeys) implements FieldShape {}

  /** A {@code map[string]X}: entries are keyed by arbitrary strings. */
  record MapOf(FieldShape value) implements FieldShape {}

  /** A list and how it merges. */
  record ListOf(FieldShape element, ListSemantics semantics) implements FieldShape {}

  /**
   * A node of a custom resource's structural schema ({@code openAPIV3Schema} of its
   * CustomResourceDefinition), read as the apiserver reads it for server-side apply: {@code
   * properties}, {@code items}, {@code x-kubernetes-list-type}, {@code x-kubernetes-list-map-keys}
   * and {@code x-kubernetes-map-type}.
   */
  record OpenApi(com.fasterxml.jackson.databind.JsonNode schema) implements FieldShape {
    /** Whether the object is {@code x-kubernetes-map-type: atomic}. */
    public boolean atomic() {
      return "atomic".equals(schema.path("x-kubernetes-map-type").asText());
    }
  }

  /** See {@link #SCALAR}. */
  record Scalar() implements FieldShape {}

  /** See {@link #UNTYPED}. */
  record Untyped() implements FieldShape {}

  /** The list type of server-side apply ({@code x-kubernetes-list-type}). */
  enum ListType {
    ATOMIC,
    SET,
    MAP
  }

  /**
   * How a list merges.
   *
   * @param strategicMerge {@code patchStrategy:"merge"} (otherwise a strategic merge patch replaces
   *     the list)
   * @param retainKeys {@code patchStrategy:"...,retainKeys"} on the items
   * @param mergeKey {@code patchMergeKey}, null for lists of scalars
   * @param listType {@code x-kubernetes-list-type}
   * @param keys {@code x-kubernetes-list-map-keys}
   * @param keyDefaults the OpenAPI defaults of key fields (a port's protocol is {@code TCP}), used
   *     when an item omits them, as structured-merge-diff does
   */
  record ListSemantics(
      boolean strategicMerge,
      boolean retainKeys,
      String mergeKey,
      ListType listType,
      List<String> keys,
      Map<String, String> keyDefaults) {

    /** A list without annotations: atomic for apply, replaced by a strategic merge patch. */
    public static final ListSemantics ATOMIC =
        new ListSemantics(false, false, null, ListType.ATOMIC, List.of(), Map.of());

    /** An associative list ({@code patchStrategy:"merge"} and {@code listType=map}). */
    public static ListSemantics map(String mergeKey, String... keys) {
      return new ListSemantics(
          true,
          false,
          mergeKey,
          ListType.MAP,
          keys.length == 0 ? List.of(mergeKey) : List.of(keys),
          Map.of());
    }

    /** A set of scalars ({@code patchStrategy:"merge"} and {@code listType=set}). */
    public static ListSemantics set() {
      return new ListSemantics(true, false, null, ListType.SET, List.of(), Map.of());
    }

    /** The same list whose items also carry {@code retainKeys}. */
    public ListSemantics withRetainKeys() {
      return new ListSemantics(strategicMerge, true, mergeKey, listType, keys, keyDefaults);
    }

    /** The same list with a default for a key field. */
    public ListSemantics withKeyDefault(String key, String value) {
      Map<String, String> defaults = new java.util.HashMap<>(keyDefaults);
      defaults.put(key, value);
      return new ListSemantics(
          strategicMerge, retainKeys, mergeKey, listType, keys, Map.copyOf(defaults));
    }

    /** The same list, atomic for server-side apply (merge key only for strategic merge). */
    public ListSemantics atomicForApply() {
      return new ListSemantics(
          strategicMerge, retainKeys, mergeKey, ListType.ATOMIC, List.of(), keyDefaults);
    }
  }
}
