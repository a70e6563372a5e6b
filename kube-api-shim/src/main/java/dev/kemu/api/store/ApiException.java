package dev.kemu.api.store;

import dev.kemu.api.model.FieldError;
import dev.kemu.api.model.ResourceType;
import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.api.model.StatusCause;
import io.fabric8.kubernetes.api.model.StatusCauseBuilder;
import java.util.List;
import java.util.stream.Collectors;

/**
 * An error of the Kubernetes API, with the apiserver's reason, HTTP code and message. Each variant
 * mirrors a constructor of {@code k8s.io/apimachinery/pkg/api/errors} and becomes a {@link Status}
 * object with {@link #toStatus()}.
 */
public abstract sealed class ApiException extends RuntimeException {
  private final ResourceType type;
  private final String name;

  private ApiException(String message, ResourceType type, String name) {
    super(message);
    this.type = type;
    this.name = name;
  }

  /** The HTTP status code. */
  public abstract int code();

  /** The {@code Status.reason}. */
  public abstract String reason();

  /** The {@code Status.details.causes}, empty unless the error names fields. */
  public List<StatusCause> causes() {
    return List.of();
  }

  /** The resource type the error is about, or null. */
  public ResourceType type() {
    return type;
  }

  /** The object name the error is about, or null. */
  public String name() {
    return name;
  }

  /** The error as the apiserver returns it. */
  public Status toStatus() {
    StatusBuilder status =
        new StatusBuilder()
            .withNewMetadata()
            .endMetadata()
            .withStatus("Failure")
            .withMessage(getMessage())
            .withReason(reason().isEmpty() ? null : reason())
            .withCode(code());
    if (type != null || !causes().isEmpty()) {
      status
          .withNewDetails()
          .withName(name)
          .withGroup(type == null || type.group().isEmpty() ? null : type.group())
          .withKind(type == null ? null : detailsKind())
          .withCauses(causes().isEmpty() ? null : causes())
          .endDetails();
    }
    return status.build();
  }

  /** The apiserver puts the resource in details.kind, except for Invalid, which has the kind. */
  String detailsKind() {
    return type.plural();
  }

  private static String quoted(ResourceType type, String name) {
    return type.qualifiedResource() + " \"" + name + "\"";
  }

  /** 404: the object does not exist. */
  public static final class NotFound extends ApiException {
    public NotFound(ResourceType type, String name) {
      super(quoted(type, name) + " not found", type, name);
    }

    @Override
    public int code() {
      return 404;
    }

    @Override
    public String reason() {
      return "NotFound";
    }
  }

  /** 409: an object of that name exists. */
  public static final class AlreadyExists extends ApiException {
    public AlreadyExists(ResourceType type, String name) {
      super(quoted(type, name) + " already exists", type, name);
    }

    @Override
    public int code() {
      return 409;
    }

    @Override
    public String reason() {
      return "AlreadyExists";
    }
  }

  /** 409: the write was based on a stale resourceVersion or failed a precondition. */
  public static final class Conflict extends ApiException {
    public Conflict(ResourceType type, String name, String detail) {
      super("Operation cannot be fulfilled on " + quoted(type, name) + ": " + detail, type, name);
    }

    /** The usual conflict of optimistic concurrency. */
    public static Conflict modified(ResourceType type, String name) {
      return new Conflict(
          type,
          name,
          "the object has been modified; please apply your changes to the latest version and try"
              + " again");
    }

    @Override
    public int code() {
      return 409;
    }

    @Override
    public String reason() {
      return "Conflict";
    }
  }

  /** 422: the object fails validation; each {@link FieldError} names a field. */
  public static final class Invalid extends ApiException {
    private final List<FieldError> errors;

    public Invalid(ResourceType type, String name, List<FieldError> errors) {
      super(message(type, name, errors), type, name);
      this.errors = List.copyOf(errors);
    }

    private static String message(ResourceType type, String name, List<FieldError> errors) {
      // errors.NewInvalid names the GroupKind: Service, Deployment.apps.
      String kind = type.group().isEmpty() ? type.kind() : type.kind() + "." + type.group();
      String prefix = kind + " \"" + name + "\" is invalid: ";
      if (errors.size() == 1) {
        return prefix + errors.get(0);
      }
      return prefix
          + errors.stream().map(FieldError::toString).collect(Collectors.joining(", ", "[", "]"));
    }

    /** The field errors. */
    public List<FieldError> errors() {
      return errors;
    }

    @Override
    public List<StatusCause> causes() {
      return errors.stream()
          .map(
              e ->
                  new StatusCauseBuilder()
                      .withReason(e.type().causeType())
                      .withMessage(e.body())
                      .withField(e.field().toString())
                      .build())
          .toList();
    }

    @Override
    String detailsKind() {
      return type().kind();
    }

    @Override
    public int code() {
      return 422;
    }

