package dev.kemu.api.controllers;

import io.fabric8.kubernetes.api.model.IntOrString;

/**
 * {@code intstr.GetScaledValueFromIntOrPercent} ({@code k8s.io/apimachinery/pkg/util/intstr}): an
 * absolute number, or a percentage of a total rounded up or down, as {@code maxSurge} and {@code
 * maxUnavailable} are written.
 */
final class IntOrPercent {
  private IntOrPercent() {}

  /**
   * The value scaled against {@code total}.
   *
   * @throws IllegalArgumentException with upstream's message if the value is neither an integer nor
   *     a percentage (validation normally rejects such objects first)
   */
  static int scaled(IntOrString value, int total, boolean roundUp) {
    if (value == null) {
      throw new IllegalArgumentException("nil value for IntOrString");
    }
    if (value.getIntVal() != null) {
      return value.getIntVal();
    }
    String text = value.getStrVal();
    if (text == null || !text.endsWith("%")) {
      throw new IllegalArgumentException(
          "invalid value for IntOrString: invalid type: string is not a percentage");
    }
    int percent;
    try {
      percent = Integer.parseInt(text.substring(0, text.length() - 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "invalid value for IntOrString: invalid value \"" + text + "\"");
    }
    double scaled = (double) percent * total / 100;
    return (int) (roundUp ? Math.ceil(scaled) : Math.floor(scaled));
  }

  /** The value, or {@code fallback} when absent. */
  static int scaled(IntOrString value, IntOrString fallback, int total, boolean roundUp) {
    return scaled(value == null ? fallback : value, total, roundUp);
  }
}
