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
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every refusal of the access policy against a real server on a free loopback port. */
class NotebookServerSecurityTest {
    private static final long LIMIT = 64 * 1024;

    @TempDir
    static Path dir;

    static ScriptHost host;
    static NotebookServer server;
    static String base;
    static String token;
    static String csrf;
    static final HttpClient HTTP =
            HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();

    @BeforeAll
    static void start() throws Exception {
        Files.writeString(
                dir.resolve("existing.ipynb"),
                "{\"nbformat\": 4, \"nbformat_minor\": 5, \"metadata\": {}, \"cells\": []}");
        host = ScriptHost.create(Sandbox.of(dir));
        server = NotebookServer.start(new NotebookServer.Options(dir, "127.0.0.1", 0, List.of(), LIMIT), host);
        base = "http://127.0.0.1:" + server.port();
        token = server.policy().token();
        csrf = server.policy().csrfToken();
    }

    @AfterAll
    static void stop() {
        server.close();
        host.close();
    }

    private static HttpResponse<String> send(HttpRequest.Builder b) throws Exception {
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpRequest.Builder get(String path) {
        return HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(20));
    }

    /** The browser's cookies after visiting the page: the token and the XSRF cookie of this server's port. */
    private static String cookie() {
        return AccessPolicy.tokenCookie(server.port()) + "=" + token + "; " + AccessPolicy.xsrfCookie(server.port())
                + "=" + csrf;
    }

    @Test
    void urlCarriesTheTokenAndLoopbackAddress() {
        assertTrue(server.url().startsWith("http://127.0.0.1:" + server.port() + "/?token="), server.url());
        assertTrue(server.url().endsWith(token));
    }

    @Test
    void noTokenIs401AndWrongTokenIs403() throws Exception {
        assertEquals(401, send(get("/")).statusCode());
        assertEquals(401, send(get("/api/notebooks")).statusCode());
        assertEquals(401, send(get("/static/notebook.js")).statusCode());
        assertEquals(403, send(get("/api/notebooks?token=not-the-token")).statusCode());
        assertEquals(
                403,
                send(get("/api/notebooks").header("Cookie", AccessPolicy.tokenCookie(server.port()) + "=nope"))
                        .statusCode());
        assertEquals(
                403,
                send(get("/api/notebooks").header("Authorization", "token " + token + "x"))
                        .statusCode());
    }

