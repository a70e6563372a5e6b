package dev.kemu.api.manifests;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.JsonToken;
import dev.kemu.api.model.ResourceCodec;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The source text of one manifest document, kept so that a problem found later (a field of the
 * wrong type, a field the apiserver rejects) can name the line it is on. Lines are found by parsing
 * the text again and following the JSON pointer of the field; this only happens for problems.
 */
final class DocumentText {
  private final String text;
  private final int firstLine;
  private final boolean json;
  private Map<String, Integer> lines;

  /**
   * @param text the document's text
   * @param firstLine the line of the file the text starts on (1-based)
   * @param json whether the text is JSON (else YAML)
   */
  DocumentText(String text, int firstLine, boolean json) {
    this.text = text;
    this.firstLine = firstLine;
    this.json = json;
  }

  /**
   * The file line of the field at a JSON pointer, or of its nearest enclosing field present in the
   * text (a field the server defaulted is not in the file), or -1 if none is.
   */
  synchronized int lineOf(String pointer) {
    if (lines == null) {
      lines = index();
    }
    String at = pointer;
    while (!at.isEmpty()) {
      Integer line = lines.get(at);
      if (line != null) {
        return line;
      }
      at = at.substring(0, at.lastIndexOf('/'));
    }
    return -1;
  }

  /** The line of every field and array element of the text, by JSON pointer. */
  private Map<String, Integer> index() {
    Map<String, Integer> index = new HashMap<>();
    JsonFactory factory =
        json ? ResourceCodec.json().getFactory() : ResourceCodec.yaml().getFactory();
    try (JsonParser parser = factory.createParser(text)) {
      JsonToken token;
      while ((token = parser.nextToken()) != null) {
        String at = pointerAt(parser, token);
        if (at != null && !at.isEmpty()) {
          index.putIfAbsent(at, firstLine + parser.currentTokenLocation().getLineNr() - 1);
        }
      }
    } catch (IOException | RuntimeException e) {
      // The text parsed once already; if it no longer does, the lines found so far will do.
    }
    return index;
  }

  /**
   * The pointer of the member a token starts: a field name, or an element of an array (its first
   * token). Other tokens start nothing that a field path can name.
   */
  private static String pointerAt(JsonParser parser, JsonToken token) {
    JsonStreamContext context = parser.getParsingContext();
    if (token == JsonToken.FIELD_NAME) {
      return context.pathAsPointer().toString();
    }
    if (token == JsonToken.START_OBJECT || token == JsonToken.START_ARRAY) {
      JsonStreamContext parent = context.getParent();
      return parent != null && parent.inArray() ? parent.pathAsPointer().toString() : null;
    }
    if (token.isScalarValue() && context.inArray()) {
      return context.pathAsPointer().toString();
    }
    return null;
  }

  /**
   * The JSON pointer of a field path as the apiserver prints it: {@code spec.ports[0].port} is
   * {@code /spec/ports/0/port}, {@code metadata.labels[app.kubernetes.io/name]} is {@code
   * /metadata/labels/app.kubernetes.io~1name}.
   */
  static String pointer(String fieldPath) {
    if (fieldPath == null || fieldPath.isEmpty()) {
      return "";
    }
    List<String> segments = new ArrayList<>();
    StringBuilder segment = new StringBuilder();
    int i = 0;
    while (i < fieldPath.length()) {
      char c = fieldPath.charAt(i);
      if (c == '.') {
        flush(segments, segment);
        i++;
      } else if (c == '[') {
        flush(segments, segment);
        int end = fieldPath.indexOf(']', i);
        if (end < 0) {
          end = fieldPath.length();
        }
        segments.add(fieldPath.substring(i + 1, end));
        i = end + 1;
      } else {
        segment.append(c);
        i++;
      }
    }
    flush(segments, segment);
    StringBuilder pointer = new StringBuilder();
    for (String s : segments) {
      pointer.append('/').append(s.replace("~", "~0").replace("/", "~1"));
    }
    return pointer.toString();
  }

  private static void flush(List<String> segments, StringBuilder segment) {
    if (segment.length() > 0) {
      segments.add(segment.toString());
      segment.setLength(0);
    }
  }
}
