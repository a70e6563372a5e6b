package dev.kemu.dns;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.xbill.DNS.Message;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * Renders answer sections as sorted zone-file lines, the way CoreDNS's {@code test.SortAndCheck}
 * compares them: OPT left out, whitespace collapsed, the SOA serial (a timestamp) as {@code
 * SERIAL}. Names compare case-insensitively (name compression may take another name's case); the
 * owner's case is checked by its own test.
 */
final class DnsAnswers {
  private DnsAnswers() {}

  static List<String> section(Message message, int section) {
    List<String> lines = new ArrayList<>();
    for (Record record : message.getSection(section)) {
      if (record.getType() == Type.OPT) {
        continue;
      }
      lines.add(normalize(record.toString()));
    }
    lines.sort(null);
    return lines;
  }

  static List<String> answer(Message message) {
    return section(message, Section.ANSWER);
  }

  static List<String> authority(Message message) {
    return section(message, Section.AUTHORITY);
  }

  static List<String> additional(Message message) {
    return section(message, Section.ADDITIONAL);
  }

  static List<String> normalize(List<String> lines) {
    List<String> normalized = new ArrayList<>();
    lines.forEach(l -> normalized.add(normalize(l)));
    normalized.sort(null);
    return normalized;
  }

  static String normalize(String line) {
    String[] fields = line.trim().split("\\s+");
    if (fields.length > 6 && fields[3].equalsIgnoreCase("SOA")) {
      fields[6] = "SERIAL";
    }
    return String.join(" ", fields).toLowerCase(Locale.ROOT);
  }
}
