package dev.kemu.api.events;

import dev.kemu.api.model.ResourceKey;
import dev.kemu.api.model.ResourceTypes;
import dev.kemu.api.store.ApiException;
import dev.kemu.api.store.ResourceStore;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes core/v1 Events about objects, as client-go's {@code tools/record} EventRecorder with its
 * EventCorrelator: an event repeated with the same involved object, type, reason, message and
 * source is not written again but counted ({@code count} and {@code lastTimestamp} of the first one
 * move). Event names are {@code <object name>.<hex nanoseconds>} as the recorder makes them. {@code
 * kubectl describe} lists them (field selector on {@code involvedObject}).
 */
public final class EventRecorder {
  private static final Logger logger = LoggerFactory.getLogger(EventRecorder.class);

  /** The two event types of the API. */
  public static final String NORMAL = "Normal";

  public static final String WARNING = "Warning";

  private final ResourceStore store;
  private final String component;
  private final String host;
  private final Map<String, ResourceKey> recorded = new ConcurrentHashMap<>();

  /**
   * A recorder.
   *
   * @param store where events are written
   * @param component the reporting component ({@code source.component}), e.g. {@code kubelet}
   * @param host the node the component runs on, or null
   */
  public EventRecorder(ResourceStore store, String component, String host) {
    this.store = store;
    this.component = component;
    this.host = host;
  }

  /**
   * Records an event about an object. Never throws: an event that cannot be written is logged and
   * dropped, as the apiserver's recorder does.
   *
   * @return the event as stored, or null if it could not be written
   */
  public Event record(HasMetadata involved, String type, String reason, String message) {
    String namespace =
        involved.getMetadata().getNamespace() == null
                || involved.getMetadata().getNamespace().isEmpty()
            ? "default"
            : involved.getMetadata().getNamespace();
    String key =
        String.join(
            "\u0000",
            involved.getApiVersion() == null ? "" : involved.getApiVersion(),
            involved.getKind() == null ? "" : involved.getKind(),
            namespace,
            involved.getMetadata().getName(),
            String.valueOf(involved.getMetadata().getUid()),
            type,
            reason,
            message,
            component);
    String now = ResourceStore.timestamp(store.clock().instant());
    try {
      ResourceKey existing = recorded.get(key);
      if (existing != null && store.get(existing).isPresent()) {
        return store.modify(
            Event.class,
            existing,
            event -> {
              event.setCount(event.getCount() == null ? 2 : event.getCount() + 1);
              event.setLastTimestamp(now);
              return event;
            });
      }
      Instant at = store.clock().instant();
      long nanos = at.getEpochSecond() * 1_000_000_000L + at.getNano();
      String name = involved.getMetadata().getName() + "." + Long.toHexString(nanos);
      Event event =
          new EventBuilder()
              .withNewMetadata()
              .withName(name)
              .withNamespace(namespace)
              .endMetadata()
              .withInvolvedObject(
                  new ObjectReferenceBuilder()
                      .withApiVersion(involved.getApiVersion())
                      .withKind(involved.getKind())
                      .withNamespace(involved.getMetadata().getNamespace())
                      .withName(involved.getMetadata().getName())
                      .withUid(involved.getMetadata().getUid())
                      .withResourceVersion(involved.getMetadata().getResourceVersion())
                      .build())
              .withType(type)
              .withReason(reason)
              .withMessage(message)
              .withNewSource()
              .withComponent(component)
              .withHost(host)
              .endSource()
              .withReportingComponent(component)
              .withReportingInstance(host == null ? "" : host)
              .withFirstTimestamp(now)
              .withLastTimestamp(now)
              .withCount(1)
              .build();
      Event created = store.create(event);
      recorded.put(key, new ResourceKey(ResourceTypes.EVENT, namespace, name));
      return created;
    } catch (ApiException e) {
      logger.debug(
          "event {} about {} dropped: {}",
          reason,
          involved.getMetadata().getName(),
          e.getMessage());
      return null;
    }
  }
}
