/** The {@code triad} command line, the end-to-end demo and its HTML report. Not a library. */
module dev.triad.cli {
  requires dev.triad.train;
  requires com.fasterxml.jackson.databind;
  requires info.picocli;
  requires xchart;    // no module name of its own: the automatic name of xchart-<v>.jar
  requires java.desktop;
  requires org.slf4j;
  requires jdk.httpserver; // triad label's page and API

  provides org.slf4j.spi.SLF4JServiceProvider with dev.triad.cli.logging.ConsoleLogging;

  opens dev.triad.cli to info.picocli, com.fasterxml.jackson.databind;
  opens dev.triad.demo to com.fasterxml.jackson.databind;
  opens dev.triad.cli.label to info.picocli;
}
