package dev.kemu.api.store;

import dev.kemu.api.model.FieldError;
import dev.kemu.api.model.ResourceType;
import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.api.model.StatusCause;
import io.fabric8.kubernetes.api.model.StatusCauseBuilder;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * An error of the Kubernetes API, with the apiserver's reason, HTTP code and message. Each variant
 * mirrors a constructor of {@code k8s.io/apimachinery/pkg/api/errors/errors.go} ({@code
 * NewNotFound}, {@code NewAlreadyExists}, {@code NewConflict}, {@code NewInvalid}, ...) and becomes
 * the same {@link Status} object with {@link #toStatus()}: {@code details.kind} holds the resource
 * (plural) for NotFound, AlreadyExists, Conflict and Forbidden, and the kind for Invalid, exactly
 * as upstream fills it.
 */
public abstract sealed class ApiException extends RuntimeException {
  private final ResourceType type;
  private final String name;
  private final String detailsGroup;
  private final String detailsKind;

  private ApiException(
      String message, ResourceType type, String name, String detailsGroup, String detailsKind) {
    super(message);
    this.type = type;
    this.name = name;
    this.detailsGroup = detailsGroup;
    this.detailsKind = detailsKind;
  }

  /** An error about a resource: details name the resource (plural) and its group. */
  private ApiException(String message, ResourceType type, String name) {
    this(
        message,
        type,
        name,
        type == null ? null : type.group(),
        type == null ? null : type.plural());
  }

  /** The HTTP status code. */
  public abstract int code();

  /** The {@code Status.reason}. */
  public abstract String reason();

  /** The {@code Status.details.causes}, empty unless the error names fields. */
  public List<StatusCause> causes() {
    return List.of();
  }

  /** The {@code Status.details.retryAfterSeconds}, or null. */
  public Integer retryAfterSeconds() {
    return null;
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
            .withApiVersion("v1")
            .withKind("Status")
            .withNewMetadata()
            .endMetadata()
            .withStatus("Failure")
            .withMessage(getMessage())
            .withReason(reason().isEmpty() ? null : reason())
            .withCode(code());
    boolean hasDetails =
        detailsKind != null || name != null || !causes().isEmpty() || retryAfterSeconds() != null;
    if (hasDetails) {
      status
          .withNewDetails()
          .withName(name == null || name.isEmpty() ? null : name)
          .withGroup(detailsGroup == null || detailsGroup.isEmpty() ? null : detailsGroup)
          .withKind(detailsKind == null || detailsKind.isEmpty() ? null : detailsKind)
          .withCauses(causes().isEmpty() ? null : causes())
          .withRetryAfterSeconds(retryAfterSeconds())
          .endDetails();
    }
    return status.build();
  }

  /** {@code deployments.apps "x"}: the qualified resource and the quoted name. */
  private static String quoted(ResourceType type, String name) {
    return type.qualifiedResource() + " " + goQuote(name);
  }

  /** The qualified kind as {@code schema.GroupKind.String()} prints it: {@code Deployment.apps}. */
  static String qualifiedKind(String group, String kind) {
    return group == null || group.isEmpty() ? kind : kind + "." + group;
  }

  /** A string quoted as Go's {@code %q} quotes it. */
  static String goQuote(String s) {
    return FieldError.goQuote(s == null ? "" : s);
  }

  /** 404: the object does not exist ({@code NewNotFound}). */
  public static final class NotFound extends ApiException {
    public NotFound(ResourceType type, String name) {
      super(quoted(type, name) + " not found", type, name);
    }

    private NotFound(String message) {
      super(message, null, null, null, null);
    }

    /**
     * The error for a URL the server does not serve, e.g. the {@code status} subresource of a kind
     * that has none ({@code NewGenericServerResponse(404, ...)}).
     */
    public static NotFound resourceNotFound() {
      return new NotFound("the server could not find the requested resource");
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

  /** 409: an object of that name exists ({@code NewAlreadyExists}). */
  public static final class AlreadyExists extends ApiException {
    private final Integer retryAfter;

    public AlreadyExists(ResourceType type, String name) {
      this(quoted(type, name) + " already exists", type, name, null);
    }

    private AlreadyExists(String message, ResourceType type, String name, Integer retryAfter) {
      super(message, type, name);
      this.retryAfter = retryAfter;
    }

    /**
     * The error when the object of that name is being deleted: the apiserver prefixes the message
     * with {@code object is being deleted: } (registry {@code Store.create}).
     */
    public static AlreadyExists beingDeleted(ResourceType type, String name) {
      return new AlreadyExists(
          "object is being deleted: " + quoted(type, name) + " already exists", type, name, null);
    }

    /**
     * The error when every name generated from {@code generateName} was taken ({@code
     * NewGenerateNameConflict}, retry after one second).
     */
    public static AlreadyExists generateNameConflict(ResourceType type, String name) {
      return new AlreadyExists(
          quoted(type, name)
              + " already exists, the server was not able to generate a unique name for the"
              + " object",
          type,
          name,
          1);
    }

    @Override
    public Integer retryAfterSeconds() {
      return retryAfter;
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

  /**
   * 409: the write was based on a stale resourceVersion or failed a precondition ({@code
   * NewConflict}).
   */
  public static final class Conflict extends ApiException {
    public Conflict(ResourceType type, String name, String detail) {
      super("Operation cannot be fulfilled on " + quoted(type, name) + ": " + detail, type, name);
    }

    private Conflict(String message, ResourceType type, String name, String kind) {
      super(message, type, name, type.group(), kind);
    }

    /** The usual conflict of optimistic concurrency ({@code OptimisticLockErrorMsg}). */
    public static Conflict modified(ResourceType type, String name) {
      return new Conflict(
          type,
          name,
          "the object has been modified; please apply your changes to the latest version and try"
              + " again");
    }

    /**
     * A failed delete precondition. The apiserver builds this one from the kind, not the resource
     * ({@code rest.BeforeDelete}: {@code GroupResource{Group, Resource: gvk.Kind}}), so the message
     * reads {@code Operation cannot be fulfilled on Deployment.apps "x": ...} and details.kind is
     * the kind.
     */
    public static Conflict deletePrecondition(ResourceType type, String name, String detail) {
      return new Conflict(
          "Operation cannot be fulfilled on "
              + qualifiedKind(type.group(), type.kind())
              + " "
              + goQuote(name)
              + ": "
              + detail,
          type,
          name,
          type.kind());
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
   * 422: the object fails validation; each {@link FieldError} names a field ({@code NewInvalid}).
   * The message names the qualified kind ({@code Deployment.apps "x" is invalid: ...}); repeated
   * messages are printed once, as {@code ErrorList.ToAggregate} does.
   */
  public static final class Invalid extends ApiException {
    private final List<FieldError> errors;

    public Invalid(ResourceType type, String name, List<FieldError> errors) {
      super(
          message(type.group(), type.kind(), name, errors), type, name, type.group(), type.kind());
      this.errors = List.copyOf(errors);
    }

    private Invalid(String group, String kind, String name, List<FieldError> errors) {
      super(message(group, kind, name, errors), null, name, group, kind);
      this.errors = List.copyOf(errors);
    }

    /**
     * Invalid options of a request rather than an object, e.g. {@code DeleteOptions.meta.k8s.io ""
     * is invalid: ...}.
     */
    public static Invalid ofOptions(String group, String kind, List<FieldError> errors) {
      return new Invalid(group, kind, "", errors);
    }

    private static String message(String group, String kind, String name, List<FieldError> errors) {
      String prefix = qualifiedKind(group, kind) + " " + goQuote(name) + " is invalid";
      Set<String> messages = new LinkedHashSet<>();
      for (FieldError error : errors) {
        messages.add(error.toString());
      }
      if (messages.isEmpty()) {
        return prefix;
      }
      if (messages.size() == 1) {
        return prefix + ": " + messages.iterator().next();
      }
      return prefix + ": [" + String.join(", ", new ArrayList<>(messages)) + "]";
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
    public int code() {
      return 422;
    }

    @Override
    public String reason() {
      return "Invalid";
    }
  }

  /**
   * 410: a watch asked for a resourceVersion older than the history kept ({@code
   * NewResourceExpired}, reason {@code Expired}).
   */
  public static final class Gone extends ApiException {
    public Gone(long requested, long oldest) {
      this("too old resource version: " + requested + " (" + oldest + ")");
    }

    /** A watch the store ended, with the reason. */
    public Gone(String message) {
      super(message, null, null, null, null);
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

  /** 400: the request itself is malformed ({@code NewBadRequest}). */
  public static final class BadRequest extends ApiException {
    public BadRequest(String message) {
      super(message, null, null, null, null);
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

  /** 405: the verb is not supported on the resource ({@code NewMethodNotSupported}). */
  public static final class MethodNotSupported extends ApiException {
    public MethodNotSupported(ResourceType type, String verb) {
      super(
          verb + " is not supported on resources of kind " + goQuote(type.qualifiedResource()),
          type,
          null);
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

  /**
   * 415: the request body has a media type the endpoint does not take ({@code
   * NewUnsupportedMediaTypeError}).
   */
  public static final class UnsupportedMediaType extends ApiException {
    /**
     * The error; the content type received is kept for logs, the message is the apiserver's.
     *
     * @param contentType the media type received, may be null
     */
    public UnsupportedMediaType(String contentType) {
      super(
          "the body of the request was in an unknown format - accepted media types include: "
              + "application/json, application/yaml, application/vnd.kubernetes.protobuf",
          null,
          null,
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

  /** 413: the request body is over the size limit ({@code NewRequestEntityTooLargeError}). */
  public static final class RequestEntityTooLarge extends ApiException {
    public RequestEntityTooLarge(String message) {
      super("Request entity too large: " + message, null, null, null, null);
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

  /**
   * 403: the operation is refused, e.g. creating in a namespace that is terminating ({@code
   * NewForbidden}: {@code pods "x" is forbidden: ...}, or {@code pods is forbidden: ...} when the
   * object has no name yet).
   */
  public static final class Forbidden extends ApiException {
    public Forbidden(ResourceType type, String name, String detail) {
      super(
          (name == null || name.isEmpty() ? type.qualifiedResource() : quoted(type, name))
              + " is forbidden: "
              + detail,
          type,
          name);
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

  /** 500: kemu failed; the message says what went wrong ({@code NewInternalError}). */
  public static final class InternalError extends ApiException {
    private final String cause;

    public InternalError(String message) {
      super("Internal error occurred: " + message, null, null, null, null);
      this.cause = message;
    }

    @Override
    public List<StatusCause> causes() {
      return List.of(new StatusCauseBuilder().withMessage(cause).build());
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
