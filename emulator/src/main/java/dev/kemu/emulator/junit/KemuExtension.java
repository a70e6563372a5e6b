package dev.kemu.emulator.junit;

import dev.kemu.emulator.Cluster;
import dev.kemu.emulator.Emulator;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ExtensionContextException;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.jupiter.api.extension.TestInstancePostProcessor;
import org.junit.platform.commons.support.AnnotationSupport;

/**
 * The JUnit 5 extension behind {@link EnableKemu}. The cluster lives in the class's {@link
 * ExtensionContext.Store}, which closes it when the class is done; nothing is kept in static state
 * except a counter that gives each class its own pod CIDR.
 */
public final class KemuExtension
    implements BeforeAllCallback, TestInstancePostProcessor, ParameterResolver {
  private static final ExtensionContext.Namespace NAMESPACE =
      ExtensionContext.Namespace.create(KemuExtension.class);

  /**
   * Hands each cluster of this JVM its own slot of loopback addresses (pods, ClusterIPs,
   * LoadBalancer IPs), so that classes running in parallel never bind the same address. It
   * allocates a host resource, like the kernel's ephemeral ports; it carries no test state.
   */
  private static final AtomicInteger NEXT_SLOT = new AtomicInteger();

  @Override
  public void beforeAll(ExtensionContext context) {
    cluster(context);
    for (Field field : context.getRequiredTestClass().getDeclaredFields()) {
      if (Modifier.isStatic(field.getModifiers()) && field.getType() == Cluster.class) {
        inject(field, null, cluster(context));
      }
    }
  }

  @Override
  public void postProcessTestInstance(Object instance, ExtensionContext context) {
    for (Class<?> type = instance.getClass(); type != Object.class; type = type.getSuperclass()) {
      for (Field field : type.getDeclaredFields()) {
        if (!Modifier.isStatic(field.getModifiers()) && field.getType() == Cluster.class) {
          inject(field, instance, cluster(context));
        }
      }
    }
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return parameter.getParameter().getType() == Cluster.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    return cluster(context);
  }

  private static void inject(Field field, Object target, Cluster cluster) {
    try {
      field.setAccessible(true);
      field.set(target, cluster);
    } catch (IllegalAccessException e) {
      throw new ExtensionContextException("cannot inject the kemu Cluster into " + field, e);
    }
  }

  /** The cluster of the test class, started on first use. */
  private static Cluster cluster(ExtensionContext context) {
    ExtensionContext classContext = classContext(context);
    return classContext
        .getStore(NAMESPACE)
        .getOrComputeIfAbsent(
            "cluster", key -> start(classContext.getRequiredTestClass()), Cluster.class);
  }

  private static ExtensionContext classContext(ExtensionContext context) {
    ExtensionContext current = context;
    while (current.getTestMethod().isPresent() && current.getParent().isPresent()) {
      current = current.getParent().get();
    }
    return current;
  }

  private static Cluster start(Class<?> testClass) {
    Optional<EnableKemu> found = AnnotationSupport.findAnnotation(testClass, EnableKemu.class);
    for (Class<?> enclosing = testClass.getEnclosingClass();
        found.isEmpty() && enclosing != null;
        enclosing = enclosing.getEnclosingClass()) {
      found = AnnotationSupport.findAnnotation(enclosing, EnableKemu.class);
    }
    EnableKemu config =
        found.orElseThrow(
            () ->
                new ExtensionContextException(
                    testClass.getName() + " uses KemuExtension without @EnableKemu"));
    Emulator.Builder builder =
        Emulator.builder().manifests(config.manifests()).watchManifests(config.watchManifests());
    // Each cluster of the JVM gets its own /24 of pods (127.250-254.x), ClusterIPs (127.104-108.x)
    // and LoadBalancer IPs (127.210-214.x), and its own node address (127.220-224.x.1) for
    // NodePorts and node-wide listeners; other kemu tests keep out of these ranges.
    int slot = NEXT_SLOT.getAndIncrement() % 1280;
    builder.podCidr(
        config.podCidr().isEmpty()
            ? "127." + (250 + slot / 256) + "." + (slot % 256) + ".0/24"
            : config.podCidr());
    builder.serviceCidr(
        config.serviceCidr().isEmpty()
            ? "127." + (104 + slot / 256) + "." + (slot % 256) + ".0/24"
            : config.serviceCidr());
    builder.loadBalancerPool(
        config.loadBalancerPool().isEmpty()
            ? "127." + (210 + slot / 256) + "." + (slot % 256) + ".0/24"
            : config.loadBalancerPool());
    builder.nodeAddress("127." + (220 + slot / 256) + "." + (slot % 256) + ".1");
    return builder.start();
  }
}
