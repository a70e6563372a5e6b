package dev.kemu.api.patch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kemu.api.patch.FieldShape.ListSemantics;
import dev.kemu.api.store.ApiException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Strategic merge patch of a built-in object, mirroring {@code
 * k8s.io/apimachinery/pkg/util/strategicpatch/patch.go} with the options the apiserver uses ({@code
 * MergeParallelList} and {@code IgnoreUnmatchedNulls}): maps merge key by key, {@code null}
 * deletes, lists with {@code patchStrategy:"merge"} merge by their merge key (lists of scalars by
 * value), other lists are replaced; the directives {@code $patch: replace|delete}, {@code
 * $retainKeys}, {@code $deleteFromPrimitiveList/<field>} and {@code $setElementOrder/<field>} work
 * as upstream. Errors are mapped like {@code interpretStrategicMergePatchError} in the apiserver's
 * {@code handlers/patch.go}.
 */
final class StrategicMerge {
  static final String DIRECTIVE = "$patch";
  static final String RETAIN_KEYS = "$retainKeys";
  static final String DELETE_FROM_PRIMITIVE_LIST = "$deleteFromPrimitiveList/";
  static final String SET_ELEMENT_ORDER = "$setElementOrder/";

  /** Equality of JSON values as Go's reflect.DeepEqual sees decoded JSON (numbers as float64). */
  static final Comparator<JsonNode> NUMERIC =
      (a, b) -> {
        if (a.isNumber() && b.isNumber()) {
          return a.decimalValue().compareTo(b.decimalValue());
        }
        return a.equals(b) ? 0 : 1;
      };

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private final PatchSchema schema;

  StrategicMerge(PatchSchema schema) {
    this.schema = schema;
  }

  /** Applies {@code patch} to a copy of {@code original}. */
  ObjectNode apply(ObjectNode original, ObjectNode patch, FieldShape shape) {
    return mergeMap(original.deepCopy(), patch.deepCopy(), shape);
  }

  static boolean equal(JsonNode a, JsonNode b) {
    if (a == null || b == null) {
      return a == b;
    }
    return a.equals(NUMERIC, b);
  }

  private ObjectNode mergeMap(ObjectNode original, ObjectNode patch, FieldShape shape) {
    JsonNode directive = patch.get(DIRECTIVE);
    if (directive != null) {
      return handleDirectiveInMergeMap(directive, patch);
    }
    if (original == null) {
      original = NODES.objectNode();
    }
    applyRetainKeysDirective(original, patch);
    mergePatchIntoOriginal(original, patch, shape);
    List<Map.Entry<String, JsonNode>> entries = new ArrayList<>();
    patch.fields().forEachRemaining(entries::add);
    for (Map.Entry<String, JsonNode> entry : entries) {
      String key = entry.getKey();
      JsonNode patchValue = entry.getValue();
      boolean isDeleteList = false;
      if (key.startsWith(DELETE_FROM_PRIMITIVE_LIST)) {
        key = key.substring(DELETE_FROM_PRIMITIVE_LIST.length());
        isDeleteList = true;
      }
      if (patchValue.isNull()) {
        original.remove(key);
        continue;
      }
      JsonNode originalValue = original.get(key);
      FieldShape child = schema.child(shape, key);
      if (originalValue == null || originalValue.isNull()) {
        if (!isDeleteList) {
          original.set(key, fresh(patchValue, child));
        }
        continue;
      }
      if (originalValue.getNodeType() != patchValue.getNodeType()
          || (originalValue.isNumber() != patchValue.isNumber())) {
        if (!isDeleteList) {
          original.set(key, fresh(patchValue, child));
        }
        continue;
      }
      if (originalValue.isObject()) {
        original.set(key, mergeMap((ObjectNode) originalValue, (ObjectNode) patchValue, child));
      } else if (originalValue.isArray()) {
        ListSemantics semantics = PatchSchema.listSemantics(child);
        if (semantics.strategicMerge() || isDeleteList) {
          original.set(
              key,
              mergeSlice(
                  (ArrayNode) originalValue,
                  (ArrayNode) patchValue,
                  child,
                  semantics.mergeKey(),
                  isDeleteList,
                  key));
        } else {
          original.set(key, fresh(patchValue, child));
        }
      } else {
        original.set(key, patchValue);
      }
    }
    return original;
  }

