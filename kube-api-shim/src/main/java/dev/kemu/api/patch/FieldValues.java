package dev.kemu.api.patch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.kemu.api.patch.FieldShape.ListOf;
import dev.kemu.api.patch.FieldShape.ListSemantics;
import dev.kemu.api.patch.FieldShape.ListType;
import dev.kemu.api.patch.FieldShape.MapOf;
import dev.kemu.api.patch.FieldShape.Struct;
import dev.kemu.api.store.ApiException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The typed walks of {@code structured-merge-diff} over a JSON object: the field set of a value
 * ({@code typed/tofieldset.go}), the merge of an applied configuration into a live object ({@code
 * typed/merge.go}: granular structs and maps, associative lists merged by key, sets by value,
 * atomic lists replaced) and the removal of paths ({@code RemoveItems}).
 */
final class FieldValues {
  /** Marks a path that is a member but not a leaf (an item of a list). */
  static final JsonNode CONTAINER = TextNode.valueOf("\u0000container");

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private final PatchSchema schema;

  FieldValues(PatchSchema schema) {
    this.schema = schema;
  }

  /**
   * The members of a value with the leaf value of each (or {@link #CONTAINER}).
   *
   * @param strict whether duplicate keys and missing key fields are errors (for applied
   *     configurations; live objects are tolerated as upstream does)
   */
  Map<List<PathElement>, JsonNode> members(JsonNode value, FieldShape shape, boolean strict) {
    Map<List<PathElement>, JsonNode> members = new LinkedHashMap<>();
    walk(value, shape, new ArrayList<>(), members, strict);
    return members;
  }

  private void walk(
      JsonNode node,
      FieldShape shape,
      List<PathElement> path,
      Map<List<PathElement>, JsonNode> members,
      boolean strict) {
    if (node.isObject() && isGranularObject(shape)) {
      if (node.isEmpty()) {
        insert(path, node, members);
        return;
      }
      node.fields()
          .forEachRemaining(
              e -> {
                List<PathElement> child = append(path, new PathElement.Field(e.getKey()));
                JsonNode value = e.getValue();
                FieldShape childShape = schema.child(shape, e.getKey());
                if (value.isNull()) {
                  insert(child, value, members);
                  return;
                }
                walk(value, childShape, child, members, strict);
                if (shape instanceof MapOf && !members.containsKey(child)) {
                  insert(child, CONTAINER, members);
                }
              });
      return;
    }
    if (node.isArray()
        && shape instanceof ListOf list
        && list.semantics().listType() != ListType.ATOMIC) {
      Set<PathElement> seen = new LinkedHashSet<>();
      int index = 0;
      for (JsonNode item : node) {
        PathElement element = itemElement(item, list.semantics(), path, index++, strict);
        if (element == null) {
          continue;
        }
        if (!seen.add(element)) {
          if (strict) {
            throw new ApiException.Unknown(
                FieldSet.text(path) + ": duplicate entries for key " + element.text());
          }
          continue;
        }
        List<PathElement> child = append(path, element);
        if (list.semantics().listType() == ListType.SET) {
          insert(child, item, members);
        } else {
          walk(item, list.element(), child, members, strict);
          members.put(child, CONTAINER);
        }
      }
      return;
    }
    insert(path, node, members);
  }

  private static void insert(
      List<PathElement> path, JsonNode value, Map<List<PathElement>, JsonNode> members) {
    if (!path.isEmpty()) {
      members.put(path, value);
    }
  }

  private static boolean isGranularObject(FieldShape shape) {
    if (shape instanceof Struct s) {
      return !s.atomic();
    }
    if (shape instanceof FieldShape.OpenApi o) {
      return !o.atomic();
    }
    return shape instanceof MapOf || shape instanceof FieldShape.Untyped;
  }

  /** The path element of a list item: its keys for an associative list, its value for a set. */
  static PathElement itemElement(
      JsonNode item,
      ListSemantics semantics,
      List<PathElement> listPath,
      int index,
      boolean strict) {
    if (semantics.listType() == ListType.SET) {
      return new PathElement.Value(item);
    }
    if (!item.isObject()) {
      if (strict) {
        throw new ApiException.Unknown(
            FieldSet.text(listPath) + ": element " + index + ": expected map, got " + item);
      }
      return null;
    }
    TreeMap<String, JsonNode> keys = new TreeMap<>();
    for (String key : semantics.keys()) {
      JsonNode value = item.get(key);
      if (value == null || value.isNull()) {
        String defaultValue = semantics.keyDefaults().get(key);
        if (defaultValue != null) {
          keys.put(key, TextNode.valueOf(defaultValue));
          continue;
        }
        if (strict) {
          throw new ApiException.Unknown(
              FieldSet.text(listPath)
                  + ": element "
                  + index
                  + ": associative list with keys has an element that omits key field \""
                  + key
                  + "\" (and doesn't have default value)");
        }
        continue;
      }
      keys.put(key, value);
    }
    return new PathElement.Key(keys);
  }

  private static List<PathElement> append(List<PathElement> path, PathElement element) {
    List<PathElement> child = new ArrayList<>(path.size() + 1);
    child.addAll(path);
    child.add(element);
    return List.copyOf(child);
  }

