package dev.kemu.proxy.ingress;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.RequestOptions;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * A 100 MB upload streams through the Ingress: the backend receives bytes while the client is still
 * sending (nothing buffers the whole body), as nginx with {@code proxy-request-buffering: off};
 * with {@code proxy-body-size: "0"} there is no limit.
 */
class IngressStreamingTest {
  private static final long SIZE = 100L * 1024 * 1024;

  @Test
  void hundredMegabyteUploadStreamsThroughTheProxy() throws Exception {
    try (IngressFixture cluster = new IngressFixture(13)) {
      AtomicLong received = new AtomicLong();
      AtomicLong firstByteAt = new AtomicLong();
      HttpServer sink =
          cluster
              .vertx
              .createHttpServer()
              .requestHandler(
                  request -> {
                    request.handler(
                        chunk -> {
                          firstByteAt.compareAndSet(0, System.nanoTime());
                          received.addAndGet(chunk.length());
                        });
                    request.endHandler(v -> request.response().end("" + received.get()));
                  })
              .listen(0, "127.247.13.1")
              .toCompletionStage()
              .toCompletableFuture()
              .get(10, TimeUnit.SECONDS);
      cluster.service("sink", sink.actualPort(), "127.247.13.1");
      cluster.apply(
          """
          apiVersion: networking.k8s.io/v1
          kind: Ingress
          metadata:
            name: upload
            namespace: default
            annotations: {nginx.ingress.kubernetes.io/proxy-body-size: "0"}
          spec:
            rules:
            - host: upload.test
              http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: sink, port: {number: 80}}}}]}
          """);
      HttpClient client = cluster.vertx.createHttpClient();
      AtomicLong clientDoneAt = new AtomicLong();
      Buffer chunk = Buffer.buffer(new byte[64 * 1024]);
      String body =
          client
              .request(
                  new RequestOptions()
                      .setMethod(HttpMethod.POST)
                      .setHost("127.0.0.1")
                      .setPort(cluster.controller.httpPort())
                      .setURI("/upload")
                      .putHeader("Host", "upload.test"))
              .compose(
                  request -> {
                    request.setChunked(true);
                    Promise<Void> sent = Promise.promise();
                    long[] left = {SIZE};
                    Runnable[] pump = new Runnable[1];
                    pump[0] =
                        () -> {
                          while (left[0] > 0 && !request.writeQueueFull()) {
                            request.write(chunk);
                            left[0] -= chunk.length();
                          }
                          if (left[0] > 0) {
                            request.drainHandler(v -> pump[0].run());
                          } else {
                            clientDoneAt.set(System.nanoTime());
                            request.end().onComplete(sent);
                          }
                        };
                    pump[0].run();
                    return sent.future().compose(v -> request.response());
                  })
              .compose(response -> response.body().map(Buffer::toString))
              .recover(Future::failedFuture)
              .toCompletionStage()
              .toCompletableFuture()
              .get(120, TimeUnit.SECONDS);
      assertThat(Long.parseLong(body)).isEqualTo(SIZE);
      assertThat(firstByteAt.get()).isPositive().isLessThan(clientDoneAt.get());
      client.close();
    }
  }
}
