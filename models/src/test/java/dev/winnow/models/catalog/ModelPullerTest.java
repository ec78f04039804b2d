package dev.winnow.models.catalog;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.winnow.models.ProgressListener;
import dev.winnow.models.download.DownloadException;
import dev.winnow.models.download.HttpDownloader;
import dev.winnow.models.download.LocalHttpServer;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Pulls from a real HTTP server on 127.0.0.1 (catalog entries may use plain http on the loopback address only). */
class ModelPullerTest {
    @TempDir
    Path dir;

    static byte[] bytes(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    static CatalogEntry local(LocalHttpServer s, String file, String sha256, Long size) {
        return new CatalogEntry(
                "tiny",
                CatalogEntry.Role.RANKER,
                "test model",
                s.base().resolve(file),
                null,
                file,
                "tiny",
                size,
                sha256,
                "MIT");
    }

    ModelPuller puller() {
        return new ModelPuller(dir.resolve("models"), new HttpDownloader(ProgressListener.NONE), null);
    }

    @Test
    void pullsVerifiesAndSkipsWhenPresent() throws Exception {
        byte[] model = bytes(400_000, 1);
        try (LocalHttpServer s = new LocalHttpServer()) {
            s.put("/tiny.gguf", model);
            CatalogEntry e = local(s, "tiny.gguf", sha256(model), (long) model.length);
            Path got = puller().pull(e, false);
            assertEquals(dir.resolve("models/tiny.gguf"), got);
            assertArrayEquals(model, Files.readAllBytes(got));
            assertEquals(1, s.requests().size());
            assertEquals(got, puller().pull(e, false));
            assertEquals(1, s.requests().size(), "a verified file in place is not downloaded again");
        }
    }

    @Test
    void interruptedPullResumesWithRange() throws Exception {
        byte[] model = bytes(600_000, 2);
        try (LocalHttpServer s = new LocalHttpServer()) {
            s.put("/tiny.gguf", model);
            s.cutOnce("/tiny.gguf", 250_000);
            CatalogEntry e = local(s, "tiny.gguf", sha256(model), null);
            assertThrows(DownloadException.class, () -> puller().pull(e, false));
            Path part = HttpDownloader.partFile(dir.resolve("models/tiny.gguf"));
            long have = Files.size(part);
            assertTrue(have > 0 && have <= 250_000);
            Path got = puller().pull(e, false);
            assertArrayEquals(model, Files.readAllBytes(got));
            assertEquals(List.of("/tiny.gguf -", "/tiny.gguf bytes=" + have + "-"), s.requests());
        }
    }

    @Test
    void wrongChecksumIsRejectedAndThePartialRemoved() throws Exception {
        byte[] model = bytes(100_000, 3);
        try (LocalHttpServer s = new LocalHttpServer()) {
            s.put("/tiny.gguf", model);
            CatalogEntry e = local(s, "tiny.gguf", sha256(bytes(5, 9)), null);
            DownloadException ex = assertThrows(DownloadException.class, () -> puller().pull(e, false));
            assertTrue(ex.getMessage().contains("SHA-256 mismatch"), ex.getMessage());
            assertFalse(Files.exists(dir.resolve("models/tiny.gguf")));
            assertFalse(Files.exists(HttpDownloader.partFile(dir.resolve("models/tiny.gguf"))));
        }
    }

    @Test
    void serverErrorIsReported() throws Exception {
        try (LocalHttpServer s = new LocalHttpServer()) {
            s.fail("/tiny.gguf", 503);
            CatalogEntry e = local(s, "tiny.gguf", sha256(bytes(5, 9)), null);
            DownloadException ex = assertThrows(DownloadException.class, () -> puller().pull(e, false));
            assertEquals(503, ex.status());
            assertTrue(ex.getMessage().contains("HTTP 503"), ex.getMessage());
        }
    }

    @Test
    void unverifiedModelNeedsExplicitPermission() throws Exception {
        byte[] model = bytes(10_000, 4);
        try (LocalHttpServer s = new LocalHttpServer()) {
            s.put("/tiny.gguf", model);
            CatalogEntry e = local(s, "tiny.gguf", null, null);
            ModelPuller.UnverifiedModelException ex =
                    assertThrows(ModelPuller.UnverifiedModelException.class, () -> puller().pull(e, false));
            assertTrue(ex.getMessage().contains("--allow-unverified"), ex.getMessage());
            assertEquals(List.of(), s.requests());
            assertArrayEquals(model, Files.readAllBytes(puller().pull(e, true)));
        }
    }

    @Test
    void offlineIsReportedClearly() throws Exception {
        URI closed;
        try (LocalHttpServer s = new LocalHttpServer()) {
            closed = s.base();
        }
        CatalogEntry e = new CatalogEntry(
                "tiny",
                CatalogEntry.Role.RANKER,
                "",
                closed.resolve("t.gguf"),
                null,
                "t.gguf",
                "",
                null,
                sha256(bytes(5, 9)),
                "MIT");
        DownloadException ex = assertThrows(DownloadException.class, () -> puller().pull(e, false));
        assertTrue(ex.getMessage().contains("cannot reach"), ex.getMessage());
    }
}
