package dev.winnow.bindings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The loader provisions a missing default cache by itself, through the fetch script bundled in the jar, in a fresh JVM
 * and without network: an {@code npm} stand-in on PATH serves a package tarball built from the real cached libraries
 * (the registry is the one piece replaced; the script, the integrity check, tar and the library load are real).
 */
class FetchTest {

    @TempDir
    static Path tmp;

    private static Path tarball;
    private static String integrity;

    @BeforeAll
    static void buildPackage() throws Exception {
        Path real = LibraryLocation.fromEnvironment(LlamaNative.npmVersion()).directory();
        Path pkg = Files.createDirectories(tmp.resolve("pkg/package/bins/linux-x64"));
        try (Stream<Path> files = Files.list(real)) {
            for (Path f : files.toList()) {
                String n = f.getFileName().toString();
                if (n.startsWith("libggml-base")
                        || n.startsWith("libggml.")
                        || n.startsWith("libllama.")
                        || n.equals("libggml-cpu-x64.so")
                        || n.equals("libggml-cpu-sse42.so")
                        || n.equals("libggml-cpu-haswell.so")
                        || n.equals("_nlcBuildMetadata.json")) {
                    Files.copy(f, pkg.resolve(n));
                }
            }
        }
        tarball = tmp.resolve("node-llama-cpp-linux-x64-3.22.1.tgz");
        run(List.of("tar", "-czf", tarball.toString(), "-C", tmp.resolve("pkg").toString(), "package"), null);
        byte[] sha = MessageDigest.getInstance("SHA-512").digest(Files.readAllBytes(tarball));
        integrity = "sha512-" + Base64.getEncoder().encodeToString(sha);
    }

    /** An npm stand-in answering view/pack/config for the one package, with the given integrity. */
    private static Path fakeNpm(Path dir, String publishedIntegrity) throws IOException {
        Path bin = Files.createDirectories(dir.resolve("bin"));
        Path npm = bin.resolve("npm");
        Files.writeString(
                npm,
                "#!/usr/bin/env bash\n"
                        + "case \"$1\" in\n"
                        + "  view) echo '" + publishedIntegrity + "' ;;\n"
                        + "  pack) cp '" + tarball + "' . && basename '" + tarball + "' ;;\n"
                        + "  config) echo http://127.0.0.1:9/ ;;\n"
                        + "  *) exit 1 ;;\n"
                        + "esac\n",
                StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(npm, PosixFilePermissions.fromString("rwxr-xr-x"));
        return bin;
    }

    /** A WINNOW_HOME whose headers are present (so only the libraries are fetched). */
    private static Path home(Path dir) throws IOException {
        Path root = Files.createDirectories(dir.resolve("home/llama.cpp/3.22.1"));
        for (String d : List.of("include", "src")) {
            Files.createDirectories(root.resolve(d));
            Files.writeString(root.resolve(d).resolve(".complete"), "test\n");
        }
        return dir.resolve("home");
    }

    private static String run(List<String> cmd, java.util.Map<String, String> env) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        if (env != null) {
            pb.environment().remove("WINNOW_LLAMA_LIB_DIR");
            pb.environment().remove("WINNOW_LLAMA_VARIANT");
            pb.environment().putAll(env);
        }
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "timed out: " + cmd);
        assertEquals(0, p.exitValue(), out);
        return out;
    }

    private static String loadInFreshJvm(Path home, Path npmBin) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED",
                "-cp",
                System.getProperty("java.class.path"),
                DescribeMain.class.getName()));
        return run(cmd, java.util.Map.of("WINNOW_HOME", home.toString(), "PATH", npmBin + ":" + System.getenv("PATH")));
    }

    @Test
    void missingDefaultCacheIsFetchedVerifiedAndLoaded(@TempDir Path dir) throws Exception {
        Path home = home(dir);
        String out = loadInFreshJvm(home, fakeNpm(dir, integrity));
        Path libs = home.resolve("llama.cpp/3.22.1/linux-x64");
        assertTrue(out.contains("loaded: llama.cpp v0.5.0 from " + libs + " (variant cpu, backends: [CPU])"), out);
        assertTrue(Files.isRegularFile(libs.resolve("libllama.v0.5.0.so")));
        assertTrue(Files.readString(libs.resolve(".complete")).contains("@node-llama-cpp/linux-x64@3.22.1"));
        try (Stream<Path> left = Files.list(home.resolve("llama.cpp/3.22.1"))) {
            assertFalse(left.anyMatch(p -> p.getFileName().toString().startsWith(".fetch")), "temporary left over");
        }
    }

    @Test
    void tarballNotMatchingThePublishedIntegrityIsRefusedAndNothingIsLeft(@TempDir Path dir) throws Exception {
        Path home = home(dir);
        String wrong = "sha512-" + Base64.getEncoder().encodeToString(new byte[64]);
        String out = loadInFreshJvm(home, fakeNpm(dir, wrong));
        Path libs = home.resolve("llama.cpp/3.22.1/linux-x64");
        assertTrue(out.contains("error: fetching llama.cpp into " + libs + " failed"), out);
        assertTrue(out.contains("integrity mismatch for @node-llama-cpp/linux-x64@3.22.1"), out);
        assertFalse(Files.exists(libs), "no half-written library directory");
        try (Stream<Path> left = Files.list(home.resolve("llama.cpp/3.22.1"))) {
            assertFalse(left.anyMatch(p -> p.getFileName().toString().startsWith(".fetch")), "temporary left over");
        }
    }
}
