package dev.winnow.webui.notebook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.winnow.scripting.Sandbox;
import dev.winnow.scripting.ScriptHost;
import dev.winnow.webui.notebook.security.AccessPolicy;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.CompletionException;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15: the notebook HTTP API tried as an attacker, against a real server on 127.0.0.1 with a real HTTP client and
 * raw sockets: path traversal in every file, notebook and checkpoint endpoint (encoded {@code ../}, {@code %2e%2e},
 * backslashes, absolute paths, NUL, very long names, symbolic links in DIR), XSRF and Origin on the API and the kernel
 * WebSocket, {@code Host} headers of other names (DNS rebinding, as Jupyter refuses non-local hosts), and whether any
 * response echoes an absolute path. Nothing outside DIR may be read, written or deleted.
 */
class NotebookHttpAttackTest {
    private static final String NB = "{\"nbformat\": 4, \"nbformat_minor\": 5, \"metadata\": {}, \"cells\": []}";

    @TempDir
    static Path root;

    static Path dir;
    static Path outside;
    static ScriptHost host;
    static NotebookServer server;
    static String base;
    static String token;
    static String csrf;
    static TreeMap<String, String> before;
    static final HttpClient HTTP =
            HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();

    @BeforeAll
    static void start() throws Exception {
        dir = Files.createDirectories(root.resolve("notebooks"));
        outside = Files.createDirectories(root.resolve("outside"));
        Files.writeString(outside.resolve("victim.ipynb"), NB.replace("{}", "{\"outside\": true}"));
        Files.writeString(outside.resolve("secret.txt"), "secret");
        Files.writeString(dir.resolve("existing.ipynb"), NB);
        Files.createSymbolicLink(dir.resolve("link.ipynb"), outside.resolve("victim.ipynb"));
        Files.createSymbolicLink(dir.resolve("linkdir"), outside);
        Files.createSymbolicLink(dir.resolve("dangling.ipynb"), outside.resolve("nothing.ipynb"));
        host = ScriptHost.create(Sandbox.of(dir));
        server = NotebookServer.start(new NotebookServer.Options(dir, "127.0.0.1", 0, List.of(), 1 << 20), host);
        base = "http://127.0.0.1:" + server.port();
        token = server.policy().token();
        csrf = server.policy().csrfToken();
        before = snapshot(outside);
    }

    @AfterAll
    static void stop() {
        server.close();
        host.close();
    }

    private static TreeMap<String, String> snapshot(Path d) throws IOException {
        TreeMap<String, String> m = new TreeMap<>();
        try (Stream<Path> s = Files.walk(d)) {
            for (Path p : s.toList()) {
                m.put(d.relativize(p).toString(), Files.isDirectory(p) ? "<dir>" : Files.readString(p));
            }
        }
        return m;
    }

    private static HttpRequest.Builder req(String pathAndQuery) {
        return HttpRequest.newBuilder(URI.create(base + pathAndQuery))
                .timeout(Duration.ofSeconds(30))
                .header("Authorization", "token " + token);
    }

