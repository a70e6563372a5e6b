package dev.kemu.emulator.runtime;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Container IDs in the runtime's {@code <type>://<id>} form ({@code containerd://<64 hex>}), with
 * kemu as the runtime type: {@code kemu://<64 hex>}, derived from the pod's uid and the container's
 * name so that one container keeps its ID.
 */
final class ContainerIds {
  private ContainerIds() {}

  static String of(String podUid, String containerName) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      byte[] hash = sha.digest((podUid + "/" + containerName).getBytes(StandardCharsets.UTF_8));
      return "kemu://" + HexFormat.of().formatHex(hash);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
