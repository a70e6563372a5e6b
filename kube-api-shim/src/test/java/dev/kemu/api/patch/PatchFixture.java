package dev.kemu.api.patch;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kemu.api.model.ResourceCodec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;

/** Shared helpers of the patch tests: YAML/JSON text to trees and bytes, a fixed clock. */
final class PatchFixture {
  static final Instant NOW = Instant.parse("2026-01-02T03:04:05Z");

  private PatchFixture() {}

  static Clock clock() {
    return Clock.fixed(NOW, ZoneOffset.UTC);
  }

  static JsonNode tree(String yamlOrJson) {
    try {
      return ResourceCodec.yaml().readTree(yamlOrJson);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static byte[] json(String yamlOrJson) {
    return ResourceCodec.encode(tree(yamlOrJson));
  }

  static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  static JsonNode read(byte[] json) {
    try {
      return ResourceCodec.json().readTree(json);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
