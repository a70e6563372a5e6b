package dev.kemu.api.patch;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kemu.api.model.ResourceCodec;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * One step of a field path of server-side apply, mirroring {@code fieldpath.PathElement} of {@code
 * sigs.k8s.io/structured-merge-diff}: a struct or map field ({@code f:}), an associative list item
 * by its keys ({@code k:}), a set item by its value ({@code v:}) or a list index ({@code i:}).
 * Elements order as upstream: fields, then keys, then values, then indexes.
 */
public sealed interface PathElement extends Comparable<PathElement> {

  /** The FieldsV1 form: {@code f:name}, {@code k:{"port":80,"protocol":"TCP"}}, {@code v:"a"}. */
  String fieldsV1();

  /** The form of {@code PathElement.String()}: {@code .name}, {@code [port=80,protocol="TCP"]}. */
  String text();

  private int rank() {
    if (this instanceof Field) {
      return 0;
    }
    if (this instanceof Key) {
      return 1;
    }
    return this instanceof Value ? 2 : 3;
  }

  @Override
  default int compareTo(PathElement other) {
    int byRank = Integer.compare(rank(), other.rank());
    if (byRank != 0) {
      return byRank;
    }
    if (this instanceof Field f) {
      return f.name().compareTo(((Field) other).name());
    }
    if (this instanceof Index i) {
      return Integer.compare(i.index(), ((Index) other).index());
    }
    return fieldsV1().compareTo(other.fieldsV1());
  }

  /** A field of a struct or a key of a map. */
  record Field(String name) implements PathElement {
    @Override
    public String fieldsV1() {
      return "f:" + name;
    }

    @Override
    public String text() {
      return "." + name;
    }
  }

  /** An item of an associative list, by the values of its key fields (sorted by name). */
  record Key(SortedMap<String, JsonNode> fields) implements PathElement {
    public Key {
      fields = new TreeMap<>(fields);
    }

    @Override
    public String fieldsV1() {
      ObjectNode object = JsonNodeFactory.instance.objectNode();
      fields.forEach(object::set);
      return "k:" + object;
    }

    @Override
    public String text() {
      StringBuilder text = new StringBuilder("[");
      for (Map.Entry<String, JsonNode> e : fields.entrySet()) {
        if (text.length() > 1) {
          text.append(',');
        }
        text.append(e.getKey()).append('=').append(e.getValue());
      }
      return text.append(']').toString();
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Key k && fieldsV1().equals(k.fieldsV1());
    }

    @Override
    public int hashCode() {
      return fieldsV1().hashCode();
    }
  }

  /** An item of a set, by its value. */
  record Value(JsonNode value) implements PathElement {
    @Override
    public String fieldsV1() {
      return "v:" + value;
    }

    @Override
    public String text() {
      return "[=" + value + "]";
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Value v && fieldsV1().equals(v.fieldsV1());
    }

    @Override
    public int hashCode() {
      return fieldsV1().hashCode();
    }
  }

  /** An item of a list by position (only for lists without keys that are not atomic). */
  record Index(int index) implements PathElement {
    @Override
    public String fieldsV1() {
      return "i:" + index;
    }

    @Override
    public String text() {
      return "[" + index + "]";
    }
  }

  /** Parses the FieldsV1 form of one element. */
  static PathElement parse(String text) {
    if (text.length() < 2 || text.charAt(1) != ':') {
      throw new IllegalArgumentException("unknown path element: " + text);
    }
    String body = text.substring(2);
    try {
      return switch (text.charAt(0)) {
        case 'f' -> new Field(body);
        case 'k' -> {
          JsonNode object = ResourceCodec.json().readTree(body);
          if (!object.isObject()) {
            throw new IllegalArgumentException("key is not an object: " + text);
          }
          TreeMap<String, JsonNode> fields = new TreeMap<>();
          object.fields().forEachRemaining(e -> fields.put(e.getKey(), e.getValue()));
          yield new Key(fields);
        }
        case 'v' -> new Value(ResourceCodec.json().readTree(body));
        case 'i' -> new Index(Integer.parseInt(body));
        default -> throw new IllegalArgumentException("unknown path element: " + text);
      };
    } catch (JsonProcessingException | NumberFormatException e) {
      throw new IllegalArgumentException("bad path element " + text + ": " + e.getMessage(), e);
    }
  }
}
