/**
 * The application: the {@code winnow} command line, the demo and the notebook server (see docs/modules/web-ui.md).
 * It exports nothing; picocli reflects over the command classes.
 */
module dev.winnow.webui {
    requires dev.winnow.scripting;
    requires java.logging;
    requires java.management;
    requires java.net.http; // ServeLoad, the load-test client of winnow serve
    requires jdk.unsupported; // sun.misc.Signal for Ctrl-C
    requires org.slf4j;
    requires com.fasterxml.jackson.databind;
    requires info.picocli;
    requires io.javalin;

    opens dev.winnow.webui.cli to
            info.picocli;
}
