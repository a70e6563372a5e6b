package dev.kemu.proxy.service;

/** The transport protocols a portal can serve. SCTP ports get no portal (see the builder). */
enum L4Protocol {
  TCP,
  UDP
}