  /** The merge of {@code rhs} (the applied configuration) into {@code lhs} (the live object). */
  JsonNode merge(JsonNode lhs, JsonNode rhs, FieldShape shape) {
    if (rhs == null) {
      return lhs;
    }
    if (lhs == null || lhs.isNull() || rhs.isNull()) {
      return rhs.deepCopy();
    }
    if (lhs.isObject() && rhs.isObject() && isGranularObject(shape)) {
      ObjectNode out = ((ObjectNode) lhs).deepCopy();
      rhs.fields()
          .forEachRemaining(
              e ->
                  out.set(
                      e.getKey(),
                      merge(lhs.get(e.getKey()), e.getValue(), schema.child(shape, e.getKey()))));
      return out;
    }
    if (lhs.isArray()
        && rhs.isArray()
        && shape instanceof ListOf list
        && list.semantics().listType() != ListType.ATOMIC) {
      return mergeList((ArrayNode) lhs, (ArrayNode) rhs, list);
    }
    return rhs.deepCopy();
  }

  /**
   * mergeListItems: items only in the live list keep their place, items of the configuration come
   * in its order, items in both are merged.
   */
  private ArrayNode mergeList(ArrayNode lhs, ArrayNode rhs, ListOf list) {
    List<PathElement> lhsKeys = new ArrayList<>();
    Map<PathElement, JsonNode> lhsItems = new HashMap<>();
    for (int i = 0; i < lhs.size(); i++) {
      PathElement e = itemElement(lhs.get(i), list.semantics(), List.of(), i, false);
      lhsKeys.add(e);
      if (e != null) {
        lhsItems.putIfAbsent(e, lhs.get(i));
      }
    }
    List<PathElement> rhsKeys = new ArrayList<>();
    Map<PathElement, JsonNode> rhsItems = new HashMap<>();
    for (int i = 0; i < rhs.size(); i++) {
      PathElement e = itemElement(rhs.get(i), list.semantics(), List.of(), i, true);
      rhsKeys.add(e);
      rhsItems.putIfAbsent(e, rhs.get(i));
    }
    ArrayNode out = NODES.arrayNode();
    Set<PathElement> emitted = new java.util.HashSet<>();
    int l = 0;
    int r = 0;
    while (l < lhs.size() || r < rhs.size()) {
      if (l < lhs.size()) {
        PathElement key = lhsKeys.get(l);
        if (key != null && emitted.contains(key)) {
          l++;
          continue;
        }
        if (key == null || !rhsItems.containsKey(key)) {
          out.add(lhs.get(l).deepCopy());
          l++;
          continue;
        }
        if (r < rhs.size() && key.equals(rhsKeys.get(r))) {
          out.add(merge(lhs.get(l), rhs.get(r), list.element()));
          emitted.add(key);
          l++;
          r++;
          continue;
        }
      }
      if (r < rhs.size()) {
        PathElement key = rhsKeys.get(r);
        if (!emitted.contains(key)) {
          out.add(merge(lhsItems.get(key), rhs.get(r), list.element()));
          emitted.add(key);
        }
        r++;
      } else {
        l++;
      }
    }
    return out;
  }

  /**
   * Removes the value at {@code path} from {@code root}, if present. A map or list this empties
   * goes too: upstream's {@code RemoveItems} turns it into null, which decodes as absent.
   */
  void remove(ObjectNode root, List<PathElement> path, FieldShape rootShape) {
    JsonNode container = removeLast(root, path, rootShape);
    if (container != null && container.isEmpty() && path.size() > 1) {
      removeLast(root, path.subList(0, path.size() - 1), rootShape);
    }
  }

  /** Removes the value at {@code path}; returns its parent, or null if nothing was there. */
  private JsonNode removeLast(ObjectNode root, List<PathElement> path, FieldShape rootShape) {
    JsonNode node = root;
    FieldShape shape = rootShape;
    for (int i = 0; i < path.size() - 1; i++) {
      PathElement element = path.get(i);
      node = step(node, shape, element);
      shape = stepShape(shape, element);
      if (node == null) {
        return null;
      }
    }
    PathElement last = path.get(path.size() - 1);
    boolean removed = false;
    if (last instanceof PathElement.Field f && node.isObject()) {
      removed = ((ObjectNode) node).remove(f.name()) != null;
    } else if (node.isArray() && shape instanceof ListOf list) {
      ArrayNode array = (ArrayNode) node;
      for (int i = array.size() - 1; i >= 0; i--) {
        PathElement e = itemElement(array.get(i), list.semantics(), List.of(), i, false);
        if (last.equals(e)) {
          array.remove(i);
          removed = true;
        }
      }
    }
    return removed ? node : null;
  }

  private JsonNode step(JsonNode node, FieldShape shape, PathElement element) {
    if (element instanceof PathElement.Field f) {
      return node.isObject() ? node.get(f.name()) : null;
    }
    if (node.isArray() && shape instanceof ListOf list) {
      for (int i = 0; i < node.size(); i++) {
        if (element.equals(itemElement(node.get(i), list.semantics(), List.of(), i, false))) {
          return node.get(i);
        }
      }
    }
    return null;
  }

  private FieldShape stepShape(FieldShape shape, PathElement element) {
    if (element instanceof PathElement.Field f) {
      return schema.child(shape, f.name());
    }
    return PatchSchema.element(shape);
  }
}