  /**
   * A patch value for a field the original lacks: upstream takes it as is with its nulls dropped;
   * merging it into nothing does that and also consumes any directive it carries.
   */
  private JsonNode fresh(JsonNode patchValue, FieldShape shape) {
    if (patchValue.isObject()) {
      return mergeMap(null, (ObjectNode) patchValue, shape);
    }
    if (patchValue.isArray()) {
      ListSemantics semantics = PatchSchema.listSemantics(shape);
      if (semantics.strategicMerge() && !patchValue.isEmpty()) {
        return mergeSlice(
            NODES.arrayNode(), (ArrayNode) patchValue, shape, semantics.mergeKey(), false, "");
      }
      ArrayNode copy = NODES.arrayNode();
      for (JsonNode item : patchValue) {
        copy.add(item.isObject() ? discardNulls((ObjectNode) item) : item);
      }
      return copy;
    }
    return patchValue;
  }

  private static ObjectNode discardNulls(ObjectNode node) {
    ObjectNode copy = NODES.objectNode();
    node.fields()
        .forEachRemaining(
            e -> {
              if (!e.getValue().isNull()) {
                copy.set(
                    e.getKey(),
                    e.getValue().isObject()
                        ? discardNulls((ObjectNode) e.getValue())
                        : e.getValue());
              }
            });
    return copy;
  }

  private static ObjectNode handleDirectiveInMergeMap(JsonNode directive, ObjectNode patch) {
    if ("replace".equals(directive.asText()) && directive.isTextual()) {
      patch.remove(DIRECTIVE);
      return discardNulls(patch);
    }
    if ("delete".equals(directive.asText()) && directive.isTextual()) {
      return NODES.objectNode();
    }
    throw badPatchType(directive, patch);
  }

  private static ApiException badPatchType(JsonNode type, JsonNode map) {
    return new ApiException.Unknown(
        "unknown patch type: " + type.asText() + " in map: " + goText(map));
  }

