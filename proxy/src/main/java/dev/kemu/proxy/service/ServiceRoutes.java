package dev.kemu.proxy.service;

import java.util.List;

/**
 * The data-plane view of one Service: its ports' routes, and the problems that keep some of its
 * ports or addresses from being served (each a message that names the field).
 *
 * @param service {@code ns/name}
 * @param ports the routes of the ports kemu can serve
 * @param problems why some ports or addresses get no portal
 */
record ServiceRoutes(String service, List<ServicePortRoute> ports, List<Problem> problems) {

  /** A Service port or address kemu cannot serve, with the reason. */
  record Problem(String servicePort, String message) {}
}
