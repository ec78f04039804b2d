package dev.winnow.models.download;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.winnow.models.ProgressListener;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HttpDownloaderTest {
    @TempDir
    Path dir;

    static byte[] randomBytes(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    @Test
    void downloadsAndVerifies() throws Exception {
        byte[] body = randomBytes(300_000, 1);
        try (LocalHttpServer s = new LocalHttpServer()) {
            s.put("/f.bin", body);
            Path target = dir.resolve("sub/f.bin");
            List<String> seen = new ArrayList<>();
            new HttpDownloader((done, total, unit) -> seen.add(done + "/" + total + " " + unit))
                    .download(s.base().resolve("f.bin"), target, List.of(Checksum.sha256(sha256(body))), "f");
            assertArrayEquals(body, Files.readAllBytes(target));
            // progress is reported, not drawn: from 0 to the whole file, in bytes
            assertEquals("0/300000 bytes", seen.get(0));
            assertEquals("300000/300000 bytes", seen.get(seen.size() - 1));
            assertTrue(seen.size() >= 3, seen.toString());
            assertFalse(Files.exists(HttpDownloader.partFile(target)));
        }
    }

    @Test
    void interruptedTransferKeepsPartialThenResumesWithRange() throws Exception {
        byte[] body = randomBytes(500_000, 2);
        try (LocalHttpServer s = new LocalHttpServer()) {
            s.put("/m.gguf", body);
            s.cutOnce("/m.gguf", 123_456);
            Path target = dir.resolve("m.gguf");
            HttpDownloader d = new HttpDownloader(ProgressListener.NONE);
            URI uri = s.base().resolve("m.gguf");
            List<Checksum> sum = List.of(Checksum.sha256(sha256(body)));
            DownloadException e = assertThrows(DownloadException.class, () -> d.download(uri, target, sum, "m"));
            assertTrue(
                    e.getMessage().contains("interrupted") || e.getMessage().contains("ended after"), e.getMessage());
            Path part = HttpDownloader.partFile(target);
            assertTrue(Files.exists(part), "the partial file is kept for resuming");
            long have = Files.size(part);
            assertTrue(have > 0 && have <= 123_456, "partial size " + have);
            assertFalse(Files.exists(target), "no file in place after a failed transfer");

            d.download(uri, target, sum, "m");
            assertArrayEquals(body, Files.readAllBytes(target));
            assertFalse(Files.exists(part));
            assertEquals(List.of("/m.gguf -", "/m.gguf bytes=" + have + "-"), s.requests());
        }
    }

    @Test
    void checksumMismatchDeletesTheDownload() throws Exception {
        byte[] body = randomBytes(10_000, 3);
        try (LocalHttpServer s = new LocalHttpServer()) {
            s.put("/x", body);
            Path target = dir.resolve("x");
            String wrong = sha256(randomBytes(10, 4));
            DownloadException e = assertThrows(
                    DownloadException.class,
                    () -> new HttpDownloader(ProgressListener.NONE)
                            .download(s.base().resolve("x"), target, List.of(Checksum.sha256(wrong)), "x"));
            assertTrue(e.getMessage().contains("SHA-256 mismatch"), e.getMessage());
            assertTrue(e.getMessage().contains(wrong), e.getMessage());
            assertFalse(Files.exists(target));
            assertFalse(Files.exists(HttpDownloader.partFile(target)));
        }
    }

    @Test
    void serverErrorsAreReportedWithStatusAndUrl() throws Exception {
        try (LocalHttpServer s = new LocalHttpServer()) {
            s.fail("/e500", 500);
            HttpDownloader d = new HttpDownloader(ProgressListener.NONE);
            Path target = dir.resolve("e");
            DownloadException e500 = assertThrows(
                    DownloadException.class, () -> d.download(s.base().resolve("e500"), target, List.of(), "e"));
            assertEquals(500, e500.status());
            assertTrue(
                    e500.getMessage().contains("HTTP 500") && e500.getMessage().contains("/e500"), e500.getMessage());
            DownloadException e404 = assertThrows(
                    DownloadException.class, () -> d.download(s.base().resolve("missing"), target, List.of(), "e"));
            assertEquals(404, e404.status());
            assertFalse(Files.exists(target));
        }
    }

    @Test
    void unreachableHostIsReportedAsOffline() throws Exception {
        URI closed;
        try (LocalHttpServer s = new LocalHttpServer()) {
            closed = s.base().resolve("gone");
        }
        DownloadException e = assertThrows(
                DownloadException.class,
                () -> new HttpDownloader(ProgressListener.NONE).download(closed, dir.resolve("g"), List.of(), "g"));
        assertTrue(e.getMessage().contains("cannot reach 127.0.0.1"), e.getMessage());
        assertEquals(0, e.status());
    }

    @Test
    void stalledTransferIsAbandonedAndResumable() throws Exception {
        byte[] body = randomBytes(50_000, 5);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        com.sun.net.httpserver.HttpServer server = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/slow", ex -> {
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body, 0, 1000);
            ex.getResponseBody().flush();
            try {
                release.await(); // never sends the rest while the client waits
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            ex.close();
        });
        server.start();
        try {
            Path target = dir.resolve("slow");
            URI uri = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/slow");
            HttpDownloader d = new HttpDownloader(ProgressListener.NONE, java.time.Duration.ofMillis(500));
            DownloadException e =
                    assertThrows(DownloadException.class, () -> d.download(uri, target, List.of(), "slow"));
            assertTrue(e.getMessage().contains("no data for"), e.getMessage());
            assertEquals(1000, Files.size(HttpDownloader.partFile(target)));
            assertFalse(Files.exists(target));
        } finally {
            release.countDown();
            server.stop(0);
        }
    }

    @Test
    void malformedChecksumsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> Checksum.sha256("abc"));
        assertThrows(IllegalArgumentException.class, () -> Checksum.sha1("z".repeat(40)));
    }
}