    private static HttpResponse<String> send(HttpRequest.Builder b) throws Exception {
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** A response body must never contain an absolute path of the machine. */
    private static void noAbsolutePaths(String what, String body) throws IOException {
        for (String abs : List.of(
                root.toString(),
                root.toRealPath().toString(),
                System.getProperty("user.home") + "/",
                System.getProperty("java.home"))) {
            assertFalse(body.contains(abs), what + " echoes " + abs + ": " + body);
        }
        assertFalse(body.matches("(?s).*(^|[\\s:'\"(=])/(tmp|home|root|work|etc|usr|proc)/.*"), what + ": " + body);
    }

    @Test
    void traversalInEveryEndpointIsRefusedAndTouchesNothingOutside() throws Exception {
        String longName = "a".repeat(5000) + ".ipynb";
        List<String> paths = List.of(
                "../outside/victim.ipynb",
                "..%2Foutside%2Fvictim.ipynb",
                "%2e%2e/outside/victim.ipynb",
                "%2E%2E%2Foutside%2Fvictim.ipynb",
                "a/../../outside/victim.ipynb",
                "..%5Coutside%5Cvictim.ipynb",
                "%5C..%5Coutside%5Cvictim.ipynb",
                "sub%5C..%5C..%5Coutside%5Cvictim.ipynb",
                "%2F" + outside.toString().substring(1).replace("/", "%2F") + "%2Fvictim.ipynb",
                "//" + outside.toString().substring(1) + "/victim.ipynb",
                "existing.ipynb%00.txt",
                "victim%00.ipynb",
                "..%00/outside/victim.ipynb",
                ".%2F..%2Foutside%2Fvictim.ipynb",
                "./existing.ipynb",
                "existing.ipynb/",
                "link.ipynb",
                "linkdir/victim.ipynb",
                "linkdir%2Fvictim.ipynb",
                "dangling.ipynb",
                ".ipynb_checkpoints/existing-checkpoint.ipynb",
                "%2Eipynb_checkpoints%2Fx.ipynb",
                longName);
        List<String> problems = new ArrayList<>();
        for (String p : paths) {
            String q = "?path=" + p;
            List<HttpResponse<String>> rs = List.of(
                    send(req("/api/notebook" + q)),
                    send(req("/api/notebook" + q).PUT(HttpRequest.BodyPublishers.ofString(NB))),
                    send(req("/api/notebook" + q).DELETE()),
                    send(req("/api/notebook/checkpoint" + q)),
                    send(req("/api/notebook/checkpoint" + q).POST(HttpRequest.BodyPublishers.noBody())),
                    send(req("/api/notebook/revert" + q).POST(HttpRequest.BodyPublishers.noBody())),
                    send(req("/api/notebook/rename" + q)
                            .POST(HttpRequest.BodyPublishers.ofString("{\"to\": \"moved.ipynb\"}"))),
                    send(req("/api/kernel/restart" + q).POST(HttpRequest.BodyPublishers.noBody())),
                    send(req("/api/kernel/interrupt" + q).POST(HttpRequest.BodyPublishers.noBody())));
            for (HttpResponse<String> r : rs) {
                String what = r.request().method() + " " + r.request().uri().getRawPath() + "?path=" + abbreviate(p);
                // the only 2xx allowed: a name that normalises to a notebook inside DIR (none of these do)
                if (r.statusCode() < 400 || r.statusCode() >= 500) {
                    problems.add(what + " -> " + r.statusCode() + " " + abbreviate(r.body()));
                }
                noAbsolutePaths(what, r.body());
            }
        }
        // the rename target and the creation path are paths too
        for (String to : List.of(
                "../outside/moved.ipynb",
                "linkdir/moved.ipynb",
                "/tmp/moved.ipynb",
                "a\\\\..\\\\..\\\\moved.ipynb",
                "moved\\u0000.ipynb",
                ".ipynb_checkpoints/moved.ipynb",
                longName)) {
            HttpResponse<String> r = send(req("/api/notebook/rename?path=existing.ipynb")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"to\": \"" + to + "\"}")));
            if (r.statusCode() != 400) {
                problems.add("rename to " + abbreviate(to) + " -> " + r.statusCode() + " " + abbreviate(r.body()));
            }
            noAbsolutePaths("rename to " + abbreviate(to), r.body());
            HttpResponse<String> c = send(req("/api/notebooks")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"path\": \"" + to + "\", \"language\": \"py\"}")));
            if (c.statusCode() != 400) {
                problems.add("create " + abbreviate(to) + " -> " + c.statusCode() + " " + abbreviate(c.body()));
            }
            noAbsolutePaths("create " + abbreviate(to), c.body());
        }
        // names that only look like traversal (double encoding, overlong UTF-8, one-dot leaders) are plain names: what
        // they create stays inside DIR
        for (String p : List.of(
                "%252e%252e%252Foutside%252Fvictim.ipynb",
                "%C0%AE%C0%AE%2Foutside%2Fvictim.ipynb", "%E2%80%A4%E2%80%A4%2Foutside%2Fvictim.ipynb")) {
            HttpResponse<String> put =
                    send(req("/api/notebook?path=" + p).PUT(HttpRequest.BodyPublishers.ofString(NB)));
            noAbsolutePaths("PUT " + p, put.body());
            if (put.statusCode() == 200) {
                List<Path> made;
                try (Stream<Path> s = Files.walk(dir)) {
                    made = s.filter(f ->
                                    f.getFileName().toString().endsWith("victim.ipynb") && !Files.isSymbolicLink(f))
                            .toList();
                }
                assertEquals(1, made.size(), p + ": " + made);
                assertTrue(
                        made.get(0).toRealPath().startsWith(dir.toRealPath()),
                        made.get(0).toString());
                assertEquals(204, send(req("/api/notebook?path=" + p).DELETE()).statusCode(), p);
            } else {
                assertEquals(400, put.statusCode(), p + ": " + put.body());
            }
            assertEquals(before, snapshot(outside), p);
        }
        assertEquals(List.of(), problems);
        assertEquals(before, snapshot(outside), "nothing outside DIR changed");
        assertEquals(NB, Files.readString(dir.resolve("existing.ipynb")));
        assertTrue(Files.isSymbolicLink(dir.resolve("link.ipynb")), "the link was not replaced");
        // the listing shows no notebook behind a link (neither a linked file nor a linked directory)
        HttpResponse<String> list = send(req("/api/notebooks"));
        assertEquals(200, list.statusCode());
        assertTrue(list.body().contains("\"existing.ipynb\""), list.body());
        assertFalse(list.body().contains("victim") || list.body().contains("link.ipynb"), list.body());
        // static assets: traversal by encoded dots and backslashes
        for (String a : List.of("..%2F..%2Fpom.xml", "%2e%2e%2fnotebook.js", "..%5C..%5Cpom.xml", "%2Fetc%2Fpasswd")) {
            HttpResponse<String> r = send(req("/static/" + a));
            assertTrue(r.statusCode() == 400 || r.statusCode() == 404, a + " -> " + r.statusCode());
            noAbsolutePaths("/static/" + a, r.body());
        }
    }

    @Test
    void hostHeadersOfOtherNamesAreRefused() throws Exception {
        String cookie = cookie();
        int port = server.port();
        for (String h : List.of(
                "evil.com:" + port,
                "evil.com",
                "127.0.0.1.evil.com:" + port,
                "localhost.:" + port,
                "localhost.evil.com:" + port,
                "127.0.0.1:" + port + "@evil.com",
                "evil.com:" + port + "#127.0.0.1",
                "[::1].evil.com",
                "127.1:" + port,
                "0.0.0.0:" + port,
                "2130706433:" + port,
                "[::ffff:7f00:1]:" + port,
                "127.0.0.1:" + port + " evil.com",
                "")) {
            for (String method : List.of("GET /api/notebooks", "GET /", "POST /api/notebooks")) {
                String request =
                        method + " HTTP/1.1\r\nHost: " + h + "\r\nCookie: " + cookie + "\r\n" + AccessPolicy.XSRF_HEADER
                                + ": " + csrf + "\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}";
                int status = rawStatus(request);
                assertTrue(status == 403 || status == 400, method + " with Host '" + h + "' -> " + status);
            }
        }
        // no Host at all, two Host headers, and an absolute-form target naming another host
        assertTrue(rawStatus("GET /api/notebooks HTTP/1.0\r\nCookie: " + cookie + "\r\n\r\n") >= 400);
        int twoHosts = rawStatus("GET /api/notebooks HTTP/1.1\r\nHost: evil.com:" + port + "\r\nHost: 127.0.0.1:" + port
                + "\r\nCookie: " + cookie + "\r\nConnection: close\r\n\r\n");
        assertTrue(twoHosts == 400 || twoHosts == 403, "two Host headers -> " + twoHosts);
        int absolute = rawStatus("GET http://evil.com:" + port + "/api/notebooks HTTP/1.1\r\nHost: evil.com:" + port
                + "\r\nCookie: " + cookie + "\r\nConnection: close\r\n\r\n");
        assertTrue(absolute == 400 || absolute == 403, "absolute-form target -> " + absolute);
        // the kernel WebSocket with a rebound Host
        String upgrade = "GET /api/kernel?path=existing.ipynb&_xsrf=" + csrf + " HTTP/1.1\r\nHost: evil.com:" + port
                + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                + "Sec-WebSocket-Version: 13\r\nOrigin: http://evil.com:" + port + "\r\nCookie: " + cookie + "\r\n\r\n";
        assertEquals(403, rawStatus(upgrade));
        // and the real names still work
        for (String h : List.of("127.0.0.1:" + port, "localhost:" + port, "[::1]:" + port, "LOCALHOST:" + port)) {
            assertEquals(
                    200,
                    rawStatus("GET /api/notebooks HTTP/1.1\r\nHost: " + h + "\r\nCookie: " + cookie
                            + "\r\nConnection: close\r\n\r\n"),
                    h);
        }
        assertFalse(Files.exists(dir.resolve(".ipynb")));
    }

    @Test
    void xsrfAndOriginAreRequiredOnEveryStateChangeAndTheSocket() throws Exception {
        String tokenOnly = AccessPolicy.tokenCookie(server.port()) + "=" + token;
        List<HttpRequest.Builder> changes = List.of(
                plain("/api/notebooks").POST(HttpRequest.BodyPublishers.ofString("{\"path\": \"x.ipynb\"}")),
                plain("/api/notebook?path=existing.ipynb").PUT(HttpRequest.BodyPublishers.ofString(NB)),
                plain("/api/notebook?path=existing.ipynb").DELETE(),
                plain("/api/notebook/rename?path=existing.ipynb")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"to\": \"y.ipynb\"}")),
                plain("/api/notebook/checkpoint?path=existing.ipynb").POST(HttpRequest.BodyPublishers.noBody()),
                plain("/api/notebook/revert?path=existing.ipynb").POST(HttpRequest.BodyPublishers.noBody()),
                plain("/api/kernel/restart?path=existing.ipynb").POST(HttpRequest.BodyPublishers.noBody()),
                plain("/api/kernel/interrupt?path=existing.ipynb").POST(HttpRequest.BodyPublishers.noBody()),
                plain("/api/notebook?path=existing.ipynb").method("PATCH", HttpRequest.BodyPublishers.ofString("{}")));
        for (HttpRequest.Builder b : changes) {
            HttpRequest template = b.build();
            String what = template.method() + " " + template.uri().getRawPath();
            // cookie only (what a cross-site form sends), a wrong header, the header without the cookie, a foreign
            // Origin
            for (String[] h : new String[][] {
                {tokenOnly, null, null},
                {tokenOnly + "; " + AccessPolicy.xsrfCookie(server.port()) + "=" + csrf, csrf + "x", null},
                {tokenOnly + "; " + AccessPolicy.xsrfCookie(server.port()) + "=" + csrf, "", null},
                {tokenOnly, csrf, null},
                {cookie(), csrf, "http://127.0.0.1:" + (server.port() + 1)},
                {cookie(), csrf, "http://evil.com"},
                {cookie(), csrf, "null"}
            }) {
                HttpRequest.Builder r =
                        HttpRequest.newBuilder(template, (n, v) -> true).header("Cookie", h[0]);
                if (h[1] != null) {
                    r.header(AccessPolicy.XSRF_HEADER, h[1]);
                }
                if (h[2] != null) {
                    r.header("Origin", h[2]);
                }
                HttpResponse<String> resp = send(r);
                assertEquals(
                        403,
                        resp.statusCode(),
                        what + " " + String.join(" | ", java.util.Arrays.asList(h)) + ": " + resp.body());
                noAbsolutePaths(what, resp.body());
            }
        }
        assertEquals(NB, Files.readString(dir.resolve("existing.ipynb")));
        assertFalse(Files.exists(dir.resolve("x.ipynb")) || Files.exists(dir.resolve("y.ipynb")));
        String ws = "ws://127.0.0.1:" + server.port() + "/api/kernel?path=existing.ipynb";
        assertEquals(403, handshakeStatus(HTTP.newWebSocketBuilder().header("Cookie", cookie()), ws));
        assertEquals(403, handshakeStatus(HTTP.newWebSocketBuilder().header("Cookie", cookie()), ws + "&_xsrf="));
        assertEquals(
                403,
                handshakeStatus(
                        HTTP.newWebSocketBuilder()
                                .header("Cookie", cookie())
                                .header("Origin", "http://127.0.0.1:" + (server.port() + 1)),
                        ws + "&_xsrf=" + csrf));
        assertEquals(
                403, handshakeStatus(HTTP.newWebSocketBuilder().header("Cookie", tokenOnly), ws + "&_xsrf=" + csrf));
        // a kernel for a path outside DIR is never opened
        for (String p : List.of(
                "../outside/victim.ipynb", "link.ipynb", "linkdir/victim.ipynb", "%2e%2e%2Foutside%2Fvictim.ipynb")) {
            WebSocket.Builder b = HTTP.newWebSocketBuilder().header("Authorization", "token " + token);
            List<String> closes = new ArrayList<>();
            try {
                WebSocket s = b.buildAsync(
                                URI.create("ws://127.0.0.1:" + server.port() + "/api/kernel?path=" + p),
                                new WebSocket.Listener() {
                                    @Override
                                    public java.util.concurrent.CompletionStage<?> onClose(
                                            WebSocket w, int code, String reason) {
                                        synchronized (closes) {
                                            closes.add(code + " " + reason);
                                            closes.notifyAll();
                                        }
                                        return null;
                                    }
                                })
                        .join();
                synchronized (closes) {
                    long end = System.nanoTime() + 20_000_000_000L;
                    while (closes.isEmpty() && System.nanoTime() < end) {
                        closes.wait(500);
                    }
                }
                assertFalse(closes.isEmpty(), p + ": the socket to a notebook outside DIR stayed open");
                s.abort();
            } catch (CompletionException refused) {
                assertInstanceOf(WebSocketHandshakeException.class, refused.getCause(), p);
            }
        }
        assertEquals(before, snapshot(outside));
    }

    private static HttpRequest.Builder plain(String pathAndQuery) {
        return HttpRequest.newBuilder(URI.create(base + pathAndQuery)).timeout(Duration.ofSeconds(30));
    }

    private static String cookie() {
        return AccessPolicy.tokenCookie(server.port()) + "=" + token + "; " + AccessPolicy.xsrfCookie(server.port())
                + "=" + csrf;
    }

    private static String abbreviate(String s) {
        return s.length() > 120 ? s.substring(0, 120) + "..." : s;
    }

    private static int rawStatus(String request) throws Exception {
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            s.setSoTimeout(20_000);
            OutputStream out = s.getOutputStream();
            out.write(request.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = s.getInputStream();
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            int c;
            while ((c = in.read()) != -1 && c != '\n') {
                head.write(c);
            }
            String status = head.toString(StandardCharsets.ISO_8859_1);
            return Integer.parseInt(status.split(" ")[1]);
        }
    }

    private static int handshakeStatus(WebSocket.Builder b, String url) {
        CompletionException e = assertThrows(
                CompletionException.class,
                () -> b.buildAsync(URI.create(url), new WebSocket.Listener() {}).join());
        WebSocketHandshakeException h = assertInstanceOf(WebSocketHandshakeException.class, e.getCause());
        return h.getResponse().statusCode();
    }
}