    @Test
    void firstVisitSetsAStrictHttpOnlyCookieAndDropsTheTokenFromTheAddress() throws Exception {
        HttpResponse<String> r = send(get("/?token=" + token + "&path=existing.ipynb"));
        assertEquals(303, r.statusCode());
        assertEquals("/?path=existing.ipynb", r.headers().firstValue("Location").orElseThrow());
        String setCookie = r.headers().firstValue("Set-Cookie").orElseThrow();
        assertTrue(setCookie.startsWith(AccessPolicy.tokenCookie(server.port()) + "=" + token + ";"), setCookie);
        assertTrue(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Strict"), setCookie);
        HttpResponse<String> page = send(get("/").header("Cookie", cookie()));
        assertEquals(200, page.statusCode());
        assertTrue(page.body().contains("<meta name=\"winnow-csrf\" content=\"" + csrf + "\">"));
        String xsrfCookie = page.headers().allValues("Set-Cookie").stream()
                .filter(c -> c.startsWith(AccessPolicy.xsrfCookie(server.port()) + "="))
                .findFirst()
                .orElseThrow();
        assertTrue(xsrfCookie.startsWith(AccessPolicy.xsrfCookie(server.port()) + "=" + csrf + ";"), xsrfCookie);
        assertTrue(xsrfCookie.contains("SameSite=Strict"), xsrfCookie);
        String csp = page.headers().firstValue("Content-Security-Policy").orElseThrow();
        assertTrue(csp.contains("script-src 'self' 'sha256-") && csp.contains("frame-ancestors 'none'"), csp);
        assertEquals("no-referrer", page.headers().firstValue("Referrer-Policy").orElseThrow());
        assertEquals(
                200,
                send(get("/api/notebooks").header("Authorization", "token " + token))
                        .statusCode());
    }

    @Test
    void rebindingHostIsRefused() throws Exception {
        assertEquals(
                403,
                rawStatus("GET /api/notebooks HTTP/1.1\r\nHost: evil.example:" + server.port() + "\r\nCookie: "
                        + cookie() + "\r\nConnection: close\r\n\r\n"));
        assertEquals(
                403,
                rawStatus("GET /api/notebooks HTTP/1.1\r\nHost: 127.0.0.1.evil.example\r\nCookie: " + cookie()
                        + "\r\nConnection: close\r\n\r\n"));
        assertEquals(
                200,
                rawStatus("GET /api/notebooks HTTP/1.1\r\nHost: localhost:" + server.port() + "\r\nCookie: " + cookie()
                        + "\r\nConnection: close\r\n\r\n"));
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

    @Test
    void foreignOriginAndMissingCsrfAreRefusedAndNothingIsWritten() throws Exception {
        String body = "{\"path\": \"made.ipynb\", \"language\": \"js\"}";
        HttpResponse<String> foreign = send(get("/api/notebooks")
                .header("Cookie", cookie())
                .header(AccessPolicy.XSRF_HEADER, csrf)
                .header("Origin", "http://evil.example")
                .POST(HttpRequest.BodyPublishers.ofString(body)));
        assertEquals(403, foreign.statusCode(), foreign.body());
        assertTrue(foreign.body().contains("Origin"), foreign.body());
        HttpResponse<String> sandboxed = send(get("/api/notebooks")
                .header("Cookie", cookie())
                .header(AccessPolicy.XSRF_HEADER, csrf)
                .header("Origin", "null")
                .POST(HttpRequest.BodyPublishers.ofString(body)));
        assertEquals(403, sandboxed.statusCode());
        HttpResponse<String> noCsrf =
                send(get("/api/notebooks").header("Cookie", cookie()).POST(HttpRequest.BodyPublishers.ofString(body)));
        assertEquals(403, noCsrf.statusCode());
        assertTrue(noCsrf.body().contains("XSRF"), noCsrf.body());
        HttpResponse<String> wrongCsrf = send(get("/api/notebooks")
                .header("Cookie", cookie())
                .header(AccessPolicy.XSRF_HEADER, csrf + "x")
                .POST(HttpRequest.BodyPublishers.ofString(body)));
        assertEquals(403, wrongCsrf.statusCode());
        HttpResponse<String> delete = send(get("/api/notebook?path=existing.ipynb")
                .header("Cookie", cookie())
                .DELETE());
        assertEquals(403, delete.statusCode());
        assertFalse(Files.exists(dir.resolve("made.ipynb")));
        assertTrue(Files.exists(dir.resolve("existing.ipynb")));
        HttpResponse<String> ok = send(get("/api/notebooks")
                .header("Cookie", cookie())
                .header(AccessPolicy.XSRF_HEADER, csrf)
                .header("Origin", base)
                .POST(HttpRequest.BodyPublishers.ofString(body)));
        assertEquals(201, ok.statusCode(), ok.body());
        assertTrue(Files.exists(dir.resolve("made.ipynb")));
        HttpResponse<String> again = send(get("/api/notebooks")
                .header("Authorization", "token " + token)
                .POST(HttpRequest.BodyPublishers.ofString(body)));
        assertEquals(409, again.statusCode());
    }

    @Test
    void traversalPathsAreRefused() throws Exception {
        String nb = "{\"nbformat\": 4, \"nbformat_minor\": 5, \"metadata\": {}, \"cells\": []}";
        for (String p : List.of(
                "../escape.ipynb",
                "a/../../escape.ipynb",
                "%2Ftmp%2Fescape.ipynb",
                "..%2Fescape.ipynb",
                ".ipynb_checkpoints/escape.ipynb")) {
            HttpResponse<String> r = send(get("/api/notebook?path=" + p)
                    .header("Authorization", "token " + token)
                    .PUT(HttpRequest.BodyPublishers.ofString(nb)));
            assertEquals(400, r.statusCode(), p + ": " + r.body());
            assertEquals(
                    400,
                    send(get("/api/notebook?path=" + p).header("Authorization", "token " + token))
                            .statusCode(),
                    p);
        }
        assertFalse(Files.exists(dir.getParent().resolve("escape.ipynb")));
        assertFalse(Files.exists(Path.of("/tmp/escape.ipynb")));
        assertFalse(Files.exists(dir.resolve(".ipynb_checkpoints/escape.ipynb")));
        int asset = send(get("/static/..%2F..%2Fpom.xml").header("Authorization", "token " + token))
                .statusCode();
        assertTrue(asset == 400 || asset == 404, "asset traversal: " + asset);
        assertEquals(
                404,
                send(get("/static/PageAssets.class").header("Authorization", "token " + token))
                        .statusCode());
        HttpResponse<String> rename = send(get("/api/notebook/rename?path=existing.ipynb")
                .header("Authorization", "token " + token)
                .POST(HttpRequest.BodyPublishers.ofString("{\"to\": \"../moved.ipynb\"}")));
        assertEquals(400, rename.statusCode());
        assertTrue(Files.exists(dir.resolve("existing.ipynb")));
    }

    @Test
    void oversizedUploadsAre413AndNothingIsWritten() throws Exception {
        String before = Files.readString(dir.resolve("existing.ipynb"));
        String big = "{\"nbformat\": 4, \"nbformat_minor\": 5, \"metadata\": {}, \"cells\": [{\"cell_type\": \"code\", "
                + "\"source\": \"" + "x".repeat((int) LIMIT) + "\", \"outputs\": [], \"metadata\": {}}]}";
        HttpResponse<String> r = send(get("/api/notebook?path=existing.ipynb")
                .header("Authorization", "token " + token)
                .PUT(HttpRequest.BodyPublishers.ofString(big)));
        assertEquals(413, r.statusCode(), r.body());
        HttpResponse<String> created = send(get("/api/notebook?path=big.ipynb")
                .header("Authorization", "token " + token)
                .PUT(HttpRequest.BodyPublishers.ofString(big)));
        assertEquals(413, created.statusCode());
        // a streamed body of unknown length is refused too
        HttpResponse<String> chunked = send(get("/api/notebook?path=big.ipynb")
                .header("Authorization", "token " + token)
                .PUT(HttpRequest.BodyPublishers.ofInputStream(
                        () -> new java.io.ByteArrayInputStream(big.getBytes(StandardCharsets.UTF_8)))));
        assertTrue(chunked.statusCode() == 411 || chunked.statusCode() == 413, "chunked: " + chunked.statusCode());
        assertEquals(before, Files.readString(dir.resolve("existing.ipynb")));
        assertFalse(Files.exists(dir.resolve("big.ipynb")));
        try (var s = Files.list(dir)) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().endsWith(".tmp")));
        }
    }

    @Test
    void webSocketNeedsTheTokenAndThisOrigin() {
        String ws = "ws://127.0.0.1:" + server.port() + "/api/kernel?path=existing.ipynb";
        assertEquals(401, handshakeStatus(HTTP.newWebSocketBuilder(), ws));
        assertEquals(403, handshakeStatus(HTTP.newWebSocketBuilder(), ws + "&token=wrong"));
        assertEquals(
                403,
                handshakeStatus(
                        HTTP.newWebSocketBuilder().header("Cookie", cookie()).header("Origin", "http://evil.example"),
                        ws + "&_xsrf=" + csrf));
        assertEquals(
                403,
                handshakeStatus(
                        HTTP.newWebSocketBuilder().header("Cookie", cookie()).header("Origin", "null"),
                        ws + "&_xsrf=" + csrf));
        WebSocket ok = HTTP.newWebSocketBuilder()
                .header("Cookie", cookie())
                .header("Origin", base)
                .buildAsync(URI.create(ws + "&_xsrf=" + csrf), new WebSocket.Listener() {})
                .join();
        ok.sendClose(WebSocket.NORMAL_CLOSURE, "").join();
    }

    @Test
    void originOnAnotherPortIsRefusedForTheApiAndTheWebSocket() throws Exception {
        String body = "{\"path\": \"other-port.ipynb\", \"language\": \"js\"}";
        String ws = "ws://127.0.0.1:" + server.port() + "/api/kernel?path=existing.ipynb&_xsrf=" + csrf;
        for (String origin : List.of(
                "http://127.0.0.1:" + (server.port() + 1),
                "http://127.0.0.1",
                "https://127.0.0.1:" + server.port(),
                "http://localhost:" + server.port(),
                "http://[::1]:" + server.port(),
                "http://127.0.0.1:" + server.port() + "/path")) {
            HttpResponse<String> post = send(get("/api/notebooks")
                    .header("Cookie", cookie())
                    .header(AccessPolicy.XSRF_HEADER, csrf)
                    .header("Origin", origin)
                    .POST(HttpRequest.BodyPublishers.ofString(body)));
            assertEquals(403, post.statusCode(), origin + ": " + post.body());
            assertTrue(post.body().contains("Origin"), post.body());
            // a program's token header does not make a foreign page's Origin acceptable either
            assertEquals(
                    403,
                    send(get("/api/notebooks")
                                    .header("Authorization", "token " + token)
                                    .header("Origin", origin)
                                    .POST(HttpRequest.BodyPublishers.ofString(body)))
                            .statusCode(),
                    origin);
            assertEquals(
                    403,
                    handshakeStatus(
                            HTTP.newWebSocketBuilder()
                                    .header("Cookie", cookie())
                                    .header("Origin", origin),
                            ws),
                    origin);
            assertEquals(
                    403,
                    handshakeStatus(
                            HTTP.newWebSocketBuilder()
                                    .header("Authorization", "token " + token)
                                    .header("Origin", origin),
                            ws),
                    origin);
        }
        assertFalse(Files.exists(dir.resolve("other-port.ipynb")));
        // the page's own origin, as the browser sends it for the name it loaded the page from
        HttpResponse<String> own = send(get("/api/notebooks")
                .header("Cookie", cookie())
                .header(AccessPolicy.XSRF_HEADER, csrf)
                .header("Origin", "http://127.0.0.1:" + server.port())
                .POST(HttpRequest.BodyPublishers.ofString(body)));
        assertEquals(201, own.statusCode(), own.body());
        assertEquals(
                200,
                rawStatus("GET /api/notebooks HTTP/1.1\r\nHost: localhost:" + server.port()
                        + "\r\nOrigin: http://localhost:" + server.port() + "\r\nCookie: " + cookie()
                        + "\r\nConnection: close\r\n\r\n"));
        assertEquals(
                403,
                rawStatus("DELETE /api/notebook?path=other-port.ipynb HTTP/1.1\r\nHost: localhost:"
                        + server.port() + "\r\nOrigin: http://127.0.0.1:" + server.port() + "\r\nCookie: " + cookie()
                        + "\r\n" + AccessPolicy.XSRF_HEADER + ": " + csrf
                        + "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"));
        assertTrue(Files.exists(dir.resolve("other-port.ipynb")));
    }

    @Test
    void xsrfIsDoubleSubmittedOnStateChangesAndTheWebSocket() throws Exception {
        String tokenCookie = AccessPolicy.tokenCookie(server.port()) + "=" + token;
        String body = "{\"path\": \"xsrf.ipynb\", \"language\": \"js\"}";
        // header without the cookie, and a matching pair that is not the server's token: both refused
        assertEquals(
                403,
                send(get("/api/notebooks")
                                .header("Cookie", tokenCookie)
                                .header(AccessPolicy.XSRF_HEADER, csrf)
                                .POST(HttpRequest.BodyPublishers.ofString(body)))
                        .statusCode());
        String forged = "A".repeat(43);
        assertEquals(
                403,
                send(get("/api/notebooks")
                                .header(
                                        "Cookie",
                                        tokenCookie + "; " + AccessPolicy.xsrfCookie(server.port()) + "=" + forged)
                                .header(AccessPolicy.XSRF_HEADER, forged)
                                .POST(HttpRequest.BodyPublishers.ofString(body)))
                        .statusCode());
        // the XSRF cookie of another port's server is not this one's
        assertEquals(
                403,
                send(get("/api/notebooks")
                                .header(
                                        "Cookie",
                                        tokenCookie + "; " + AccessPolicy.xsrfCookie(server.port() + 1) + "=" + csrf)
                                .header(AccessPolicy.XSRF_HEADER, csrf)
                                .POST(HttpRequest.BodyPublishers.ofString(body)))
                        .statusCode());
        assertFalse(Files.exists(dir.resolve("xsrf.ipynb")));

        String ws = "ws://127.0.0.1:" + server.port() + "/api/kernel?path=existing.ipynb";
        assertEquals(
                403,
                handshakeStatus(
                        HTTP.newWebSocketBuilder().header("Cookie", cookie()).header("Origin", base), ws));
        assertEquals(
                403,
                handshakeStatus(
                        HTTP.newWebSocketBuilder().header("Cookie", cookie()).header("Origin", base),
                        ws + "&_xsrf=" + csrf + "x"));
        assertEquals(
                403,
                handshakeStatus(
                        HTTP.newWebSocketBuilder().header("Cookie", tokenCookie).header("Origin", base),
                        ws + "&_xsrf=" + csrf));
        WebSocket viaHeader = HTTP.newWebSocketBuilder()
                .header("Cookie", cookie())
                .header("Origin", base)
                .header(AccessPolicy.XSRF_HEADER, csrf)
                .buildAsync(URI.create(ws), new WebSocket.Listener() {})
                .join();
        viaHeader.sendClose(WebSocket.NORMAL_CLOSURE, "").join();
        // a program presenting the token itself needs no XSRF token (as Jupyter Server)
        WebSocket program = HTTP.newWebSocketBuilder()
                .header("Authorization", "token " + token)
                .buildAsync(URI.create(ws), new WebSocket.Listener() {})
                .join();
        program.sendClose(WebSocket.NORMAL_CLOSURE, "").join();
        HttpResponse<String> ok = send(get("/api/notebooks")
                .header("Cookie", cookie())
                .header(AccessPolicy.XSRF_HEADER, csrf)
                .POST(HttpRequest.BodyPublishers.ofString(body)));
        assertEquals(201, ok.statusCode(), ok.body());
    }

    @Test
    void twoServersOnTwoPortsKeepTheirOwnCookies(@TempDir Path otherDir) throws Exception {
        try (ScriptHost otherHost = ScriptHost.create(Sandbox.of(otherDir));
                NotebookServer other = NotebookServer.start(NotebookServer.Options.loopback(otherDir), otherHost)) {
            java.net.CookieManager jar = new java.net.CookieManager(null, java.net.CookiePolicy.ACCEPT_ALL);
            HttpClient browser = HttpClient.newBuilder()
                    .cookieHandler(jar)
                    .followRedirects(HttpClient.Redirect.NORMAL)
                    .build();
            for (NotebookServer s : List.of(server, other)) {
                HttpResponse<String> page = browser.send(
                        HttpRequest.newBuilder(URI.create(s.url())).build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(200, page.statusCode());
            }
            // cookies do not separate ports: only per-port names keep both servers' cookies in one jar
            List<String> names = jar.getCookieStore().getCookies().stream()
                    .map(java.net.HttpCookie::getName)
                    .sorted()
                    .toList();
            assertEquals(
                    List.of(
                                    AccessPolicy.xsrfCookie(server.port()),
                                    AccessPolicy.xsrfCookie(other.port()),
                                    AccessPolicy.tokenCookie(server.port()),
                                    AccessPolicy.tokenCookie(other.port()))
                            .stream()
                            .sorted()
                            .toList(),
                    names);
            for (NotebookServer s : List.of(server, other)) {
                String b = "http://127.0.0.1:" + s.port();
                HttpResponse<String> made = browser.send(
                        HttpRequest.newBuilder(URI.create(b + "/api/notebooks"))
                                .header(AccessPolicy.XSRF_HEADER, s.policy().csrfToken())
                                .header("Origin", b)
                                .POST(HttpRequest.BodyPublishers.ofString(
                                        "{\"path\": \"both-" + s.port() + ".ipynb\"}"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(201, made.statusCode(), made.body());
                String cookies = jar.getCookieStore().getCookies().stream()
                        .map(c -> c.getName() + "=" + c.getValue())
                        .reduce((x, y) -> x + "; " + y)
                        .orElseThrow();
                WebSocket ws = HTTP.newWebSocketBuilder()
                        .header("Cookie", cookies)
                        .header("Origin", b)
                        .buildAsync(
                                URI.create("ws://127.0.0.1:" + s.port() + "/api/kernel?path=both-" + s.port()
                                        + ".ipynb&_xsrf=" + s.policy().csrfToken()),
                                new WebSocket.Listener() {})
                        .join();
                ws.sendClose(WebSocket.NORMAL_CLOSURE, "").join();
                // the other server's XSRF token does not open this server's kernel
                NotebookServer o = s == server ? other : server;
                assertEquals(
                        403,
                        handshakeStatus(
                                HTTP.newWebSocketBuilder()
                                        .header("Cookie", cookies)
                                        .header("Origin", b),
                                "ws://127.0.0.1:" + s.port() + "/api/kernel?path=both-" + s.port() + ".ipynb&_xsrf="
                                        + o.policy().csrfToken()));
            }
            assertTrue(Files.exists(dir.resolve("both-" + server.port() + ".ipynb")));
            assertTrue(Files.exists(otherDir.resolve("both-" + other.port() + ".ipynb")));
        }
    }

    @Test
    void allowOriginAddsExactlyTheNamedOrigins(@TempDir Path otherDir) throws Exception {
        IllegalArgumentException bad = assertThrows(
                IllegalArgumentException.class,
                () -> NotebookServer.start(
                        new NotebookServer.Options(
                                otherDir, "127.0.0.1", 0, List.of(), LIMIT, List.of("127.0.0.1:9999")),
                        host));
        assertTrue(bad.getMessage().contains("allowed origin '127.0.0.1:9999' is not an origin"), bad.getMessage());
        try (ScriptHost otherHost = ScriptHost.create(Sandbox.of(otherDir));
                NotebookServer other = NotebookServer.start(
                        new NotebookServer.Options(
                                otherDir,
                                "127.0.0.1",
                                0,
                                List.of(),
                                LIMIT,
                                List.of("http://proxy.example:8443", "HTTP://127.0.0.1:9999/")),
                        otherHost)) {
            String b = "http://127.0.0.1:" + other.port();
            for (Map.Entry<String, Integer> c : Map.of(
                            "http://proxy.example:8443",
                            201,
                            "http://127.0.0.1:9999",
                            201,
                            "http://127.0.0.1:9998",
                            403,
                            "https://proxy.example:8443",
                            403)
                    .entrySet()) {
                HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(b + "/api/notebooks"))
                        .header("Authorization", "token " + other.policy().token())
                        .header("Origin", c.getKey())
                        .POST(HttpRequest.BodyPublishers.ofString(
                                "{\"path\": \"o" + Math.abs(c.getKey().hashCode()) + ".ipynb\"}")));
                assertEquals((int) c.getValue(), r.statusCode(), c.getKey() + ": " + r.body());
            }
        }
    }

    @Test
    void checkpointsBehindASymbolicLinkOutOfTheDirectoryAreRefused(@TempDir Path outside) throws Exception {
        String nb = "{\"nbformat\": 4, \"nbformat_minor\": 5, \"metadata\": {}, \"cells\": []}";
        Path linked = Files.createDirectories(dir.resolve("linked"));
        Files.writeString(linked.resolve("victim.ipynb"), nb);
        String outsideCheckpoint =
                "{\"nbformat\": 4, \"nbformat_minor\": 5, \"metadata\": {\"outside\": true}, " + "\"cells\": []}";
        Files.writeString(outside.resolve("victim-checkpoint.ipynb"), outsideCheckpoint);
        Files.writeString(outside.resolve("moved-checkpoint.ipynb"), "keep me");
        Files.createSymbolicLink(linked.resolve(".ipynb_checkpoints"), outside);
        String q = "?path=linked/victim.ipynb";
        for (HttpResponse<String> r : List.of(
                send(get("/api/notebook/checkpoint" + q)
                        .header("Authorization", "token " + token)
                        .POST(HttpRequest.BodyPublishers.noBody())),
                send(get("/api/notebook/revert" + q)
                        .header("Authorization", "token " + token)
                        .POST(HttpRequest.BodyPublishers.noBody())),
                send(get("/api/notebook/checkpoint" + q).header("Authorization", "token " + token)),
                send(get("/api/notebook" + q)
                        .header("Authorization", "token " + token)
                        .DELETE()),
                send(get("/api/notebook/rename" + q)
                        .header("Authorization", "token " + token)
                        .POST(HttpRequest.BodyPublishers.ofString("{\"to\": \"linked/moved.ipynb\"}"))))) {
            assertEquals(
                    400,
                    r.statusCode(),
                    r.request().method() + " " + r.request().uri() + ": " + r.body());
            assertTrue(
                    r.body().contains("checkpoint of 'linked/victim.ipynb' leads out of the notebook directory"),
                    r.body());
            assertFalse(r.body().contains(outside.toString()), r.body());
        }
        assertEquals(outsideCheckpoint, Files.readString(outside.resolve("victim-checkpoint.ipynb")));
        assertEquals("keep me", Files.readString(outside.resolve("moved-checkpoint.ipynb")));
        try (var s = Files.list(outside)) {
            assertEquals(2, s.count(), "nothing was written outside DIR");
        }
        assertEquals(
                nb, Files.readString(linked.resolve("victim.ipynb")), "the notebook is neither reverted nor moved");
        assertFalse(Files.exists(linked.resolve("moved.ipynb")));
        // a checkpoint file that is itself a link out of DIR is refused too
        Path plain = Files.createDirectories(dir.resolve("plain"));
        Files.writeString(plain.resolve("nb.ipynb"), nb);
        Files.createDirectories(plain.resolve(".ipynb_checkpoints"));
        Files.createSymbolicLink(
                plain.resolve(".ipynb_checkpoints/nb-checkpoint.ipynb"), outside.resolve("victim-checkpoint.ipynb"));
        assertEquals(
                400,
                send(get("/api/notebook/revert?path=plain/nb.ipynb")
                                .header("Authorization", "token " + token)
                                .POST(HttpRequest.BodyPublishers.noBody()))
                        .statusCode());
        assertEquals(
                400,
                send(get("/api/notebook/checkpoint?path=plain/nb.ipynb")
                                .header("Authorization", "token " + token)
                                .POST(HttpRequest.BodyPublishers.noBody()))
                        .statusCode());
        assertEquals(outsideCheckpoint, Files.readString(outside.resolve("victim-checkpoint.ipynb")));
        assertEquals(nb, Files.readString(plain.resolve("nb.ipynb")));
    }

    @Test
    void errorResponsesNeverEchoAbsolutePaths() throws Exception {
        String nb = "{\"nbformat\": 4, \"nbformat_minor\": 5, \"metadata\": {}, \"cells\": []}";
        // an internal error: saving over a directory named like a notebook fails inside the file system
        Files.createDirectories(dir.resolve("folder.ipynb"));
        HttpResponse<String> internal = send(get("/api/notebook?path=folder.ipynb")
                .header("Authorization", "token " + token)
                .PUT(HttpRequest.BodyPublishers.ofString(nb)));
        assertEquals(500, internal.statusCode(), internal.body());
        assertTrue(internal.body().contains("internal error while handling PUT /api/notebook"), internal.body());
        // a file system error on the way to a 4xx: .ipynb_checkpoints is a plain file
        Path sub = Files.createDirectories(dir.resolve("errs"));
        Files.writeString(sub.resolve("nb.ipynb"), nb);
        Files.writeString(sub.resolve(".ipynb_checkpoints"), "not a directory");
        HttpResponse<String> conflict = send(get("/api/notebook/checkpoint?path=errs/nb.ipynb")
                .header("Authorization", "token " + token)
                .POST(HttpRequest.BodyPublishers.noBody()));
        assertTrue(conflict.statusCode() >= 400, conflict.statusCode() + " " + conflict.body());
        assertTrue(conflict.body().contains("errs/.ipynb_checkpoints"), conflict.body());
        HttpResponse<String> missing = send(get("/api/notebook/revert?path=errs/none.ipynb")
                .header("Authorization", "token " + token)
                .POST(HttpRequest.BodyPublishers.noBody()));
        assertEquals(404, missing.statusCode());
        for (HttpResponse<String> r : List.of(internal, conflict, missing)) {
            for (String abs : List.of(
                    dir.toString(),
                    dir.toRealPath().toString(),
                    server.store().root().toString())) {
                assertFalse(r.body().contains(abs), "echoes " + abs + ": " + r.body());
            }
            assertFalse(r.body().matches("(?s).*\"[^\"]*(^|[\\s:'\"])/(tmp|home|root|work)/.*"), r.body());
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
