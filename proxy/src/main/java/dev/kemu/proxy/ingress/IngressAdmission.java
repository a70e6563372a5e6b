package dev.kemu.proxy.ingress;

import dev.kemu.api.model.ResourceTypes;
import dev.kemu.api.store.ApiException;
import dev.kemu.api.store.ListOptions;
import dev.kemu.api.store.ResourceStore;
import dev.kemu.api.store.Transaction;
import dev.kemu.api.store.WriteStrategy;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.networking.v1.HTTPIngressPath;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.IngressClass;
import io.fabric8.kubernetes.api.model.networking.v1.IngressRule;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * ingress-nginx's validating admission webhook ({@code validate.nginx.ingress.kubernetes.io}) in
 * the write path of Ingresses, wrapped around the registry's Ingress strategy (which validates
 * first, as the apiserver runs validating webhooks after the object's own validation). For an
 * Ingress kemu serves it rejects, with the webhook's messages:
 *
 * <ul>
 *   <li>an {@code Exact} or {@code Prefix} path that is not a plain path ({@code
 *       internal/ingress/inspector}: {@code path X cannot be used with pathType Prefix}, from
 *       {@code strict-validate-path-type}, on by default since ingress-nginx 1.12);
 *   <li>a host and path another served Ingress already defines ({@code checkOverlap}: {@code host
 *       "X" and path "/" is already defined in ingress ns/name}); canaries may overlap.
 * </ul>
 *
 * The rejection is a 400 BadRequest, as a denied webhook call is.
 */
public final class IngressAdmission implements WriteStrategy {
  static final String WEBHOOK = "validate.nginx.ingress.kubernetes.io";
  private static final Pattern VALID_PATH = Pattern.compile("^/[A-Za-z0-9_\\-/]*$");

  private final WriteStrategy delegate;
  private final ResourceStore store;
  private final List<String> extraClasses;

  /**
   * Wraps the Ingress strategy registered in the store.
   *
   * @param store the store (read under its write lock for other Ingresses)
   * @param extraClasses the class names served besides {@code kemu}
   */
  public static void install(ResourceStore store, List<String> extraClasses) {
    store.register(
        ResourceTypes.INGRESS,
        new IngressAdmission(store.strategyOf(ResourceTypes.INGRESS), store, extraClasses));
  }

  IngressAdmission(WriteStrategy delegate, ResourceStore store, List<String> extraClasses) {
    this.delegate = delegate;
    this.store = store;
    this.extraClasses = List.copyOf(extraClasses);
  }

  @Override
  public void beforeCreate(HasMetadata object, Transaction tx) {
    delegate.beforeCreate(object, tx);
    admit((Ingress) object);
  }

  @Override
  public void beforeUpdate(HasMetadata object, HasMetadata old, Transaction tx) {
    delegate.beforeUpdate(object, old, tx);
    admit((Ingress) object);
  }

  @Override
  public void afterDelete(HasMetadata old) {
    delegate.afterDelete(old);
  }

  private void admit(Ingress ingress) {
    Set<String> classes = new TreeSet<>();
    classes.add(IngressController.CLASS_NAME);
    classes.addAll(extraClasses);
    boolean defaultIsOurs = false;
    for (IngressClass ingressClass : store.list(IngressClass.class, ListOptions.all())) {
      if (ingressClass.getSpec() != null
          && IngressController.CONTROLLER.equals(ingressClass.getSpec().getController())) {
        classes.add(ingressClass.getMetadata().getName());
      }
    }
    for (IngressClass ingressClass : store.list(IngressClass.class, ListOptions.all())) {
      Map<String, String> annotations = ingressClass.getMetadata().getAnnotations();
      if (annotations != null
          && "true".equals(annotations.get(IngressController.DEFAULT_CLASS_ANNOTATION))
          && classes.contains(ingressClass.getMetadata().getName())) {
        defaultIsOurs = true;
      }
    }
    if (!IngressController.served(ingress, classes, defaultIsOurs)) {
      return;
    }
    List<String> invalid = new ArrayList<>();
    for (IngressRule rule : RouteTableBuilder.list(ingress.getSpec().getRules())) {
      if (rule.getHttp() == null) {
        continue;
      }
      for (HTTPIngressPath path : RouteTableBuilder.list(rule.getHttp().getPaths())) {
        String type = path.getPathType();
        String text = Objects.requireNonNullElse(path.getPath(), "");
        if (("Exact".equals(type) || "Prefix".equals(type))
            && !text.isEmpty()
            && !VALID_PATH.matcher(text).matches()) {
          invalid.add("path " + text + " cannot be used with pathType " + type);
        }
      }
    }
    if (!invalid.isEmpty()) {
      deny("ingress contains invalid paths: " + String.join("\n", invalid));
    }
    if (isCanary(ingress)) {
      return;
    }
    String namespace = ingress.getMetadata().getNamespace();
    String name = ingress.getMetadata().getName();
    for (Ingress existing : store.list(Ingress.class, ListOptions.all())) {
      if (existing.getMetadata().getNamespace().equals(namespace)
          && existing.getMetadata().getName().equals(name)) {
        continue;
      }
      if (isCanary(existing)
          || existing.getMetadata().getDeletionTimestamp() != null
          || !IngressController.served(existing, classes, defaultIsOurs)) {
        continue;
      }
      for (IngressRule rule : RouteTableBuilder.list(ingress.getSpec().getRules())) {
        if (rule.getHttp() == null) {
          continue;
        }
        String host = RouteTableBuilder.hostName(rule.getHost());
        for (HTTPIngressPath path : RouteTableBuilder.list(rule.getHttp().getPaths())) {
          String text = path.getPath() == null || path.getPath().isEmpty() ? "/" : path.getPath();
          if (defines(existing, host, text)) {
            deny(
                "host \""
                    + host
                    + "\" and path \""
                    + text
                    + "\" is already defined in ingress "
                    + existing.getMetadata().getNamespace()
                    + "/"
                    + existing.getMetadata().getName());
          }
        }
      }
    }
  }

  private static boolean defines(Ingress ingress, String host, String path) {
    for (IngressRule rule : RouteTableBuilder.list(ingress.getSpec().getRules())) {
      if (rule.getHttp() == null || !RouteTableBuilder.hostName(rule.getHost()).equals(host)) {
        continue;
      }
      for (HTTPIngressPath existing : RouteTableBuilder.list(rule.getHttp().getPaths())) {
        String text =
            existing.getPath() == null || existing.getPath().isEmpty() ? "/" : existing.getPath();
        if (text.equals(path)) {
          return true;
        }
      }
    }
    return false;
  }

  private static boolean isCanary(Ingress ingress) {
    Map<String, String> annotations = ingress.getMetadata().getAnnotations();
    return annotations != null
        && "true".equals(annotations.get(AnnotationParser.PREFIX + "canary"));
  }

  private static void deny(String message) {
    throw new ApiException.BadRequest(
        "admission webhook \"" + WEBHOOK + "\" denied the request: " + message);
  }
}
