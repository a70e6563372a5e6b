package dev.kemu.api.model;

/**
 * A path to a field of an object, printed as the apiserver prints field paths in validation
 * messages: {@code spec.ports[0].port}, {@code metadata.labels[app]}. Mirrors {@code
 * k8s.io/apimachinery/pkg/util/validation/field.Path}.
 */
public final class FieldPath {
  private final FieldPath parent;
  private final String segment;
  private final boolean bracketed;

  private FieldPath(FieldPath parent, String segment, boolean bracketed) {
    this.parent = parent;
    this.segment = segment;
    this.bracketed = bracketed;
  }

  /** A path starting at the named top-level field. */
  public static FieldPath of(String name, String... more) {
    FieldPath path = new FieldPath(null, name, false);
    for (String child : more) {
      path = path.child(child);
    }
    return path;
  }

  /** The named child field. */
  public FieldPath child(String name) {
    return new FieldPath(this, name, false);
  }

  /** The element at an index of a list field. */
  public FieldPath index(int index) {
    return new FieldPath(this, Integer.toString(index), true);
  }

  /** The entry under a key of a map field. */
  public FieldPath key(String key) {
    return new FieldPath(this, key, true);
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder();
    append(sb);
    return sb.toString();
  }

  private void append(StringBuilder sb) {
    if (parent != null) {
      parent.append(sb);
    }
    if (bracketed) {
      sb.append('[').append(segment).append(']');
    } else {
      if (parent != null) {
        sb.append('.');
      }
      sb.append(segment);
    }
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof FieldPath that && toString().equals(that.toString());
  }

  @Override
  public int hashCode() {
    return toString().hashCode();
  }
}
