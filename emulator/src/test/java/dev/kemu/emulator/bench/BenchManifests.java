package dev.kemu.emulator.bench;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kemu.api.model.ResourceCodec;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Service;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the Namespaces and Services of the benchmark's multi-document YAML (the zone {@code
 * ../shared/bench/dns-anchor.sh records} writes), for the bench tools that load it in-process.
 */
final class BenchManifests {
  private BenchManifests() {}

  static List<HasMetadata> read(Path file) throws IOException {
    ObjectMapper yaml = ResourceCodec.yaml();
    List<HasMetadata> objects = new ArrayList<>();
    try (JsonParser parser = yaml.getFactory().createParser(Files.newBufferedReader(file));
        MappingIterator<JsonNode> documents = yaml.readValues(parser, JsonNode.class)) {
      while (documents.hasNext()) {
        JsonNode document = documents.next();
        if (document == null || document.isNull() || document.isMissingNode()) {
          continue;
        }
        switch (document.path("kind").asText()) {
          case "Namespace" -> objects.add(ResourceCodec.convert(document, Namespace.class));
          case "Service" -> objects.add(ResourceCodec.convert(document, Service.class));
          default ->
              throw new IOException(
                  file
                      + ": the bench tools read Namespaces and Services, not "
                      + document.path("kind").asText());
        }
      }
    }
    return objects;
  }
}
