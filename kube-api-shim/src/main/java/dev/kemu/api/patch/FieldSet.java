package dev.kemu.api.patch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A set of field paths, mirroring {@code fieldpath.Set} of {@code structured-merge-diff}, with the
 * FieldsV1 encoding of {@code fieldpath/serialize.go} ({@code {"f:spec":{"f:replicas":{}}}}, and
 * {@code ".": {}} where a path is a member and also has members below it). Immutable.
 */
public final class FieldSet {
  /** Paths compare element by element, a prefix before its extensions. */
  static final Comparator<List<PathElement>> PATH_ORDER =
      (a, b) -> {
        for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
          int c = a.get(i).compareTo(b.get(i));
          if (c != 0) {
            return c;
          }
        }
        return Integer.compare(a.size(), b.size());
      };

  private static final FieldSet EMPTY = new FieldSet(new TreeSet<>(PATH_ORDER));

  private final NavigableSet<List<PathElement>> paths;

  private FieldSet(NavigableSet<List<PathElement>> paths) {
    this.paths = paths;
  }

  /** The empty set. */
  public static FieldSet empty() {
    return EMPTY;
  }

  /** A set of the given paths. */
  public static FieldSet of(Collection<List<PathElement>> paths) {
    TreeSet<List<PathElement>> set = new TreeSet<>(PATH_ORDER);
    for (List<PathElement> p : paths) {
      set.add(List.copyOf(p));
    }
    return new FieldSet(set);
  }

  /** The paths, in order. */
  public NavigableSet<List<PathElement>> paths() {
    return java.util.Collections.unmodifiableNavigableSet(paths);
  }

  public boolean isEmpty() {
    return paths.isEmpty();
  }

  public boolean contains(List<PathElement> path) {
    return paths.contains(path);
  }

  /** Whether the set has the path or a path below it. */
  public boolean containsPrefixed(List<PathElement> prefix) {
    List<PathElement> next = paths.ceiling(prefix);
    return next != null && startsWith(next, prefix);
  }

  static boolean startsWith(List<PathElement> path, List<PathElement> prefix) {
    return path.size() >= prefix.size() && path.subList(0, prefix.size()).equals(prefix);
  }

  public FieldSet union(FieldSet other) {
    TreeSet<List<PathElement>> set = new TreeSet<>(paths);
    set.addAll(other.paths);
    return new FieldSet(set);
  }

  public FieldSet difference(FieldSet other) {
    TreeSet<List<PathElement>> set = new TreeSet<>(paths);
    set.removeAll(other.paths);
    return new FieldSet(set);
  }

  public FieldSet intersection(FieldSet other) {
    TreeSet<List<PathElement>> set = new TreeSet<>(paths);
    set.retainAll(other.paths);
    return new FieldSet(set);
  }

  /** The FieldsV1 JSON object. */
  public ObjectNode toFieldsV1() {
    Node root = new Node();
    for (List<PathElement> path : paths) {
      Node node = root;
      for (PathElement element : path) {
        node = node.children.computeIfAbsent(element, e -> new Node());
      }
      node.member = true;
    }
    return root.emit(false);
  }

  /** Parses a FieldsV1 JSON object. */
  public static FieldSet fromFieldsV1(JsonNode fieldsV1) {
    List<List<PathElement>> paths = new ArrayList<>();
    if (fieldsV1 != null && fieldsV1.isObject()) {
      collect(fieldsV1, new ArrayList<>(), paths);
    }
    return of(paths);
  }

  private static void collect(
      JsonNode node, List<PathElement> prefix, List<List<PathElement>> paths) {
    var fields = node.fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> e = fields.next();
      if (e.getKey().equals(".")) {
        paths.add(List.copyOf(prefix));
        continue;
      }
      List<PathElement> path = new ArrayList<>(prefix);
      path.add(PathElement.parse(e.getKey()));
      if (e.getValue().isObject() && !e.getValue().isEmpty()) {
        collect(e.getValue(), path, paths);
      } else {
        paths.add(path);
      }
    }
  }

  /** The upstream text of a path, {@code .spec.ports[port=80,protocol="TCP"].targetPort}. */
  public static String text(List<PathElement> path) {
    StringBuilder text = new StringBuilder();
    path.forEach(e -> text.append(e.text()));
    return text.toString();
  }

  private static final class Node {
    boolean member;
    final TreeMap<PathElement, Node> children = new TreeMap<>();

    ObjectNode emit(boolean includeSelf) {
      ObjectNode object = JsonNodeFactory.instance.objectNode();
      if (includeSelf && member && !children.isEmpty()) {
        object.set(".", JsonNodeFactory.instance.objectNode());
      }
      children.forEach((e, child) -> object.set(e.fieldsV1(), child.emit(true)));
      return object;
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof FieldSet s && paths.equals(s.paths);
  }

  @Override
  public int hashCode() {
    return paths.hashCode();
  }

  @Override
  public String toString() {
    return toFieldsV1().toString();
  }
}