  private static void applyRetainKeysDirective(ObjectNode original, ObjectNode patch) {
    JsonNode retainKeys = patch.remove(RETAIN_KEYS);
    if (retainKeys == null) {
      return;
    }
    if (!retainKeys.isArray()) {
      throw new ApiException.BadRequest("invalid patch format of retainKeys");
    }
    Set<String> keep = new HashSet<>();
    retainKeys.forEach(k -> keep.add(k.asText()));
    Iterator<Map.Entry<String, JsonNode>> fields = patch.fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> e = fields.next();
      String k = e.getKey();
      if (e.getValue().isNull()
          || k.startsWith(DELETE_FROM_PRIMITIVE_LIST)
          || k.startsWith(SET_ELEMENT_ORDER)) {
        continue;
      }
      if (!keep.contains(k)) {
        throw new ApiException.BadRequest("invalid patch format of retainKeys");
      }
    }
    original.retain(keep);
  }

  private void mergePatchIntoOriginal(ObjectNode original, ObjectNode patch, FieldShape shape) {
    List<String> keys = new ArrayList<>();
    patch.fieldNames().forEachRemaining(keys::add);
    for (String key : keys) {
      if (!key.startsWith(SET_ELEMENT_ORDER)) {
        continue;
      }
      JsonNode order = patch.remove(key);
      if (!order.isArray()) {
        throw new ApiException.BadRequest("invalid patch format of setElementOrder list");
      }
      String originalKey = key.substring(SET_ELEMENT_ORDER.length());
      FieldShape child = schema.child(shape, originalKey);
      ListSemantics semantics = PatchSchema.listSemantics(child);
      String mergeKey = semantics.mergeKey();
      JsonNode originalList = original.get(originalKey);
      JsonNode patchList = patch.get(originalKey);
      boolean foundOriginal = originalList != null && !originalList.isNull();
      boolean foundPatch = patchList != null && !patchList.isNull();
      if ((foundOriginal && !originalList.isArray()) || (foundPatch && !patchList.isArray())) {
        throw new ApiException.Unknown(
            "expected a []interface {}, but got a "
                + goType(foundPatch ? patchList : originalList));
      }
      validatePatchWithSetOrderList(patchList, (ArrayNode) order, mergeKey);
      ArrayNode merged;
      if (foundOriginal && !foundPatch) {
        merged = (ArrayNode) originalList;
      } else if (!foundOriginal && foundPatch) {
        merged = (ArrayNode) fresh(patchList, child);
      } else if (foundOriginal) {
        merged =
            semantics.strategicMerge()
                ? mergeSlice(
                    (ArrayNode) originalList,
                    (ArrayNode) patchList,
                    child,
                    mergeKey,
                    false,
                    originalKey)
                : (ArrayNode) fresh(patchList, child);
      } else {
        continue;
      }
      List<JsonNode> patchItems = new ArrayList<>();
      List<JsonNode> serverOnly = new ArrayList<>();
      partition(merged, (ArrayNode) order, mergeKey, patchItems, serverOnly);
      List<JsonNode> serverOrder = foundOriginal ? list(originalList) : List.of();
      original.set(
          originalKey,
          normalizeElementOrder(patchItems, serverOnly, list(order), serverOrder, mergeKey));
      patch.remove(originalKey);
    }
  }

  private static void validatePatchWithSetOrderList(
      JsonNode patchList, ArrayNode order, String mergeKey) {
    if (patchList == null || !patchList.isArray() || patchList.isEmpty() || order.isEmpty()) {
      return;
    }
    List<JsonNode> nonDelete = new ArrayList<>();
    for (JsonNode item : patchList) {
      if (mergeKey != null && item.isObject() && item.has(DIRECTIVE)) {
        continue;
      }
      nonDelete.add(item);
    }
    int p = 0;
    int s = 0;
    while (p < nonDelete.size() && s < order.size()) {
      JsonNode item = nonDelete.get(p);
      if (item.isObject() && item.has(DIRECTIVE)) {
        p++;
        continue;
      }
      if (equal(keyOf(item, mergeKey), keyOf(order.get(s), mergeKey))) {
        p++;
      }
      s++;
    }
    if (p < nonDelete.size() && s >= order.size()) {
      throw new ApiException.Unknown(
          "The order in patch list:\n"
              + goText(patchList)
              + "\n doesn't match $setElementOrder list:\n"
              + goText(order)
              + "\n");
    }
  }

  private static JsonNode keyOf(JsonNode item, String mergeKey) {
    if (mergeKey == null) {
      return item;
    }
    return item.isObject() ? item.get(mergeKey) : null;
  }

  private ArrayNode mergeSlice(
      ArrayNode original,
      ArrayNode patch,
      FieldShape listShape,
      String mergeKey,
      boolean isDeleteList,
      String field) {
    if (original.isEmpty() && patch.isEmpty()) {
      return original;
    }
    boolean maps = elementsAreMaps(original, patch);
    List<JsonNode> merged;
    List<JsonNode> originalItems = list(original);
    List<JsonNode> patchItems = list(patch);
    if (!maps) {
      if (isDeleteList) {
        List<JsonNode> kept = new ArrayList<>();
        for (JsonNode item : originalItems) {
          if (patchItems.stream().noneMatch(p -> equal(p, item))) {
            kept.add(item);
          }
        }
        return array(kept);
      }
      merged = new ArrayList<>();
      for (JsonNode item : concat(originalItems, patchItems)) {
        if (merged.stream().noneMatch(m -> equal(m, item))) {
          merged.add(item);
        }
      }
      mergeKey = null;
    } else {
      if (mergeKey == null) {
        throw new ApiException.Unknown("cannot merge lists without merge key for " + field);
      }
      // mergeSliceWithSpecialElements
      List<JsonNode> withoutSpecial = new ArrayList<>();
      boolean replace = false;
      for (JsonNode item : patchItems) {
        JsonNode directive = item.get(DIRECTIVE);
        if (directive == null) {
          withoutSpecial.add(item);
          continue;
        }
        switch (directive.asText()) {
          case "delete" -> {
            JsonNode value = item.get(mergeKey);
            if (value == null) {
              throw noMergeKey(item, mergeKey);
            }
            String key = mergeKey;
            originalItems.removeIf(o -> equal(o.get(key), value));
          }
          case "replace" -> replace = true;
          case "merge" ->
              throw new ApiException.Unknown("merging lists cannot yet be specified in the patch");
          default -> throw badPatchType(directive, item);
        }
      }
      if (replace) {
        originalItems = new ArrayList<>();
        for (JsonNode item : withoutSpecial) {
          originalItems.add(item.isObject() ? discardNulls((ObjectNode) item) : item);
        }
        patchItems = List.of();
      } else {
        patchItems = withoutSpecial;
      }
      // mergeSliceWithoutSpecialElements
      FieldShape element = PatchSchema.element(listShape);
      merged = new ArrayList<>(originalItems);
      for (JsonNode item : patchItems) {
        JsonNode value = item.get(mergeKey);
        if (value == null) {
          throw noMergeKey(item, mergeKey);
        }
        int found = -1;
        for (int i = 0; i < merged.size(); i++) {
          if (equal(merged.get(i).get(mergeKey), value)) {
            found = i;
            break;
          }
        }
        if (found >= 0) {
          merged.set(found, mergeMap((ObjectNode) merged.get(found), (ObjectNode) item, element));
        } else {
          merged.add(mergeMap(null, (ObjectNode) item, element));
        }
      }
    }
    List<JsonNode> inPatch = new ArrayList<>();
    List<JsonNode> serverOnly = new ArrayList<>();
    partition(array(merged), array(patchItems), mergeKey, inPatch, serverOnly);
    return normalizeElementOrder(inPatch, serverOnly, patchItems, originalItems, mergeKey);
  }

  private static boolean elementsAreMaps(ArrayNode original, ArrayNode patch) {
    JsonNode first = null;
    for (JsonNode item : concat(list(original), list(patch))) {
      if (item.isArray()) {
        throw new ApiException.Unprocessable("lists of lists are not supported");
      }
      if (first == null) {
        first = item;
      } else if (first.isObject() != item.isObject()) {
        throw new ApiException.Unknown(
            "mismatched types: " + goType(first) + " and " + goType(item));
      }
    }
    return first != null && first.isObject();
  }

  private static ApiException noMergeKey(JsonNode item, String mergeKey) {
    return new ApiException.Unknown(
        "map: " + goText(item) + " does not contain declared merge key: " + mergeKey);
  }

  private static void partition(
      ArrayNode merged,
      ArrayNode by,
      String mergeKey,
      List<JsonNode> present,
      List<JsonNode> absent) {
    for (JsonNode item : merged) {
      JsonNode key = keyOf(item, mergeKey);
      boolean found = false;
      for (JsonNode candidate : by) {
        if (equal(keyOf(candidate, mergeKey), key)) {
          found = true;
          break;
        }
      }
      (found ? present : absent).add(item);
    }
  }

  /**
   * normalizeElementOrder: sorts the patch items by the patch order and the server-only items by
   * the server order, then interleaves them by their position in the live list.
   */
  private static ArrayNode normalizeElementOrder(
      List<JsonNode> patchItems,
      List<JsonNode> serverOnly,
      List<JsonNode> patchOrder,
      List<JsonNode> serverOrder,
      String mergeKey) {
    List<JsonNode> left = sortByOrder(serverOnly, serverOrder, mergeKey);
    List<JsonNode> right = sortByOrder(patchItems, patchOrder, mergeKey);
    // mergeSortedSlice
    List<JsonNode> all = new ArrayList<>();
    int i = 0;
    int j = 0;
    while (i < left.size() || j < right.size()) {
      if (i >= left.size()) {
        all.add(right.get(j++));
      } else if (j >= right.size()) {
        all.add(left.get(i++));
      } else {
        int li = index(serverOrder, left.get(i), mergeKey);
        int ri = index(serverOrder, right.get(j), mergeKey);
        if (li >= 0 && ri >= 0 && li < ri) {
          all.add(left.get(i++));
        } else {
          all.add(right.get(j++));
        }
      }
    }
    return array(all);
  }

  private static List<JsonNode> sortByOrder(
      List<JsonNode> items, List<JsonNode> order, String mergeKey) {
    List<JsonNode> toDelete = new ArrayList<>();
    List<JsonNode> unordered = new ArrayList<>();
    TreeMap<Integer, List<JsonNode>> ordered = new TreeMap<>();
    for (JsonNode item : items) {
      if (mergeKey != null && item.isObject() && item.has(DIRECTIVE)) {
        toDelete.add(item);
        continue;
      }
      if (mergeKey != null && (!item.isObject() || !item.has(mergeKey))) {
        throw noMergeKey(item, mergeKey);
      }
      int index = index(order, item, mergeKey);
      if (index < 0) {
        unordered.add(item);
      } else {
        ordered.computeIfAbsent(index, k -> new ArrayList<>()).add(item);
      }
    }
    List<JsonNode> sorted = new ArrayList<>(unordered);
    ordered.values().forEach(sorted::addAll);
    sorted.addAll(toDelete);
    return sorted;
  }

  private static int index(List<JsonNode> list, JsonNode item, String mergeKey) {
    JsonNode key = keyOf(item, mergeKey);
    for (int i = 0; i < list.size(); i++) {
      if (equal(keyOf(list.get(i), mergeKey), key)) {
        return i;
      }
    }
    return -1;
  }

  private static List<JsonNode> list(JsonNode array) {
    List<JsonNode> items = new ArrayList<>();
    if (array != null) {
      array.forEach(items::add);
    }
    return items;
  }

  private static List<JsonNode> concat(List<JsonNode> a, List<JsonNode> b) {
    List<JsonNode> all = new ArrayList<>(a);
    all.addAll(b);
    return all;
  }

  private static ArrayNode array(List<JsonNode> items) {
    ArrayNode array = NODES.arrayNode();
    items.forEach(array::add);
    return array;
  }

  private static String goType(JsonNode node) {
    return switch (node.getNodeType()) {
      case OBJECT -> "map[string]interface {}";
      case ARRAY -> "[]interface {}";
      case STRING -> "string";
      case NUMBER -> "float64";
      case BOOLEAN -> "bool";
      default -> "<nil>";
    };
  }

  /** A decoded JSON value as Go's {@code %v} prints it: {@code map[name:a port:80]}. */
  static String goText(JsonNode node) {
    if (node == null || node.isNull()) {
      return "<nil>";
    }
    if (node.isObject()) {
      TreeMap<String, String> sorted = new TreeMap<>();
      node.fields().forEachRemaining(e -> sorted.put(e.getKey(), goText(e.getValue())));
      StringBuilder text = new StringBuilder("map[");
      sorted.forEach(
          (k, v) -> text.append(text.length() > 4 ? " " : "").append(k).append(':').append(v));
      return text.append(']').toString();
    }
    if (node.isArray()) {
      List<String> items = new ArrayList<>();
      node.forEach(n -> items.add(goText(n)));
      return "[" + String.join(" ", items) + "]";
    }
    return node.asText();
  }
}
