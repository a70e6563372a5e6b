package dev.kemu.api.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.kemu.api.model.FieldError;
import dev.kemu.api.model.ResourceCodec;
import dev.kemu.api.store.ApiException;
import dev.kemu.api.store.ResourceStore;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * A store with the registry installed and the {@code default} namespace, for tests of the write
 * path. Objects are written as the manifests users write, in YAML.
 */
public final class RegistryFixture implements AutoCloseable {
  private final ResourceStore store;
  private final Registry registry;

  public RegistryFixture() {
    this(AddressPlan.defaults());
  }

  public RegistryFixture(AddressPlan plan) {
    this.store = new ResourceStore();
    this.registry = Registry.install(store, plan);
    Namespace ns =
        new NamespaceBuilder().withNewMetadata().withName("default").endMetadata().build();
    store.create(ns);
  }

  public ResourceStore store() {
    return store;
  }

  public Registry registry() {
    return registry;
  }

  /** Decodes a YAML manifest. */
  public static <T extends HasMetadata> T yaml(Class<T> kind, String text) {
    try {
      return ResourceCodec.yaml().readValue(text, kind);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Creates an object from YAML. */
  public <T extends HasMetadata> T create(Class<T> kind, String text) {
    return store.create(yaml(kind, text));
  }

  /** Creates an object from YAML, expecting the write to be rejected as invalid. */
  public ApiException.Invalid rejectCreate(Class<? extends HasMetadata> kind, String text) {
    HasMetadata object = yaml(kind, text);
    ApiException.Invalid e =
        catchThrowableOfType(ApiException.Invalid.class, () -> store.create(object));
    assertThat(e).as("the create of %s is rejected", text).isNotNull();
    return e;
  }

  /** The messages of the field errors of a rejection, as the apiserver prints them. */
  public static List<String> messages(ApiException.Invalid e) {
    return e.errors().stream().map(FieldError::toString).toList();
  }

  @Override
  public void close() {
    store.close();
  }
}