    @Override
    public String reason() {
      return "Invalid";
    }
  }

  /** 410: a watch or list asked for a resourceVersion older than the history kept. */
  public static final class Gone extends ApiException {
    public Gone(long requested, long oldest) {
      super("too old resource version: " + requested + " (" + oldest + ")", null, null);
    }

    @Override
    public int code() {
      return 410;
    }

    @Override
    public String reason() {
      return "Expired";
    }
  }

  /** 400: the request itself is malformed. */
  public static final class BadRequest extends ApiException {
    public BadRequest(String message) {
      super(message, null, null);
    }

    @Override
    public int code() {
      return 400;
    }

    @Override
    public String reason() {
      return "BadRequest";
    }
  }

  /** 405: the verb is not supported on the resource. */
  public static final class MethodNotSupported extends ApiException {
    public MethodNotSupported(ResourceType type, String verb) {
      super(verb + " is not supported on resources of kind \"" + type.plural() + "\"", type, null);
    }

    @Override
    public int code() {
      return 405;
    }

    @Override
    public String reason() {
      return "MethodNotAllowed";
    }
  }

  /** 415: the request body has a media type the endpoint does not take. */
  public static final class UnsupportedMediaType extends ApiException {
    public UnsupportedMediaType(String contentType) {
      super(
          "the body of the request was in an unknown format - accepted media types include: "
              + "application/json, application/yaml, application/vnd.kubernetes.protobuf"
              + (contentType == null ? "" : " (got " + contentType + ")"),
          null,
          null);
    }

    /**
     * The error of an endpoint that takes only the given media types, as {@code
     * negotiation.NewUnsupportedMediaTypeError} words it (e.g. a PATCH of a custom resource with a
     * strategic merge patch).
     */
    public UnsupportedMediaType(List<String> accepted) {
      super(
          "the body of the request was in an unknown format - accepted media types include: "
              + String.join(", ", accepted),
          null,
          null);
    }

    @Override
    public int code() {
      return 415;
    }

    @Override
    public String reason() {
      return "UnsupportedMediaType";
    }
  }

  /** 413: the request body is over the size limit. */
  public static final class RequestEntityTooLarge extends ApiException {
    public RequestEntityTooLarge(String message) {
      super(message, null, null);
    }

    @Override
    public int code() {
      return 413;
    }

    @Override
    public String reason() {
      return "RequestEntityTooLarge";
    }
  }

  /** 403: the operation is refused, e.g. creating in a namespace that is terminating. */
  public static final class Forbidden extends ApiException {
    public Forbidden(ResourceType type, String name, String detail) {
      super(quoted(type, name) + " is forbidden: " + detail, type, name);
    }

    @Override
    public int code() {
      return 403;
    }

    @Override
    public String reason() {
      return "Forbidden";
    }
  }

  /**
   * 422 without field errors, as {@code errors.NewGenericServerResponse} builds it for a JSON patch
   * that does not apply: a fixed message and the underlying error as an {@code
   * UnexpectedServerResponse} cause.
   */
  public static final class Unprocessable extends ApiException {
    private final String cause;

    public Unprocessable(String cause) {
      super("the server rejected our request due to an error in our request", null, null);
      this.cause = cause;
    }

    @Override
    public List<StatusCause> causes() {
      return List.of(
          new StatusCauseBuilder()
              .withReason("UnexpectedServerResponse")
              .withMessage(cause)
              .build());
    }

    @Override
    public int code() {
      return 422;
    }

    @Override
    public String reason() {
      return "Invalid";
    }
  }

  /**
   * 409 of server-side apply ({@code errors.NewApplyConflict}): each cause names a conflicting
   * field and the manager that owns it.
   */
  public static final class ApplyConflict extends ApiException {
    private final List<StatusCause> causes;

    public ApplyConflict(String message, List<StatusCause> causes) {
      super(message, null, null);
      this.causes = List.copyOf(causes);
    }

    @Override
    public List<StatusCause> causes() {
      return causes;
    }

    @Override
    public int code() {
      return 409;
    }

    @Override
    public String reason() {
      return "Conflict";
    }
  }

  /**
   * An error the apiserver passes on without a reason (a plain Go error reaching {@code
   * ErrorToAPIStatus}): code 500, empty reason, the error text as message.
   */
  public static final class Unknown extends ApiException {
    public Unknown(String message) {
      super(message, null, null);
    }

    @Override
    public int code() {
      return 500;
    }

    @Override
    public String reason() {
      return "";
    }
  }

  /** 500: kemu failed; the message says what went wrong. */
  public static final class InternalError extends ApiException {
    public InternalError(String message) {
      super("Internal error occurred: " + message, null, null);
    }

    @Override
    public int code() {
      return 500;
    }

    @Override
    public String reason() {
      return "InternalError";
    }
  }
}
