package dev.kemu.emulator.junit;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Runs a kemu cluster for a test class: one cluster per class (shared by its tests), started before
 * the first test and closed after the last. The {@link dev.kemu.emulator.Cluster} is injected into
 * test method or constructor parameters and into fields of that type. Clusters of different classes
 * are independent (ephemeral ports, no shared state), so classes may run in parallel.
 *
 * <pre>{@code
 * @EnableKemu(manifests = "../examples/shop")
 * class CheckoutTest {
 *   @Test
 *   void cartHasEndpoints(Cluster cluster) { ... }
 * }
 * }</pre>
 */
@Target({ElementType.TYPE, ElementType.ANNOTATION_TYPE})
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
@ExtendWith(KemuExtension.class)
public @interface EnableKemu {

  /** Manifest files or directories applied on start, relative to the working directory. */
  String[] manifests() default {};

  /** Whether manifest files are watched and re-applied when they change. */
  boolean watchManifests() default false;

  /**
   * The pod CIDR. Pods bind their IPs on the host, so classes that run in parallel and start pods
   * with the same names in the same order should use distinct pod CIDRs; empty picks one per class
   * from 127.250.0.0/16 upwards.
   */
  String podCidr() default "";

  /** The service CIDR; empty gives each cluster its own /24 from 127.104.0.0 upwards. */
  String serviceCidr() default "";

  /** The LoadBalancer pool; empty gives each cluster its own /24 from 127.210.0.0 upwards. */
  String loadBalancerPool() default "";
}
