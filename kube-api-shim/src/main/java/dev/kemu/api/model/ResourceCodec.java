package dev.kemu.api.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * Encodes and decodes Kubernetes objects (fabric8 model classes) as JSON and YAML. The store keeps
 * each object as encoded JSON, so every object handed out is a fresh copy that no one else holds.
 */
public final class ResourceCodec {
  private static final ObjectMapper JSON =
      JsonMapper.builder()
          .serializationInclusion(JsonInclude.Include.NON_NULL)
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
          .build();
  private static final ObjectMapper YAML =
      new YAMLMapper(
              new YAMLFactory()
                  .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
                  .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES))
          .setSerializationInclusion(JsonInclude.Include.NON_NULL)
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  private ResourceCodec() {}

  /** The JSON mapper kemu uses for the Kubernetes wire format. */
  public static ObjectMapper json() {
    return JSON;
  }

  /** The YAML mapper kemu uses for manifests and output. */
  public static ObjectMapper yaml() {
    return YAML;
  }

  /** Encodes an object as JSON. */
  public static byte[] encode(Object object) {
    try {
      return JSON.writeValueAsBytes(object);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Decodes JSON into the given class. */
  public static <T> T decode(byte[] json, Class<T> type) {
    try {
      return JSON.readValue(json, type);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Converts a JSON tree into the given class. */
  public static <T> T convert(JsonNode tree, Class<T> type) {
    try {
      return JSON.treeToValue(tree, type);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The JSON tree of an object. */
  public static JsonNode tree(Object object) {
    return JSON.valueToTree(object);
  }

  /** A deep copy of an object. */
  @SuppressWarnings("unchecked")
  public static <T extends HasMetadata> T copy(T object) {
    return (T) decode(encode(object), object.getClass());
  }

  /** The object as YAML text. */
  public static String toYaml(Object object) {
    try {
      return YAML.writeValueAsString(object);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }
}
