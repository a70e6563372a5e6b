package dev.kemu.api.registry;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** IP literals parsed as Go's net.ParseIP and printed as net.IP.String. */
class IpLiteralsTest {

  @ParameterizedTest(name = "IP.String: {0} prints as {1}")
  @CsvSource({
    "127.0.0.1,127.0.0.1",
    "0:0:0:0:0:0:0:1,::1",
    "0:0:0:0:0:0:0:0,::",
    "fd00:0:0:0:0:0:0:1,fd00::1",
    "FD00:0000:0000:0000:0000:0000:0000:000A,fd00::a",
    "1:0:0:2:0:0:0:3,1:0:0:2::3",
    "1:0:0:2:0:0:3:4,1::2:0:0:3:4",
    "1:0:2:3:4:5:6:7,1:0:2:3:4:5:6:7",
    "1:2:3:4:5:6:7:0,1:2:3:4:5:6:7:0",
    "1:2:3:4:5:6:0:0,1:2:3:4:5:6::",
    "2001:db8::0:1,2001:db8::1",
    "::ffff:1.2.3.4,1.2.3.4",
    "::1.2.3.4,::102:304"
  })
  void formatsAsGo(String literal, String printed) {
    assertThat(IpLiterals.format(IpLiterals.parse(literal))).isEqualTo(printed);
  }

  @ParameterizedTest(name = "ParseIP rejects \"{0}\"")
  @ValueSource(
      strings = {
        "localhost",
        "example.com",
        "1.2.3",
        "01.2.3.4",
        "1.2.3.256",
        "1.2.3.4.5",
        "1:2:3:4:5:6:7:8:9",
        "12345::",
        "::1%eth0",
        "[::1]",
        "1::2::3",
        "::1.2.3",
        " 1.2.3.4",
        ""
      })
  void rejectsWhatIsNotALiteral(String text) {
    assertThat(IpLiterals.parse(text)).isNull();
  }
}
