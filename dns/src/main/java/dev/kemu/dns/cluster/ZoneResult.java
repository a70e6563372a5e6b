package dev.kemu.dns.cluster;

import java.util.List;
import java.util.function.Function;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;

/**
 * What a zone handler makes of a query: an answer, a pass to the next handler (CoreDNS {@code
 * fallthrough}), or an answer that first needs another name resolved (a CNAME whose target is
 * outside the zone, which CoreDNS resolves through its {@code Upstream.Lookup}).
 */
public sealed interface ZoneResult {

  /**
   * A complete answer.
   *
   * @param rcode the response code
   * @param authoritative the AA bit
   * @param answer the answer section
   * @param authority the authority section
   * @param additional the additional section
   * @param truncated whether an upstream part of the answer was truncated
   */
  record Answer(
      int rcode,
      boolean authoritative,
      List<Record> answer,
      List<Record> authority,
      List<Record> additional,
      boolean truncated)
      implements ZoneResult {

    public Answer {
      answer = List.copyOf(answer);
      authority = List.copyOf(authority);
      additional = List.copyOf(additional);
    }

    /** An answer with only a response code and nothing else (REFUSED, SERVFAIL). */
    public static Answer error(int rcode) {
      return new Answer(rcode, false, List.of(), List.of(), List.of(), false);
    }
  }

  /** The handler does not answer: the next one (upstream forwarding) does. */
  record Fallthrough() implements ZoneResult {}

  /**
   * An answer that needs {@code target}/{@code type} resolved first; {@code complete} gets the
   * resolved message, or null if the resolution failed.
   *
   * @param target the name to resolve
   * @param type the record type
   * @param complete builds the answer from the resolution
   */
  record Lookup(Name target, int type, Function<Message, Answer> complete) implements ZoneResult {}
}
