package dev.kemu.api.controllers;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kemu.api.model.ResourceCodec;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The hash that names a workload's revision: the {@code pod-template-hash} of a Deployment's
 * ReplicaSets, the {@code controller-revision-hash} of StatefulSet and DaemonSet pods. Mirrors
 * {@code ComputeHash} in {@code pkg/controller/controller_utils.go}: a 32-bit FNV-1a hash of the
 * template, followed by the collision count as 8 little-endian bytes when there is one, printed in
 * decimal and encoded with {@code rand.SafeEncodeString} ({@code
 * k8s.io/apimachinery/pkg/util/rand}), which maps each digit to a consonant or digit so that no
 * word can form.
 *
 * <p>Upstream feeds the hash with a Go-specific dump of the defaulted Go struct ({@code
 * hashutil.DeepHashObject}); kemu feeds it with the template's canonical JSON (keys sorted, empty
 * values dropped), so hashes have the upstream shape (up to 10 characters of {@code
 * bcdfghjklmnpqrstvwxz2456789}) and are stable for a given template, but are not the values a real
 * cluster would compute for the same manifest.
 */
final class PodTemplateHash {
  /** The alphabet of {@code rand.SafeEncodeString}: no vowels, no 0, 1 or 3. */
  private static final String ALPHANUMS = "bcdfghjklmnpqrstvwxz2456789";

  private static final int FNV32_OFFSET = 0x811c9dc5;
  private static final int FNV32_PRIME = 0x01000193;

  private PodTemplateHash() {}

  /** The hash of a template, salted with the collision count when it is not null. */
  static String compute(PodTemplateSpec template, Integer collisionCount) {
    int hash = FNV32_OFFSET;
    hash = fnv(hash, canonical(ResourceCodec.tree(template)).getBytes(StandardCharsets.UTF_8));
    if (collisionCount != null) {
      byte[] count = new byte[8];
      int value = collisionCount;
      for (int i = 0; i < 4; i++) {
        count[i] = (byte) (value >>> (8 * i));
      }
      hash = fnv(hash, count);
    }
    return safeEncode(Long.toString(Integer.toUnsignedLong(hash)));
  }

  /** {@code rand.SafeEncodeString}. */
  static String safeEncode(String s) {
    StringBuilder encoded = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      encoded.append(ALPHANUMS.charAt(s.charAt(i) % ALPHANUMS.length()));
    }
    return encoded.toString();
  }

  /** The 32-bit FNV-1a hash of some bytes ({@code hash/fnv.New32a}). */
  static int fnv32a(byte[] bytes) {
    return fnv(FNV32_OFFSET, bytes);
  }

  private static int fnv(int hash, byte[] bytes) {
    for (byte b : bytes) {
      hash ^= b & 0xff;
      hash *= FNV32_PRIME;
    }
    return hash;
  }

  /**
   * The JSON text of a tree with object keys sorted and nulls, empty objects and empty arrays left
   * out, so that templates that are semantically equal (labels in another order, an empty map
   * instead of none) hash alike.
   */
  static String canonical(JsonNode node) {
    StringBuilder out = new StringBuilder();
    write(node, out);
    return out.toString();
  }

  private static void write(JsonNode node, StringBuilder out) {
    if (node.isObject()) {
      List<String> names = new ArrayList<>();
      for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> field = it.next();
        if (!isEmpty(field.getValue())) {
          names.add(field.getKey());
        }
      }
      names.sort(null);
      out.append('{');
      for (int i = 0; i < names.size(); i++) {
        if (i > 0) {
          out.append(',');
        }
        out.append(ResourceCodec.tree(names.get(i)).toString()).append(':');
        write(node.get(names.get(i)), out);
      }
      out.append('}');
    } else if (node.isArray()) {
      out.append('[');
      for (int i = 0; i < node.size(); i++) {
        if (i > 0) {
          out.append(',');
        }
        write(node.get(i), out);
      }
      out.append(']');
    } else {
      out.append(node.toString());
    }
  }

  private static boolean isEmpty(JsonNode node) {
    if (node == null || node.isNull() || node.isMissingNode()) {
      return true;
    }
    if (node.isContainerNode()) {
      if (node.isArray()) {
        return node.isEmpty();
      }
      for (JsonNode child : node) {
        if (!isEmpty(child)) {
          return false;
        }
      }
      return true;
    }
    return false;
  }
}
