package dev.kemu.api.manifests;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.exc.InputCoercionException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kemu.api.model.ResourceCodec;
import dev.kemu.api.model.ResourceType;
import dev.kemu.api.model.ResourceTypes;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/**
 * Reads manifest files into Kubernetes objects the way {@code kubectl apply -f} does: a stream of
 * YAML documents split on {@code ---} lines ({@code k8s.io/apimachinery/pkg/util/yaml} {@code
 * YAMLReader}), or a stream of JSON objects when the text starts with <code>{</code> ({@code
 * GuessJSONStream}); {@code List} kinds ({@code v1/List} and typed lists such as {@code
 * ServiceList}) are flattened into their items; empty documents are skipped.
 *
 * <p>Each object is decoded into the fabric8 class of its kind; kinds the store does not know
 * become {@link GenericKubernetesResource}s. Nothing here throws on bad input: a YAML syntax error,
 * a document without {@code apiVersion} or {@code kind}, or a field of the wrong type becomes a
 * {@link ManifestProblem} naming the file, the document and the line, and the other documents of
 * the file are still read, since documents are split before they are parsed.
 */
public final class ManifestLoader {
  private static final ObjectReader YAML_TREE =
      ResourceCodec.yaml().reader().with(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
  private static final ObjectReader JSON_TREE =
      ResourceCodec.json().reader().with(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
  private static final Pattern DUPLICATE_FIELD = Pattern.compile("Duplicate field '(.*)'");

  private final ResourceTypes types;

  /**
   * A loader.
   *
   * @param types the kinds the store knows, to decode each object into its class
   */
  public ManifestLoader(ResourceTypes types) {
    this.types = Objects.requireNonNull(types);
  }

  /** Reads and decodes a file; a file that cannot be read is one problem. */
  public ManifestFile load(Path file) {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      return new ManifestFile(
          file,
          List.of(),
          List.of(ManifestProblem.ofFile(file, "the path \"" + file + "\" does not exist")));
    } catch (IOException e) {
      return new ManifestFile(
          file, List.of(), List.of(ManifestProblem.ofFile(file, "cannot read the file: " + e)));
    }
    return parse(file, new String(bytes, StandardCharsets.UTF_8));
  }

  /** Decodes the text of a file. */
  public ManifestFile parse(Path file, String text) {
    if (text.startsWith("\uFEFF")) {
      text = text.substring(1);
    }
    List<ManifestDocument> documents = new ArrayList<>();
    List<ManifestProblem> problems = new ArrayList<>();
    if (text.stripLeading().startsWith("{")) {
      parseJson(file, text, documents, problems);
    } else {
      parseYaml(file, text, documents, problems);
    }
    return new ManifestFile(file, documents, problems);
  }

  // ---------------------------------------------------------------- YAML

  /**
   * One {@code ---} separated part of a YAML stream.
   *
   * @param text its lines
   * @param firstLine the file line of its first line
   * @param separatorError kubectl's error for the separator line before it, or null
   * @param separatorLine the line of that separator
   */
  private record Chunk(String text, int firstLine, String separatorError, int separatorLine) {

    /** Whether the chunk holds more than blank lines, comments and directives. */
    boolean hasContent() {
      for (String line : text.split("\n", -1)) {
        String trimmed = line.strip();
        if (!trimmed.isEmpty() && !trimmed.startsWith("#") && !trimmed.startsWith("%")) {
          return true;
        }
      }
      return false;
    }

    /** The line of the first content line. */
    int contentLine() {
      String[] lines = text.split("\n", -1);
      for (int i = 0; i < lines.length; i++) {
        String trimmed = lines[i].strip();
        if (!trimmed.isEmpty() && !trimmed.startsWith("#") && !trimmed.startsWith("%")) {
          return firstLine + i;
        }
      }
      return firstLine;
    }
  }

  /**
   * Splits a YAML stream into documents as kubectl's {@code YAMLReader} does: a line that starts
   * with {@code ---} ends a document, and only spaces and a comment may follow the dashes.
   */
  private static List<Chunk> split(String text) {
    List<Chunk> chunks = new ArrayList<>();
    StringBuilder buffer = new StringBuilder();
    int firstLine = 1;
    String separatorError = null;
    int separatorLine = -1;
    String[] lines = text.split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i];
      if (line.startsWith("---")) {
        String trimmed = line.substring(3).strip();
        if (buffer.length() > 0 || separatorError != null) {
          chunks.add(new Chunk(buffer.toString(), firstLine, separatorError, separatorLine));
        }
        buffer.setLength(0);
        firstLine = i + 2;
        separatorError = null;
        if (!trimmed.isEmpty() && !trimmed.startsWith("#")) {
          separatorError = "invalid Yaml document separator: " + trimmed;
          separatorLine = i + 1;
        }
        continue;
      }
      if (i == lines.length - 1 && line.isEmpty()) {
        break;
      }
      buffer.append(line).append('\n');
    }
    if (buffer.length() > 0 || separatorError != null) {
      chunks.add(new Chunk(buffer.toString(), firstLine, separatorError, separatorLine));
    }
    return chunks;
  }

  private void parseYaml(
      Path file, String text, List<ManifestDocument> documents, List<ManifestProblem> problems) {
    int index = 0;
    for (Chunk chunk : split(text)) {
      if (chunk.separatorError() != null) {
        index++;
        problems.add(
            new ManifestProblem(file, index, chunk.separatorLine(), null, chunk.separatorError()));
        continue;
      }
      if (!chunk.hasContent()) {
        continue;
      }
      index++;
      JsonNode tree;
      try {
        tree = YAML_TREE.readTree(chunk.text());
      } catch (JsonProcessingException e) {
        problems.add(yamlSyntaxError(file, index, chunk, e));
        continue;
      } catch (RuntimeException e) {
        // SnakeYAML may throw its own exceptions unwrapped (e.g. on too deep nesting).
        problems.add(
            new ManifestProblem(
                file,
                index,
                chunk.contentLine(),
                null,
                "error converting YAML to JSON: " + e.getMessage()));
        continue;
      }
      DocumentText source = new DocumentText(chunk.text(), chunk.firstLine(), false);
      document(file, index, chunk.contentLine(), tree, source, documents, problems);
    }
  }

  /** A syntax error, worded as kubectl words it ({@code sigs.k8s.io/yaml}), with the file line. */
  private static ManifestProblem yamlSyntaxError(
      Path file, int index, Chunk chunk, JsonProcessingException e) {
    int line;
    String problem;
    if (e.getCause() instanceof MarkedYAMLException marked && marked.getProblemMark() != null) {
      line = chunk.firstLine() + marked.getProblemMark().getLine();
      problem = marked.getProblem();
    } else {
      line =
          e.getLocation() == null || e.getLocation().getLineNr() < 1
              ? chunk.contentLine()
              : chunk.firstLine() + e.getLocation().getLineNr() - 1;
      problem = e.getOriginalMessage();
    }
    Matcher duplicate = DUPLICATE_FIELD.matcher(Objects.requireNonNullElse(problem, ""));
    String message =
        duplicate.matches()
            ? "error converting YAML to JSON: yaml: unmarshal errors: line "
                + line
                + ": key \""
                + duplicate.group(1)
                + "\" already set in map"
            : "error converting YAML to JSON: yaml: line " + line + ": " + problem;
    return new ManifestProblem(file, index, line, null, message);
  }

  // ---------------------------------------------------------------- JSON

  private void parseJson(
      Path file, String text, List<ManifestDocument> documents, List<ManifestProblem> problems) {
    int index = 0;
    try (JsonParser parser = JSON_TREE.createParser(text)) {
      while (true) {
        JsonToken token;
        try {
          token = parser.nextToken();
        } catch (JsonProcessingException e) {
          problems.add(jsonSyntaxError(file, index + 1, e));
          return;
        }
        if (token == null) {
          return;
        }
        index++;
        var start = parser.currentTokenLocation();
        JsonNode tree;
        try {
          tree = JSON_TREE.readTree(parser);
        } catch (JsonProcessingException e) {
          // JSON has no separators to resynchronise on: the rest of the file is lost.
          problems.add(jsonSyntaxError(file, index, e));
          return;
        }
        int end = (int) parser.currentLocation().getCharOffset();
        int startOffset = (int) start.getCharOffset();
        String piece =
            startOffset >= 0 && end >= startOffset && end <= text.length()
                ? text.substring(startOffset, end)
                : "";
        DocumentText source = new DocumentText(piece, start.getLineNr(), true);
        document(file, index, start.getLineNr(), tree, source, documents, problems);
      }
    } catch (IOException e) {
      problems.add(ManifestProblem.ofFile(file, "cannot read the file: " + e));
    }
  }

  private static ManifestProblem jsonSyntaxError(Path file, int index, JsonProcessingException e) {
    int line = e.getLocation() == null ? -1 : e.getLocation().getLineNr();
    int column = e.getLocation() == null ? -1 : e.getLocation().getColumnNr();
    Matcher duplicate =
        DUPLICATE_FIELD.matcher(Objects.requireNonNullElse(e.getOriginalMessage(), ""));
    String detail =
        duplicate.matches()
            ? "duplicate field \"" + duplicate.group(1) + "\""
            : e.getOriginalMessage();
    String where = line > 0 ? "line " + line + ", column " + column + ": " : "";
    return new ManifestProblem(file, index, line, null, "json: " + where + detail);
  }

  // ---------------------------------------------------------------- objects

  private void document(
      Path file,
      int index,
      int line,
      JsonNode tree,
      DocumentText source,
      List<ManifestDocument> documents,
      List<ManifestProblem> problems) {
    if (tree == null || tree.isMissingNode() || tree.isNull()) {
      return;
    }
    if (!(tree instanceof ObjectNode object)) {
      problems.add(
          new ManifestProblem(
              file,
              index,
              line,
              null,
              "json: cannot unmarshal "
                  + jsonType(tree)
                  + " into an object: a manifest document must be an object with apiVersion and"
                  + " kind"));
      return;
    }
    decode(file, index, line, "", object, source, documents, problems);
  }

  private void decode(
      Path file,
      int index,
      int line,
      String pointer,
      ObjectNode tree,
      DocumentText source,
      List<ManifestDocument> documents,
      List<ManifestProblem> problems) {
    String kind = text(tree, "kind");
    String apiVersion = text(tree, "apiVersion");
    if (kind == null) {
      problems.add(problem(file, index, line, pointer, "kind", "Object 'Kind' is missing", source));
      return;
    }
    if (apiVersion == null) {
      problems.add(
          problem(
              file, index, line, pointer, "apiVersion", "Object 'apiVersion' is missing", source));
      return;
    }
    if (kind.endsWith("List") && isList(tree)) {
      JsonNode items = tree.get("items");
      if (items == null || items.isNull()) {
        return;
      }
      String itemKind = kind.equals("List") ? null : kind.substring(0, kind.length() - 4);
      for (int i = 0; i < items.size(); i++) {
        String itemPointer = pointer + "/items/" + i;
        int itemLine = lineOf(source, itemPointer, line);
        JsonNode item = items.get(i);
        if (!(item instanceof ObjectNode itemObject)) {
          problems.add(
              new ManifestProblem(
                  file,
                  index,
                  itemLine,
                  field(itemPointer),
                  "json: cannot unmarshal " + jsonType(item) + " into an object"));
          continue;
        }
        if (itemKind != null && text(itemObject, "kind") == null) {
          itemObject.put("kind", itemKind);
          if (text(itemObject, "apiVersion") == null) {
            itemObject.put("apiVersion", apiVersion);
          }
        }
        decode(file, index, itemLine, itemPointer, itemObject, source, documents, problems);
      }
      return;
    }
    Class<? extends HasMetadata> javaType;
    var type = types.find(apiVersion, kind);
    if (type.isPresent()) {
      javaType = type.get().javaType();
    } else {
      ResourceType moved = movedBuiltIn(apiVersion, kind);
      if (moved != null) {
        problems.add(
            problem(
                file,
                index,
                line,
                pointer,
                "apiVersion",
                "no matches for kind \""
                    + kind
                    + "\" in version \""
                    + apiVersion
                    + "\" (kemu serves "
                    + kind
                    + " as "
                    + moved.apiVersion()
                    + ")",
                source));
        return;
      }
      javaType = GenericKubernetesResource.class;
    }
    HasMetadata object;
    try {
      object = ResourceCodec.json().treeToValue(tree, javaType);
    } catch (JsonMappingException e) {
      String field = path(e);
      problems.add(
          problem(
              file,
              index,
              line,
              pointer,
              field,
              decodeMessage(apiVersion, kind, tree, field, e),
              source));
      return;
    } catch (JsonProcessingException | RuntimeException e) {
      problems.add(
          problem(
              file,
              index,
              line,
              pointer,
              null,
              kind
                  + " in version \""
                  + version(apiVersion)
                  + "\" cannot be handled as a "
                  + kind
                  + ": "
                  + e.getMessage(),
              source));
      return;
    }
    documents.add(new ManifestDocument(file, index, line, pointer, object, source));
  }

  /**
   * A built-in kind named with an API version kemu does not serve ({@code extensions/v1beta1}
   * Ingress): kubectl's "no matches for kind" rather than an unknown kind stored as is.
   */
  private static ResourceType movedBuiltIn(String apiVersion, String kind) {
    int slash = apiVersion.indexOf('/');
    String group = slash < 0 ? "" : apiVersion.substring(0, slash);
    for (ResourceType type : ResourceTypes.BUILT_IN) {
      if (type.kind().equals(kind) && (type.group().equals(group) || group.equals("extensions"))) {
        return type;
      }
    }
    return null;
  }

  private static boolean isList(ObjectNode tree) {
    JsonNode items = tree.get("items");
    return tree.has("items") && (items.isArray() || items.isNull());
  }

  private static ManifestProblem problem(
      Path file,
      int index,
      int line,
      String pointer,
      String field,
      String message,
      DocumentText source) {
    String fieldPointer = pointer + (field == null ? "" : DocumentText.pointer(field));
    String fullField = field == null ? null : prefix(pointer) + field;
    return new ManifestProblem(file, index, lineOf(source, fieldPointer, line), fullField, message);
  }

  /** The field path of the List item a pointer names, as a prefix: {@code items[2].}. */
  private static String prefix(String pointer) {
    return pointer.isEmpty() ? "" : field(pointer) + ".";
  }

  /** The field path of a JSON pointer made of field names and indices. */
  private static String field(String pointer) {
    StringBuilder sb = new StringBuilder();
    for (String segment : pointer.substring(1).split("/")) {
      if (segment.chars().allMatch(Character::isDigit) && !segment.isEmpty()) {
        sb.append('[').append(segment).append(']');
      } else {
        if (sb.length() > 0) {
          sb.append('.');
        }
        sb.append(segment.replace("~1", "/").replace("~0", "~"));
      }
    }
    return sb.toString();
  }

  private static int lineOf(DocumentText source, String pointer, int fallback) {
    int line = source.lineOf(pointer);
    return line > 0 ? line : fallback;
  }

  private static String text(ObjectNode tree, String field) {
    JsonNode node = tree.get(field);
    return node != null && node.isTextual() && !node.asText().isBlank() ? node.asText() : null;
  }

  private static String version(String apiVersion) {
    return apiVersion.substring(apiVersion.indexOf('/') + 1);
  }

  /**
   * The field path of a mapping error: {@code spec.ports[0].port}, {@code metadata.labels[app]}.
   */
  private static String path(JsonMappingException e) {
    StringBuilder sb = new StringBuilder();
    for (JsonMappingException.Reference ref : e.getPath()) {
      if (ref.getFieldName() == null) {
        if (ref.getIndex() >= 0) {
          sb.append('[').append(ref.getIndex()).append(']');
        }
      } else if (ref.getFrom() instanceof Map<?, ?>) {
        sb.append('[').append(ref.getFieldName()).append(']');
      } else {
        if (sb.length() > 0) {
          sb.append('.');
        }
        sb.append(ref.getFieldName());
      }
    }
    return sb.length() == 0 ? null : sb.toString();
  }

  /**
   * The apiserver's decoding error: {@code Service in version "v1" cannot be handled as a Service:
   * json: cannot unmarshal string into Go struct field ServicePort.spec.ports.port of type int32}.
   */
  private static String decodeMessage(
      String apiVersion, String kind, ObjectNode tree, String field, JsonMappingException e) {
    String prefix =
        kind + " in version \"" + version(apiVersion) + "\" cannot be handled as a " + kind + ": ";
    if (field == null) {
      return prefix + e.getOriginalMessage();
    }
    JsonNode value = tree.at(DocumentText.pointer(field));
    String struct = null;
    StringBuilder goPath = new StringBuilder();
    for (JsonMappingException.Reference ref : e.getPath()) {
      Object from = ref.getFrom();
      if (ref.getFieldName() != null && !(from instanceof Map<?, ?>)) {
        if (goPath.length() > 0) {
          goPath.append('.');
        }
        goPath.append(ref.getFieldName());
        if (from != null && !(from instanceof Collection<?>)) {
          struct = (from instanceof Class<?> c ? c : from.getClass()).getSimpleName();
        }
      }
    }
    String goType = goType(e);
    String what = jsonType(value);
    if (value.isNumber()
        && Objects.requireNonNullElse(e.getOriginalMessage(), "").contains("out of range")) {
      what = "number " + value.asText();
    }
    if (struct == null || goType == null) {
      return prefix + field + ": " + e.getOriginalMessage();
    }
    return prefix
        + "json: cannot unmarshal "
        + what
        + " into Go struct field "
        + struct
        + "."
        + goPath
        + " of type "
        + goType;
  }

  /** The Go type of the field a mapping error is about, as the apiserver names it. */
  private static String goType(JsonMappingException e) {
    List<JsonMappingException.Reference> path = e.getPath();
    if (!path.isEmpty()) {
      JsonMappingException.Reference last = path.get(path.size() - 1);
      Object from = last.getFrom();
      Class<?> owner = from instanceof Class<?> c ? c : from == null ? null : from.getClass();
      if (last.getFieldName() != null && owner != null && !Map.class.isAssignableFrom(owner)) {
        Type declared = declaredType(owner, last.getFieldName());
        if (declared != null) {
          return goName(declared);
        }
      }
    }
    Class<?> target = e instanceof MismatchedInputException m ? m.getTargetType() : null;
    if (target == null && e.getCause() instanceof InputCoercionException coercion) {
      target = coercion.getTargetType();
    }
    if (target == null) {
      String message = Objects.requireNonNullElse(e.getOriginalMessage(), "");
      if (message.contains("out of range of int")) {
        return "int32";
      }
      if (message.contains("out of range of long")) {
        return "int64";
      }
      return null;
    }
    return goName(target);
  }

  /** The declared type of the Java field behind a JSON property of a model class. */
  private static Type declaredType(Class<?> owner, String jsonName) {
    for (Class<?> c = owner; c != null && c != Object.class; c = c.getSuperclass()) {
      for (Field field : c.getDeclaredFields()) {
        JsonProperty property = field.getAnnotation(JsonProperty.class);
        String name =
            property != null && !property.value().isEmpty() ? property.value() : field.getName();
        if (name.equals(jsonName)) {
          return field.getGenericType();
        }
      }
    }
    return null;
  }

  /**
   * The Go name of a model type: {@code int32}, {@code []v1.ServicePort}, {@code
   * map[string]string}. The fabric8 classes mirror the Go structs of {@code k8s.io/api}, whose
   * packages are named after their version.
   */
  private static String goName(Type type) {
    if (type instanceof ParameterizedType parameterized
        && parameterized.getRawType() instanceof Class<?> raw) {
      Type[] args = parameterized.getActualTypeArguments();
      if (Collection.class.isAssignableFrom(raw) && args.length == 1) {
        return "[]" + goName(args[0]);
      }
      if (Map.class.isAssignableFrom(raw) && args.length == 2) {
        return "map[" + goName(args[0]) + "]" + goName(args[1]);
      }
      return goName(raw);
    }
    if (!(type instanceof Class<?> target)) {
      return "interface {}";
    }
    if (target == Integer.class || target == int.class) {
      return "int32";
    }
    if (target == Long.class || target == long.class) {
      return "int64";
    }
    if (target == Boolean.class || target == boolean.class) {
      return "bool";
    }
    if (target == String.class) {
      return "string";
    }
    if (target == Double.class || target == Float.class) {
      return "float64";
    }
    if (Collection.class.isAssignableFrom(target)) {
      return "[]interface {}";
    }
    if (Map.class.isAssignableFrom(target)) {
      return "map[string]interface {}";
    }
    if (target == Object.class) {
      return "interface {}";
    }
    String name = target.getSimpleName();
    return switch (name) {
      case "IntOrString" -> "intstr.IntOrString";
      case "Quantity" -> "resource.Quantity";
      default -> "v1." + name;
    };
  }

  private static String jsonType(JsonNode node) {
    if (node == null || node.isMissingNode() || node.isNull()) {
      return "null";
    }
    if (node.isTextual()) {
      return "string";
    }
    if (node.isNumber()) {
      return "number";
    }
    if (node.isBoolean()) {
      return "bool";
    }
    if (node.isArray()) {
      return "array";
    }
    return "object";
  }
}
