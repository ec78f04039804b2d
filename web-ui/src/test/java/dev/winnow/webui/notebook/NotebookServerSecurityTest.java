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
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every refusal of the access policy against a real server on a free loopback port. */
class NotebookServerSecurityTest {
  private static final long LIMIT = 64 * 1024;
  @TempDir static Path dir;
  static ScriptHost host;
  static NotebookServer server;
  static String base;
  static String token;
  static String csrf;
  static final HttpClient HTTP = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();

  @BeforeAll
  static void start() throws Exception {
    Files.writeString(dir.resolve("existing.ipynb"), "{\"nbformat\": 4, \"nbformat_minor\": 5, \"metadata\": {}, \"cells\": []}");
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

  private static String cookie() {
    return AccessPolicy.COOKIE + "=" + token;
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
    assertEquals(403, send(get("/api/notebooks").header("Cookie", AccessPolicy.COOKIE + "=nope")).statusCode());
    assertEquals(403, send(get("/api/notebooks").header("Authorization", "token " + token + "x")).statusCode());
  }

  @Test
  void firstVisitSetsAStrictHttpOnlyCookieAndDropsTheTokenFromTheAddress() throws Exception {
    HttpResponse<String> r = send(get("/?token=" + token + "&path=existing.ipynb"));
    assertEquals(303, r.statusCode());
    assertEquals("/?path=existing.ipynb", r.headers().firstValue("Location").orElseThrow());
    String setCookie = r.headers().firstValue("Set-Cookie").orElseThrow();
    assertTrue(setCookie.startsWith(cookie() + ";"), setCookie);
    assertTrue(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Strict"), setCookie);
    HttpResponse<String> page = send(get("/").header("Cookie", cookie()));
    assertEquals(200, page.statusCode());
    assertTrue(page.body().contains("<meta name=\"winnow-csrf\" content=\"" + csrf + "\">"));
    String csp = page.headers().firstValue("Content-Security-Policy").orElseThrow();
    assertTrue(csp.contains("script-src 'self' 'sha256-") && csp.contains("frame-ancestors 'none'"), csp);
    assertEquals("no-referrer", page.headers().firstValue("Referrer-Policy").orElseThrow());
    assertEquals(200, send(get("/api/notebooks").header("Authorization", "token " + token)).statusCode());
  }

  @Test
  void rebindingHostIsRefused() throws Exception {
    assertEquals(403, rawStatus("GET /api/notebooks HTTP/1.1\r\nHost: evil.example:" + server.port()
        + "\r\nCookie: " + cookie() + "\r\nConnection: close\r\n\r\n"));
    assertEquals(403, rawStatus("GET /api/notebooks HTTP/1.1\r\nHost: 127.0.0.1.evil.example\r\nCookie: "
        + cookie() + "\r\nConnection: close\r\n\r\n"));
    assertEquals(200, rawStatus("GET /api/notebooks HTTP/1.1\r\nHost: localhost:" + server.port()
        + "\r\nCookie: " + cookie() + "\r\nConnection: close\r\n\r\n"));
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
    HttpResponse<String> foreign =
        send(get("/api/notebooks").header("Cookie", cookie()).header(AccessPolicy.CSRF_HEADER, csrf)
            .header("Origin", "http://evil.example").POST(HttpRequest.BodyPublishers.ofString(body)));
    assertEquals(403, foreign.statusCode(), foreign.body());
    assertTrue(foreign.body().contains("Origin"), foreign.body());
    HttpResponse<String> sandboxed =
        send(get("/api/notebooks").header("Cookie", cookie()).header(AccessPolicy.CSRF_HEADER, csrf)
            .header("Origin", "null").POST(HttpRequest.BodyPublishers.ofString(body)));
    assertEquals(403, sandboxed.statusCode());
    HttpResponse<String> noCsrf =
        send(get("/api/notebooks").header("Cookie", cookie()).POST(HttpRequest.BodyPublishers.ofString(body)));
    assertEquals(403, noCsrf.statusCode());
    assertTrue(noCsrf.body().contains("CSRF"), noCsrf.body());
    HttpResponse<String> wrongCsrf =
        send(get("/api/notebooks").header("Cookie", cookie()).header(AccessPolicy.CSRF_HEADER, csrf + "x")
            .POST(HttpRequest.BodyPublishers.ofString(body)));
    assertEquals(403, wrongCsrf.statusCode());
    HttpResponse<String> delete = send(get("/api/notebook?path=existing.ipynb").header("Cookie", cookie()).DELETE());
    assertEquals(403, delete.statusCode());
    assertFalse(Files.exists(dir.resolve("made.ipynb")));
    assertTrue(Files.exists(dir.resolve("existing.ipynb")));
    HttpResponse<String> ok =
        send(get("/api/notebooks").header("Cookie", cookie()).header(AccessPolicy.CSRF_HEADER, csrf)
            .header("Origin", base).POST(HttpRequest.BodyPublishers.ofString(body)));
    assertEquals(201, ok.statusCode(), ok.body());
    assertTrue(Files.exists(dir.resolve("made.ipynb")));
    HttpResponse<String> again =
        send(get("/api/notebooks").header("Authorization", "token " + token)
            .POST(HttpRequest.BodyPublishers.ofString(body)));
    assertEquals(409, again.statusCode());
  }

  @Test
  void traversalPathsAreRefused() throws Exception {
    String nb = "{\"nbformat\": 4, \"nbformat_minor\": 5, \"metadata\": {}, \"cells\": []}";
    for (String p : List.of("../escape.ipynb", "a/../../escape.ipynb", "%2Ftmp%2Fescape.ipynb", "..%2Fescape.ipynb",
        ".ipynb_checkpoints/escape.ipynb")) {
      HttpResponse<String> r =
          send(get("/api/notebook?path=" + p).header("Authorization", "token " + token)
              .PUT(HttpRequest.BodyPublishers.ofString(nb)));
      assertEquals(400, r.statusCode(), p + ": " + r.body());
      assertEquals(400,
          send(get("/api/notebook?path=" + p).header("Authorization", "token " + token)).statusCode(), p);
    }
    assertFalse(Files.exists(dir.getParent().resolve("escape.ipynb")));
    assertFalse(Files.exists(Path.of("/tmp/escape.ipynb")));
    assertFalse(Files.exists(dir.resolve(".ipynb_checkpoints/escape.ipynb")));
    int asset = send(get("/static/..%2F..%2Fpom.xml").header("Authorization", "token " + token)).statusCode();
    assertTrue(asset == 400 || asset == 404, "asset traversal: " + asset);
    assertEquals(404, send(get("/static/PageAssets.class").header("Authorization", "token " + token)).statusCode());
    HttpResponse<String> rename =
        send(get("/api/notebook/rename?path=existing.ipynb").header("Authorization", "token " + token)
            .POST(HttpRequest.BodyPublishers.ofString("{\"to\": \"../moved.ipynb\"}")));
    assertEquals(400, rename.statusCode());
    assertTrue(Files.exists(dir.resolve("existing.ipynb")));
  }

  @Test
  void oversizedUploadsAre413AndNothingIsWritten() throws Exception {
    String before = Files.readString(dir.resolve("existing.ipynb"));
    String big = "{\"nbformat\": 4, \"nbformat_minor\": 5, \"metadata\": {}, \"cells\": [{\"cell_type\": \"code\", "
        + "\"source\": \"" + "x".repeat((int) LIMIT) + "\", \"outputs\": [], \"metadata\": {}}]}";
    HttpResponse<String> r =
        send(get("/api/notebook?path=existing.ipynb").header("Authorization", "token " + token)
            .PUT(HttpRequest.BodyPublishers.ofString(big)));
    assertEquals(413, r.statusCode(), r.body());
    HttpResponse<String> created =
        send(get("/api/notebook?path=big.ipynb").header("Authorization", "token " + token)
            .PUT(HttpRequest.BodyPublishers.ofString(big)));
    assertEquals(413, created.statusCode());
    // a streamed body of unknown length is refused too
    HttpResponse<String> chunked =
        send(get("/api/notebook?path=big.ipynb").header("Authorization", "token " + token)
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
    assertEquals(403,
        handshakeStatus(HTTP.newWebSocketBuilder().header("Cookie", cookie()).header("Origin", "http://evil.example"), ws));
    assertEquals(403,
        handshakeStatus(HTTP.newWebSocketBuilder().header("Cookie", cookie()).header("Origin", "null"), ws));
    WebSocket ok = HTTP.newWebSocketBuilder().header("Cookie", cookie()).header("Origin", base)
        .buildAsync(URI.create(ws), new WebSocket.Listener() {}).join();
    ok.sendClose(WebSocket.NORMAL_CLOSURE, "").join();
  }

  private static int handshakeStatus(WebSocket.Builder b, String url) {
    CompletionException e =
        assertThrows(CompletionException.class, () -> b.buildAsync(URI.create(url), new WebSocket.Listener() {}).join());
    WebSocketHandshakeException h = assertInstanceOf(WebSocketHandshakeException.class, e.getCause());
    return h.getResponse().statusCode();
  }
}
