package dev.winnow.webui.notebook;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.winnow.scripting.Sandbox;
import dev.winnow.scripting.ScriptHost;
import dev.winnow.webui.notebook.security.AccessPolicy;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code GET /api/file}: the notebook directory's raster images for markdown cells, and nothing else (a real server on
 * a free loopback port, {@code java.net.http}).
 */
class NotebookImageRouteTest {
    @TempDir
    static Path top;

    static Path dir;
    static Path outside;
    static ScriptHost host;
    static NotebookServer server;
    static String base;
    static final byte[] PNG = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 1, 2, 3};
    static final HttpClient HTTP =
            HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();

    @BeforeAll
    static void start() throws Exception {
        dir = Files.createDirectories(top.resolve("notebooks"));
        outside = Files.createDirectories(top.resolve("outside"));
        Files.write(dir.resolve("fig.png"), PNG);
        Files.createDirectories(dir.resolve("sub"));
        Files.write(dir.resolve("sub/Photo.JPG"), new byte[] {(byte) 0xff, (byte) 0xd8, 1});
        Files.writeString(
                dir.resolve("page.svg"), "<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>");
        Files.writeString(dir.resolve("notes.txt"), "text");
        Files.writeString(
                dir.resolve("a.ipynb"), "{\"nbformat\": 4, \"nbformat_minor\": 5, \"metadata\": {}, \"cells\": []}");
        Files.write(dir.resolve("big.png"), new byte[(20 << 20) + 1]);
        Files.write(outside.resolve("secret.png"), PNG);
        Files.createSymbolicLink(dir.resolve("link.png"), outside.resolve("secret.png"));
        Files.createSymbolicLink(dir.resolve("out"), outside);
        Files.createSymbolicLink(dir.resolve("inner.png"), dir.resolve("fig.png"));
        Files.createDirectories(dir.resolve(".hidden"));
        Files.write(dir.resolve(".hidden/h.png"), PNG);
        host = ScriptHost.create(Sandbox.of(dir));
        server = NotebookServer.start(NotebookServer.Options.loopback(dir), host);
        base = "http://127.0.0.1:" + server.port();
    }

    @AfterAll
    static void stop() {
        server.close();
        host.close();
    }

    static HttpResponse<byte[]> get(String rawPath, String auth, String cookie) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + "/api/file?path=" + rawPath))
                .timeout(Duration.ofSeconds(20));
        if (auth != null) {
            b.header("Authorization", "token " + auth);
        }
        if (cookie != null) {
            b.header("Cookie", cookie);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    static HttpResponse<byte[]> get(String path) throws Exception {
        return get(
                URLEncoder.encode(path, StandardCharsets.UTF_8), server.policy().token(), null);
    }

    static String body(HttpResponse<byte[]> r) {
        return new String(r.body(), StandardCharsets.UTF_8);
    }

    @Test
    void servesRasterImagesInsideTheDirectoryWithALockedDownResponse() throws Exception {
        HttpResponse<byte[]> r = get("fig.png");
        assertEquals(200, r.statusCode(), body(r));
        assertArrayEquals(PNG, r.body());
        assertEquals("image/png", r.headers().firstValue("Content-Type").orElse(""));
        assertEquals("nosniff", r.headers().firstValue("X-Content-Type-Options").orElse(""));
        assertEquals(
                "default-src 'none'; sandbox",
                r.headers().firstValue("Content-Security-Policy").orElse(""));
        r = get("sub/Photo.JPG");
        assertEquals(200, r.statusCode(), body(r));
        assertEquals("image/jpeg", r.headers().firstValue("Content-Type").orElse(""));
        // a link that stays inside the directory is followed
        assertArrayEquals(PNG, get("inner.png").body());
    }

    @Test
    void refusesEverythingElse() throws Exception {
        String root = top.toString();
        for (String p : List.of(
                "page.svg",
                "notes.txt",
                "a.ipynb",
                "sub",
                "../outside/secret.png",
                "sub/../../outside/secret.png",
                "link.png",
                "out/secret.png",
                ".hidden/h.png",
                "/etc/passwd.png",
                top.resolve("outside/secret.png").toString(),
                "sub\\..\\fig.png",
                "fig.png\u0000.png",
                "",
                "big.png")) {
            HttpResponse<byte[]> r = get(p);
            assertTrue(r.statusCode() >= 400 && r.statusCode() < 500, p + " -> " + r.statusCode() + " " + body(r));
            assertFalse(body(r).contains(root), "no absolute path in the error: " + body(r));
            assertFalse(
                    r.headers().firstValue("Content-Type").orElse("").startsWith("image/"), p + " served as an image");
        }
        assertEquals(404, get("missing.png").statusCode());
        assertTrue(body(get("missing.png")).contains("no such image: missing.png"), body(get("missing.png")));
        // encoded traversal reaches the same checks
        assertEquals(
                400,
                get("%2E%2E%2Foutside%2Fsecret.png", server.policy().token(), null)
                        .statusCode());
        assertEquals(
                400,
                get("..%2Foutside%2Fsecret.png", server.policy().token(), null).statusCode());
    }

    @Test
    void needsTheTokenAndWithTheCookieAlsoTheXsrfToken() throws Exception {
        String cookies = AccessPolicy.tokenCookie(server.port()) + "="
                + server.policy().token() + "; " + AccessPolicy.xsrfCookie(server.port()) + "="
                + server.policy().csrfToken();
        assertEquals(401, get("fig.png", null, null).statusCode());
        assertEquals(403, get("fig.png", "wrong", null).statusCode());
        // the browser's cookies alone (what a page of another local port gets sent with an <img>) are not enough
        HttpResponse<byte[]> r = get("fig.png", null, cookies);
        assertEquals(403, r.statusCode(), body(r));
        assertEquals(403, get("fig.png&_xsrf=wrong", null, cookies).statusCode());
        assertEquals(403, get("fig.png&_xsrf=", null, cookies).statusCode());
        r = get("fig.png&_xsrf=" + server.policy().csrfToken(), null, cookies);
        assertEquals(200, r.statusCode(), body(r));
        assertArrayEquals(PNG, r.body());
    }
}
