package dev.winnow.webui.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** {@code winnow --version} prints what the build recorded: the project's version and llama.cpp release, not "dev". */
class VersionTest {

    private static String pomValue(Path pom, String regex) throws Exception {
        Matcher m = Pattern.compile(regex).matcher(Files.readString(pom));
        assertTrue(m.find(), regex + " in " + pom);
        return m.group(1);
    }

    @Test
    void versionComesFromTheBuild() throws Exception {
        Path root = Path.of("..").toRealPath();
        String version = pomValue(root.resolve("web-ui/pom.xml"), "<parent>[\\s\\S]*?<version>([^<]+)</version>");
        String llama = pomValue(root.resolve("pom.xml"), "<llama.npm.version>([^<]+)</llama.npm.version>");
        CliRun v = CliRun.of("--version");
        assertEquals(0, v.code(), v.err());
        String[] lines = v.out().strip().split("\n");
        assertTrue(
                lines[0].matches(
                        "winnow " + Pattern.quote(version) + " \\(built \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\dZ\\)"),
                v.out());
        assertEquals("llama.cpp binaries of node-llama-cpp " + llama, lines[1]);
        assertTrue(lines[2].startsWith("Java " + Runtime.version().feature()), v.out());
    }
}
