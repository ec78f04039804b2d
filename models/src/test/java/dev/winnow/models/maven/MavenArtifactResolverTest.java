package dev.winnow.models.maven;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.winnow.models.ProgressListener;
import dev.winnow.models.download.DownloadException;
import dev.winnow.models.download.HttpDownloader;
import dev.winnow.models.download.LocalHttpServer;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MavenArtifactResolverTest {
    static final MavenArtifact ART = new MavenArtifact("org.example.models", "tiny-embedding", "1.2.0-beta3");
    static final String PATH = "/maven2/org/example/models/tiny-embedding/1.2.0-beta3/tiny-embedding-1.2.0-beta3.jar";

    @TempDir
    Path dir;

    static byte[] smallJar() throws Exception {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(bos)) {
            z.putNextEntry(new ZipEntry("tiny.onnx"));
            z.write(new byte[] {8, 7, 18, 0});
            z.closeEntry();
            z.putNextEntry(new ZipEntry("tiny-tokenizer.json"));
            z.write("{\"model\":{}}".getBytes(StandardCharsets.UTF_8));
            z.closeEntry();
        }
        return bos.toByteArray();
    }

    static String hex(String alg, byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance(alg).digest(b));
    }

    MavenArtifactResolver resolver(LocalHttpServer s) {
        return new MavenArtifactResolver(
                dir.resolve("m2"),
                dir.resolve("cache"),
                s.base().resolve("maven2"),
                new HttpDownloader(ProgressListener.NONE));
    }

    @Test
    void jarPathFollowsTheRepositoryLayout() {
        assertEquals(PATH.substring("/maven2/".length()), ART.jarPath());
        assertEquals(ART, MavenArtifact.parse("org.example.models:tiny-embedding:1.2.0-beta3"));
        assertThrows(IllegalArgumentException.class, () -> MavenArtifact.parse("a:b"));
        assertThrows(IllegalArgumentException.class, () -> MavenArtifact.parse("a:../b:1"));
    }

    @Test
    void downloadsVerifiesSha1AndSha256() throws Exception {
        byte[] jar = smallJar();
        try (LocalHttpServer s = new LocalHttpServer()) {
            s.put(PATH, jar);
            s.put(
                    PATH + ".sha1",
                    (hex("SHA-1", jar) + "  tiny-embedding-1.2.0-beta3.jar\n").getBytes(StandardCharsets.UTF_8));
            s.put(PATH + ".sha256", hex("SHA-256", jar).getBytes(StandardCharsets.UTF_8));
            Path got = resolver(s).resolve(ART);
            assertEquals(dir.resolve("cache").resolve(ART.jarPath()), got);
            assertArrayEquals(jar, Files.readAllBytes(got));
            // a second resolve uses the cached jar without asking the server again
            int before = s.requests().size();
            assertEquals(got, resolver(s).resolve(ART));
            assertEquals(before, s.requests().size());
        }
    }

    @Test
    void prefersTheLocalMavenRepository() throws Exception {
        byte[] jar = smallJar();
        Path local = dir.resolve("m2").resolve(ART.jarPath());
        Files.createDirectories(local.getParent());
        Files.write(local, jar);
        Files.writeString(local.resolveSibling(local.getFileName() + ".sha1"), hex("SHA-1", jar));
        try (LocalHttpServer s = new LocalHttpServer()) {
            assertEquals(local, resolver(s).resolve(ART));
            assertEquals(List.of(), s.requests());
        }
    }

    @Test
    void checksumMismatchIsRejectedAndNothingIsLeft() throws Exception {
        byte[] jar = smallJar();
        try (LocalHttpServer s = new LocalHttpServer()) {
            s.put(PATH, jar);
            s.put(
                    PATH + ".sha1",
                    hex("SHA-1", "something else".getBytes(StandardCharsets.UTF_8))
                            .getBytes(StandardCharsets.UTF_8));
            DownloadException e =
                    assertThrows(DownloadException.class, () -> resolver(s).resolve(ART));
            assertTrue(e.getMessage().contains("SHA-1 mismatch"), e.getMessage());
            Path cached = dir.resolve("cache").resolve(ART.jarPath());
            assertFalse(Files.exists(cached));
            assertFalse(Files.exists(HttpDownloader.partFile(cached)));
        }
    }

    @Test
    void missingArtifactAndServerErrorAreReported() throws Exception {
        try (LocalHttpServer s = new LocalHttpServer()) {
            DownloadException missing =
                    assertThrows(DownloadException.class, () -> resolver(s).resolve(ART));
            assertEquals(404, missing.status());
            assertTrue(missing.getMessage().contains(ART.toString()), missing.getMessage());

            s.put(PATH + ".sha1", hex("SHA-1", smallJar()).getBytes(StandardCharsets.UTF_8));
            s.fail(PATH, 500);
            DownloadException err =
                    assertThrows(DownloadException.class, () -> resolver(s).resolve(ART));
            assertEquals(500, err.status());
            assertFalse(Files.exists(dir.resolve("cache").resolve(ART.jarPath())));
        }
    }
}
