package dev.kemu.emulator;

import dev.kemu.api.model.ResourceCodec;
import dev.kemu.api.model.ResourceType;
import dev.kemu.api.model.ResourceTypes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds the JSON and YAML codecs of the kinds every start uses, on a background thread, while the
 * start itself does other work. Jackson builds a deserializer for a fabric8 class (and every class
 * it reaches: a Pod reaches hundreds) on first use and caches it in the shared mapper; doing that
 * early, in parallel, takes it off the start's critical path. In a warm JVM it costs microseconds.
 */
final class CodecWarmup {
  private static final Logger logger = LoggerFactory.getLogger(CodecWarmup.class);

  private CodecWarmup() {}

  static void start() {
    Thread thread = new Thread(CodecWarmup::run, "kemu-codec-warmup");
    thread.setDaemon(true);
    thread.start();
  }

  private static void run() {
    try {
      ResourceCodec.yaml().readTree("warm: [up]");
      // Heaviest first: the workload kinds reach the whole PodSpec tree.
      for (ResourceType type :
          new ResourceType[] {
            ResourceTypes.DEPLOYMENT,
            ResourceTypes.POD,
            ResourceTypes.REPLICA_SET,
            ResourceTypes.ENDPOINT_SLICE,
            ResourceTypes.SERVICE,
            ResourceTypes.STATEFUL_SET,
            ResourceTypes.DAEMON_SET,
            ResourceTypes.ENDPOINTS,
            ResourceTypes.INGRESS,
            ResourceTypes.NETWORK_POLICY,
            ResourceTypes.NAMESPACE,
            ResourceTypes.NODE
          }) {
        Object object = ResourceCodec.decode("{}".getBytes(), type.javaType());
        ResourceCodec.encode(object);
      }
    } catch (RuntimeException | java.io.IOException e) {
      // Only a head start: the real work builds whatever is missing.
      logger.debug("codec warm-up stopped: {}", e.toString());
    }
  }
}
