package dev.kemu.api.registry;

import dev.kemu.api.model.ResourceTypes;
import dev.kemu.api.store.Transaction;
import dev.kemu.api.store.WriteStrategy;
import dev.kemu.api.validation.IngressValidation;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.IngressLoadBalancerStatus;
import io.fabric8.kubernetes.api.model.networking.v1.IngressStatus;

/**
 * The write path of Ingresses, as {@code pkg/registry/networking/ingress/strategy.go}: a new
 * Ingress has an empty status (the ingress controller fills it), and every write is validated.
 */
final class IngressStrategy implements WriteStrategy {

  @Override
  public void beforeCreate(HasMetadata object, Transaction tx) {
    Ingress ingress = (Ingress) object;
    ingress.setStatus(new IngressStatus(new IngressLoadBalancerStatus()));
    Registry.reject(ResourceTypes.INGRESS, ingress, IngressValidation.validateCreate(ingress));
  }

  @Override
  public void beforeUpdate(HasMetadata object, HasMetadata old, Transaction tx) {
    Ingress ingress = (Ingress) object;
    Registry.reject(ResourceTypes.INGRESS, ingress, IngressValidation.validate(ingress));
  }
}
