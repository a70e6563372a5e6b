package dev.kemu.api.store;

/**
 * What a list selects: a namespace (empty for all), a label selector and a field selector.
 *
 * @param namespace the namespace, or empty for every namespace
 * @param labelSelector the label selector
 * @param fieldSelector the field selector
 */
public record ListOptions(
    String namespace, LabelSelector labelSelector, FieldSelector fieldSelector) {

  public ListOptions {
    namespace = namespace == null ? "" : namespace;
    labelSelector = labelSelector == null ? LabelSelector.everything() : labelSelector;
    fieldSelector = fieldSelector == null ? FieldSelector.everything() : fieldSelector;
  }

  /** Everything, in every namespace. */
  public static ListOptions all() {
    return new ListOptions("", null, null);
  }

  /** Everything in one namespace. */
  public static ListOptions inNamespace(String namespace) {
    return new ListOptions(namespace, null, null);
  }

  /** These options with a label selector. */
  public ListOptions withLabels(LabelSelector selector) {
    return new ListOptions(namespace, selector, fieldSelector);
  }

  /** These options with a field selector. */
  public ListOptions withFields(FieldSelector selector) {
    return new ListOptions(namespace, labelSelector, selector);
  }
}
